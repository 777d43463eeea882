#include "tune/search_space.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/rng.h"
#include "train/config.h"
#include "tune/param_names.h"

namespace hybridrec::tune {

namespace {

const char* kind_name(ParamKind kind) {
  switch (kind) {
    case ParamKind::integer: return "integer";
    case ParamKind::continuous: return "continuous";
    case ParamKind::categorical: return "categorical";
  }
  return "?";
}

[[noreturn]] void bad_field(const std::string& source, const std::string& param, const std::string& field,
                            const std::string& message) {
  throw ConfigError(fmt::format("{}: parameter '{}': field '{}': {}", source, param, field, message));
}

bool same_value(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

double clamp01(double u) { return std::isfinite(u) ? std::clamp(u, 0.0, 1.0) : 0.0; }

// Position of a value of a numeric parameter on [0, 1]. Linear integers sit at the
// centres of n equal bins so that every integer owns the same share of the cube.
double numeric_to_unit(const Parameter& p, double v) {
  if (p.log_scale) return (std::log(v) - std::log(p.low)) / (std::log(p.high) - std::log(p.low));
  if (p.kind == ParamKind::integer) return (v - p.low + 0.5) / (p.high - p.low + 1.0);
  return (v - p.low) / (p.high - p.low);
}

double unit_to_numeric(const Parameter& p, double u) {
  u = clamp01(u);
  if (p.kind == ParamKind::integer) {
    if (p.log_scale)
      return std::clamp(std::round(std::exp(std::log(p.low) + u * (std::log(p.high) - std::log(p.low)))), p.low, p.high);
    return std::min(p.high, p.low + std::floor(u * (p.high - p.low + 1.0)));
  }
  if (p.log_scale) return std::clamp(std::exp(std::log(p.low) + u * (std::log(p.high) - std::log(p.low))), p.low, p.high);
  return p.low + u * (p.high - p.low);
}

Parameter parse_parameter(const std::string& name, const nlohmann::json& spec, const std::string& source) {
  if (!spec.is_object()) bad_field(source, name, "type", "expected a map such as {type: integer, min: 32, max: 128}");
  static const std::set<std::string> known = {"name", "type", "min", "max", "scaling", "values"};
  for (auto it = spec.begin(); it != spec.end(); ++it)
    if (!known.count(it.key())) bad_field(source, name, it.key(), "unknown field (expected type, min, max, scaling, values)");
  Parameter p;
  p.name = name;
  if (!spec.contains("type") || !spec["type"].is_string()) bad_field(source, name, "type", "missing (integer, continuous or categorical)");
  std::string type = spec["type"].get<std::string>();
  if (type == "integer") p.kind = ParamKind::integer;
  else if (type == "continuous") p.kind = ParamKind::continuous;
  else if (type == "categorical") p.kind = ParamKind::categorical;
  else bad_field(source, name, "type", "'" + type + "' is not integer, continuous or categorical");

  if (p.kind == ParamKind::categorical) {
    if (!spec.contains("values") || !spec["values"].is_array() || spec["values"].empty())
      bad_field(source, name, "values", "a categorical parameter needs a non-empty list of values");
    for (const auto& v : spec["values"]) {
      if (!v.is_number() && !v.is_string() && !v.is_boolean()) bad_field(source, name, "values", "values must be numbers, strings or booleans");
      for (const auto& seen : p.values)
        if (same_value(seen, v)) bad_field(source, name, "values", "duplicate value " + v.dump());
      p.values.push_back(v);
    }
    for (const char* field : {"min", "max", "scaling"})
      if (spec.contains(field)) bad_field(source, name, field, "not used by a categorical parameter");
    return p;
  }
  if (spec.contains("values")) bad_field(source, name, "values", "only categorical parameters take values");
  for (const char* field : {"min", "max"})
    if (!spec.contains(field) || !spec[field].is_number()) bad_field(source, name, field, "missing or not a number");
  p.low = spec["min"].get<double>();
  p.high = spec["max"].get<double>();
  if (p.kind == ParamKind::integer && (p.low != std::floor(p.low) || p.high != std::floor(p.high)))
    bad_field(source, name, p.low != std::floor(p.low) ? "min" : "max", "an integer parameter needs integer bounds");
  if (!(p.low < p.high)) bad_field(source, name, "max", fmt::format("must be greater than min ({} >= {})", p.low, p.high));
  std::string scaling = spec.value("scaling", std::string("linear"));
  if (scaling == "log" || scaling == "logarithmic" || scaling == "Logarithmic") p.log_scale = true;
  else if (scaling != "linear" && scaling != "Linear" && scaling != "auto") bad_field(source, name, "scaling", "'" + scaling + "' is not linear or log");
  if (p.log_scale && p.low <= 0) bad_field(source, name, "min", "log scaling needs min > 0");
  return p;
}

}  // namespace

SearchSpace::SearchSpace(std::vector<Parameter> parameters) : parameters_(std::move(parameters)) {
  for (const auto& p : parameters_) dimension_ += p.width();
}

std::vector<double> SearchSpace::encode(const nlohmann::json& params) const {
  std::vector<double> u;
  u.reserve(static_cast<std::size_t>(dimension_));
  for (const auto& p : parameters_) {
    if (!params.contains(p.name)) throw ConfigError("parameter '" + p.name + "' is missing from " + params.dump());
    const auto& v = params[p.name];
    if (p.kind == ParamKind::categorical) {
      int index = -1;
      for (std::size_t i = 0; i < p.values.size(); ++i)
        if (same_value(p.values[i], v)) index = static_cast<int>(i);
      if (index < 0) throw ConfigError("parameter '" + p.name + "': " + v.dump() + " is not one of " + p.values.dump());
      for (int i = 0; i < p.width(); ++i) u.push_back(i == index ? 1.0 : 0.0);
      continue;
    }
    if (!v.is_number()) throw ConfigError("parameter '" + p.name + "': expected a number, got " + v.dump());
    double x = v.get<double>();
    if (x < p.low || x > p.high || (p.kind == ParamKind::integer && x != std::floor(x)))
      throw ConfigError(fmt::format("parameter '{}': {} is outside the {} range [{}, {}]", p.name, x, kind_name(p.kind), p.low, p.high));
    u.push_back(numeric_to_unit(p, x));
  }
  return u;
}

nlohmann::json SearchSpace::decode(const std::vector<double>& u) const {
  if (static_cast<int>(u.size()) != dimension_)
    throw Error(fmt::format("search space point has {} coordinates, expected {}", u.size(), dimension_));
  nlohmann::json out = nlohmann::json::object();
  std::size_t at = 0;
  for (const auto& p : parameters_) {
    if (p.kind == ParamKind::categorical) {
      std::size_t best = 0;
      for (std::size_t i = 1; i < p.values.size(); ++i)
        if (clamp01(u[at + i]) > clamp01(u[at + best])) best = i;
      out[p.name] = p.values[best];
    } else if (p.kind == ParamKind::integer) {
      out[p.name] = static_cast<std::int64_t>(unit_to_numeric(p, u[at]));
    } else {
      out[p.name] = unit_to_numeric(p, u[at]);
    }
    at += static_cast<std::size_t>(p.width());
  }
  return out;
}

std::vector<double> SearchSpace::sample(Rng& rng) const {
  nlohmann::json params = nlohmann::json::object();
  for (const auto& p : parameters_) {
    if (p.kind == ParamKind::categorical)
      params[p.name] = p.values[rng.uniform_int(p.values.size())];
    else if (p.kind == ParamKind::integer && !p.log_scale)
      params[p.name] = rng.uniform_int(static_cast<std::int64_t>(p.low), static_cast<std::int64_t>(p.high));
    else
      params[p.name] = decode_one(p, rng.uniform());
  }
  return encode(params);
}

nlohmann::json SearchSpace::decode_one(const Parameter& p, double u) {
  if (p.kind == ParamKind::integer) return static_cast<std::int64_t>(unit_to_numeric(p, u));
  return unit_to_numeric(p, u);
}

nlohmann::json SearchSpace::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : parameters_) {
    nlohmann::json j = {{"name", p.name}, {"type", kind_name(p.kind)}};
    if (p.kind == ParamKind::categorical) {
      j["values"] = p.values;
    } else {
      j["min"] = p.low;
      j["max"] = p.high;
      j["scaling"] = p.log_scale ? "log" : "linear";
    }
    out.push_back(j);
  }
  return out;
}

SearchSpace SearchSpace::from_json(const nlohmann::json& j, const std::string& source) {
  const nlohmann::json& params = j.is_object() && j.contains("parameters") ? j["parameters"] : j;
  std::vector<Parameter> out;
  std::set<std::string> names;
  auto add = [&](const std::string& given, const nlohmann::json& spec) {
    if (given.empty()) throw ConfigError(source + ": a parameter has no name");
    // Named by configuration key; an older study's or file's short name (hidden_layer_1) maps onto its key.
    const std::string name = config_key(given);
    if (!names.insert(name).second) throw ConfigError(source + ": parameter '" + name + "' appears twice");
    out.push_back(parse_parameter(name, spec, source));
  };
  if (params.is_array()) {  // the stored form: an ordered list with names
    for (const auto& spec : params) add(spec.is_object() ? spec.value("name", std::string()) : std::string(), spec);
  } else if (params.is_object()) {
    for (auto it = params.begin(); it != params.end(); ++it) add(it.key(), it.value());
  } else {
    throw ConfigError(source + ": expected `parameters:` mapping each name to {type, min, max, scaling, values}");
  }
  if (out.empty()) throw ConfigError(source + ": the search space has no parameters");
  return SearchSpace(std::move(out));
}

SearchSpace default_search_space() {
  return SearchSpace::from_json(
      nlohmann::json::array({
          {{"name", "model.embedding_dim"}, {"type", "integer"}, {"min", 32}, {"max", 128}},
          {{"name", "training.learning_rate"}, {"type", "continuous"}, {"min", 1e-4}, {"max", 1e-2}, {"scaling", "log"}},
          {{"name", "training.batch_size"}, {"type", "categorical"}, {"values", {128, 256, 512}}},
          {{"name", "model.dropout_rate"}, {"type", "continuous"}, {"min", 0.1}, {"max", 0.5}},
          {{"name", "model.hidden_layers[0]"}, {"type", "integer"}, {"min", 64}, {"max", 256}},
          {{"name", "model.hidden_layers[1]"}, {"type", "integer"}, {"min", 32}, {"max", 128}},
          {{"name", "model.hidden_layers[2]"}, {"type", "integer"}, {"min", 16}, {"max", 64}},
      }),
      "the specification's search space");
}

SearchSpace load_search_space(const std::filesystem::path& file) {
  return SearchSpace::from_json(yaml_to_json(read_file(file), file.string()), file.string());
}

}  // namespace hybridrec::tune
