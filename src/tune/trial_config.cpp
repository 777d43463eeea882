#include "tune/trial_config.h"

#include <map>

#include "core/error.h"
#include "core/rng.h"
#include "train/config.h"

namespace hybridrec::tune {

namespace {

const std::map<std::string, std::string>& aliases() {
  static const std::map<std::string, std::string> a = {{"embedding_dim", "model.embedding_dim"},
                                                       {"learning_rate", "training.learning_rate"},
                                                       {"batch_size", "training.batch_size"},
                                                       {"dropout_rate", "model.dropout_rate"}};
  return a;
}

}  // namespace

nlohmann::json apply_trial_params(const nlohmann::json& base, const nlohmann::json& params) {
  nlohmann::json config = base;
  const std::string layer_prefix = "hidden_layer_";
  for (auto it = params.begin(); it != params.end(); ++it) {
    const std::string& name = it.key();
    if (name.rfind(layer_prefix, 0) == 0) {
      std::size_t index = 0;
      try {
        index = std::stoul(name.substr(layer_prefix.size()));
      } catch (const std::exception&) {
        throw ConfigError("parameter '" + name + "': expected hidden_layer_N with N = 1, 2, ...");
      }
      auto& layers = config["model"]["hidden_layers"];
      if (index == 0 || !layers.is_array() || index > layers.size())
        throw ConfigError("parameter '" + name + "': model.hidden_layers has " + std::to_string(layers.size()) + " layers");
      layers[index - 1] = it.value();
      continue;
    }
    auto alias = aliases().find(name);
    const std::string path = alias != aliases().end() ? alias->second : name;
    if (path.find('.') == std::string::npos)
      throw ConfigError("parameter '" + name + "' is not a known hyperparameter (embedding_dim, learning_rate, batch_size, "
                        "dropout_rate, hidden_layer_N) nor a configuration path such as training.weight_decay");
    try {
      apply_override(config, path + "=" + it.value().dump());
    } catch (const ConfigError& e) {
      throw ConfigError("parameter '" + name + "': " + e.what());
    }
  }
  return config;
}

void check_space_maps_onto(const SearchSpace& space, const nlohmann::json& base) {
  Rng rng(1);
  apply_trial_params(base, space.decode(space.sample(rng)));
}

}  // namespace hybridrec::tune
