#include "eval/fairness.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"

namespace hybridrec {

GroupGap group_gap(std::span<const std::int32_t> group, std::span<const double> value, std::size_t num_groups) {
  GroupGap g;
  g.means.assign(num_groups, 0.0);
  g.users.assign(num_groups, 0);
  for (std::size_t u = 0; u < std::min(group.size(), value.size()); ++u) {
    if (group[u] < 0 || static_cast<std::size_t>(group[u]) >= num_groups) continue;
    g.means[group[u]] += value[u];
    ++g.users[group[u]];
  }
  double lo = 0.0, hi = 0.0;
  bool any = false;
  for (std::size_t k = 0; k < num_groups; ++k) {
    if (!g.users[k]) continue;
    g.means[k] /= static_cast<double>(g.users[k]);
    lo = any ? std::min(lo, g.means[k]) : g.means[k];
    hi = any ? std::max(hi, g.means[k]) : g.means[k];
    any = true;
  }
  g.gap = hi - lo;
  return g;
}

bool user_groups(const Dataset& dataset, const std::string& group_by, UserGroups& out) {
  out = {};
  const AttributeColumn* column = nullptr;
  if (group_by.empty()) {
    for (const auto& c : dataset.user_attributes.columns)
      if (c.is_categorical()) {
        column = &c;
        break;
      }
    if (!column) return false;
  } else {
    column = dataset.user_attributes.find(group_by);
    if (!column) throw ConfigError("fairness: group_by '" + group_by + "' is not a user attribute");
  }
  out.attribute = column->name;
  out.group.assign(dataset.num_users(), -1);
  if (column->is_categorical()) {
    out.labels = column->vocabulary;
    for (std::size_t u = 0; u < out.group.size() && u < column->codes.size(); ++u) out.group[u] = column->codes[u];
    return true;
  }
  // Numeric (e.g. age): quartiles of the known values, so groups have similar sizes.
  std::vector<float> known;
  for (float v : column->numbers)
    if (!std::isnan(v)) known.push_back(v);
  if (known.empty()) return false;
  std::sort(known.begin(), known.end());
  std::vector<float> upper;  // inclusive upper bound of each bucket
  for (int q = 1; q <= 4; ++q) {
    const float bound = known[std::min(known.size() - 1, known.size() * q / 4 - (q == 4 ? 1 : 0))];
    if (upper.empty() || bound > upper.back()) upper.push_back(bound);
  }
  // Buckets are (previous bound, bound]; the first one also holds the minimum.
  for (std::size_t b = 0; b < upper.size(); ++b)
    out.labels.push_back(b == 0 ? fmt::format("[{:g}, {:g}]", known.front(), upper[0])
                                : fmt::format("({:g}, {:g}]", upper[b - 1], upper[b]));
  for (std::size_t u = 0; u < out.group.size() && u < column->numbers.size(); ++u) {
    const float v = column->numbers[u];
    if (std::isnan(v)) continue;
    out.group[u] = static_cast<std::int32_t>(std::lower_bound(upper.begin(), upper.end(), v) - upper.begin());
    if (out.group[u] >= static_cast<std::int32_t>(upper.size())) out.group[u] = static_cast<std::int32_t>(upper.size()) - 1;
  }
  return true;
}

}  // namespace hybridrec
