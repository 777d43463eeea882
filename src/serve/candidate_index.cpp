#include "serve/candidate_index.h"

#include <hnswlib/hnswlib.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "core/atomic_file.h"
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


CandidateIndex::CandidateIndex(const ItemVectors& vectors, const CandidateIndexOptions& options,
                               const std::filesystem::path& cache_file) {
  const auto start = std::chrono::steady_clock::now();
  const RowMatrix item_vectors = vectors.candidate_item_vectors();
  num_items_ = static_cast<std::size_t>(item_vectors.rows());
  const auto n = static_cast<std::size_t>(item_vectors.rows()), dim = static_cast<std::size_t>(item_vectors.cols());
  impl_ = std::make_unique<Impl>(dim);
  if (!cache_file.empty() && std::filesystem::exists(cache_file)) {
    impl_->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(&impl_->space, cache_file.string(), false, n);
    loaded_from_cache_ = impl_->graph->cur_element_count == n;
  }
  if (!loaded_from_cache_) {
    impl_->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(&impl_->space, n, options.m, options.ef_construction);
    RowMatrix augmented(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(dim + 1));
    augmented.leftCols(static_cast<Eigen::Index>(dim)) = item_vectors;
    const Eigen::VectorXf norms2 = item_vectors.rowwise().squaredNorm();
    const float r2 = n ? norms2.maxCoeff() : 0.0f;
    for (Eigen::Index i = 0; i < static_cast<Eigen::Index>(n); ++i)
      augmented(i, static_cast<Eigen::Index>(dim)) = std::sqrt(std::max(r2 - norms2[i], 0.0f));
    // hnswlib allows concurrent addPoint calls (per-node locks).
#pragma omp parallel for num_threads(std::max(1, options.build_threads)) schedule(dynamic, 256)
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(n); ++i)
      impl_->graph->addPoint(augmented.row(i).data(), static_cast<hnswlib::labeltype>(i));
    if (!cache_file.empty()) {
      // A temporary named as every writer's, so one a kill leaves behind is
      // recognised and removed at the next start (serve/service.cpp).
      const auto tmp = temp_path_beside(cache_file).string();
      impl_->graph->saveIndex(tmp);
      std::filesystem::rename(tmp, cache_file);
    }
  }
  impl_->graph->setEf(options.ef_search);
  build_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

CandidateIndex::~CandidateIndex() = default;

std::vector<std::uint32_t> CandidateIndex::search(std::span<const float> query, std::size_t n) const {
  n = std::min(n, num_items_);
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
