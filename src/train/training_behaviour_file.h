#pragma once
// user_behaviour.safetensors: a model's TrainingBehaviour (data/features.h), the
// training-period aggregates serving folds a trained user's new events into
// (issue #19). The file format holds float32 (model/safetensors.h), so every
// double and integer is stored as three floats whose sum, taken in double, is the
// value exactly (3 x 24 significant bits cover a double's 53): the folded-in
// features then equal FeatureBuilder::transform's to the last bit.
#include <filesystem>

#include "data/features.h"

namespace hybridrec {

void save_training_behaviour(const std::filesystem::path& file, const TrainingBehaviour& behaviour);
// Throws DataError naming the file and the tensor for a missing, mis-sized or
// inconsistent one; `num_users` / `num_items` are the model's.
TrainingBehaviour load_training_behaviour(const std::filesystem::path& file, std::size_t num_users,
                                          std::size_t num_items);

}  // namespace hybridrec
