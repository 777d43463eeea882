#pragma once
// All run settings in one place (like fastText's args): the shipped
// configs/default.yaml, a user's --config file merged over it, then --set
// section.key=value overrides. Everything downstream reads the merged JSON or the
// typed views below, and the merged JSON is what config.json records.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/network.h"

namespace hybridrec {

// The defaults compiled into the binary (identical to configs/default.yaml).
nlohmann::json default_config();

// YAML text -> JSON (numbers, booleans, null, sequences, maps). `source` names the
// text in error messages.
nlohmann::json yaml_to_json(const std::string& yaml_text, const std::string& source);

// Recursively merges `overlay` into `base` (maps merge, everything else replaces).
void merge_config(nlohmann::json& base, const nlohmann::json& overlay);

// Applies "a.b.c=value" (value parsed as a YAML scalar or flow sequence/map).
// Unknown keys are rejected so typos do not pass silently.
void apply_override(nlohmann::json& config, const std::string& assignment);

nlohmann::json load_config(const std::optional<std::filesystem::path>& file, const std::vector<std::string>& overrides);

// Typed view of the `training:` and `data:` sections.
struct TrainingConfig {
  OptimizerConfig optimizer;
  int batch_size = 256;
  int num_epochs = 50;
  Loss loss = Loss::MSE;
  int early_stopping_patience = 5;
  std::string early_stopping_metric = "ndcg@10";
  float lr_factor = 0.5f;
  int lr_patience = 3;
  float min_lr = 1e-6f;
  int threads = 2;
  std::uint64_t seed = 42;
  int negatives_per_positive = 4;
  float event_weights[4] = {1, 1, 1, 1};  // view, add_to_cart, purchase, rating
  // Time decay of positives: an interaction this many days older than the last
  // training interaction counts half (tastes and catalogues drift). 0: no decay.
  double recency_half_life_days = 0.0;
  // How the decay acts. sample (default): each epoch trains on a positive with
  // probability 2^(-age / half-life), at its full weight. weight: every epoch trains
  // on every positive with its loss weight multiplied by the decay. Sampling is the
  // one that works with Adam: per-row Adam normalises a row's gradient scale, so a
  // row seen only in old, down-weighted samples still takes full-size steps.
  bool recency_by_sampling = true;

  static TrainingConfig from_json(const nlohmann::json& config);
};

}  // namespace hybridrec
