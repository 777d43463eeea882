#pragma once
// Studies and trials in the workspace database (SQLite or PostgreSQL), shared by
// every worker of a study. Claiming a trial is one write transaction: it fails
// the trials of dead workers (a local process that is gone, or no heartbeat for
// the study's timeout), picks the parameters (those of a lost trial first, else
// a new proposal conditioned on the running trials) and inserts the running
// trial, so two workers never run the same trial and none is lost.
#include <optional>
#include <string>
#include <vector>

#include "store/sql_database.h"
#include "tune/study.h"

namespace hybridrec::tune {

class StudyStore {
 public:
  explicit StudyStore(store::SqlDatabase& db) : db_(db) {}

  // Throws Error if a study of that name exists.
  Study create(const std::string& name, const StudySettings& settings);
  std::optional<Study> find(const std::string& name);
  Study get(const std::string& name);  // throws Error naming the study and the known ones
  std::vector<Study> list();            // newest first

  // The next trial for `worker`, or nullopt when the budget is used up (some
  // trials may still be running elsewhere).
  std::optional<Trial> claim_next(const Study& study, const std::string& worker);
  // Fails running trials whose worker is gone; returns how many.
  int reap_lost(const Study& study);

  void heartbeat(std::int64_t trial_id);
  void record_epoch(std::int64_t trial_id, const std::vector<double>& history);
  void set_run(std::int64_t trial_id, const std::string& run_id);
  // Ends a running trial; false if it was no longer running (declared lost meanwhile).
  bool finish(std::int64_t trial_id, TrialStatus status, std::optional<double> objective,
              const std::vector<double>& history, const nlohmann::json& result, const std::string& error);

  std::vector<Trial> trials(std::int64_t study_id);
  // Marks the study finished if every trial of its budget has ended; true only for
  // the one caller that made the change (it registers the best model).
  bool close_if_done(const Study& study);
  void set_best_model(std::int64_t study_id, const std::string& model_id);

 private:
  int reap_lost_locked(const Study& study);
  store::SqlDatabase& db_;
};

// Finished trials with an objective (completed or stopped early), as minimised
// observations for the proposer (maximised objectives negated).
std::vector<Observation> observations_of(const Study& study, const std::vector<Trial>& trials);
// The best completed or stopped-early trial; nullopt if none has an objective.
std::optional<Trial> best_trial(const Study& study, const std::vector<Trial>& trials);

}  // namespace hybridrec::tune
