#pragma once
// Per-epoch checkpoints. The tensors of epoch N go to state-N.safetensors first;
// trainer.json, written atomically after it, names that file, so a crash at any
// moment leaves a consistent (older or newer) checkpoint and never a mix.
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "model/network.h"

namespace hybridrec {

struct CheckpointState {
  nlohmann::json trainer;  // epoch, lr, history, scheduler, early stopping, config fingerprint
};

void save_checkpoint(const std::filesystem::path& dir, int epoch, const Network& network, const nlohmann::json& trainer_state,
                     bool is_best);
// Restores parameters and optimizer state into `network`; returns the trainer
// state, or nullopt when there is no checkpoint in `dir`.
std::optional<nlohmann::json> load_checkpoint(const std::filesystem::path& dir, Network& network);
// Loads the best epoch's parameters (saved when it was best).
bool load_best_parameters(const std::filesystem::path& dir, Network& network);

}  // namespace hybridrec
