#pragma once
// A trial's parameters applied to the training configuration. Each is named by
// the configuration key it sets (training.weight_decay, model.hidden_layers[0]);
// the specification's short names of older studies map onto those keys
// (tune/param_names.h).
#include <string>

#include <nlohmann/json.hpp>

#include "tune/search_space.h"
#include "tune/study.h"

namespace hybridrec::tune {

// Throws ConfigError naming the parameter when it does not map onto `base`.
nlohmann::json apply_trial_params(const nlohmann::json& base, const nlohmann::json& params);

// Checks every parameter of the space maps onto the configuration (before a study starts).
void check_space_maps_onto(const SearchSpace& space, const nlohmann::json& base);

// What a trial trains with: the study's base configuration, the trial's
// parameters, early stopping on the study's objective. The worker adds its thread
// count; `tune best` writes it as a config file for `train --config`.
nlohmann::json trial_training_config(const StudySettings& settings, const nlohmann::json& params);

// `tune best`: the configuration `train --config FILE --data DATA` reproduces the
// trial with, as YAML, headed by comments saying which trial and how to train it.
std::string best_trial_yaml(const Study& study, const Trial& trial);

}  // namespace hybridrec::tune
