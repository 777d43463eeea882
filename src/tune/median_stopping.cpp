#include "tune/median_stopping.h"

#include <algorithm>
#include <numeric>

namespace hybridrec::tune {

bool median_rule_says_stop(const std::vector<double>& own, const std::vector<std::vector<double>>& others,
                           const MedianStoppingRule& rule, bool maximize) {
  const std::size_t s = own.size();
  if (s == 0 || static_cast<int>(s) < rule.min_epochs) return false;
  std::vector<double> averages;
  for (const auto& h : others)
    if (h.size() >= s) averages.push_back(std::accumulate(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(s), 0.0) / static_cast<double>(s));
  if (averages.empty() || static_cast<int>(averages.size()) < rule.min_trials) return false;
  std::sort(averages.begin(), averages.end());
  const std::size_t m = averages.size();
  const double median = m % 2 ? averages[m / 2] : 0.5 * (averages[m / 2 - 1] + averages[m / 2]);
  const double best = maximize ? *std::max_element(own.begin(), own.end()) : *std::min_element(own.begin(), own.end());
  return maximize ? best < median : best > median;
}

}  // namespace hybridrec::tune
