#include "store/tracking.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "store/process_info.h"
#include "store/safe_names.h"

namespace hybridrec::store {

using nlohmann::json;

std::string to_string(RunStatus status) {
  switch (status) {
    case RunStatus::running: return "running";
    case RunStatus::finished: return "finished";
    case RunStatus::failed: return "failed";
    case RunStatus::killed: return "killed";
  }
  return "unknown";
}

RunStatus parse_run_status(const std::string& text) {
  if (text == "running") return RunStatus::running;
  if (text == "finished") return RunStatus::finished;
  if (text == "failed") return RunStatus::failed;
  if (text == "killed") return RunStatus::killed;
  throw Error("unknown run status '" + text + "' (running, finished, failed, killed)");
}

json RunRecord::to_json() const {
  json metrics_json = json::object();
  for (const auto& [key, points] : metrics) {
    auto arr = json::array();
    for (const auto& p : points) arr.push_back({{"step", p.step}, {"value", p.value}, {"timestamp", p.timestamp}});
    metrics_json[key] = arr;
  }
  return {{"run_id", run_id},
          {"experiment", experiment},
          {"name", name},
          {"status", to_string(status)},
          {"start_time", start_time},
          {"end_time", end_time.empty() ? json() : json(end_time)},
          {"git_commit", git_commit ? json(*git_commit) : json()},
          {"host", host},
          {"pid", pid},
          {"seeds", seeds},
          {"params", params},
          {"tags", tags},
          {"latest_metrics", latest_metrics},
          {"metrics", metrics_json},
          {"artifacts", store::to_json(artifacts)}};
}

namespace {

std::string param_text(const json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

void flatten(const json& value, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [k, v] : value.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
  } else {
    out[prefix] = param_text(value);
  }
}

std::map<std::string, std::string> flatten_object(const json& value, const std::string& what) {
  if (value.is_null()) return {};
  if (!value.is_object()) throw Error(what + " must be a JSON object, got " + value.dump());
  std::map<std::string, std::string> out;
  if (value.empty()) return out;  // flatten() would record {} under an empty key
  flatten(value, "", out);
  return out;
}

void validate_key(const std::string& kind, const std::string& key) {
  // Keys may contain '/' ("val/ndcg@10") but never control characters or NUL.
  if (key.empty() || key.size() > 250) throw Error(kind + " key must be 1..250 bytes");
  for (unsigned char c : key)
    if (c < 0x20 || c == 0x7f) throw Error(kind + " key contains a NUL or control character");
}

constexpr const char* kRunColumns =
    "r.run_id, e.name, r.name, r.status, r.start_time, r.end_time, r.git_commit, r.host, r.pid, r.seeds";

}  // namespace

std::string Tracker::start_run(const std::string& experiment, const std::string& run_name, const json& params,
                               const json& tags, const json& seeds) {
  validate_name("experiment name", experiment);
  validate_name("run name", run_name);
  auto flat_params = flatten_object(params, "params");
  auto flat_tags = flatten_object(tags, "tags");
  for (const auto& [k, v] : flat_params) validate_key("param", k);
  for (const auto& [k, v] : flat_tags) validate_key("tag", k);
  if (!seeds.is_null() && !seeds.is_object()) throw Error("seeds must be a JSON object, got " + seeds.dump());
  std::string run_id = random_id();
  auto commit = git_commit();
  auto pid = current_pid();
  auto process_start = process_start_time(pid).value_or("");
  auto now = now_utc_iso();
  db_.write_transaction([&] {
    db_.query("INSERT INTO experiments (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
              {experiment, now});
    auto exp = db_.query("SELECT experiment_id FROM experiments WHERE name = $1", {experiment});
    db_.query(
        "INSERT INTO runs (run_id, experiment_id, name, status, start_time, git_commit, host, pid, process_start, seeds)"
        " VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8, $9)",
        {run_id, exp.at(0).integer(0), run_name, now, commit ? SqlValue(*commit) : SqlValue(), host_name(),
         std::int64_t{pid}, process_start, (seeds.is_null() ? json::object() : seeds).dump()});
    for (const auto& [k, v] : flat_params)
      db_.query("INSERT INTO run_params (run_id, key, value) VALUES ($1, $2, $3)", {run_id, k, v});
    for (const auto& [k, v] : flat_tags)
      db_.query("INSERT INTO run_tags (run_id, key, value) VALUES ($1, $2, $3)", {run_id, k, v});
  });
  return run_id;
}

bool Tracker::has_run(const std::string& run_id) {
  return !db_.query("SELECT 1 FROM runs WHERE run_id = $1", {run_id}).empty();
}

std::string Tracker::resolve_run_id(const std::string& id) {
  if (has_run(id)) return id;
  bool hex = id.size() >= 4 && id.size() <= 32 &&
             std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  if (!hex) throw Error("no run '" + id + "' in this workspace");
  auto rows = db_.query("SELECT run_id FROM runs WHERE substr(run_id, 1, $2) = $1 LIMIT 2",
                        {id, static_cast<std::int64_t>(id.size())});
  if (rows.empty()) throw Error("no run '" + id + "' in this workspace");
  if (rows.size() > 1) throw Error("run id prefix '" + id + "' is ambiguous; give more digits");
  return rows[0].text(0);
}

void Tracker::require_run(const std::string& run_id) {
  if (!has_run(run_id)) throw Error("no run '" + run_id + "' in this workspace");
}

void Tracker::log_param(const std::string& run_id, const std::string& key, const json& value) {
  log_params(run_id, json{{key, value}});
}

void Tracker::log_params(const std::string& run_id, const json& params) {
  auto flat = flatten_object(params, "params");
  for (const auto& [k, v] : flat) validate_key("param", k);
  db_.write_transaction([&] {
    require_run(run_id);
    for (const auto& [k, v] : flat)
      db_.query(
          "INSERT INTO run_params (run_id, key, value) VALUES ($1, $2, $3)"
          " ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
          {run_id, k, v});
  });
}

void Tracker::log_metric(const std::string& run_id, const std::string& key, double value, std::int64_t step) {
  log_metrics(run_id, json{{key, value}}, step);
}

void Tracker::log_metrics(const std::string& run_id, const json& values, std::int64_t step) {
  if (!values.is_object()) throw Error("metrics must be a JSON object {name: number}");
  for (const auto& [k, v] : values.items()) {
    validate_key("metric", k);
    if (!v.is_number()) throw Error("metric '" + k + "' is not a number: " + v.dump());
    if (std::isnan(v.get<double>())) throw Error("metric '" + k + "' is NaN at step " + std::to_string(step));
  }
  auto now = now_utc_iso();
  db_.write_transaction([&] {
    require_run(run_id);
    for (const auto& [k, v] : values.items())
      db_.query("INSERT INTO run_metrics (run_id, key, value, step, recorded_at) VALUES ($1, $2, $3, $4, $5)",
                {run_id, k, v.get<double>(), step, now});
  });
}

void Tracker::set_tag(const std::string& run_id, const std::string& key, const std::string& value) {
  validate_key("tag", key);
  db_.write_transaction([&] {
    require_run(run_id);
    db_.query(
        "INSERT INTO run_tags (run_id, key, value) VALUES ($1, $2, $3)"
        " ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
        {run_id, key, value});
  });
}

std::vector<ArtifactFile> Tracker::log_artifact(const std::string& run_id, const std::filesystem::path& file_or_dir) {
  require_run(run_id);
  auto files = artifacts_.put(file_or_dir);  // objects first: a row never points at a missing object
  db_.write_transaction([&] {
    for (const auto& f : files)
      db_.query(
          "INSERT INTO run_artifacts (run_id, path, sha256, size) VALUES ($1, $2, $3, $4)"
          " ON CONFLICT (run_id, path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size",
          {run_id, f.path, f.sha256, f.size});
  });
  return files;
}

void Tracker::end_run(const std::string& run_id, RunStatus status) {
  if (status == RunStatus::running) throw Error("end_run needs a final status (finished, failed or killed)");
  db_.write_transaction([&] {
    auto rows = db_.query("SELECT status FROM runs WHERE run_id = $1", {run_id});
    if (rows.empty()) throw Error("no run '" + run_id + "' in this workspace");
    if (rows[0].text(0) != "running")
      throw Error("run '" + run_id + "' already ended with status " + rows[0].text(0));
    db_.query("UPDATE runs SET status = $1, end_time = $2 WHERE run_id = $3", {to_string(status), now_utc_iso(), run_id});
  });
}

RunRecord Tracker::row_to_run(const Row& row) {
  RunRecord r;
  r.run_id = row.text(0);
  r.experiment = row.text(1);
  r.name = row.text(2);
  r.status = parse_run_status(row.text(3));
  r.start_time = row.text(4);
  r.end_time = row.text(5);
  if (!row.is_null(6)) r.git_commit = row.text(6);
  r.host = row.text(7);
  r.pid = static_cast<long>(row.integer(8));
  r.seeds = json::parse(row.text(9), nullptr, false);
  return r;
}

RunRecord Tracker::get_run(const std::string& run_id) {
  auto rows = db_.query(std::string("SELECT ") + kRunColumns +
                            " FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id WHERE r.run_id = $1",
                        {run_id});
  if (rows.empty()) throw Error("no run '" + run_id + "' in this workspace");
  RunRecord r = row_to_run(rows[0]);
  for (const auto& p : db_.query("SELECT key, value FROM run_params WHERE run_id = $1", {run_id}))
    r.params[p.text(0)] = p.text(1);
  for (const auto& t : db_.query("SELECT key, value FROM run_tags WHERE run_id = $1", {run_id}))
    r.tags[t.text(0)] = t.text(1);
  for (const auto& m : db_.query(
           "SELECT key, value, step, recorded_at FROM run_metrics WHERE run_id = $1 ORDER BY key, step, metric_id",
           {run_id})) {
    r.metrics[m.text(0)].push_back({m.real(1), m.integer(2), m.text(3)});
    r.latest_metrics[m.text(0)] = m.real(1);  // rows come in step order, so the last one wins
  }
  for (const auto& a : db_.query("SELECT path, sha256, size FROM run_artifacts WHERE run_id = $1 ORDER BY path", {run_id}))
    r.artifacts.push_back({a.text(0), a.text(1), a.integer(2)});
  return r;
}

std::vector<RunRecord> Tracker::list_runs(const std::string& experiment, int limit) {
  std::string sql = std::string("SELECT ") + kRunColumns +
                    " FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id"
                    " WHERE ($1 = '' OR e.name = $1) ORDER BY r.start_time DESC, r.run_id LIMIT $2";
  std::vector<RunRecord> runs;
  for (const auto& row : db_.query(sql, {experiment, std::int64_t{limit}})) {
    RunRecord r = row_to_run(row);
    for (const auto& m : db_.query(
             "SELECT key, value FROM run_metrics WHERE run_id = $1 ORDER BY key, step, metric_id", {r.run_id}))
      r.latest_metrics[m.text(0)] = m.real(1);
    runs.push_back(std::move(r));
  }
  return runs;
}

std::vector<std::string> Tracker::list_experiments() {
  std::vector<std::string> names;
  for (const auto& row : db_.query("SELECT name FROM experiments ORDER BY name")) names.push_back(row.text(0));
  return names;
}

std::vector<ExperimentRecord> Tracker::experiment_records() {
  std::vector<ExperimentRecord> out;
  for (const auto& row : db_.query("SELECT experiment_id, name, created_at FROM experiments ORDER BY name"))
    out.push_back({row.integer(0), row.text(1), row.text(2)});
  return out;
}

int Tracker::reap_dead_runs() {
  int reaped = 0;
  auto host = host_name();
  db_.write_transaction([&] {
    reaped = 0;
    auto rows = db_.query("SELECT run_id, pid, process_start FROM runs WHERE status = 'running' AND host = $1", {host});
    for (const auto& row : rows) {
      if (process_alive(static_cast<long>(row.integer(1)), row.text(2))) continue;
      db_.query("UPDATE runs SET status = 'killed', end_time = $1 WHERE run_id = $2 AND status = 'running'",
                {now_utc_iso(), row.text(0)});
      ++reaped;
    }
  });
  return reaped;
}

ActiveRun::~ActiveRun() {
  if (ended_) return;
  try {
    tracker_->end_run(run_id_, RunStatus::failed);
  } catch (...) {
    // A destructor must not throw; the reaper marks the run killed later if this failed.
  }
}

void ActiveRun::finish(RunStatus status) {
  tracker_->end_run(run_id_, status);
  ended_ = true;
}

}  // namespace hybridrec::store
