#pragma once
// The one table of model families (LightGBM's Create* factories): every model
// type string lives here, and make_model is the only way to build a model.
// Adding a family: its class in src/model/family_<name>.cpp, one declaration and
// one row in model_families.cpp, its settings under model.<name> in
// configs/default.yaml. The conformance suite covers every row by itself.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "model/recommender.h"

namespace hybridrec {

struct ModelFamily {
  std::string name;     // what --model and model.type take
  std::string summary;  // one line for --help and the README
  bool baseline = false;  // popularity, category, random: compared against, never the answer
  // An unfitted model; reads its settings from config["model"][name] (and the
  // shared model.* keys). Throws ConfigError naming the key for a bad setting,
  // before any training.
  std::function<std::unique_ptr<Recommender>(const nlohmann::json& config)> create;
  // The small validation grid: config overlays (merged over the configuration)
  // tried on the validation part, the best kept. Empty: no grid (one fit). Sized
  // from the data where a setting depends on it.
  std::function<std::vector<nlohmann::json>(const nlohmann::json& config, const Dataset& dataset)> grid;
};

const std::vector<ModelFamily>& model_families();
// Throws ConfigError listing the known families for an unknown name.
const ModelFamily& model_family(const std::string& name);
std::unique_ptr<Recommender> make_model(const std::string& name, const nlohmann::json& config);
std::vector<std::string> model_family_names(bool include_baselines = true);

}  // namespace hybridrec
