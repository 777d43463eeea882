#pragma once
// What a tuning study may vary: integer, continuous (linear or log scaled) and
// categorical parameters, as in SageMaker's IntegerParameter /
// ContinuousParameter / CategoricalParameter. The optimiser works in the unit
// cube: one coordinate per integer/continuous parameter and one per category
// (one-hot) for a categorical one; decode() maps any point of the cube back to
// a valid assignment, and encode(decode(u)) "snaps" u onto the nearest point
// the study can actually run, so the Gaussian process never models values
// that cannot occur (integers are rounded, categories are the argmax).
//
//   auto space = default_search_space();            // the specification's space
//   auto space = load_search_space("space.yaml");   // parameters: {name: {type: integer, min: 32, max: 128}}
//   nlohmann::json params = space.decode(u);        // {"model.embedding_dim": 77, "training.batch_size": 256, ...}
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hybridrec {

class Rng;

namespace tune {

enum class ParamKind { integer, continuous, categorical };

struct Parameter {
  std::string name;
  ParamKind kind = ParamKind::continuous;
  double low = 0, high = 1;     // integer / continuous bounds (inclusive)
  bool log_scale = false;       // continuous (and integer) parameters spread over orders of magnitude
  nlohmann::json values = nlohmann::json::array();  // categorical choices (numbers or strings)

  // Coordinates this parameter takes in the unit cube.
  int width() const { return kind == ParamKind::categorical ? static_cast<int>(values.size()) : 1; }
};

class SearchSpace {
 public:
  SearchSpace() = default;
  explicit SearchSpace(std::vector<Parameter> parameters);

  const std::vector<Parameter>& parameters() const { return parameters_; }
  int dimension() const { return dimension_; }  // unit-cube coordinates

  // A valid assignment -> unit-cube point. Throws ConfigError naming the parameter
  // when a value is missing, out of range or not one of the categories.
  std::vector<double> encode(const nlohmann::json& params) const;
  // Any unit-cube point -> the valid assignment it stands for.
  nlohmann::json decode(const std::vector<double>& u) const;
  // encode(decode(u)): the runnable point u stands for.
  std::vector<double> snap(const std::vector<double>& u) const { return encode(decode(u)); }
  // A uniformly random valid point of the cube (already snapped).
  std::vector<double> sample(Rng& rng) const;

  nlohmann::json to_json() const;  // [{"name", "type", ...}] in order
  static SearchSpace from_json(const nlohmann::json& j, const std::string& source);
  // The value of one parameter at coordinate u (numeric parameters only).
  static nlohmann::json decode_one(const Parameter& p, double u);

 private:
  std::vector<Parameter> parameters_;
  int dimension_ = 0;
};

// The specification's "Hyperparameter Tuning" search space.
SearchSpace default_search_space();

// YAML file: `parameters:` (or the top level) maps each name to
// {type: integer|continuous|categorical, min, max, scaling: linear|log, values: [...]}.
// Errors are ConfigError "FILE: parameter 'NAME': field 'F': ...".
SearchSpace load_search_space(const std::filesystem::path& file);

}  // namespace tune
}  // namespace hybridrec
