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

#include "data/positives.h"
#include "model/network.h"

namespace hybridrec {

// The largest configuration text accepted (a --config file, a --set value).
inline constexpr std::size_t kMaxConfigBytes = 1 << 20;

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

// The defaults, the file merged over them, then the overrides; checked against the
// schema (train/config_schema.h) after the file and again after the overrides.
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
  // data.event_weights and data.recency_*: how events become weighted positives.
  // Time decay matters because tastes and catalogues drift; sampling (the default
  // recency_mode) is the one that works with Adam: per-row Adam normalises a row's
  // gradient scale, so a row seen only in old, down-weighted samples would still
  // take full-size steps.
  PositiveWeighting positives;

  static TrainingConfig from_json(const nlohmann::json& config);
};

}  // namespace hybridrec
