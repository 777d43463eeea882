#pragma once
// A tuning study: its settings (objective, strategy, budget, search space, the
// data and base configuration every trial trains with) and its trials. Stored in
// the workspace database (tune/study_store.h) so that workers in other processes
// or on other machines share it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tune/median_stopping.h"
#include "tune/proposer.h"
#include "tune/search_space.h"

namespace hybridrec::tune {

// "validation:ndcg@10" -> the epoch record key "val_ndcg@10".
struct Objective {
  std::string metric = "validation:ndcg@10";
  bool maximize = true;
  std::string record_key() const;
  std::string type() const { return maximize ? "Maximize" : "Minimize"; }
  static Objective parse(const std::string& metric, const std::string& type);  // throws ConfigError
};

struct StudySettings {
  Objective objective;
  Strategy strategy = Strategy::bayesian;
  int max_jobs = 20;
  int max_parallel_jobs = 2;
  int initial_random = 5;
  std::uint64_t seed = 42;
  bool early_stopping = true;
  MedianStoppingRule stopping;
  double heartbeat_timeout_seconds = 120;
  SearchSpace space = default_search_space();
  std::string data;                  // --data PATH
  nlohmann::json load = nlohmann::json::object();  // {"format", "sep"}
  nlohmann::json config;             // merged base configuration of every trial

  nlohmann::json to_json() const;
  static StudySettings from_json(const nlohmann::json& j);
};

enum class TrialStatus { running, completed, stopped_early, failed };
std::string to_string(TrialStatus status);
TrialStatus parse_trial_status(const std::string& text);

struct Trial {
  std::int64_t id = 0;
  std::int64_t number = 0;  // 1-based within the study
  TrialStatus status = TrialStatus::running;
  nlohmann::json params = nlohmann::json::object();
  std::optional<double> objective;
  std::vector<double> history;  // per-epoch objective
  std::string run_id;
  std::string worker;
  std::string started_at, ended_at;
  std::string error;
  bool lost = false;                    // its worker died; the parameters were proposed again
  std::optional<std::int64_t> retry_of; // the number of the lost trial this one re-runs
  nlohmann::json result = nlohmann::json::object();  // test metrics, stop reason, epochs, seconds

  bool finished() const { return status != TrialStatus::running; }
};

struct Study {
  std::int64_t id = 0;
  std::string name;
  std::string status;  // open | finished
  std::string created_at;
  std::string best_model_id;
  StudySettings settings;
};

}  // namespace hybridrec::tune
