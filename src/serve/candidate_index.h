#pragma once
// The approximate candidate stage for large catalogs: an HNSW graph (Debian's
// hnswlib) over each item's part of the split first layer, queried by inner
// product, picks a few hundred candidates that the exact network then re-scores.
//
// Why these vectors: the network scores an item as f(u + v_i), u the user's part
// and v_i the item's part of the first fused Linear, f the rest of the MLP. To
// first order around points the user cares about, f(u + v_i) ~ const + g_u . v_i
// where g_u is the gradient of the logit with respect to the first-layer
// pre-activation, averaged over reference items (the user's own training items
// plus the most popular ones). Ranking by g_u . v_i is then a maximum inner
// product search over the fixed v_i, which HNSW answers in well under a
// millisecond; the exact re-scoring of the candidates removes the
// approximation's error from the final order. (Plain user/item id embeddings are
// not trained for dot products in an MLP model and miss the content branch.)
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "data/features.h"
#include "model/network.h"

namespace hybridrec::serve {

struct CandidateIndexOptions {
  std::size_t m = 16;                 // HNSW graph degree
  std::size_t ef_construction = 200;
  std::size_t ef_search = 400;        // raised to the number of candidates asked for
  int build_threads = 2;
};

class CandidateIndex {
 public:
  // Builds the index over network.first_layer_item_parts(), or loads it from
  // cache_file when that exists (an index is a pure function of the model's files,
  // and a model folder never changes); writes cache_file after a build if given.
  CandidateIndex(const Network& network, const CandidateIndexOptions& options,
                 const std::filesystem::path& cache_file = {});
  ~CandidateIndex();

  // The linearised query for a user part given the reference items' indices.
  std::vector<float> query_vector(std::span<const float> user_part, std::span<const std::uint32_t> reference_items) const;
  // Up to n item indices, best first by inner product with query.
  std::vector<std::uint32_t> search(std::span<const float> query, std::size_t n) const;
  double build_seconds() const { return build_seconds_; }
  bool loaded_from_cache() const { return loaded_from_cache_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  RowMatrix item_parts_;                  // [items, h1]
  std::vector<RowMatrix> hidden_weights_;  // MLP layers after the first: [out, in]
  std::vector<std::vector<float>> hidden_biases_;
  std::vector<float> output_weight_;      // [h_last]
  double build_seconds_ = 0;
  bool loaded_from_cache_ = false;
};

}  // namespace hybridrec::serve
