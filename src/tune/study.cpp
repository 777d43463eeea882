#include "tune/study.h"

#include "core/error.h"

namespace hybridrec::tune {

std::string Objective::record_key() const {
  const std::string prefix = "validation:";
  if (metric.rfind(prefix, 0) == 0) return "val_" + metric.substr(prefix.size());
  throw ConfigError("objective metric '" + metric + "': expected validation:METRIC, e.g. validation:ndcg@10");
}

Objective Objective::parse(const std::string& metric, const std::string& type) {
  Objective o;
  o.metric = metric;
  (void)o.record_key();  // validates the form
  if (type == "Maximize" || type == "maximize") o.maximize = true;
  else if (type == "Minimize" || type == "minimize") o.maximize = false;
  else throw ConfigError("objective type must be Maximize or Minimize, got '" + type + "'");
  return o;
}

nlohmann::json StudySettings::to_json() const {
  return {{"objective", {{"metric", objective.metric}, {"type", objective.type()}}},
          {"strategy", to_string(strategy)},
          {"max_jobs", max_jobs},
          {"max_parallel_jobs", max_parallel_jobs},
          {"initial_random", initial_random},
          {"seed", seed},
          {"early_stopping", {{"enabled", early_stopping}, {"min_epochs", stopping.min_epochs}, {"min_trials", stopping.min_trials}}},
          {"heartbeat_timeout_seconds", heartbeat_timeout_seconds},
          {"space", space.to_json()},
          {"data", data},
          {"load", load},
          {"config", config}};
}

StudySettings StudySettings::from_json(const nlohmann::json& j) {
  StudySettings s;
  try {
    s.objective = Objective::parse(j.at("objective").at("metric"), j.at("objective").at("type"));
    s.strategy = parse_strategy(j.at("strategy"));
    s.max_jobs = j.at("max_jobs");
    s.max_parallel_jobs = j.at("max_parallel_jobs");
    s.initial_random = j.at("initial_random");
    s.seed = j.at("seed");
    s.early_stopping = j.at("early_stopping").at("enabled");
    s.stopping.min_epochs = j.at("early_stopping").at("min_epochs");
    s.stopping.min_trials = j.at("early_stopping").at("min_trials");
    s.heartbeat_timeout_seconds = j.at("heartbeat_timeout_seconds");
    s.space = SearchSpace::from_json(j.at("space"), "the stored study");
    s.data = j.at("data");
    s.load = j.at("load");
    s.config = j.at("config");
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("stored study settings are malformed: ") + e.what());
  }
  return s;
}

std::string to_string(TrialStatus status) {
  switch (status) {
    case TrialStatus::running: return "running";
    case TrialStatus::completed: return "completed";
    case TrialStatus::stopped_early: return "stopped_early";
    case TrialStatus::failed: return "failed";
  }
  return "?";
}

TrialStatus parse_trial_status(const std::string& text) {
  if (text == "running") return TrialStatus::running;
  if (text == "completed") return TrialStatus::completed;
  if (text == "stopped_early") return TrialStatus::stopped_early;
  if (text == "failed") return TrialStatus::failed;
  throw Error("unknown trial status '" + text + "'");
}

}  // namespace hybridrec::tune
