#include "model/interaction_matrix.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "data/positives.h"

namespace hybridrec {

SparseRowMatrix build_interaction_matrix(const Dataset& dataset, const Split& split,
                                         const PositiveWeighting& weighting) {
  // by_sampling = false: the decay scales the value (a closed form has no epochs to sample in).
  const std::vector<Positive> positives =
      collect_positives(dataset, split, weighting.event_weights,
                        resolved_half_life_days(weighting, dataset, split), false);
  std::vector<Eigen::Triplet<float, std::int64_t>> triplets;
  triplets.reserve(positives.size());
  for (const auto& p : positives) triplets.emplace_back(p.user, p.item, p.weight);
  SparseRowMatrix matrix(static_cast<std::int64_t>(dataset.num_users()),
                         static_cast<std::int64_t>(dataset.num_items()));
  matrix.setFromTriplets(triplets.begin(), triplets.end());  // one positive per pair: nothing to sum
  matrix.makeCompressed();
  return matrix;
}

SparseRowMatrix training_matrix(const TrainingContext& context, const std::string& family) {
  if (context.shards)
    throw ConfigError(family + " fits on the whole dataset in one process: run it without user sharding "
                      "(distributed.shard_data: false)");
  return build_interaction_matrix(*context.dataset, *context.split, PositiveWeighting::from_config(context.config));
}

SparseRowMatrix transpose_rows(const SparseRowMatrix& matrix) {
  SparseRowMatrix t = matrix.transpose();  // Eigen sorts the indices of each row on conversion
  t.makeCompressed();
  return t;
}

const nlohmann::json* family_setting(const nlohmann::json& config, const std::string& family, const std::string& key) {
  if (!config.contains("model") || !config["model"].is_object()) return nullptr;
  const auto& model = config["model"];
  if (!model.contains(family)) return nullptr;
  const auto& section = model[family];
  if (!section.is_object()) throw ConfigError("model." + family + " must be a mapping of settings");
  if (!section.contains(key) || section[key].is_null()) return nullptr;
  return &section[key];
}

double family_number(const nlohmann::json& config, const std::string& family, const std::string& key,
                     double default_value) {
  const nlohmann::json* v = family_setting(config, family, key);
  if (!v) return default_value;
  if (!v->is_number()) throw ConfigError("model." + family + "." + key + " must be a number (got " + v->dump() + ")");
  const double x = v->get<double>();
  if (!std::isfinite(x)) throw ConfigError("model." + family + "." + key + " must be finite");
  return x;
}

std::int64_t family_integer(const nlohmann::json& config, const std::string& family, const std::string& key,
                            std::int64_t default_value) {
  const nlohmann::json* v = family_setting(config, family, key);
  if (!v) return default_value;
  if (!v->is_number_integer())
    throw ConfigError("model." + family + "." + key + " must be an integer (got " + v->dump() + ")");
  return v->get<std::int64_t>();
}

void append_sparse_tensors(const SparseRowMatrix& matrix, const std::string& prefix,
                           std::vector<NamedTensor>& tensors) {
  constexpr std::int64_t kExactFloat = std::int64_t{1} << 24;
  if (matrix.cols() > kExactFloat)
    throw Error("cannot save " + prefix + ": " + std::to_string(matrix.cols()) +
                " columns exceed the 2^24 that float32 index tensors hold exactly");
  NamedTensor counts{prefix + ".row_counts", {matrix.rows()}, {}};
  NamedTensor indices{prefix + ".indices", {matrix.nonZeros()}, {}};
  NamedTensor values{prefix + ".values", {matrix.nonZeros()}, {}};
  counts.data.reserve(matrix.rows());
  indices.data.reserve(matrix.nonZeros());
  values.data.reserve(matrix.nonZeros());
  for (std::int64_t r = 0; r < matrix.outerSize(); ++r) {
    std::int64_t n = 0;
    for (SparseRowMatrix::InnerIterator it(matrix, r); it; ++it, ++n) {
      indices.data.push_back(static_cast<float>(it.col()));
      values.data.push_back(it.value());
    }
    if (n >= kExactFloat) throw Error("cannot save " + prefix + ": a row holds 2^24 entries or more");
    counts.data.push_back(static_cast<float>(n));
  }
  tensors.push_back(std::move(counts));
  tensors.push_back(std::move(indices));
  tensors.push_back(std::move(values));
}

const NamedTensor& find_tensor(const std::vector<NamedTensor>& tensors, const std::string& name,
                               std::span<const std::int64_t> shape, const std::string& file) {
  for (const auto& t : tensors) {
    if (t.name != name) continue;
    if (!std::equal(t.shape.begin(), t.shape.end(), shape.begin(), shape.end())) {
      std::string want, got;
      for (auto s : shape) want += (want.empty() ? "" : ",") + std::to_string(s);
      for (auto s : t.shape) got += (got.empty() ? "" : ",") + std::to_string(s);
      throw DataError(file, 0, name, "shape [" + got + "], expected [" + want + "]");
    }
    return t;
  }
  throw DataError(file, 0, name, "tensor missing");
}

SparseRowMatrix load_sparse_tensors(const std::vector<NamedTensor>& tensors, const std::string& prefix,
                                    std::int64_t cols, const std::string& file) {
  const NamedTensor* counts = nullptr;
  for (const auto& t : tensors)
    if (t.name == prefix + ".row_counts") counts = &t;
  if (!counts || counts->shape.size() != 1) throw DataError(file, 0, prefix + ".row_counts", "tensor missing");
  const std::int64_t rows = counts->shape[0];
  std::int64_t nnz = 0;
  for (float c : counts->data) nnz += static_cast<std::int64_t>(c);
  const std::int64_t nnz_shape[1] = {nnz};
  const auto& indices = find_tensor(tensors, prefix + ".indices", nnz_shape, file);
  const auto& values = find_tensor(tensors, prefix + ".values", nnz_shape, file);
  SparseRowMatrix matrix(rows, cols);
  Eigen::VectorX<std::int64_t> per_row(rows);
  for (std::int64_t r = 0; r < rows; ++r) per_row[r] = static_cast<std::int64_t>(counts->data[r]);
  matrix.reserve(per_row);
  std::int64_t k = 0;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t n = 0; n < per_row[r]; ++n, ++k) {
      const auto c = static_cast<std::int64_t>(indices.data[k]);
      if (c < 0 || c >= cols) throw DataError(file, 0, prefix + ".indices", "column index out of range");
      matrix.insert(r, c) = values.data[k];
    }
  matrix.makeCompressed();
  return matrix;
}

SparseRowMatrix fold_in_row(const SparseRowMatrix& training, std::optional<std::uint32_t> trained_user,
                            std::span<const HistoryEntry> online, std::int64_t cols) {
  std::vector<std::pair<std::int64_t, float>> entries;
  if (trained_user && static_cast<std::int64_t>(*trained_user) < training.rows())
    for (SparseRowMatrix::InnerIterator it(training, *trained_user); it; ++it) entries.emplace_back(it.col(), it.value());
  for (const auto& e : online)
    if (static_cast<std::int64_t>(e.item) < cols) entries.emplace_back(e.item, e.weight);
  std::sort(entries.begin(), entries.end());
  SparseRowMatrix row(1, cols);
  row.reserve(static_cast<std::int64_t>(entries.size()));
  for (std::size_t k = 0; k < entries.size(); ++k) {
    // Sorted by (column, weight): the last of a run of one column holds the largest weight.
    if (k + 1 < entries.size() && entries[k + 1].first == entries[k].first) continue;
    row.insert(0, entries[k].first) = entries[k].second;
  }
  row.makeCompressed();
  return row;
}

}  // namespace hybridrec
