#pragma once
// What serving needs to know about items beyond their scores: L2-normalised
// learned item embeddings (MMR's cosine similarity) and category membership (the
// `category` filter), both derived once from a loaded model.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/features.h"
#include "train/model_bundle.h"

namespace hybridrec::serve {

struct ItemCatalog {
  RowMatrix unit_embeddings;  // [items, dim]; empty for baselines (no embeddings: MMR is off)
  // category name -> membership per item index; empty when the model has no item
  // categories (ncf and baselines carry no item features).
  std::map<std::string, std::vector<bool>> categories;

  static ItemCatalog from(const ModelBundle& bundle);
};

}  // namespace hybridrec::serve
