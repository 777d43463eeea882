#include "tune/study_report.h"

#include <fmt/format.h>

#include <algorithm>

#include "store/text_table.h"
#include "tune/importance.h"
#include "tune/study_store.h"

namespace hybridrec::tune {

namespace {

nlohmann::json trial_entry(const Trial& t) {
  return {{"number", t.number},
          {"status", to_string(t.status)},
          {"objective", t.objective ? nlohmann::json(*t.objective) : nlohmann::json()},
          {"params", t.params},
          {"history", t.history},
          {"run_id", t.run_id},
          {"worker", t.worker},
          {"started_at", t.started_at},
          {"ended_at", t.ended_at},
          {"error", t.error},
          {"lost", t.lost},
          {"retry_of", t.retry_of ? nlohmann::json(*t.retry_of) : nlohmann::json()},
          {"result", t.result}};
}

std::string value_text(const nlohmann::json& v) {
  if (v.is_number_float()) return fmt::format("{:.4g}", v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace

nlohmann::json study_summary(const Study& study, const std::vector<Trial>& trials) {
  const auto& s = study.settings;
  nlohmann::json out = {{"study", study.name},
                        {"objective", {{"metric", s.objective.metric}, {"type", s.objective.type()}}},
                        {"strategy", to_string(s.strategy)},
                        {"status", study.status},
                        {"max_jobs", s.max_jobs},
                        {"max_parallel_jobs", s.max_parallel_jobs},
                        {"early_stopping", s.early_stopping},
                        {"created_at", study.created_at},
                        {"best_model_id", study.best_model_id.empty() ? nlohmann::json() : nlohmann::json(study.best_model_id)}};
  out["trials"] = nlohmann::json::array();
  for (const auto& t : trials) out["trials"].push_back(trial_entry(t));
  auto best = best_trial(study, trials);
  out["best"] = best ? trial_entry(*best) : nlohmann::json();
  out["importance"] = parameter_importance(s.space, observations_of(study, trials), s.seed);
  out["importance_method"] = "variance of GP main effects (fANOVA-style), shares summing to 1";
  return out;
}

std::string format_study_summary(const nlohmann::json& j) {
  std::string out = fmt::format("study {} ({}, {} {}, {} strategy, {} trials budgeted)\n", j["study"].get<std::string>(),
                                j["status"].get<std::string>(), j["objective"]["type"].get<std::string>(),
                                j["objective"]["metric"].get<std::string>(), j["strategy"].get<std::string>(),
                                j["max_jobs"].get<int>());
  std::vector<std::string> headers = {"TRIAL", "STATUS", "OBJECTIVE", "EPOCHS", "PARAMETERS"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : j["trials"]) {
    std::string params;
    for (auto it = t["params"].begin(); it != t["params"].end(); ++it)
      params += (params.empty() ? "" : " ") + it.key() + "=" + value_text(it.value());
    std::string status = t["status"].get<std::string>() + (t["lost"].get<bool>() ? " (lost)" : "");
    rows.push_back({std::to_string(t["number"].get<long long>()), status,
                    t["objective"].is_null() ? "-" : fmt::format("{:.4f}", t["objective"].get<double>()),
                    std::to_string(t["history"].size()), params});
  }
  out += store::render_table(headers, rows);
  if (j["best"].is_null()) {
    out += "no trial has finished yet\n";
  } else {
    const auto& b = j["best"];
    out += fmt::format("best: trial {} with {} {:.4f}", b["number"].get<long long>(), j["objective"]["metric"].get<std::string>(),
                       b["objective"].get<double>());
    if (b["result"].contains("test") && b["result"]["test"].contains("ndcg@10"))
      out += fmt::format(" (test ndcg@10 {:.4f})", b["result"]["test"]["ndcg@10"].get<double>());
    out += "\n";
  }
  if (!j["best_model_id"].is_null()) out += "best model registered as " + j["best_model_id"].get<std::string>() + " (challenger)\n";
  if (!j["importance"].empty()) {
    std::vector<std::pair<double, std::string>> order;
    for (auto it = j["importance"].begin(); it != j["importance"].end(); ++it) order.push_back({it->get<double>(), it.key()});
    std::sort(order.rbegin(), order.rend());
    out += "importance:";
    for (const auto& [share, name] : order) out += fmt::format(" {} {:.2f}", name, share);
    out += "\n";
  }
  return out;
}

}  // namespace hybridrec::tune
