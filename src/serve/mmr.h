#pragma once
// Diversity re-ranking by Maximal Marginal Relevance (Carbonell & Goldstein 1998):
// pick, one at a time, the candidate maximising
//   (1 - diversity) * relevance(i) - diversity * max_{j picked} similarity(i, j)
// where relevance is the model score min-max scaled over the candidates (so the
// weight means the same for every model) and similarity is the cosine of the
// learned item embeddings (ItemVectors) or a family's learned item-item
// similarity (ItemSimilarity). diversity 0 keeps the model's order exactly.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "data/features.h"
#include "model/recommender.h"

namespace hybridrec::serve {

// Symmetric; larger is more similar.
using ItemSimilarityFn = std::function<float(std::uint32_t, std::uint32_t)>;

std::vector<ScoredItem> mmr_rerank(std::span<const ScoredItem> candidates, std::size_t k, double diversity,
                                   const ItemSimilarityFn& similarity);
// unit_embeddings: one L2-normalised row per item index (similarity = cosine).
std::vector<ScoredItem> mmr_rerank(std::span<const ScoredItem> candidates, std::size_t k, double diversity,
                                   const RowMatrix& unit_embeddings);
// The cosine of two rows of unit_embeddings (which must outlive the function).
ItemSimilarityFn cosine_similarity(const RowMatrix& unit_embeddings);

// Mean pairwise cosine of a list (intra-list similarity; lower = more diverse).
double intra_list_similarity(std::span<const ScoredItem> items, const RowMatrix& unit_embeddings);

// Rows scaled to unit length (zero rows stay zero).
RowMatrix normalise_rows(const RowMatrix& m);

}  // namespace hybridrec::serve
