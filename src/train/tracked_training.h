#pragma once
// Training as the specification's workflow ends it: "Save Model Artifacts -> Log
// to Model Registry". Wraps run_training in an experiment-tracking run (every
// parameter, seed, per-epoch metric, the final test metrics and the artifacts) and
// registers the result with a proposed semantic version.
#include <optional>
#include <string>

#include "store/registry.h"
#include "store/workspace.h"
#include "train/pipeline.h"

namespace hybridrec {

struct TrackingOptions {
  std::filesystem::path workspace = "hybridrec-workspace";
  std::string store_url;  // empty: SQLite in the workspace; postgresql://... for a team
  std::string experiment = "recommendation-model";
  std::string run_name;   // default: "<model type>-seed<seed>", then -2, -3, ... within the experiment
  bool track = true;
  bool register_model = true;
  bool promote = false;   // make the new model champion (gate applies unless force)
  bool force = false;
  std::optional<std::string> version;  // vX.Y.Z; default proposed from the change vs the champion
};

struct TrackedTrainResult {
  TrainResult training;
  std::string run_id;
  std::optional<store::ModelRecord> model;
  std::string promotion_note;  // why a requested promotion did not happen, if it did not
  std::string gate_note;       // set when the model scored below the best baseline (never promoted unforced)
};

TrackedTrainResult run_tracked_training(TrainRequest request, const TrackingOptions& options);

// Registers a model folder written by training (and logged as run_id) under
// `version` or the proposed one, writing that version into its metrics.json and
// config.json. The tuner uses it for the best trial of a study.
// Loads the model in `model_dir` back the way serve does and scores a few users;
// throws Error when it cannot be loaded or a score is NaN or infinite. Registration
// runs it first, whatever --force says.
void check_servable(const std::filesystem::path& model_dir);

store::ModelRecord register_trained_model(store::Workspace& ws, const std::filesystem::path& model_dir,
                                          const std::string& run_id, const std::optional<std::string>& version = std::nullopt);

}  // namespace hybridrec
