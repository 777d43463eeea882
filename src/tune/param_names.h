#pragma once
// Trial parameters are named by the configuration key they set, so a trial's
// parameters read the same in `tune show`, the study report, `tune best` and
// configs/default.yaml: model.embedding_dim, training.learning_rate,
// training.batch_size, model.dropout_rate, model.hidden_layers[0] (an index
// sets one element of a list).
//
// Studies and --space files from before used the specification's short names;
// they are read by mapping each to its key:
//   embedding_dim -> model.embedding_dim     learning_rate -> training.learning_rate
//   batch_size    -> training.batch_size     dropout_rate  -> model.dropout_rate
//   hidden_layer_N -> model.hidden_layers[N-1]
#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace hybridrec::tune {

// A short (legacy) name -> its configuration key; any other name unchanged.
std::string config_key(const std::string& name);

// The keys of a trial's parameter object renamed by config_key (old studies' trials).
nlohmann::json with_config_keys(const nlohmann::json& params);

// "model.hidden_layers[1]" -> {"model.hidden_layers", 1}; "training.batch_size" -> {"training.batch_size", none}.
// Throws ConfigError for a malformed index ("x[", "x[a]").
struct ConfigKey {
  std::string path;
  std::optional<std::size_t> index;
};
ConfigKey parse_config_key(const std::string& key);

}  // namespace hybridrec::tune
