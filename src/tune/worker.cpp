#include "tune/worker.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/load_config.h"
#include "store/process_info.h"
#include "store/workspace.h"
#include "train/tracked_training.h"
#include "tune/study_store.h"
#include "tune/trial_config.h"

namespace hybridrec::tune {

namespace {

// Keeps a trial's heartbeat fresh from its own database connection while the
// trial trains (an epoch on a large data set can outlast the timeout).
class HeartbeatThread {
 public:
  HeartbeatThread(std::string database, std::int64_t trial_id, double timeout_seconds)
      : thread_([this, database = std::move(database), trial_id, timeout_seconds] {
          auto db = store::open_database(database);
          StudyStore store(*db);
          const auto interval = std::chrono::milliseconds(
              static_cast<std::int64_t>(std::clamp(timeout_seconds / 4.0, 0.2, 10.0) * 1000.0));
          std::unique_lock lock(mutex_);
          while (!cv_.wait_for(lock, interval, [this] { return stop_; })) {
            try {
              store.heartbeat(trial_id);
            } catch (const std::exception&) {
              // A missed beat is harmless; a long outage shows up as a lost trial.
            }
          }
        }) {}
  ~HeartbeatThread() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

std::string param_summary(const nlohmann::json& params) {
  std::string out;
  for (auto it = params.begin(); it != params.end(); ++it) {
    std::string v = it->is_number_float() ? fmt::format("{:.4g}", it->get<double>()) : it->dump();
    out += (out.empty() ? "" : " ") + it.key() + "=" + v;
  }
  return out;
}

struct TrialOutcome {
  TrialStatus status = TrialStatus::failed;
  std::optional<double> objective;
  std::vector<double> history;
  nlohmann::json result = nlohmann::json::object();
  std::string error;
};

TrialOutcome run_trial(store::Workspace& ws, StudyStore& studies, const Study& study, const Trial& trial,
                       const WorkerOptions& options) {
  const StudySettings& s = study.settings;
  const std::string key = s.objective.record_key();
  TrialOutcome out;
  bool stopped = false;
  const std::filesystem::path model_dir = ws.root() / "tune" / study.name / fmt::format("trial-{:03d}", trial.number);

  TrainRequest request;
  request.data = s.data;
  request.load.format = s.load.value("format", std::string("auto"));
  request.load.separator = s.load.value("sep", std::string());
  request.config = trial_training_config(s, trial.params);
  apply_data_config(request.config["data"], request.load);  // columns, weights, split files
  if (s.load.contains("skip_rows")) {  // tune --on-invalid skip: the rows the study validated out
    auto rows = std::make_shared<std::map<std::string, std::unordered_set<std::size_t>>>();
    for (const auto& [file, lines] : s.load["skip_rows"].items())
      for (const auto& line : lines) (*rows)[file].insert(line.get<std::size_t>());
    request.load.skip_rows = rows;
    request.load.strict = false;
  }
  request.config["training"]["threads"] = options.threads;
  out.result["threads"] = options.threads;  // `tune best` writes it: what the trial ran, a retraining reproduces
  request.out = model_dir;
  request.progress = Progress::Mode::Quiet;
  request.stop_after_epoch = [&](const nlohmann::json& record) {
    if (!record.contains(key) || !record[key].is_number()) {
      std::string known;
      for (auto it = record.begin(); it != record.end(); ++it)
        if (it.key().rfind("val_", 0) == 0) known += (known.empty() ? "" : ", ") + ("validation:" + it.key().substr(4));
      throw ConfigError("objective metric '" + s.objective.metric + "' is not reported by validation" +
                        (known.empty() ? " (there is no validation part: data.val_ratio is 0?)" : " (it reports " + known + ")"));
    }
    out.history.push_back(record[key].get<double>());
    studies.record_epoch(trial.id, out.history);
    if (!s.early_stopping) return false;
    std::vector<std::vector<double>> others;
    for (const auto& t : studies.trials(study.id))
      if (t.id != trial.id && t.status != TrialStatus::failed) others.push_back(t.history);
    stopped = median_rule_says_stop(out.history, others, s.stopping, s.objective.maximize);
    return stopped;
  };

  TrackingOptions tracking;
  tracking.workspace = options.workspace;
  tracking.store_url = options.store_url;
  tracking.experiment = "tune-" + study.name;
  tracking.run_name = fmt::format("{}-trial-{:03d}", study.name, trial.number);
  tracking.register_model = false;
  try {
    TrackedTrainResult tracked = run_tracked_training(request, tracking);
    out.result["run_id"] = tracked.run_id;
    studies.set_run(trial.id, tracked.run_id);
    ws.tracking().set_tag(tracked.run_id, "study", study.name);
    ws.tracking().set_tag(tracked.run_id, "trial", std::to_string(trial.number));
    const auto& outcome = tracked.training.outcome;
    // The trainer's own history is complete (the stop predicate is not asked
    // after the epoch on which patience runs out).
    out.history.clear();
    for (const auto& record : outcome.history)
      if (record.contains(key)) out.history.push_back(record[key].get<double>());
    if (out.history.empty()) throw Error("no epoch reported the objective " + s.objective.metric);
    out.objective = s.objective.maximize ? *std::max_element(out.history.begin(), out.history.end())
                                         : *std::min_element(out.history.begin(), out.history.end());
    out.status = stopped ? TrialStatus::stopped_early : TrialStatus::completed;
    out.result["stop_reason"] = outcome.stop_reason;
    out.result["epochs"] = outcome.epochs_run;
    out.result["best_epoch"] = outcome.best_epoch;
    out.result["seconds"] = tracked.training.seconds;
    out.result["model_dir"] = model_dir.string();
    if (tracked.training.report.contains("metrics") && tracked.training.report["metrics"].contains("ranking"))
      out.result["test"] = tracked.training.report["metrics"]["ranking"];
  } catch (const std::exception& e) {
    out.status = TrialStatus::failed;
    out.error = e.what();
    for (const auto& run : ws.tracking().list_runs(tracking.experiment, 20))
      if (run.name == tracking.run_name && run.status != store::RunStatus::running) {
        out.result["run_id"] = run.run_id;
        studies.set_run(trial.id, run.run_id);
        break;
      }
  }
  // The run's own status says finished or failed; the tag says how the trial ended.
  if (out.result.contains("run_id"))
    ws.tracking().set_tag(out.result["run_id"].get<std::string>(), "trial_status", to_string(out.status));
  return out;
}

std::string register_best(store::Workspace& ws, StudyStore& studies, const Study& study) {
  auto best = best_trial(study, studies.trials(study.id));
  if (!best || !best->result.contains("model_dir")) return "";
  store::ModelRecord model = register_trained_model(ws, best->result["model_dir"].get<std::string>(), best->run_id);
  studies.set_best_model(study.id, model.model_id);
  return model.model_id;
}

}  // namespace

WorkerSummary run_worker(const WorkerOptions& options) {
  auto ws = store::Workspace::open(options.workspace, options.store_url);
  StudyStore studies(ws.database());
  const Study study = studies.get(options.study);
  const std::string worker = options.name.empty() ? fmt::format("{}:{}", store::host_name(), store::current_pid()) : options.name;
  const std::string database = options.store_url.empty() ? (ws.root() / "workspace.db").string() : options.store_url;
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  WorkerSummary summary;
  while (auto trial = studies.claim_next(study, worker)) {
    log(fmt::format("trial {:>3} started{}: {}", trial->number,
                    trial->retry_of ? fmt::format(" (re-runs lost trial {})", *trial->retry_of) : "", param_summary(trial->params)));
    TrialOutcome outcome;
    {
      HeartbeatThread heartbeat(database, trial->id, study.settings.heartbeat_timeout_seconds);
      outcome = run_trial(ws, studies, study, *trial, options);
    }
    if (!studies.finish(trial->id, outcome.status, outcome.objective, outcome.history, outcome.result, outcome.error)) {
      log(fmt::format("trial {:>3} was declared lost while it ran; its result is discarded", trial->number));
      continue;
    }
    ++summary.trials_run;
    if (outcome.status == TrialStatus::failed)
      log(fmt::format("trial {:>3} failed: {}", trial->number, outcome.error));
    else
      log(fmt::format("trial {:>3} {}: {} {:.4f} ({} epochs, {:.1f} s)", trial->number, to_string(outcome.status),
                      study.settings.objective.metric, *outcome.objective, outcome.result.value("epochs", 0),
                      outcome.result.value("seconds", 0.0)));
  }
  if (studies.close_if_done(study)) {
    std::string model_id = register_best(ws, studies, study);
    if (!model_id.empty()) {
      summary.registered_model = model_id;
      log("study " + study.name + " finished; best trial registered as " + model_id + " (challenger)");
    }
  }
  return summary;
}

}  // namespace hybridrec::tune
