#pragma once
// The specification's "Evaluation Results Format": one JSON document per
// evaluated model version, compared with the best baseline, plus a text table
// for the terminal.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace hybridrec {

// model_metrics and each baseline's metrics are evaluate() results. The report holds
// model_version, timestamp (ISO 8601 UTC), metrics {ranking, prediction, business,
// fairness}, comparison_to_baseline {baseline, "<metric>@K_improvement": "+12.5%", ...}
// against the baseline with the highest ndcg@K (K = the model's primary_k), then
// segments, cold_start_paths and baselines {name: {ranking, prediction, business,
// fairness}}. An improvement over a baseline value of 0 reads "n/a".
nlohmann::json make_result_report(const std::string& model_version, const nlohmann::json& model_metrics,
                                  const std::map<std::string, nlohmann::json>& baseline_metrics);

// "+12.5%" / "-3.0%": relative change of `value` over `reference`, one decimal.
std::string format_improvement(double value, double reference);

// The current time as "2024-01-15T10:30:00Z".
std::string utc_timestamp_now();

// The headline metrics as (section, name) at K: precision/recall/ndcg/hit_rate@K,
// map, mrr, rmse, mae, coverage, diversity, novelty, serendipity and the two
// fairness gaps, in that order (the rows of the table below and of run reports).
std::vector<std::pair<std::string, std::string>> headline_metrics(int k);

// True for metrics where lower is better (rmse, mae, the fairness gaps).
bool lower_is_better(const std::string& metric);

// An aligned table: one row per headline metric, one column for the model and
// one per baseline; missing or null values print as "-".
std::string format_metrics_table(const nlohmann::json& report);

}  // namespace hybridrec
