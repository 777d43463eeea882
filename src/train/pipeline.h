#pragma once
// The specification's training workflow end to end: load, validate, split, build
// features, train (validation every epoch, early stopping), evaluate test against
// the baselines, save the artifact set. The CLI's `train` is a thin shell over it.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/progress.h"
#include "data/positives.h"
#include "data/features.h"
#include "data/readers.h"
#include "data/split.h"
#include "eval/evaluator.h"
#include "model/recommender.h"
#include "train/trainer.h"

namespace hybridrec {

struct TrainRequest {
  std::filesystem::path data;
  LoadOptions load;
  nlohmann::json config;  // merged configuration (train/config.h)
  std::filesystem::path out;
  bool resume = false;
  Progress::Mode progress = Progress::Mode::Auto;
  std::string model_version = "unregistered";
  // Called after every epoch with its history record (experiment tracking).
  std::function<void(const nlohmann::json& epoch_record)> on_epoch;
  // Asked after every epoch; true stops training there (stop_reason "stopped_externally").
  std::function<bool(const nlohmann::json& epoch_record)> stop_after_epoch;
  // Set for `mpirun -np N hybridrec train`: this process is one rank of a
  // data-parallel job (train/data_parallel.h). Ranks other than 0 train their shard
  // and return after training with only `outcome` filled in.
  DataParallel* data_parallel = nullptr;
  // With data_parallel: each rank loads only its user shard of the interactions
  // (data/sharded_dataset.h) and global statistics go through these collectives.
  // Null: every rank loads everything and trains on every N-th positive.
  ShardCollectives* shards = nullptr;
  // A trained model below the best baseline on validation is always warned
  // about; with this set, that baseline is also served, saved and registered as
  // the run's answer. `hybridrec train` sets it from model.fallback_to_baseline;
  // the tuner's trials and library callers keep the trained model.
  bool fallback_to_baseline = false;
};

struct TrainResult {
  std::string family;      // the trained family (what --model auto chose)
  nlohmann::json report;   // metrics.json: the specification's result format
  nlohmann::json history;  // training_history.json
  nlohmann::json data_summary;  // counts, time range, split statistics
  TrainOutcome outcome;
  double seconds = 0.0;
  // Guard rails met on the way (also in metrics.json and config.json "warnings").
  std::vector<std::string> warnings;
};

TrainResult run_training(const TrainRequest& request);

// The data: section of the configuration as a SplitConfig.
SplitConfig split_config_from(const nlohmann::json& config);
// The content_features: section as a FeatureConfig.
FeatureConfig feature_config_from(const nlohmann::json& config);
// The evaluation: section (k, group_by), data.negative_sampling_ratio and the
// training threads and seed as the options of one evaluation of `part`. `train`
// and `evaluate` both evaluate with these.
EvalOptions eval_options(const nlohmann::json& config, const std::string& part, bool ranking_only);

}  // namespace hybridrec
