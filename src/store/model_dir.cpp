#include "store/model_dir.h"

#include "core/atomic_file.h"
#include "core/error.h"

namespace hybridrec::store {

using nlohmann::json;

RegisterRequest register_request_from_model_dir(const std::filesystem::path& dir,
                                                const std::optional<std::string>& run_id) {
  if (!std::filesystem::is_directory(dir)) throw Error("model directory " + dir.string() + " does not exist");
  auto config_path = dir / "config.json";
  if (!std::filesystem::exists(config_path))
    throw DataError(config_path.string(), 0, "", "missing: a model directory needs the config.json written by training");
  json config = read_json(config_path);
  auto section = [&](const char* name, json fallback) -> json {
    if (!config.contains(name)) return fallback;
    const auto& v = config[name];
    if (!(v.is_object() || (v.is_array() && fallback.is_array()))) 
      throw DataError(config_path.string(), 0, name, "expected a JSON object, got " + std::string(v.type_name()));
    return v;
  };
  json model = section("model", json::object());
  if (!config.contains("model"))
    throw DataError(config_path.string(), 0, "model", "missing: the model section (type, embedding_dim, ...) is required");
  if (!model.contains("type") || !model["type"].is_string())
    throw DataError(config_path.string(), 0, "model.type", "missing or not a string");

  RegisterRequest req;
  req.artifact_dir = dir;
  req.model_type = model["type"].get<std::string>();
  // The family and its shape (written by training as config.json's "architecture");
  // a change is a MAJOR version. Older folders without it: the model section less
  // its regularisation.
  if (config.contains("architecture") && config["architecture"].is_object()) {
    req.architecture = config["architecture"];
  } else {
    req.architecture = model;
    req.architecture.erase("dropout_rate");  // regularisation, not shape: retuning it is a PATCH
  }
  req.hyperparameters = section("training", json::object());
  for (const auto& [k, v] : model.items()) req.hyperparameters[k] = v;
  req.features = section("features", json::array());
  req.training_data = section("training_data", json::object());
  if (config.contains("evaluation") && config["evaluation"].is_object() && config["evaluation"].contains("gate_metric") &&
      config["evaluation"]["gate_metric"].is_string())
    req.gate_metric = config["evaluation"]["gate_metric"].get<std::string>();

  auto metrics_path = dir / "metrics.json";
  if (std::filesystem::exists(metrics_path)) {
    json metrics = read_json(metrics_path);
    if (!metrics.is_object()) throw DataError(metrics_path.string(), 0, "", "expected a JSON object");
    req.metrics = metrics.contains("metrics") ? metrics["metrics"] : metrics;
    if (!req.metrics.is_object()) throw DataError(metrics_path.string(), 0, "metrics", "expected a JSON object");
    // The baselines' scores on the same split: the registry's gate compares with them.
    if (metrics.contains("metrics") && metrics.contains("baselines") && metrics["baselines"].is_object())
      req.metrics["baselines"] = metrics["baselines"];
  }
  if (run_id) {
    req.run_id = run_id;
  } else if (config.contains("run_id") && config["run_id"].is_string()) {
    req.run_id = config["run_id"].get<std::string>();
  }
  return req;
}

}  // namespace hybridrec::store
