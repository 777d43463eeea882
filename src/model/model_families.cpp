// The one table of model families. Every model-type string of the project lives
// here; everything else asks this table (make_model, model_family) or the model's
// abilities. To add a family: its class in src/model/family_<name>.cpp with a
// make_<name> factory, its declaration below, one row in the table, and its
// settings under model.<name> in configs/default.yaml.
#include "model/model_families.h"

#include "core/error.h"
#include "model/baselines.h"
#include "model/closed_form_families.h"
#include "model/family_routed.h"
#include "model/mf_family.h"
#include "model/neural_family.h"

namespace hybridrec {

namespace {

// NeuMF (He et al. 2017): the ncf layout with the GMF branch on, as wide as the id
// embeddings unless model.gmf_dim says otherwise.
std::unique_ptr<Recommender> make_neumf(const nlohmann::json& config) {
  nlohmann::json c = config;
  auto& model = c["model"];
  if (model.value("gmf_dim", 0) == 0) model["gmf_dim"] = model.value("embedding_dim", 50);
  return std::make_unique<NeuralRecommender>("neumf", "ncf", c);
}

std::vector<ModelFamily> build_table() {
  const auto no_grid = [](const nlohmann::json&, const Dataset&) { return std::vector<nlohmann::json>{}; };
  std::vector<ModelFamily> table;
  table.push_back({"hybrid", "neural network over id embeddings and user/item content features (serves new users)",
                   false, [](const nlohmann::json& c) { return std::make_unique<NeuralRecommender>("hybrid", "hybrid", c); },
                   no_grid});
  table.push_back({"ncf", "neural collaborative filtering: id embeddings through an MLP", false,
                   [](const nlohmann::json& c) { return std::make_unique<NeuralRecommender>("ncf", "ncf", c); }, no_grid});
  table.push_back({"neumf", "NeuMF: ncf's MLP fused with a GMF (element-wise product) branch", false, make_neumf,
                   no_grid});
  table.push_back({"ease", "EASE: closed-form item-item ridge regression (dense item x item matrix)", false,
                   make_ease, ease_grid});
  table.push_back({"ials", "implicit ALS: weighted matrix factorisation solved by alternating least squares", false,
                   make_ials, ials_grid});
  table.push_back({"mf", "matrix factorisation trained with BPR (dot product plus item bias)", false, make_mf,
                   mf_grid});
  table.push_back({"itemknn", "item-item cosine k-nearest neighbours", false, make_itemknn, itemknn_grid});
  table.push_back({"routed", "two families as one model: one for users with history, one for new users (--model auto)",
                   false, [](const nlohmann::json& c) { return std::make_unique<RoutedRecommender>(c); }, no_grid});
  table.push_back({"popularity", "the most popular items for everyone (weighted event counts)", true,
                   [](const nlohmann::json&) { return std::make_unique<PopularityBaseline>(); }, no_grid});
  table.push_back({"category", "popular items from the user's favourite categories", true,
                   [](const nlohmann::json&) { return std::make_unique<CategoryBaseline>(); }, no_grid});
  table.push_back({"random", "uniform random scores (a control)", true,
                   [](const nlohmann::json&) { return std::make_unique<RandomBaseline>(); }, no_grid});
  return table;
}

}  // namespace

const std::vector<ModelFamily>& model_families() {
  static const std::vector<ModelFamily> table = build_table();
  return table;
}

const ModelFamily& model_family(const std::string& name) {
  for (const auto& family : model_families())
    if (family.name == name) return family;
  std::string known;
  for (const auto& family : model_families()) known += (known.empty() ? "" : ", ") + family.name;
  throw ConfigError("unknown model family '" + name + "' (known: " + known + ")");
}

std::unique_ptr<Recommender> make_model(const std::string& name, const nlohmann::json& config) {
  return model_family(name).create(config);
}

std::vector<std::string> model_family_names(bool include_baselines) {
  std::vector<std::string> names;
  for (const auto& family : model_families())
    if (include_baselines || !family.baseline) names.push_back(family.name);
  return names;
}

}  // namespace hybridrec
