#pragma once
// The user x item matrix the closed-form families (ease, itemknn, ials) learn
// from: one entry per training positive (data/positives.h), its value the
// positive's weight (data.event_weights, times the recency decay of
// data.recency_half_life_days when set). Also the family-independent pieces they
// share: the weighting read from the configuration, a setting reader that names
// the key, and saving a sparse matrix inside model.safetensors.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <omp.h>

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/split.h"
#include "model/abilities.h"
#include "model/recommender.h"
#include "data/positives.h"
#include "model/tensor.h"

namespace hybridrec {

// Row-major sparse matrix with sorted column indices in each row (Eigen's CSR).
using SparseRowMatrix = Eigen::SparseMatrix<float, Eigen::RowMajor, std::int64_t>;

// dataset.num_users() x dataset.num_items(), the positives of split.train. A
// closed form has no epochs to sample in, so a recency decay always scales the
// value (whatever weighting.recency_by_sampling says).
SparseRowMatrix build_interaction_matrix(const Dataset& dataset, const Split& split,
                                         const PositiveWeighting& weighting);

// What a family's fit() learns from: the matrix of context.split.train weighted by
// context.config's data.* settings. Throws ConfigError naming `family` when the
// dataset is one user shard of a data-parallel job (these families see every user).
SparseRowMatrix training_matrix(const TrainingContext& context, const std::string& family);

// The transpose as a row-major matrix (item x user), for item-side passes.
SparseRowMatrix transpose_rows(const SparseRowMatrix& matrix);

// The history row (1 x cols) fold-in scores from (model/abilities.h HistoryFoldIn):
// row `trained_user` of `training` (none when absent or past its rows) merged with
// `online`; a pair in both keeps the larger weight. Columns sorted; online items
// outside [0, cols) are ignored.
SparseRowMatrix fold_in_row(const SparseRowMatrix& training, std::optional<std::uint32_t> trained_user,
                            std::span<const HistoryEntry> online, std::int64_t cols);

// A family setting config["model"][family][key]: the default when absent,
// ConfigError naming "model.<family>.<key>" when it has the wrong type.
const nlohmann::json* family_setting(const nlohmann::json& config, const std::string& family, const std::string& key);
double family_number(const nlohmann::json& config, const std::string& family, const std::string& key,
                     double default_value);
std::int64_t family_integer(const nlohmann::json& config, const std::string& family, const std::string& key,
                            std::int64_t default_value);

// A sparse matrix as three F32 tensors "<prefix>.row_counts" [rows],
// "<prefix>.indices" [nnz] and "<prefix>.values" [nnz]: safetensors here holds
// float32 only, and counts and column indices below 2^24 are exact in it (the
// save throws beyond). load_sparse_tensors rebuilds the matrix with `cols` columns.
void append_sparse_tensors(const SparseRowMatrix& matrix, const std::string& prefix,
                           std::vector<NamedTensor>& tensors);
SparseRowMatrix load_sparse_tensors(const std::vector<NamedTensor>& tensors, const std::string& prefix,
                                    std::int64_t cols, const std::string& file);

// Sets Eigen's own thread count for a scope and restores it (Eigen's setting is
// global). Loops that are already parallel over rows set 1: with a team of one
// thread Eigen would otherwise open a nested parallel region in every product.
// An unset count is restored as unset (0), not as the number it read: a set count
// overrides omp_set_num_threads(1), which the networks rely on inside their own
// parallel regions, and a process that fitted ease before a network (--model
// auto, a Python session) trained the network 40x slower.
class EigenThreadsScope {
 public:
  explicit EigenThreadsScope(int threads)
      : previous_(Eigen::nbThreads() == omp_get_max_threads() ? 0 : Eigen::nbThreads()) {
    Eigen::setNbThreads(threads);
  }
  ~EigenThreadsScope() { Eigen::setNbThreads(previous_); }
  EigenThreadsScope(const EigenThreadsScope&) = delete;
  EigenThreadsScope& operator=(const EigenThreadsScope&) = delete;

 private:
  int previous_;
};

// The tensor called `name`; DataError naming `file` when absent or of another shape.
const NamedTensor& find_tensor(const std::vector<NamedTensor>& tensors, const std::string& name,
                               std::span<const std::int64_t> shape, const std::string& file);

}  // namespace hybridrec
