#pragma once
// Experiment tracking (the specification's MLflow role): experiments hold runs;
// a run records parameters, metrics per step with timestamps, tags, seeds, the
// git commit, host and pid, and its artifacts by sha256. Every write is one
// transaction. A run whose process died without end_run() is marked "killed"
// the next time the workspace is opened on that host.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/artifact_store.h"
#include "store/sql_database.h"

namespace hybridrec::store {

enum class RunStatus { running, finished, failed, killed };
std::string to_string(RunStatus status);
RunStatus parse_run_status(const std::string& text);  // throws Error

struct MetricPoint {
  double value = 0;
  std::int64_t step = 0;
  std::string timestamp;
};

struct RunRecord {
  std::string run_id;
  std::string experiment;
  std::string name;
  RunStatus status = RunStatus::running;
  std::string start_time;
  std::string end_time;                   // empty while running
  std::optional<std::string> git_commit;
  std::string host;
  long pid = 0;
  nlohmann::json seeds = nlohmann::json::object();
  // Filled by get_run(); list_runs() leaves these empty except latest_metrics.
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> tags;
  std::map<std::string, std::vector<MetricPoint>> metrics;  // history ordered by step
  std::map<std::string, double> latest_metrics;             // value at the highest step
  std::vector<ArtifactFile> artifacts;

  nlohmann::json to_json() const;
};

struct ExperimentRecord {
  std::int64_t id = 0;  // the database key (1, 2, ...): stable across exports
  std::string name;
  std::string created_at;
};

class Tracker {
 public:
  Tracker(SqlDatabase& db, ArtifactStore& artifacts) : db_(db), artifacts_(artifacts) {}

  // Creates the experiment if new. params/tags: JSON objects (nested objects are
  // flattened to "section.key"); seeds: any JSON object. Returns the run id.
  std::string start_run(const std::string& experiment, const std::string& run_name,
                        const nlohmann::json& params = nlohmann::json::object(),
                        const nlohmann::json& tags = nlohmann::json::object(),
                        const nlohmann::json& seeds = nlohmann::json::object());
  void log_param(const std::string& run_id, const std::string& key, const nlohmann::json& value);
  void log_params(const std::string& run_id, const nlohmann::json& params);
  // NaN is refused (Error): SQLite cannot store it and it would poison comparisons.
  void log_metric(const std::string& run_id, const std::string& key, double value, std::int64_t step);
  void log_metrics(const std::string& run_id, const nlohmann::json& values, std::int64_t step);  // {key: number}
  void set_tag(const std::string& run_id, const std::string& key, const std::string& value);
  // Copies a file or directory into the artifact store; records path, sha256, size per file.
  std::vector<ArtifactFile> log_artifact(const std::string& run_id, const std::filesystem::path& file_or_dir);
  // Throws Error if the run is unknown or already ended.
  void end_run(const std::string& run_id, RunStatus status = RunStatus::finished);

  RunRecord get_run(const std::string& run_id);  // throws Error if unknown
  bool has_run(const std::string& run_id);
  // A full run id, or a unique prefix of at least 4 hex digits (as `runs list` shows); throws Error otherwise.
  std::string resolve_run_id(const std::string& id_or_prefix);
  // Newest first; experiment "" means all.
  std::vector<RunRecord> list_runs(const std::string& experiment = "", int limit = 100);
  std::vector<std::string> list_experiments();
  std::vector<ExperimentRecord> experiment_records();  // by name, with id and creation time

  // Marks "running" runs of this host whose process is gone as "killed". Returns how many.
  int reap_dead_runs();

 private:
  void require_run(const std::string& run_id);
  RunRecord row_to_run(const Row& row);
  SqlDatabase& db_;
  ArtifactStore& artifacts_;
};

// Ends the run as "failed" if it goes out of scope without finish() (an
// exception unwinding through training), so no run stays "running" forever.
class ActiveRun {
 public:
  ActiveRun(Tracker& tracker, std::string run_id) : tracker_(&tracker), run_id_(std::move(run_id)) {}
  ActiveRun(const ActiveRun&) = delete;
  ActiveRun& operator=(const ActiveRun&) = delete;
  ~ActiveRun();
  const std::string& id() const { return run_id_; }
  void finish(RunStatus status = RunStatus::finished);

 private:
  Tracker* tracker_;
  std::string run_id_;
  bool ended_ = false;
};

}  // namespace hybridrec::store
