#include "train/memory_estimate.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "core/system_memory.h"

namespace hybridrec {

namespace {

double number_or(const nlohmann::json& section, const char* key, double fallback) {
  if (!section.is_object() || !section.contains(key) || !section[key].is_number()) return fallback;
  return section[key].get<double>();
}

// A network's id tables: per row its embedding (and GMF) floats, each with a
// gradient and Adam's two moments (4 floats), plus the dense layers (small).
MemoryEstimate neural(const nlohmann::json& model, const std::string& family, double rows) {
  const double dim = number_or(model, "embedding_dim", 50);
  double gmf = number_or(model, "gmf_dim", 0);
  if (family == "neumf" && gmf == 0) gmf = dim;
  double layers = 0, width = 2 * dim;
  if (model.contains("hidden_layers") && model["hidden_layers"].is_array())
    for (const auto& h : model["hidden_layers"])
      if (h.is_number()) layers += width * h.get<double>(), width = h.get<double>();
  const double floats = rows * (dim + gmf) + layers;
  return {floats * 4.0 * 4.0, fmt::format("{}: {:.0f} user and item rows x ({:.0f} + {:.0f}) floats, with gradients "
                                          "and Adam's two moments",
                                          family, rows, dim, gmf)};
}

// Factor models: one factor row per user and item, plus a copy (ALS's solve,
// SGD's biases and scratch).
MemoryEstimate factors(const std::string& family, double rows, double f) {
  return {rows * f * 4.0 * 2.0, fmt::format("{}: {:.0f} user and item rows x {:.0f} factors", family, rows, f)};
}

}  // namespace

MemoryEstimate estimate_model_memory(const nlohmann::json& config, const std::string& family, std::size_t num_users,
                                     std::size_t num_items) {
  const nlohmann::json& model = config.contains("model") ? config["model"] : nlohmann::json::object();
  const double rows = static_cast<double>(num_users) + static_cast<double>(num_items) + 2;  // + the unknown rows
  if (family == "hybrid" || family == "ncf" || family == "neumf") return neural(model, family, rows);
  if (family == "mf") return factors(family, rows, number_or(model.value("mf", nlohmann::json::object()), "factors", 64));
  if (family == "ials")  // auto: the grid's largest
    return factors(family, rows, number_or(model.value("ials", nlohmann::json::object()), "factors", 128));
  if (family == "auto") {
    // The candidates are fitted one after another: the largest one counts.
    MemoryEstimate largest;
    for (const char* f : {"hybrid", "ncf", "neumf", "mf", "ials"}) {
      MemoryEstimate e = estimate_model_memory(config, f, num_users, num_items);
      if (e.bytes > largest.bytes) largest = e;
    }
    return largest;
  }
  return {};
}

void refuse_above_memory_limit(const nlohmann::json& config, const std::string& family, std::size_t num_users,
                               std::size_t num_items) {
  const MemoryEstimate e = estimate_model_memory(config, family, num_users, num_items);
  const double limit_gb =
      config.contains("training") ? number_or(config["training"], "max_memory_gb", 0.0) : 0.0;
  const double limit = limit_gb > 0 ? limit_gb * 1e9 : 0.8 * physical_memory_bytes();
  if (limit <= 0 || e.bytes <= limit) return;
  throw ConfigError(fmt::format("the model would need about {:.1f} GB ({}), above the limit of {:.1f} GB ({}); lower "
                                "model.embedding_dim or the factors, or raise training.max_memory_gb",
                                e.bytes / 1e9, e.what, limit / 1e9,
                                limit_gb > 0 ? "training.max_memory_gb" : "80% of the physical memory"));
}

}  // namespace hybridrec
