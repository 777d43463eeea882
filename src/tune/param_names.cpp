#include "tune/param_names.h"

#include <algorithm>
#include <map>

#include "core/error.h"

namespace hybridrec::tune {

std::string config_key(const std::string& name) {
  static const std::map<std::string, std::string> short_names = {{"embedding_dim", "model.embedding_dim"},
                                                                 {"learning_rate", "training.learning_rate"},
                                                                 {"batch_size", "training.batch_size"},
                                                                 {"dropout_rate", "model.dropout_rate"}};
  if (auto it = short_names.find(name); it != short_names.end()) return it->second;
  const std::string layer_prefix = "hidden_layer_";
  if (name.rfind(layer_prefix, 0) == 0) {
    const std::string n = name.substr(layer_prefix.size());
    if (!n.empty() && n.size() < 6 && std::all_of(n.begin(), n.end(), ::isdigit) && std::stoul(n) > 0)
      return "model.hidden_layers[" + std::to_string(std::stoul(n) - 1) + "]";
  }
  return name;
}

nlohmann::json with_config_keys(const nlohmann::json& params) {
  if (!params.is_object()) return params;
  nlohmann::json out = nlohmann::json::object();
  for (auto it = params.begin(); it != params.end(); ++it) out[config_key(it.key())] = it.value();
  return out;
}

ConfigKey parse_config_key(const std::string& key) {
  const auto open = key.find('[');
  if (open == std::string::npos) return {key, std::nullopt};
  const std::string digits = key.substr(open + 1, key.size() - open - 2);
  if (key.back() != ']' || open == 0 || digits.empty() || digits.size() > 6 ||
      !std::all_of(digits.begin(), digits.end(), ::isdigit))
    throw ConfigError("parameter '" + key + "': expected a configuration key such as model.hidden_layers[0]");
  return {key.substr(0, open), std::stoul(digits)};
}

}  // namespace hybridrec::tune
