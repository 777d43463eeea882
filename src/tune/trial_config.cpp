#include "tune/trial_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "core/error.h"
#include "core/rng.h"
#include "train/config.h"
#include "tune/param_names.h"

namespace hybridrec::tune {

namespace {

void emit(YAML::Emitter& out, const nlohmann::json& value) {
  if (value.is_object()) {
    out << YAML::BeginMap;
    for (auto it = value.begin(); it != value.end(); ++it) {
      out << YAML::Key << it.key() << YAML::Value;
      emit(out, it.value());
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    // Short lists of scalars ([128, 64, 32]) read best on one line.
    const bool flat = std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_primitive(); });
    out << (flat ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
    for (const auto& v : value) emit(out, v);
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    out << YAML::DoubleQuoted << value.get<std::string>();
  } else if (value.is_null()) {
    out << YAML::Null;
  } else {
    out << value.dump();  // numbers and booleans exactly as JSON writes them
  }
}

}  // namespace

nlohmann::json trial_training_config(const StudySettings& settings, const nlohmann::json& params) {
  nlohmann::json config = apply_trial_params(settings.config, params);
  // The kept epoch (early stopping within the trial, the registered model) is the
  // best one by the study's objective when the trainer can select on it.
  if (settings.objective.maximize)
    config["training"]["early_stopping_metric"] = settings.objective.record_key().substr(4);  // "val_"
  return config;
}

std::string best_trial_yaml(const Study& study, const Trial& trial) {
  nlohmann::json config = trial_training_config(study.settings, trial.params);
  // The trial's own thread count and, when the median rule stopped it, its epochs:
  // what the trial ran is what a retraining reproduces.
  if (trial.result.contains("threads")) config["training"]["threads"] = trial.result["threads"];
  if (trial.status == TrialStatus::stopped_early && trial.result.contains("epochs"))
    config["training"]["num_epochs"] = trial.result["epochs"];
  const auto& load = study.settings.load;
  if (load.value("format", std::string("auto")) != "auto") config["data"]["format"] = load["format"];
  if (!load.value("sep", std::string()).empty()) config["data"]["separator"] = load["sep"];

  std::string header = fmt::format("# Best trial of study {}: trial {} ({}), {} = {}\n", study.name, trial.number,
                                   to_string(trial.status), study.settings.objective.metric,
                                   trial.objective ? fmt::format("{:.6g}", *trial.objective) : "none");
  header += "# Trial parameters by configuration key:\n";
  for (auto it = trial.params.begin(); it != trial.params.end(); ++it)
    header += fmt::format("#   {} = {}\n", config_key(it.key()), it.value().dump());
  header += fmt::format("# Reproduce: hybridrec train --data {} --config THIS_FILE\n", study.settings.data);
  YAML::Emitter out;
  emit(out, config);
  return header + out.c_str() + "\n";
}

nlohmann::json apply_trial_params(const nlohmann::json& base, const nlohmann::json& params) {
  nlohmann::json config = base;
  for (auto it = params.begin(); it != params.end(); ++it) {
    const std::string& name = it.key();
    const ConfigKey key = parse_config_key(config_key(name));
    if (key.path.find('.') == std::string::npos)
      throw ConfigError("parameter '" + name + "' is not a configuration key such as training.weight_decay or "
                        "model.hidden_layers[0] (nor one of the short names embedding_dim, learning_rate, batch_size, "
                        "dropout_rate, hidden_layer_N)");
    try {
      if (!key.index) {
        apply_override(config, key.path + "=" + it.value().dump());
        continue;
      }
      // One element of a list: the list must exist and be long enough, so a
      // typo never grows the network by a layer nobody asked for.
      nlohmann::json* node = &config;
      std::size_t start = 0;
      while (true) {
        const auto dot = key.path.find('.', start);
        const std::string part = key.path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!node->is_object() || !node->contains(part)) throw ConfigError("the configuration has no " + key.path);
        node = &(*node)[part];
        if (dot == std::string::npos) break;
        start = dot + 1;
      }
      if (!node->is_array() || *key.index >= node->size())
        throw ConfigError(key.path + " has " + std::to_string(node->is_array() ? node->size() : 0) + " elements");
      (*node)[*key.index] = it.value();
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
