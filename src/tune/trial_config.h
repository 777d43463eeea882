#pragma once
// A trial's parameters applied to the training configuration. The
// specification's names map onto configs/default.yaml:
//   embedding_dim -> model.embedding_dim     learning_rate -> training.learning_rate
//   batch_size    -> training.batch_size     dropout_rate  -> model.dropout_rate
//   hidden_layer_N -> model.hidden_layers[N-1]
// Any other name must be a configuration path such as training.weight_decay.
#include <string>

#include <nlohmann/json.hpp>

#include "tune/search_space.h"
#include "tune/study.h"

namespace hybridrec::tune {

// Throws ConfigError naming the parameter when it does not map onto `base`.
nlohmann::json apply_trial_params(const nlohmann::json& base, const nlohmann::json& params);

// Checks every parameter of the space maps onto the configuration (before a study starts).
void check_space_maps_onto(const SearchSpace& space, const nlohmann::json& base);

// The configuration key a parameter sets: "hidden_layer_2" -> "model.hidden_layers[1]",
// "learning_rate" -> "training.learning_rate", a path -> itself.
std::string trial_param_config_key(const std::string& name);

// What a trial trains with: the study's base configuration, the trial's
// parameters, early stopping on the study's objective. The worker adds its thread
// count; `tune best` writes it as a config file for `train --config`.
nlohmann::json trial_training_config(const StudySettings& settings, const nlohmann::json& params);

// `tune best`: the configuration `train --config FILE --data DATA` reproduces the
// trial with, as YAML, headed by comments saying which trial and how to train it.
std::string best_trial_yaml(const Study& study, const Trial& trial);

}  // namespace hybridrec::tune
