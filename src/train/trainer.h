#pragma once
// The training loop of the specification's flowchart: epochs of shuffled
// positives with freshly sampled negatives, validation after every epoch,
// ReduceLROnPlateau and early stopping on the validation metric, an atomic
// checkpoint after every epoch, and --resume to the same result.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/progress.h"
#include "data/positives.h"
#include "model/network.h"
#include "train/config.h"
#include "train/data_parallel.h"

namespace hybridrec {


// Draws an item the user has not interacted with in training.
using NegativeDraw = std::function<std::uint32_t(std::uint32_t user, class Rng& rng)>;

// Appends one training group to batch: the positive, then `negatives` sampled
// negatives for its user (label 1 / 0; the positive carries its weight).
void append_group(Batch& batch, const Positive& positive, int negatives, const NegativeDraw& draw_negative, Rng& rng);

// Validation metrics for the network as it is now, e.g. {"ndcg@10": 0.31, ...}.
using ValidationFn = std::function<nlohmann::json(const Network&)>;

struct TrainOutcome {
  nlohmann::json history = nlohmann::json::array();  // one record per epoch
  int epochs_run = 0;
  int best_epoch = 0;  // 1-based; the network holds these parameters on return
  double best_metric = 0.0;
  std::string stop_reason;  // "early_stopping", "num_epochs", "stopped_externally"
  bool resumed = false;
};

class Trainer {
 public:
  Trainer(Network& network, const TrainingConfig& config, Progress& progress)
      : network_(network), config_(config), progress_(progress) {}

  // checkpoint_dir holds the per-epoch checkpoint; with resume=true an existing
  // one is continued (same seed and threads give the same final parameters).
  TrainOutcome fit(const std::vector<Positive>& positives, const NegativeDraw& draw_negative,
                   const ValidationFn& validate, const std::filesystem::path& checkpoint_dir, bool resume);
  // Called with each epoch's history record after its checkpoint is written.
  void set_epoch_callback(std::function<void(const nlohmann::json&)> callback) { on_epoch_ = std::move(callback); }
  // Asked after each epoch (after the callback); true ends training now with
  // stop_reason "stopped_externally" (a tuner's median stopping rule, say).
  void set_stop_predicate(std::function<bool(const nlohmann::json&)> predicate) { stop_predicate_ = std::move(predicate); }
  // Synchronous data-parallel training: `positives` passed to fit() are then this
  // rank's shard, the global batch (training.batch_size) is split across the ranks,
  // and only rank 0 validates and checkpoints (validate is still called on every
  // rank, which must return null on the others). Null: a single process.
  void set_data_parallel(DataParallel* data_parallel) { dp_ = data_parallel; }
  // The run's settings that --resume must find unchanged (the whole configuration
  // less the epoch count): saved in the checkpoint, compared on resume, and the
  // keys that differ are named in the refusal.
  void set_resume_settings(nlohmann::json settings) { resume_settings_ = std::move(settings); }

 private:
  double run_epoch(int epoch, const std::vector<Positive>& positives, const NegativeDraw& draw_negative,
                   std::size_t* samples_out);

  Network& network_;
  TrainingConfig config_;
  Progress& progress_;
  std::function<void(const nlohmann::json&)> on_epoch_;
  std::function<bool(const nlohmann::json&)> stop_predicate_;
  DataParallel* dp_ = nullptr;
  nlohmann::json resume_settings_ = nlohmann::json::object();
  std::size_t global_positives_ = 0;  // over every rank
  bool sampled_ = false;              // some positive has keep < 1: epochs draw their positives
};

}  // namespace hybridrec
