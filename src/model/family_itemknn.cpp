#include "model/family_itemknn.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "model/closed_form_families.h"
#include "model/safetensors.h"

namespace hybridrec {
namespace {

constexpr const char* kFamily = "itemknn";
constexpr int kDefaultNeighbors = 100;  // neighbors: auto without a grid
constexpr int kNeighborGrid[] = {20, 50, 100, 200};

struct Neighbor {
  std::uint32_t item;
  float similarity;
};

}  // namespace

ItemKnnRecommender::ItemKnnRecommender(const nlohmann::json& config) {
  const nlohmann::json* k = family_setting(config, kFamily, "neighbors");
  if (k && !(k->is_string() && k->get<std::string>() == "auto")) {
    if (!k->is_number_integer() || k->get<std::int64_t>() < 1)
      throw ConfigError("model.itemknn.neighbors must be auto or a positive integer (got " + k->dump() + ")");
    neighbor_count_ = static_cast<int>(std::min<std::int64_t>(k->get<std::int64_t>(), 1 << 30));
  } else {
    neighbor_count_ = kDefaultNeighbors;
  }
  shrinkage_ = family_number(config, kFamily, "shrinkage", 0.0);
  if (shrinkage_ < 0) throw ConfigError("model.itemknn.shrinkage must be >= 0");
}

void ItemKnnRecommender::fit(const TrainingContext& context) {
  threads_ = std::max(1, context.threads);
  history_ = training_matrix(context, kFamily);
  const SparseRowMatrix by_item = transpose_rows(history_);
  const auto n = static_cast<std::int64_t>(context.dataset->num_items());
  std::vector<double> norm(n, 0.0);
  for (std::int64_t a = 0; a < n; ++a) {
    for (SparseRowMatrix::InnerIterator it(by_item, a); it; ++it) norm[a] += double(it.value()) * it.value();
    norm[a] = std::sqrt(norm[a]);
  }

  // Row a of X^T X through a dense accumulator per thread; every row is built by
  // one thread in a fixed order, so W does not depend on the thread count.
  std::vector<std::vector<Neighbor>> kept(n);
#pragma omp parallel num_threads(threads_)
  {
    std::vector<double> dot(n, 0.0);
    std::vector<std::uint32_t> touched;
    std::vector<Neighbor> candidates;
#pragma omp for schedule(dynamic, 16)
    for (std::int64_t a = 0; a < n; ++a) {
      touched.clear();
      for (SparseRowMatrix::InnerIterator ua(by_item, a); ua; ++ua)
        for (SparseRowMatrix::InnerIterator ub(history_, ua.col()); ub; ++ub) {
          if (ub.col() == a) continue;
          if (dot[ub.col()] == 0.0) touched.push_back(static_cast<std::uint32_t>(ub.col()));
          dot[ub.col()] += double(ua.value()) * ub.value();
        }
      candidates.clear();
      for (std::uint32_t b : touched) {
        const double denominator = norm[a] * norm[b] + shrinkage_;
        if (dot[b] > 0.0 && denominator > 0.0) candidates.push_back({b, static_cast<float>(dot[b] / denominator)});
        dot[b] = 0.0;
      }
      // The k most similar (ties to the lower index), then by index for lookups.
      auto more_similar = [](const Neighbor& x, const Neighbor& y) {
        return x.similarity > y.similarity || (x.similarity == y.similarity && x.item < y.item);
      };
      const std::size_t keep = std::min<std::size_t>(candidates.size(), static_cast<std::size_t>(neighbor_count_));
      std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(), more_similar);
      candidates.resize(keep);
      std::sort(candidates.begin(), candidates.end(), [](const Neighbor& x, const Neighbor& y) { return x.item < y.item; });
      kept[a] = candidates;
    }
  }
  neighbors_ = SparseRowMatrix(n, n);
  Eigen::VectorX<std::int64_t> per_row(n);
  for (std::int64_t a = 0; a < n; ++a) per_row[a] = static_cast<std::int64_t>(kept[a].size());
  neighbors_.reserve(per_row);
  for (std::int64_t a = 0; a < n; ++a)
    for (const auto& nb : kept[a]) neighbors_.insert(a, nb.item) = nb.similarity;
  neighbors_.makeCompressed();
}

float ItemKnnRecommender::weight(std::int64_t source, std::uint32_t target) const {
  const auto begin = neighbors_.outerIndexPtr()[source], end = neighbors_.outerIndexPtr()[source + 1];
  const std::int64_t* indices = neighbors_.innerIndexPtr();
  const std::int64_t* found = std::lower_bound(indices + begin, indices + end, static_cast<std::int64_t>(target));
  return found != indices + end && *found == target ? neighbors_.valuePtr()[found - indices] : 0.0f;
}

void ItemKnnRecommender::score_history(const SparseRowMatrix& history_row, float* out) const {
  std::fill(out, out + neighbors_.cols(), 0.0f);
  // Accumulated in history order with fma, the order score_pairs sums in.
  for (SparseRowMatrix::InnerIterator it(history_row, 0); it; ++it)
    for (SparseRowMatrix::InnerIterator nb(neighbors_, it.col()); nb; ++nb)
      out[nb.col()] = std::fma(it.value(), nb.value(), out[nb.col()]);
}

void ItemKnnRecommender::score_folded_in(std::optional<std::uint32_t> trained_user, std::span<const HistoryEntry> online,
                                   float* out_all_items) const {
  score_history(fold_in_row(history_, trained_user, online, static_cast<std::int64_t>(num_items())), out_all_items);
}

void ItemKnnRecommender::score_all(std::span<const std::uint32_t> users, float* out) const {
  const auto n = static_cast<std::size_t>(neighbors_.cols());
#pragma omp parallel for schedule(dynamic, 8) num_threads(threads_)
  for (std::size_t k = 0; k < users.size(); ++k) {
    float* row_out = out + k * n;
    std::fill(row_out, row_out + n, 0.0f);
    if (users[k] >= history_.rows()) continue;  // unknown to training: zeros
    for (SparseRowMatrix::InnerIterator it(history_, users[k]); it; ++it)
      for (SparseRowMatrix::InnerIterator nb(neighbors_, it.col()); nb; ++nb)
        row_out[nb.col()] = std::fma(it.value(), nb.value(), row_out[nb.col()]);
  }
}

void ItemKnnRecommender::score_pairs(std::span<const std::uint32_t> users, std::span<const std::uint32_t> items,
                                     float* out) const {
  for (std::size_t k = 0; k < items.size(); ++k) {
    float score = 0.0f;
    if (users[k] < history_.rows())
      for (SparseRowMatrix::InnerIterator it(history_, users[k]); it; ++it) {
        const float w = weight(it.col(), items[k]);
        if (w != 0.0f) score = std::fma(it.value(), w, score);
      }
    out[k] = score;
  }
}

float ItemKnnRecommender::item_similarity(std::uint32_t a, std::uint32_t b) const {
  return std::max(weight(a, b), weight(b, a));
}

void ItemKnnRecommender::save(const std::filesystem::path& dir) const {
  std::vector<NamedTensor> tensors;
  append_sparse_tensors(neighbors_, "neighbors", tensors);
  append_sparse_tensors(history_, "history", tensors);
  save_safetensors(dir / "model.safetensors", tensors,
                   {{"family", kFamily}, {"neighbors", std::to_string(neighbor_count_)},
                    {"num_items", std::to_string(neighbors_.cols())}});
}

void ItemKnnRecommender::load(const std::filesystem::path& dir, const LoadContext& context) {
  const auto file = dir / "model.safetensors";
  std::map<std::string, std::string> metadata;
  const auto tensors = load_safetensors(file, &metadata);
  if (!metadata.count("num_items")) throw DataError(file.string(), 0, "__metadata__.num_items", "missing");
  const std::int64_t n = std::stoll(metadata["num_items"]);
  if (context.num_items && static_cast<std::int64_t>(context.num_items) != n)
    throw DataError(file.string(), 0, "num_items", std::to_string(n) + " items, the bundle has " + std::to_string(context.num_items));
  neighbors_ = load_sparse_tensors(tensors, "neighbors", n, file.string());
  if (neighbors_.rows() != n) throw DataError(file.string(), 0, "neighbors.row_counts", "not one row per item");
  history_ = load_sparse_tensors(tensors, "history", n, file.string());
  if (metadata.count("neighbors")) neighbor_count_ = std::stoi(metadata["neighbors"]);
}

std::unique_ptr<Recommender> make_itemknn(const nlohmann::json& config) {
  return std::make_unique<ItemKnnRecommender>(config);
}

std::vector<nlohmann::json> itemknn_grid(const nlohmann::json& config, const Dataset& dataset) {
  const nlohmann::json* k = family_setting(config, kFamily, "neighbors");
  if (k && k->is_number()) return {};  // a fixed k: one fit
  std::vector<nlohmann::json> grid;
  // Values past the catalogue size all mean "every co-occurring item": keep one.
  for (int value : kNeighborGrid) {
    grid.push_back({{"model", {{kFamily, {{"neighbors", value}}}}}});
    if (static_cast<std::size_t>(value) + 1 >= dataset.num_items()) break;
  }
  return grid;
}

}  // namespace hybridrec
