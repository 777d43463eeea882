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

namespace hybridrec::tune {

// Throws ConfigError naming the parameter when it does not map onto `base`.
nlohmann::json apply_trial_params(const nlohmann::json& base, const nlohmann::json& params);

// Checks every parameter of the space maps onto the configuration (before a study starts).
void check_space_maps_onto(const SearchSpace& space, const nlohmann::json& base);

}  // namespace hybridrec::tune
