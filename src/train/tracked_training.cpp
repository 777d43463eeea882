#include "train/tracked_training.h"

#include <cmath>

#include <set>

#include "core/atomic_file.h"
#include "core/error.h"
#include "store/model_dir.h"
#include "store/semver.h"
#include "store/workspace.h"
#include "train/model_bundle.h"

namespace hybridrec {

namespace {

// The numbers of an epoch record, as tracking metrics.
nlohmann::json numeric_fields(const nlohmann::json& record) {
  nlohmann::json out = nlohmann::json::object();
  for (auto it = record.begin(); it != record.end(); ++it)
    if (it->is_number() && it.key() != "epoch") out[it.key()] = it.value();
  return out;
}

// Test metrics as flat "test_<metric>" keys for runs list/compare.
nlohmann::json test_metrics(const nlohmann::json& report) {
  nlohmann::json out = nlohmann::json::object();
  for (const char* section : {"ranking", "prediction", "business", "fairness"}) {
    if (!report["metrics"].contains(section)) continue;
    for (auto it = report["metrics"][section].begin(); it != report["metrics"][section].end(); ++it)
      if (it->is_number()) out[std::string("test_") + it.key()] = it.value();
  }
  return out;
}

// The default run name, <model>-seed<seed>, made unique within its experiment by
// -2, -3, ...: two runs with the same settings must stay distinguishable in
// runs list/compare and in reports. A name the user gives is kept as given.
std::string unique_run_name(store::Tracker& tracking, const std::string& experiment, const std::string& base) {
  std::set<std::string> taken;
  for (const auto& run : tracking.list_runs(experiment, 1000000)) taken.insert(run.name);
  std::string name = base;
  for (int n = 2; taken.count(name); ++n) name = base + "-" + std::to_string(n);
  return name;
}

}  // namespace

void check_servable(const std::filesystem::path& model_dir) {
  ModelBundle bundle;
  try {
    bundle = ModelBundle::load(model_dir);
  } catch (const std::exception& e) {
    throw Error("not registered: the model in " + model_dir.string() + " cannot be loaded back as serve loads it (" +
                e.what() + ")");
  }
  // A few users with history, scored over the whole catalogue as serve scores them.
  std::vector<std::uint32_t> users;
  for (std::uint32_t u = 0; u < bundle.seen.size() && users.size() < 8; ++u)
    if (!bundle.seen[u].empty()) users.push_back(u);
  const std::size_t items = bundle.items.size();
  std::vector<float> scores(users.size() * items);
  if (!users.empty()) bundle.recommender->score_all(users, scores.data());
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (!std::isfinite(scores[i]))
      throw Error("not registered: the model in " + model_dir.string() + " scores " + std::to_string(scores[i]) +
                  " for user '" + bundle.users.id(users[i / items]) + "' (a NaN or infinite weight); " +
                  "it could never be served, so --force does not register it either");
}

store::ModelRecord register_trained_model(store::Workspace& ws, const std::filesystem::path& model_dir,
                                          const std::string& run_id, const std::optional<std::string>& version) {
  check_servable(model_dir);
  store::RegisterRequest reg = store::register_request_from_model_dir(model_dir, run_id);
  reg.version = version ? *version : ws.registry().propose_version(reg.architecture, reg.features).version;
  // The artifact set names the version it is registered under.
  nlohmann::json report = read_json(model_dir / "metrics.json");
  report["model_version"] = *reg.version;
  write_json_atomic(model_dir / "metrics.json", report);
  nlohmann::json config = read_json(model_dir / "config.json");
  config["model_version"] = *reg.version;
  write_json_atomic(model_dir / "config.json", config);
  reg.metrics = report;
  store::ModelRecord model = ws.registry().register_model(reg);
  ws.tracking().set_tag(run_id, "model_id", model.model_id);
  return model;
}

namespace {
void finish_tracked_run(store::Workspace& ws, TrainRequest& request, const TrackingOptions& options,
                        TrackedTrainResult& result, const std::int64_t& last_epoch);
}  // namespace

TrackedTrainResult run_tracked_training(TrainRequest request, const TrackingOptions& options) {
  TrackedTrainResult result;
  if (!options.track || (request.data_parallel && !request.data_parallel->is_root())) {  // rank 0 alone logs
    result.training = run_training(request);
    return result;
  }
  auto ws = store::Workspace::open(options.workspace, options.store_url);
  // A version that cannot be registered is refused now, not after the training.
  if (options.register_model && options.version) {
    store::SemVer::parse(*options.version);
    for (const auto& m : ws.registry().list())
      if (m.version == *options.version)
        throw ConfigError("--version " + *options.version + " is already registered as " + m.model_id +
                          " (`hybridrec models list`); choose another or leave --version out for a proposed one");
  }
  auto& tracking = ws.tracking();
  const auto& cfg = request.config;
  std::string type = cfg["model"]["type"].get<std::string>();
  std::string name = options.run_name.empty()
                         ? unique_run_name(tracking, options.experiment,
                                           type + "-seed" + std::to_string(cfg["training"].value("seed", 42)))
                         : options.run_name;
  nlohmann::json seeds = {{"training.seed", cfg["training"].value("seed", 42)},
                          {"split_seed", split_config_from(cfg).seed},
                          {"threads", cfg["training"].value("threads", 2)}};
  result.run_id = tracking.start_run(options.experiment, name, cfg,
                                     {{"model_type", type}, {"data", request.data.string()}}, seeds);
  std::int64_t last_epoch = 0;
  request.on_epoch = [&](const nlohmann::json& record) {
    last_epoch = record["epoch"].get<std::int64_t>();
    tracking.log_metrics(result.run_id, numeric_fields(record), last_epoch);
  };
  // Any refusal from here on (training, registration) ends the run as failed,
  // with the reason as a tag; never left running to be reaped as killed.
  try {
    finish_tracked_run(ws, request, options, result, last_epoch);
  } catch (const std::exception& e) {
    try {
      tracking.set_tag(result.run_id, "failure_reason", e.what());
    } catch (...) {
    }
    tracking.end_run(result.run_id, store::RunStatus::failed);
    throw;
  }
  return result;
}

namespace {
void finish_tracked_run(store::Workspace& ws, TrainRequest& request, const TrackingOptions& options,
                        TrackedTrainResult& result, const std::int64_t& last_epoch) {
  auto& tracking = ws.tracking();
  result.training = run_training(request);
  tracking.log_metrics(result.run_id, test_metrics(result.training.report), last_epoch);
  tracking.set_tag(result.run_id, "stop_reason", result.training.outcome.stop_reason);
  // The guard rails the run met, where `runs` shows them beside its metrics.
  if (!result.training.warnings.empty())
    tracking.set_tag(result.run_id, "warnings", nlohmann::json(result.training.warnings).dump());

  if (options.register_model) {
    result.model = register_trained_model(ws, request.out, result.run_id, options.version);
    result.training.report = read_json(request.out / "metrics.json");
    const store::GateCheck gate = ws.registry().gate(result.model->model_id);
    if (gate.below_baseline()) result.gate_note = gate.failure() + ": it is not promoted without --force";
    if (options.promote) {
      try {
        result.model = ws.registry().promote(result.model->model_id, options.force);
      } catch (const Error& e) {
        result.promotion_note = e.what();  // the gate refused: stays challenger
      }
    }
  }
  tracking.log_artifact(result.run_id, request.out / "metrics.json");
  tracking.log_artifact(result.run_id, request.out / "training_history.json");
  tracking.log_artifact(result.run_id, request.out / "config.json");
  tracking.end_run(result.run_id, store::RunStatus::finished);
}

}  // namespace

}  // namespace hybridrec
