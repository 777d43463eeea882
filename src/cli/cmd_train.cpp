#include <fmt/format.h>

#include <iostream>
#include <optional>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/folder_lock.h"
#include "dist/communicator.h"
#include "dist/mpi_data_parallel.h"
#include "dist/mpi_shard_collectives.h"
#include "eval/result_report.h"
#include "model/model_families.h"
#include "train/config.h"
#include "train/pipeline.h"
#include "train/tracked_training.h"

namespace hybridrec::cli {

namespace {
// distributed.shard_embeddings, refused where row-sharded tables cannot do it.
bool sharded_embeddings_requested(const nlohmann::json& config) {
  if (!config.contains("distributed") || !config["distributed"].value("shard_embeddings", false)) return false;
  if (config["training"].value("embedding_optimizer", std::string("lazy")) != "lazy")
    throw ConfigError("--shard-embeddings (distributed.shard_embeddings) needs training.embedding_optimizer=lazy: "
                      "dense Adam moves every row of the tables every step, which row-sharded tables do not do");
  return true;
}

struct TrainArgs {
  DataOptions data;
  std::string model;
  std::string config_file;
  std::vector<std::string> sets;
  long long seed = -1;
  double budget_minutes = 0;
  std::string out = "hybridrec-model";
  bool quiet = false;
  bool resume = false;
  TrackingOptions tracking;
  std::string version;
  bool no_track = false, no_register = false;
  bool shard_embeddings = false;
  std::string split;
};
}  // namespace

void register_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "train a model (any family, or a baseline), evaluate it and save its artifacts");
  add_data_options(*cmd, args->data, false);
  add_split_source_options(*cmd, args->data);
  add_on_invalid_option(*cmd, args->data);
  cmd->add_option("--split", args->split,
                  "data.split: temporal, user_temporal, user_random, leave_one_out, files (with --train/--test), "
                  "column (with --split-col)")
      ->check(CLI::IsMember({"temporal", "user_temporal", "user_random", "leave_one_out", "files", "column"}));
  auto families = model_family_names();
  std::string family_list;
  for (const auto& name : families) family_list += (family_list.empty() ? "" : " | ") + name;
  families.push_back("auto");
  cmd->add_option("--model", args->model,
                  family_list + ", or auto: every family fitted and the best on validation kept (default: model.type)")
      ->check(CLI::IsMember(families));
  cmd->add_option("--budget-minutes", args->budget_minutes,
                  "with --model auto: no further candidate starts after this many minutes (model.auto.budget_minutes)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--config", args->config_file, "YAML file merged over configs/default.yaml")->check(CLI::ExistingFile);
  cmd->add_option("--set", args->sets, "override one setting, e.g. --set training.num_epochs=10 (repeatable)");
  cmd->add_option("--seed", args->seed, "training.seed (also the split seed)");
  cmd->add_option("--out", args->out, "artifact folder")->capture_default_str();
  cmd->add_flag("--resume", args->resume, "continue an interrupted run from --out/checkpoint");
  cmd->add_flag("--quiet,-q", args->quiet, "no progress output");
  cmd->add_option("--workspace", args->tracking.workspace, "workspace for runs, registry and artifacts")->capture_default_str();
  cmd->add_option("--store", args->tracking.store_url, "postgresql://... to share runs and models with a team (default: SQLite in the workspace)");
  cmd->add_option("--experiment", args->tracking.experiment, "experiment the run belongs to")->capture_default_str();
  cmd->add_option("--run-name", args->tracking.run_name, "run name (default: <model>-seed<seed>, made unique in the experiment with -2, -3, ...)");
  cmd->add_option("--version", args->version, "register under this version (vX.Y.Z) instead of the proposed one");
  cmd->add_flag("--promote", args->tracking.promote, "make the new model champion if it passes the gate metric");
  cmd->add_flag("--force", args->tracking.force,
                "with --promote: promote even when worse than the champion or below the best baseline");
  cmd->add_flag("--no-track", args->no_track, "do not log a run (and do not register)");
  cmd->add_flag("--no-register", args->no_register, "log the run but do not register the model");
  cmd->add_flag("--shard-embeddings", args->shard_embeddings,
                "under mpirun: shard the user and item embedding tables by row across the ranks "
                "(distributed.shard_embeddings)");
  cmd->callback([args] {
    nlohmann::json config = load_config(args->config_file.empty() ? std::nullopt
                                                                   : std::optional<std::filesystem::path>(args->config_file),
                                        args->sets);
    if (!args->model.empty()) config["model"]["type"] = args->model;
    if (args->budget_minutes > 0) config["model"]["auto"]["budget_minutes"] = args->budget_minutes;
    if (args->seed >= 0) config["training"]["seed"] = args->seed;
    if (args->shard_embeddings) config["distributed"]["shard_embeddings"] = true;
    const bool shard = sharded_embeddings_requested(config);
    if (!args->split.empty()) config["data"]["split"] = args->split;
    LoadOptions load = resolve_load_options(args->data, &config);
    if (args->data.path.empty()) throw ConfigError("train: --data PATH is required (or --split files --train F --test F)");
    refuse_overwriting_inputs(args->out, args->data.path, load);
    auto& world = dist::Communicator::world();
    // Train refuses what validate rejects; only rank 0 prints (every rank checks).
    const GateResult gate = validate_before_use(args->data, load, args->quiet || !world.is_root());
    config["data_validation"] = gate.to_json();
    TrainRequest request;
    request.data = args->data.path;
    request.load = load;
    request.config = config;
    request.out = args->out;
    request.resume = args->resume;
    // A model below the best baseline on validation is not presented as the answer.
    const auto& fallback = config.at("model").value("fallback_to_baseline", nlohmann::json(true));
    if (!fallback.is_boolean())
      throw ConfigError("model.fallback_to_baseline must be true or false (got " + fallback.dump() + ")");
    request.fallback_to_baseline = fallback.get<bool>();
    request.progress = args->quiet ? Progress::Mode::Quiet : Progress::Mode::Auto;
    args->tracking.track = !args->no_track;
    args->tracking.register_model = !args->no_track && !args->no_register;
    if (!args->version.empty()) args->tracking.version = args->version;
    // Under mpirun this process is one rank of a data-parallel job; rank 0 reports.
    auto& comm = dist::Communicator::world();
    std::unique_ptr<dist::MpiDataParallel> data_parallel;
    std::unique_ptr<dist::MpiShardCollectives> shards;
    if (comm.distributed()) {
      data_parallel = std::make_unique<dist::MpiDataParallel>(comm, shard);
      request.data_parallel = data_parallel.get();
      // Each rank reads only its users' interactions unless distributed.shard_data=false.
      // Not with sharded embedding tables: sharded-data evaluation ranks users on every
      // rank, which needs the full tables there (rank 0 alone gathers them).
      if (!shard && config.value("distributed", nlohmann::json::object()).value("shard_data", true)) {
        shards = std::make_unique<dist::MpiShardCollectives>(comm);
        request.shards = shards.get();
      }
      if (!comm.is_root()) {
        request.progress = Progress::Mode::Quiet;
        args->quiet = true;
      } else if (!args->quiet) {
        std::cout << fmt::format("data-parallel training on {} ranks (MPI), global batch {}{}\n", comm.size(),
                                 config["training"].value("batch_size", 256),
                                 shard ? ", id embeddings sharded by row" : "");
      }
    }
    if (shard && !comm.distributed() && !args->quiet)
      std::cout << "note: --shard-embeddings has no effect in a single process (start the job with mpirun)\n";
    // One training at a time into a folder (rank 0 writes it): a second one is
    // refused instead of leaving a mix of both. Then what a killed writer left.
    std::optional<FolderLock> out_lock;
    if (comm.is_root()) {
      out_lock.emplace(args->out, "training");
      if (const std::size_t stale = remove_stale_temp_files(args->out); stale > 0 && !args->quiet)
        std::cout << fmt::format("removed {} temporary file(s) a stopped run left in {}\n", stale, args->out);
    }
    TrackedTrainResult tracked;
    try {
      tracked = run_tracked_training(request, args->tracking);
    } catch (const std::exception& e) {
      if (!comm.distributed()) throw;
      // The peers would wait forever in their next collective: end the whole job.
      std::cerr << fmt::format("error on rank {} of {}: {}\n", comm.rank(), comm.size(), e.what()) << std::flush;
      comm.abort(1);
    }
    if (!comm.is_root()) return;
    const TrainResult& result = tracked.training;
    if (!args->quiet) {
      std::cout << format_metrics_table(result.report);
      std::cout << fmt::format("\nmodel {} trained in {:.1f}s ({} epochs, best epoch {}, stop: {}); artifacts in {}\n",
                               result.family, result.seconds, result.outcome.epochs_run,
                               result.outcome.best_epoch, result.outcome.stop_reason, args->out);
    }
    if (result.report.contains("fallback") && result.report["fallback"].value("served", "") != result.report["fallback"].value("trained_family", "")) {
      const auto& f = result.report["fallback"];
      std::cout << fmt::format("answer: the {} baseline, not the trained {} (validation NDCG@10 {:.4f} against {:.4f}; "
                               "the trained model's test NDCG@10 was {:.4f})\n",
                               f.value("served", ""), f.value("trained_family", ""),
                               f.value("trained_validation_ndcg@10", 0.0), f.value("baseline_validation_ndcg@10", 0.0),
                               f.value("trained_test_ndcg@10", 0.0));
    }
    if (!result.warnings.empty() && !args->quiet)
      std::cout << fmt::format("{} warning(s), saved with the run:\n  {}\n", result.warnings.size(),
                               fmt::join(result.warnings, "\n  "));
    if (!tracked.run_id.empty()) std::cout << "run " << tracked.run_id << " logged in " << args->tracking.workspace.string() << "\n";
    if (tracked.model)
      std::cout << "registered " << tracked.model->model_id << " as " << store::to_string(tracked.model->status) << "\n";
    if (!tracked.gate_note.empty()) std::cout << "note: " << tracked.gate_note << "\n";
    if (!tracked.promotion_note.empty()) std::cout << tracked.promotion_note << "\n";  // "not promoted: why"
  });
}

}  // namespace hybridrec::cli
