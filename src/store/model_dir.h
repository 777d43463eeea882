#pragma once
// Reads a model directory written by `hybridrec train` into a RegisterRequest:
//   config.json  {"model": {type, embedding_dim, hidden_layers, dropout_rate, ...},
//                 "training": {...hyperparameters}, "features": [...] or {...},
//                 "training_data": {start_date, end_date, num_samples}, "run_id"?}
//   metrics.json the specification's result format ({"metrics": {"ranking": {"ndcg@10": ...}}})
// Architecture = the model section without regularisation knobs (dropout_rate),
// i.e. what changes the network's shape; hyperparameters = training + model.
#include <filesystem>
#include <optional>
#include <string>

#include "store/registry.h"

namespace hybridrec::store {

RegisterRequest register_request_from_model_dir(const std::filesystem::path& dir,
                                                const std::optional<std::string>& run_id = std::nullopt);

}  // namespace hybridrec::store
