#include <fmt/format.h>

#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "eval/result_report.h"
#include "train/config.h"
#include "train/pipeline.h"

namespace hybridrec::cli {

namespace {
struct TrainArgs {
  DataOptions data;
  std::string model;
  std::string config_file;
  std::vector<std::string> sets;
  long long seed = -1;
  std::string out = "hybridrec-model";
  bool quiet = false;
  bool resume = false;
};
}  // namespace

void register_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "train a model (hybrid, ncf or a baseline), evaluate it and save its artifacts");
  add_data_options(*cmd, args->data);
  cmd->add_option("--model", args->model, "hybrid | ncf | popularity | category | random (default: model.type)")
      ->check(CLI::IsMember({"hybrid", "ncf", "popularity", "category", "random"}));
  cmd->add_option("--config", args->config_file, "YAML file merged over configs/default.yaml")->check(CLI::ExistingFile);
  cmd->add_option("--set", args->sets, "override one setting, e.g. --set training.num_epochs=10 (repeatable)");
  cmd->add_option("--seed", args->seed, "training.seed (also the split seed)");
  cmd->add_option("--out", args->out, "artifact folder")->capture_default_str();
  cmd->add_flag("--resume", args->resume, "continue an interrupted run from --out/checkpoint");
  cmd->add_flag("--quiet,-q", args->quiet, "no progress output");
  cmd->callback([args] {
    nlohmann::json config = load_config(args->config_file.empty() ? std::nullopt
                                                                   : std::optional<std::filesystem::path>(args->config_file),
                                        args->sets);
    if (!args->model.empty()) config["model"]["type"] = args->model;
    if (args->seed >= 0) config["training"]["seed"] = args->seed;
    TrainRequest request;
    request.data = args->data.path;
    request.load = args->data.to_load_options();
    request.config = config;
    request.out = args->out;
    request.resume = args->resume;
    request.progress = args->quiet ? Progress::Mode::Quiet : Progress::Mode::Auto;
    TrainResult result = run_training(request);
    if (!args->quiet) {
      std::cout << format_metrics_table(result.report);
      std::cout << fmt::format("\nmodel {} trained in {:.1f}s ({} epochs, best epoch {}, stop: {}); artifacts in {}\n",
                               config["model"]["type"].get<std::string>(), result.seconds, result.outcome.epochs_run,
                               result.outcome.best_epoch, result.outcome.stop_reason, args->out);
    }
  });
}

}  // namespace hybridrec::cli
