#include "serve/candidate_index.h"

#include <hnswlib/hnswlib.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <string>

#include "core/error.h"

namespace hybridrec::serve {

// Maximum inner product search through a nearest-neighbour graph: each item
// vector v gets one more coordinate sqrt(R^2 - |v|^2) (R the largest norm), the
// query q a 0 there, so |q' - v'|^2 = |q|^2 + R^2 - 2 q.v and the L2-nearest items
// are exactly the largest inner products (Bachrach et al. 2014). Searching the raw
// inner product instead builds a poor graph when item norms differ: long vectors
// look close to everything.
struct CandidateIndex::Impl {
  explicit Impl(std::size_t dim) : dim(dim), space(dim + 1) {}
  std::size_t dim;
  hnswlib::L2Space space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
};

namespace {
// "mlp.<index>.weight" tensors in layer order.
std::map<int, const NamedTensor*> mlp_tensors(const std::vector<NamedTensor>& state, const std::string& suffix) {
  std::map<int, const NamedTensor*> out;
  for (const auto& t : state) {
    if (t.name.rfind("mlp.", 0) != 0 || t.name.size() <= suffix.size() ||
        t.name.compare(t.name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    out[std::stoi(t.name.substr(4))] = &t;
  }
  return out;
}
}  // namespace

CandidateIndex::CandidateIndex(const Network& network, const CandidateIndexOptions& options,
                               const std::filesystem::path& cache_file) {
  const auto start = std::chrono::steady_clock::now();
  item_parts_ = network.first_layer_item_parts();
  const auto state = network.state_dict();
  auto weights = mlp_tensors(state, ".weight"), biases = mlp_tensors(state, ".bias");
  if (weights.size() < 2) throw Error("candidate index: the network has no MLP layers after the first");
  std::vector<const NamedTensor*> w, b;
  for (auto& [i, t] : weights) w.push_back(t);
  for (auto& [i, t] : biases) b.push_back(t);
  for (std::size_t l = 1; l + 1 < w.size(); ++l) {
    hidden_weights_.push_back(Eigen::Map<const RowMatrix>(w[l]->data.data(), w[l]->shape[0], w[l]->shape[1]));
    hidden_biases_.push_back(b[l]->data);
  }
  // The output Linear of a network with the GMF branch reads [h_last | gmf]; the
  // MLP's share is its first h_last weights (the GMF share is linear in the item
  // and already folded into the tail of every user part).
  const auto h_last = static_cast<std::ptrdiff_t>(w[w.size() - 2]->shape[0]);
  output_weight_.assign(w.back()->data.begin(), w.back()->data.begin() + h_last);

  const auto n = static_cast<std::size_t>(item_parts_.rows()), dim = static_cast<std::size_t>(item_parts_.cols());
  impl_ = std::make_unique<Impl>(dim);
  if (!cache_file.empty() && std::filesystem::exists(cache_file)) {
    impl_->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(&impl_->space, cache_file.string(), false, n);
    loaded_from_cache_ = impl_->graph->cur_element_count == n;
  }
  if (!loaded_from_cache_) {
    impl_->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(&impl_->space, n, options.m, options.ef_construction);
    RowMatrix augmented(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(dim + 1));
    augmented.leftCols(static_cast<Eigen::Index>(dim)) = item_parts_;
    const Eigen::VectorXf norms2 = item_parts_.rowwise().squaredNorm();
    const float r2 = n ? norms2.maxCoeff() : 0.0f;
    for (Eigen::Index i = 0; i < static_cast<Eigen::Index>(n); ++i)
      augmented(i, static_cast<Eigen::Index>(dim)) = std::sqrt(std::max(r2 - norms2[i], 0.0f));
    // hnswlib allows concurrent addPoint calls (per-node locks).
#pragma omp parallel for num_threads(std::max(1, options.build_threads)) schedule(dynamic, 256)
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(n); ++i)
      impl_->graph->addPoint(augmented.row(i).data(), static_cast<hnswlib::labeltype>(i));
    if (!cache_file.empty()) {
      const auto tmp = cache_file.string() + ".tmp";
      impl_->graph->saveIndex(tmp);
      std::filesystem::rename(tmp, cache_file);
    }
  }
  impl_->graph->setEf(options.ef_search);
  build_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

CandidateIndex::~CandidateIndex() = default;

std::vector<float> CandidateIndex::query_vector(std::span<const float> user_part,
                                                std::span<const std::uint32_t> reference_items) const {
  // item_parts_ rows are [first-layer part (h1) | GMF row (G, if any)]; only the
  // first h1 columns go through the MLP, the GMF tail of the query is exact.
  const auto h1 = hidden_weights_.empty() ? static_cast<Eigen::Index>(output_weight_.size()) : hidden_weights_[0].cols();
  const auto r = static_cast<Eigen::Index>(reference_items.size());
  if (r == 0) return std::vector<float>(user_part.begin(), user_part.end());
  // Forward through the MLP for every reference point z = u + v_ref, keeping the
  // activations, then back-propagate d logit / d z and average.
  std::vector<RowMatrix> acts;
  RowMatrix z(r, h1);
  for (Eigen::Index i = 0; i < r; ++i)
    for (Eigen::Index j = 0; j < h1; ++j)
      z(i, j) = item_parts_(static_cast<Eigen::Index>(reference_items[static_cast<std::size_t>(i)]), j) + user_part[static_cast<std::size_t>(j)];
  acts.push_back(z.cwiseMax(0.0f));
  for (std::size_t l = 0; l < hidden_weights_.size(); ++l) {
    RowMatrix next = acts.back() * hidden_weights_[l].transpose();
    for (Eigen::Index i = 0; i < r; ++i)
      for (Eigen::Index j = 0; j < next.cols(); ++j) next(i, j) = std::max(next(i, j) + hidden_biases_[l][static_cast<std::size_t>(j)], 0.0f);
    acts.push_back(std::move(next));
  }
  RowMatrix grad(r, static_cast<Eigen::Index>(output_weight_.size()));
  for (Eigen::Index i = 0; i < r; ++i) grad.row(i) = Eigen::Map<const Eigen::RowVectorXf>(output_weight_.data(), grad.cols());
  for (std::size_t l = hidden_weights_.size() + 1; l-- > 0;) {
    grad = grad.cwiseProduct((acts[l].array() > 0.0f).cast<float>().matrix());  // ReLU of layer l
    if (l > 0) grad = grad * hidden_weights_[l - 1];
  }
  Eigen::RowVectorXf mean = grad.colwise().mean();
  std::vector<float> query(mean.data(), mean.data() + mean.size());
  query.insert(query.end(), user_part.begin() + h1, user_part.end());
  return query;
}

std::vector<std::uint32_t> CandidateIndex::search(std::span<const float> query, std::size_t n) const {
  n = std::min<std::size_t>(n, static_cast<std::size_t>(item_parts_.rows()));
  std::vector<float> augmented(query.begin(), query.end());
  augmented.resize(impl_->dim + 1, 0.0f);
  auto result = impl_->graph->searchKnn(augmented.data(), n);  // farthest first
  std::vector<std::uint32_t> out(result.size());
  for (std::size_t i = result.size(); i-- > 0;) {
    out[i] = static_cast<std::uint32_t>(result.top().second);
    result.pop();
  }
  return out;
}

}  // namespace hybridrec::serve
