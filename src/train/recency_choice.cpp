#include "train/recency_choice.h"

#include <chrono>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace hybridrec {

namespace {

double kept_fraction(const PositiveWeighting& weighting, const Dataset& dataset, const Split& split,
                     double half_life_days) {
  return recency_kept_fraction(collect_positives(dataset, split, weighting.event_weights, half_life_days, true));
}

}  // namespace

std::string describe_half_life(double half_life_days) {
  return half_life_days > 0 ? fmt::format("{:.4g} days", half_life_days) : std::string("off");
}

RecencyChoice choose_recency_half_life(const PositiveWeighting& weighting, const Dataset& dataset, const Split& split,
                                       double span_days, const HalfLifeScore& score, const std::string& no_score_reason,
                                       Progress& progress) {
  RecencyChoice choice;
  const double span = span_days;
  choice.record = {{"span_days", span}};
  if (!weighting.recency_auto) {
    choice.half_life_days = weighting.recency_half_life_days;
    choice.reason = "set in the configuration";
    choice.record["origin"] = "config";
  } else if (span <= 0.0) {
    choice.automatic = true;
    choice.reason = dataset.has_timestamps ? "the training period has no span (one timestamp)" : "the data has no timestamps";
    choice.record["origin"] = "auto";
  } else if (!score) {
    choice.automatic = true;
    choice.half_life_days = kRecencyFractionWithoutValidation * span;
    choice.reason = fmt::format("{}: {} x the training span of {:.1f} days", no_score_reason,
                                kRecencyFractionWithoutValidation, span);
    choice.record["origin"] = "auto";
  } else {
    choice.automatic = true;
    choice.record["origin"] = "auto";
    nlohmann::json candidates = nlohmann::json::array();
    double best = -1.0;
    double best_fraction = 0.0;
    std::vector<double> fractions{0.0};  // off first: a tie keeps the simpler setting
    for (double f : kRecencySpanFractions) fractions.push_back(f);
    for (double fraction : fractions) {
      const double days = fraction * span;
      const auto t0 = std::chrono::steady_clock::now();
      const double ndcg = score(days);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double kept = kept_fraction(weighting, dataset, split, days);
      candidates.push_back({{"fraction_of_span", fraction},
                            {"half_life_days", days},
                            {"kept_fraction", kept},
                            {"ndcg@10", ndcg},
                            {"seconds", seconds}});
      progress.log(fmt::format("recency  half-life {:<14} ({} of the span)  keeps {:5.1f}% of positives  "
                               "validation ndcg@10 {:.4f}  ({:.1f} s)",
                               describe_half_life(days), fraction > 0 ? fmt::format("{:.4g}", fraction) : "off",
                               100.0 * kept, ndcg, seconds));
      if (ndcg > best + 1e-9) best = ndcg, best_fraction = fraction, choice.half_life_days = days;
    }
    choice.record["candidates"] = candidates;
    choice.record["metric"] = "ndcg@10";
    std::vector<std::string> grid;
    for (double f : kRecencySpanFractions) grid.push_back(fmt::format("1/{:.0f}", 1.0 / f));
    choice.reason = fmt::format("best validation NDCG@10 ({:.4f}) of off and {{{}}} x the training span of "
                                "{:.1f} days{}",
                                best, fmt::join(grid, ", "), span,
                                best_fraction > 0 ? fmt::format(" ({:.4g} of the span)", best_fraction) : std::string());
  }
  const double kept = kept_fraction(weighting, dataset, split, choice.half_life_days);
  choice.record["value"] = choice.half_life_days;
  choice.record["reason"] = choice.reason;
  choice.record["kept_fraction"] = kept;
  progress.log(fmt::format("data.recency_half_life_days: {} ({}{}; an epoch keeps {:.1f}% of the positives)",
                           describe_half_life(choice.half_life_days), choice.automatic ? "auto: " : "",
                           choice.reason, 100.0 * kept));
  return choice;
}

}  // namespace hybridrec
