#include "serve/item_catalog.h"

#include "model/abilities.h"
#include "serve/mmr.h"

namespace hybridrec::serve {

namespace {

// The vocabulary of the item category column from feature_stats.json.
std::vector<std::string> category_vocabulary(const nlohmann::json& stats, const std::string& column) {
  for (const auto& a : stats.at("items").at("attributes"))
    if (a.value("name", "") == column && a.contains("vocabulary")) return a["vocabulary"].get<std::vector<std::string>>();
  return {};
}

void add_categories(const ModelBundle& bundle, ItemCatalog& catalog) {
  if (!bundle.feature_builder) return;
  const auto stats = bundle.feature_builder->to_json();
  const std::string column = stats.at("items").value("category_column", "");
  const EntityFeatures& f = bundle.features.items;
  const std::size_t n = bundle.items.size();
  if (column.empty() || f.size() != n) return;
  // One-hot / multi-hot columns are named "<column>=<value>" in the dense block.
  const std::string prefix = column + "=";
  for (std::size_t j = 0; j < f.dense_names.size(); ++j) {
    const auto& name = f.dense_names[j];
    if (name.rfind(prefix, 0) != 0 || name == prefix + "unknown") continue;
    auto& members = catalog.categories[name.substr(prefix.size())];
    members.assign(n, false);
    for (std::size_t i = 0; i < n; ++i) members[i] = f.dense(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) > 0.0f;  // multi-hot rows hold 1/n
  }
  if (!catalog.categories.empty()) return;
  // Embedded columns hold a code: 0 unknown, c -> vocabulary[c - 1].
  const auto vocabulary = category_vocabulary(stats, column);
  for (std::size_t field = 0; field < f.categorical_names.size(); ++field) {
    if (f.categorical_names[field] != column) continue;
    for (const auto& value : vocabulary) catalog.categories[value].assign(n, false);
    for (std::size_t i = 0; i < n; ++i) {
      // A multi-valued field (a bag) puts the item in every one of its categories.
      const bool bag = f.is_bag(field);
      const std::int32_t* codes = bag ? f.bag_codes[field].data() + f.bag_offsets[field][i] : &f.categorical[field][i];
      const std::size_t count = bag ? f.bag_offsets[field][i + 1] - f.bag_offsets[field][i] : 1;
      for (std::size_t k = 0; k < count; ++k)
        if (codes[k] > 0 && static_cast<std::size_t>(codes[k]) <= vocabulary.size())
          catalog.categories[vocabulary[static_cast<std::size_t>(codes[k] - 1)]][i] = true;
    }
  }
}

}  // namespace

ItemCatalog ItemCatalog::from(const ModelBundle& bundle) {
  ItemCatalog catalog;
  if (const ItemVectors* vectors = bundle.recommender->item_vectors())
    catalog.unit_embeddings = normalise_rows(vectors->item_embeddings());
  add_categories(bundle, catalog);
  return catalog;
}

ItemSimilarityFn ItemCatalog::similarity(const ModelBundle& bundle) const {
  if (unit_embeddings.rows() > 0) return cosine_similarity(unit_embeddings);
  if (const ItemSimilarity* learned = bundle.recommender->item_similarity())
    return [learned](std::uint32_t a, std::uint32_t b) { return learned->item_similarity(a, b); };
  return {};
}

}  // namespace hybridrec::serve
