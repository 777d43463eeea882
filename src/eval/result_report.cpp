#include "eval/result_report.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <vector>

#include <fmt/format.h>

namespace hybridrec {

namespace {
// Metrics compared with the best baseline, as the specification's example does
// (ndcg@10, precision@10), plus recall and MAP at the same K.
std::vector<std::string> compared_metrics(int k) {
  return {fmt::format("ndcg@{}", k), fmt::format("precision@{}", k), fmt::format("recall@{}", k), "map"};
}

const nlohmann::json* lookup(const nlohmann::json& metrics, const std::string& section, const std::string& key) {
  if (!metrics.is_object() || !metrics.contains(section)) return nullptr;
  const auto& s = metrics[section];
  if (!s.is_object() || !s.contains(key) || !s[key].is_number()) return nullptr;
  return &s[key];
}

nlohmann::json four_sections(const nlohmann::json& metrics) {
  nlohmann::json out = nlohmann::json::object();
  for (const char* section : {"ranking", "prediction", "business", "fairness"})
    out[section] = metrics.is_object() && metrics.contains(section) ? metrics[section] : nlohmann::json::object();
  return out;
}
}  // namespace

std::string format_improvement(double value, double reference) {
  if (reference == 0.0 || !std::isfinite(reference) || !std::isfinite(value)) return "n/a";
  // Round first so a change that prints as 0.0 never reads "-0.0%".
  const double percent = std::round((value - reference) / std::abs(reference) * 1000.0) / 10.0;
  return fmt::format("{}{:.1f}%", percent >= 0.0 ? "+" : "-", std::abs(percent));
}

std::string utc_timestamp_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

nlohmann::json make_result_report(const std::string& model_version, const nlohmann::json& model_metrics,
                                  const std::map<std::string, nlohmann::json>& baseline_metrics) {
  const int k = model_metrics.value("primary_k", 10);
  nlohmann::json report;
  report["model_version"] = model_version;
  report["timestamp"] = utc_timestamp_now();
  report["metrics"] = four_sections(model_metrics);

  // The best baseline is the one the model has to beat: highest ndcg@K.
  const std::string ndcg = fmt::format("ndcg@{}", k);
  std::string best;
  double best_ndcg = -1.0;
  for (const auto& [name, metrics] : baseline_metrics)
    if (const auto* v = lookup(metrics, "ranking", ndcg); v && v->get<double>() > best_ndcg) {
      best = name;
      best_ndcg = v->get<double>();
    }
  nlohmann::json comparison = nlohmann::json::object();
  comparison["baseline"] = best.empty() ? nlohmann::json(nullptr) : nlohmann::json(best);
  for (const auto& metric : compared_metrics(k)) {
    const auto* mine = lookup(model_metrics, "ranking", metric);
    const auto* theirs = best.empty() ? nullptr : lookup(baseline_metrics.at(best), "ranking", metric);
    comparison[metric + "_improvement"] =
        mine && theirs ? format_improvement(mine->get<double>(), theirs->get<double>()) : "n/a";
  }
  report["comparison_to_baseline"] = comparison;

  report["segments"] = model_metrics.value("segments", nlohmann::json::object());
  report["cold_start_paths"] = model_metrics.value("cold_start_paths", nlohmann::json::object());
  report["evaluation"] = {{"part", model_metrics.value("part", "test")},
                          {"ks", model_metrics.value("ks", nlohmann::json::array())},
                          {"primary_k", k},
                          {"users_evaluated", model_metrics.value("users_evaluated", 0)},
                          {"users_without_relevant", model_metrics.value("users_without_relevant", 0)}};
  nlohmann::json baselines = nlohmann::json::object();
  for (const auto& [name, metrics] : baseline_metrics) baselines[name] = four_sections(metrics);
  report["baselines"] = baselines;
  return report;
}

std::vector<std::pair<std::string, std::string>> headline_metrics(int k) {
  return {{"ranking", fmt::format("precision@{}", k)}, {"ranking", fmt::format("recall@{}", k)},
          {"ranking", fmt::format("ndcg@{}", k)},      {"ranking", fmt::format("hit_rate@{}", k)},
          {"ranking", "map"},                           {"ranking", "mrr"},
          {"prediction", "rmse"},                       {"prediction", "mae"},
          {"business", "coverage"},                     {"business", "diversity"},
          {"business", "novelty"},                      {"business", "serendipity"},
          {"fairness", "demographic_parity"},           {"fairness", "equal_opportunity"}};
}

bool lower_is_better(const std::string& metric) {
  return metric == "rmse" || metric == "mae" || metric == "demographic_parity" || metric == "equal_opportunity";
}

std::string format_metrics_table(const nlohmann::json& report) {
  const int k = report.contains("evaluation") ? report["evaluation"].value("primary_k", 10) : 10;
  const auto rows = headline_metrics(k);

  std::vector<std::pair<std::string, const nlohmann::json*>> columns;
  const std::string model_name = report.value("model_version", std::string("model"));
  if (report.contains("metrics")) columns.emplace_back(model_name, &report["metrics"]);
  if (report.contains("baselines"))
    for (const auto& [name, metrics] : report["baselines"].items()) columns.emplace_back(name, &metrics);

  std::size_t label_width = 6;
  for (const auto& row : rows) label_width = std::max(label_width, row.second.size());
  std::size_t col_width = 10;
  for (const auto& c : columns) col_width = std::max(col_width, c.first.size());

  std::string out = fmt::format("{:<{}}", "metric", label_width);
  for (const auto& c : columns) out += fmt::format("  {:>{}}", c.first, col_width);
  out += "\n";
  for (const auto& [section, key] : rows) {
    out += fmt::format("{:<{}}", key, label_width);
    for (const auto& c : columns) {
      const auto* v = lookup(*c.second, section, key);
      out += v ? fmt::format("  {:>{}.4f}", v->get<double>(), col_width) : fmt::format("  {:>{}}", "-", col_width);
    }
    out += "\n";
  }
  if (report.contains("comparison_to_baseline")) {
    const auto& cmp = report["comparison_to_baseline"];
    if (cmp.contains("baseline") && cmp["baseline"].is_string()) {
      out += fmt::format("vs best baseline ({}):", cmp["baseline"].get<std::string>());
      for (const auto& [key, value] : cmp.items())
        if (key != "baseline" && value.is_string()) out += fmt::format(" {} {}", key, value.get<std::string>());
      out += "\n";
    }
  }
  return out;
}

}  // namespace hybridrec
