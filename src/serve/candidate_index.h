#pragma once
// The approximate candidate stage for large catalogs: an HNSW graph (Debian's
// hnswlib) over a model's candidate item vectors (ItemVectors), queried by inner
// product with the model's candidate query, picks a few hundred candidates that
// the model then re-scores exactly (score_items). For a dot-product family the
// vectors are its item factors; for the network, the item parts of its split
// first layer and a linearised user query (model/neural_family.cpp says why).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "data/features.h"
#include "model/abilities.h"

namespace hybridrec::serve {

struct CandidateIndexOptions {
  std::size_t m = 16;                 // HNSW graph degree
  std::size_t ef_construction = 200;
  std::size_t ef_search = 400;        // raised to the number of candidates asked for
  int build_threads = 2;
};

class CandidateIndex {
 public:
  // Builds the index over vectors.candidate_item_vectors(), or loads it from
  // cache_file when that exists (an index is a pure function of the model's files,
  // and a model folder never changes); writes cache_file after a build if given.
  CandidateIndex(const ItemVectors& vectors, const CandidateIndexOptions& options,
                 const std::filesystem::path& cache_file = {});
  ~CandidateIndex();

  // Up to n item indices, best first by inner product with query.
  std::vector<std::uint32_t> search(std::span<const float> query, std::size_t n) const;
  double build_seconds() const { return build_seconds_; }
  bool loaded_from_cache() const { return loaded_from_cache_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::size_t num_items_ = 0;
  double build_seconds_ = 0;
  bool loaded_from_cache_ = false;
};

}  // namespace hybridrec::serve
