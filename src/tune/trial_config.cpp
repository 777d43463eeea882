#include "tune/trial_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
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

std::string trial_param_config_key(const std::string& name) {
  const std::string layer_prefix = "hidden_layer_";
  if (name.rfind(layer_prefix, 0) == 0) {
    const std::string n = name.substr(layer_prefix.size());
    if (!n.empty() && std::all_of(n.begin(), n.end(), ::isdigit) && std::stoul(n) > 0)
      return fmt::format("model.hidden_layers[{}]", std::stoul(n) - 1);
  }
  auto alias = aliases().find(name);
  return alias != aliases().end() ? alias->second : name;
}

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
    header += fmt::format("#   {} = {}\n", trial_param_config_key(it.key()), it.value().dump());
  header += fmt::format("# Reproduce: hybridrec train --data {} --config THIS_FILE\n", study.settings.data);
  YAML::Emitter out;
  emit(out, config);
  return header + out.c_str() + "\n";
}

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
