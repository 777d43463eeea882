#pragma once
// What serving needs to know about items beyond their scores: MMR's item
// similarity (the cosine of L2-normalised item embeddings when the model has
// ItemVectors, else its learned ItemSimilarity) and category membership (the
// `category` filter), both derived once from a loaded model.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/features.h"
#include "serve/mmr.h"
#include "train/model_bundle.h"

namespace hybridrec::serve {

struct ItemCatalog {
  RowMatrix unit_embeddings;  // [items, dim]; empty without ItemVectors
  // category name -> membership per item index; empty when the model folder has
  // no item categories (no features.safetensors, or none among the item features).
  std::map<std::string, std::vector<bool>> categories;

  static ItemCatalog from(const ModelBundle& bundle);
  // MMR's similarity: cosine of unit_embeddings, else the model's ItemSimilarity,
  // else empty (MMR off). `bundle` and this catalog must outlive it.
  ItemSimilarityFn similarity(const ModelBundle& bundle) const;
};

}  // namespace hybridrec::serve
