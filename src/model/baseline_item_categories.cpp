#include <algorithm>

#include "model/baselines.h"

namespace hybridrec {

std::vector<std::vector<std::int32_t>> item_category_sets(const Dataset& dataset) {
  // "category" is the e-commerce attribute; MovieLens has only genres.
  const AttributeColumn* column = dataset.item_attributes.find("category");
  if (!column || !column->is_categorical()) column = dataset.item_attributes.find("genre");
  if (!column || !column->is_categorical()) return {};

  std::vector<std::vector<std::int32_t>> sets(dataset.num_items());
  for (std::size_t item = 0; item < sets.size(); ++item) {
    auto& set = sets[item];
    if (column->is_multi() && item < column->multi.size()) {
      set = column->multi[item];
    } else if (item < column->codes.size() && column->codes[item] >= 0) {
      set.push_back(column->codes[item]);
    }
    // Sorted and unique: Jaccard distance and share lookups rely on it.
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    set.erase(std::remove_if(set.begin(), set.end(), [](std::int32_t c) { return c < 0; }), set.end());
  }
  return sets;
}

}  // namespace hybridrec
