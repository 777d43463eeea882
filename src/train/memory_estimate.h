#pragma once
// The memory a model will need, estimated from the configuration and the data's
// size before anything is allocated, so that `embedding_dim: 80000` is refused
// with the estimate in the message instead of growing until bad_alloc.
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace hybridrec {

struct MemoryEstimate {
  double bytes = 0;       // parameters and optimizer state of the model's tables
  std::string what;       // "hybrid: 2 x 1,000,000 rows x (50 + 0) floats, with gradients and Adam's two moments"
};

// The estimate for `family` (model.type, or the largest candidate of auto) on a
// dataset of this many users and items. Families whose memory is not a table per
// user and item (the baselines, itemknn's sparse neighbours) estimate 0; EASE
// checks its own dense matrix (model.ease.max_memory_gb).
MemoryEstimate estimate_model_memory(const nlohmann::json& config, const std::string& family, std::size_t num_users,
                                     std::size_t num_items);

// Throws ConfigError with the estimate when it exceeds training.max_memory_gb
// (0: 80% of the physical memory).
void refuse_above_memory_limit(const nlohmann::json& config, const std::string& family, std::size_t num_users,
                               std::size_t num_items);

}  // namespace hybridrec
