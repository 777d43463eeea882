#include "tune/study_store.h"

#include <fmt/format.h>

#include <chrono>

#include "core/error.h"
#include "store/process_info.h"
#include "tune/param_names.h"

namespace hybridrec::tune {

namespace {

using store::Row;
using store::SqlValue;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string history_text(const std::vector<double>& h) { return nlohmann::json(h).dump(); }

constexpr const char* kTrialColumns =
    "trial_id, number, status, params, objective, history, result, run_id, worker, started_at, ended_at, error, lost,"
    " retry_of";

Trial row_to_trial(const Row& r) {
  Trial t;
  t.id = r.integer(0);
  t.number = r.integer(1);
  t.status = parse_trial_status(r.text(2));
  t.params = with_config_keys(nlohmann::json::parse(r.text(3)));  // an older study's short names -> configuration keys
  if (!r.is_null(4)) t.objective = r.real(4);
  t.history = nlohmann::json::parse(r.text(5)).get<std::vector<double>>();
  t.result = nlohmann::json::parse(r.text(6));
  t.run_id = r.text(7);
  t.worker = r.text(8);
  t.started_at = r.text(9);
  t.ended_at = r.text(10);
  t.error = r.text(11);
  t.lost = r.integer(12) != 0;
  if (!r.is_null(13)) t.retry_of = r.integer(13);
  return t;
}

Study row_to_study(const Row& r) {
  Study s;
  s.id = r.integer(0);
  s.name = r.text(1);
  s.status = r.text(2);
  s.created_at = r.text(3);
  s.settings = StudySettings::from_json(nlohmann::json::parse(r.text(4)));
  s.best_model_id = r.text(5);
  return s;
}

constexpr const char* kStudyColumns = "study_id, name, status, created_at, settings, best_model_id";

}  // namespace

Study StudyStore::create(const std::string& name, const StudySettings& settings) {
  if (name.empty()) throw ConfigError("a study needs a name (--study NAME)");
  db_.write_transaction([&] {
    if (!db_.query("SELECT study_id FROM studies WHERE name = $1", {name}).empty())
      throw Error("study '" + name + "' already exists; use --resume to continue it or another --study name");
    db_.query("INSERT INTO studies (name, created_at, status, settings) VALUES ($1, $2, 'open', $3)",
              {name, store::now_utc_iso(), settings.to_json().dump()});
  });
  return get(name);
}

std::optional<Study> StudyStore::find(const std::string& name) {
  auto rows = db_.query(std::string("SELECT ") + kStudyColumns + " FROM studies WHERE name = $1", {name});
  if (rows.empty()) return std::nullopt;
  return row_to_study(rows[0]);
}

Study StudyStore::get(const std::string& name) {
  if (auto s = find(name)) return *s;
  std::string known;
  for (const auto& s : list()) known += (known.empty() ? "" : ", ") + s.name;
  throw Error("no study named '" + name + "' in this workspace" + (known.empty() ? " (it has none)" : " (studies: " + known + ")"));
}

std::vector<Study> StudyStore::list() {
  std::vector<Study> out;
  for (const auto& r : db_.query(std::string("SELECT ") + kStudyColumns + " FROM studies ORDER BY study_id DESC"))
    out.push_back(row_to_study(r));
  return out;
}

int StudyStore::reap_lost_locked(const Study& study) {
  const std::string host = store::host_name();
  const std::int64_t timeout_ms = static_cast<std::int64_t>(study.settings.heartbeat_timeout_seconds * 1000.0);
  const std::int64_t now = now_ms();
  int reaped = 0;
  auto rows = db_.query("SELECT trial_id, host, pid, process_start, heartbeat_ms FROM trials WHERE study_id = $1 AND status = 'running'",
                        {study.id});
  for (const auto& r : rows) {
    std::string why;
    // A process on this host is checked directly; elsewhere only the heartbeat tells.
    if (r.text(1) == host && !store::process_alive(r.integer(2), r.text(3)))
      why = fmt::format("worker process {} on {} is gone", r.integer(2), host);
    else if (now - r.integer(4) > timeout_ms)
      why = fmt::format("worker {}:{} sent no heartbeat for {:.0f} s", r.text(1), r.integer(2), (now - r.integer(4)) / 1000.0);
    if (why.empty()) continue;
    db_.query("UPDATE trials SET status = 'failed', lost = 1, ended_at = $2, error = $3 WHERE trial_id = $1 AND status = 'running'",
              {r.integer(0), store::now_utc_iso(), "lost: " + why + "; its parameters are proposed again"});
    ++reaped;
  }
  return reaped;
}

int StudyStore::reap_lost(const Study& study) {
  int reaped = 0;
  db_.write_transaction([&] { reaped = reap_lost_locked(study); });
  return reaped;
}

std::optional<Trial> StudyStore::claim_next(const Study& study, const std::string& worker) {
  std::optional<Trial> claimed;
  db_.write_transaction([&] {
    claimed.reset();
    reap_lost_locked(study);
    std::vector<Trial> all = trials(study.id);
    int budgeted = 0;
    std::int64_t next_number = 1;
    for (const auto& t : all) {
      if (!t.lost) ++budgeted;
      next_number = std::max(next_number, t.number + 1);
    }
    if (budgeted >= study.settings.max_jobs) return;

    Trial t;
    t.number = next_number;
    // A lost trial's parameters come first, so a dead worker costs time, not a trial.
    for (const auto& lost : all) {
      if (!lost.lost) continue;
      bool retried = false;
      for (const auto& other : all) retried = retried || (other.retry_of && *other.retry_of == lost.number);
      if (!retried) {
        t.params = lost.params;
        t.retry_of = lost.number;
        break;
      }
    }
    if (!t.retry_of) {
      ProposalRequest request;
      request.seed = study.settings.seed;
      request.index = budgeted;
      request.initial_random = study.settings.initial_random;
      request.observed = observations_of(study, all);
      for (const auto& other : all)
        if (other.status == TrialStatus::running) request.pending.push_back(study.settings.space.encode(other.params));
      t.params = study.settings.space.decode(propose(study.settings.space, study.settings.strategy, request));
    }
    t.worker = worker;
    t.started_at = store::now_utc_iso();
    const long pid = store::current_pid();
    db_.query(
        "INSERT INTO trials (study_id, number, status, params, history, result, worker, host, pid, process_start,"
        " started_at, heartbeat_ms, retry_of) VALUES ($1, $2, 'running', $3, '[]', '{}', $4, $5, $6, $7, $8, $9, $10)",
        {study.id, t.number, t.params.dump(), worker, store::host_name(), std::int64_t{pid},
         store::process_start_time(pid).value_or(""), t.started_at, now_ms(),
         t.retry_of ? SqlValue{*t.retry_of} : SqlValue{}});
    t.id = db_.query("SELECT trial_id FROM trials WHERE study_id = $1 AND number = $2", {study.id, t.number})[0].integer(0);
    claimed = t;
  });
  return claimed;
}

void StudyStore::heartbeat(std::int64_t trial_id) {
  db_.query("UPDATE trials SET heartbeat_ms = $2 WHERE trial_id = $1 AND status = 'running'", {trial_id, now_ms()});
}

void StudyStore::record_epoch(std::int64_t trial_id, const std::vector<double>& history) {
  db_.query("UPDATE trials SET history = $2, heartbeat_ms = $3 WHERE trial_id = $1 AND status = 'running'",
            {trial_id, history_text(history), now_ms()});
}

void StudyStore::set_run(std::int64_t trial_id, const std::string& run_id) {
  db_.query("UPDATE trials SET run_id = $2 WHERE trial_id = $1", {trial_id, run_id});
}

bool StudyStore::finish(std::int64_t trial_id, TrialStatus status, std::optional<double> objective,
                        const std::vector<double>& history, const nlohmann::json& result, const std::string& error) {
  bool updated = false;
  db_.write_transaction([&] {
    auto rows = db_.query("SELECT status FROM trials WHERE trial_id = $1", {trial_id});
    updated = !rows.empty() && rows[0].text(0) == "running";
    if (!updated) return;
    db_.query("UPDATE trials SET status = $2, objective = $3, history = $4, result = $5, error = $6, ended_at = $7,"
              " heartbeat_ms = $8 WHERE trial_id = $1",
              {trial_id, to_string(status), objective ? SqlValue{*objective} : SqlValue{}, history_text(history),
               result.dump(), error.empty() ? SqlValue{} : SqlValue{error}, store::now_utc_iso(), now_ms()});
  });
  return updated;
}

std::vector<Trial> StudyStore::trials(std::int64_t study_id) {
  std::vector<Trial> out;
  for (const auto& r : db_.query(std::string("SELECT ") + kTrialColumns + " FROM trials WHERE study_id = $1 ORDER BY number",
                                 {study_id}))
    out.push_back(row_to_trial(r));
  return out;
}

bool StudyStore::close_if_done(const Study& study) {
  bool closed = false;
  db_.write_transaction([&] {
    closed = false;
    auto rows = db_.query(
        "SELECT (SELECT status FROM studies WHERE study_id = $1),"
        " (SELECT COUNT(*) FROM trials WHERE study_id = $1 AND lost = 0 AND status <> 'running')",
        {study.id});
    if (rows[0].text(0) != "open" || rows[0].integer(1) < study.settings.max_jobs) return;
    db_.query("UPDATE studies SET status = 'finished' WHERE study_id = $1", {study.id});
    closed = true;
  });
  return closed;
}

void StudyStore::set_best_model(std::int64_t study_id, const std::string& model_id) {
  db_.query("UPDATE studies SET best_model_id = $2 WHERE study_id = $1", {study_id, model_id});
}

std::vector<Observation> observations_of(const Study& study, const std::vector<Trial>& trials) {
  std::vector<Observation> out;
  for (const auto& t : trials) {
    if ((t.status != TrialStatus::completed && t.status != TrialStatus::stopped_early) || !t.objective) continue;
    out.push_back({study.settings.space.encode(t.params), study.settings.objective.maximize ? -*t.objective : *t.objective});
  }
  return out;
}

std::optional<Trial> best_trial(const Study& study, const std::vector<Trial>& trials) {
  std::optional<Trial> best;
  for (const auto& t : trials) {
    if ((t.status != TrialStatus::completed && t.status != TrialStatus::stopped_early) || !t.objective) continue;
    const bool better = !best || (study.settings.objective.maximize ? *t.objective > *best->objective : *t.objective < *best->objective);
    if (better) best = t;
  }
  return best;
}

}  // namespace hybridrec::tune
