#include "train/model_bundle.h"

#include <algorithm>
#include <numeric>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/negative_sampling.h"
#include "data/readers.h"
#include "model/abilities.h"
#include "model/model_families.h"
#include "model/safetensors.h"
#include "train/training_behaviour_file.h"

namespace hybridrec {

namespace {

NamedTensor matrix_tensor(const std::string& name, const RowMatrix& m) {
  NamedTensor t{name, {m.rows(), m.cols()}, {}};
  t.data.assign(m.data(), m.data() + m.size());
  return t;
}

NamedTensor codes_tensor(const std::string& name, const EntityFeatures& f) {
  const auto n = static_cast<std::int64_t>(f.size());
  const auto c = static_cast<std::int64_t>(f.num_categorical());
  NamedTensor t{name, {n, c}, std::vector<float>(static_cast<std::size_t>(n * c))};
  for (std::int64_t j = 0; j < c; ++j)
    for (std::int64_t i = 0; i < n; ++i) t.data[i * c + j] = static_cast<float>(f.categorical[j][i]);
  return t;
}

// The bag fields' codes (EntityFeatures::bag_offsets), two tensors per field:
// "<prefix>_bag.<field>.offsets" and ".codes" (exact in float below 2^24).
void append_bag_tensors(std::vector<NamedTensor>& out, const std::string& prefix, const EntityFeatures& f) {
  for (std::size_t j = 0; j < f.num_categorical(); ++j) {
    if (!f.is_bag(j)) continue;
    const std::string name = prefix + "_bag." + std::to_string(j);
    out.push_back({name + ".offsets", {static_cast<std::int64_t>(f.bag_offsets[j].size())},
                   std::vector<float>(f.bag_offsets[j].begin(), f.bag_offsets[j].end())});
    out.push_back({name + ".codes", {static_cast<std::int64_t>(f.bag_codes[j].size())},
                   std::vector<float>(f.bag_codes[j].begin(), f.bag_codes[j].end())});
  }
}

void restore_entity(EntityFeatures& f, const std::vector<NamedTensor>& ts, const std::string& prefix,
                    const std::filesystem::path& file, const nlohmann::json& names) {
  const auto& dense = require_tensor(ts, prefix + "_dense", file);
  f.dense = Eigen::Map<const RowMatrix>(dense.data.data(), dense.shape[0], dense.shape[1]);
  const auto& cat = require_tensor(ts, prefix + "_categorical", file);
  const auto n = cat.shape[0], c = cat.shape[1];
  f.categorical.assign(static_cast<std::size_t>(c), std::vector<std::int32_t>(static_cast<std::size_t>(n)));
  for (std::int64_t j = 0; j < c; ++j)
    for (std::int64_t i = 0; i < n; ++i) f.categorical[j][i] = static_cast<std::int32_t>(cat.data[i * c + j]);
  f.dense_names = names.at("dense_names").get<std::vector<std::string>>();
  f.categorical_names = names.at("categorical_names").get<std::vector<std::string>>();
  f.categorical_cardinality = names.at("categorical_cardinality").get<std::vector<std::int32_t>>();
  const auto bags = names.value("categorical_bags", std::vector<bool>(static_cast<std::size_t>(c), false));
  f.bag_offsets.assign(static_cast<std::size_t>(c), {});
  f.bag_codes.assign(static_cast<std::size_t>(c), {});
  for (std::size_t j = 0; j < bags.size() && j < static_cast<std::size_t>(c); ++j) {
    if (!bags[j]) continue;
    const std::string name = prefix + "_bag." + std::to_string(j);
    const auto& offsets = require_tensor(ts, name + ".offsets", file).data;
    const auto& codes = require_tensor(ts, name + ".codes", file).data;
    f.bag_offsets[j].assign(offsets.begin(), offsets.end());
    f.bag_codes[j].assign(codes.begin(), codes.end());
  }
}

nlohmann::json entity_description(const EntityFeatures& f) {
  return {{"dense_dim", f.dense_dim()},
          {"dense_names", f.dense_names},
          {"categorical_names", f.categorical_names},
          {"categorical_cardinality", f.categorical_cardinality},
          {"categorical_bags", f.bag_fields()}};
}

void require_file(const std::filesystem::path& dir, const char* name) {
  if (!std::filesystem::exists(dir / name))
    throw DataError((dir / name).string(), 0, "", "model artifact missing (is this a folder written by 'hybridrec train'?)");
}

}  // namespace

void ModelBundle::save(const std::filesystem::path& dir) const {
  if (!recommender) throw Error("model bundle: nothing to save (no fitted model)");
  std::filesystem::create_directories(dir);
  nlohmann::json cfg = config;
  cfg["architecture"] = model_architecture(config.at("model"));
  cfg["num_users"] = users.size();
  cfg["num_items"] = items.size();
  if (features.users.size() > 0 || features.items.size() > 0) {
    cfg["features"] = {{"user_dense_dim", features.users.dense_dim()},
                       {"item_dense_dim", features.items.dense_dim()},
                       {"user_cat_cardinalities", features.users.categorical_cardinality},
                       {"item_cat_cardinalities", features.items.categorical_cardinality},
                       {"user_cat_bags", features.users.bag_fields()},  // nn.EmbeddingBag fields
                       {"item_cat_bags", features.items.bag_fields()},
                       {"users", entity_description(features.users)},
                       {"items", entity_description(features.items)}};
    std::vector<NamedTensor> tensors{matrix_tensor("user_dense", features.users.dense),
                                     codes_tensor("user_categorical", features.users),
                                     matrix_tensor("item_dense", features.items.dense),
                                     codes_tensor("item_categorical", features.items)};
    append_bag_tensors(tensors, "user", features.users);
    append_bag_tensors(tensors, "item", features.items);
    save_safetensors(dir / "features.safetensors", tensors);
  }
  recommender->save(dir);
  if (feature_builder) write_json_atomic(dir / "feature_stats.json", feature_builder->to_json());
  users.save(dir / "user_id_map.json");
  items.save(dir / "item_id_map.json");

  NamedTensor counts{"seen_counts", {static_cast<std::int64_t>(seen.size())}, {}};
  NamedTensor flat{"seen_items", {0}, {}};
  for (const auto& s : seen) {
    counts.data.push_back(static_cast<float>(s.size()));
    for (auto i : s) flat.data.push_back(static_cast<float>(i));  // exact below 2^24 items
  }
  flat.shape[0] = static_cast<std::int64_t>(flat.data.size());
  NamedTensor pop{"popularity", {static_cast<std::int64_t>(popularity.size())}, popularity};
  save_safetensors(dir / "serving.safetensors", {counts, flat, pop});
  if (training_behaviour) save_training_behaviour(dir / "user_behaviour.safetensors", *training_behaviour);
  write_json_atomic(dir / "config.json", cfg);  // last: its presence marks a complete folder
}

ModelBundle ModelBundle::load(const std::filesystem::path& dir) {
  if (!std::filesystem::is_directory(dir)) throw Error("model folder not found: " + dir.string());
  // The family's own files (model.safetensors, a routed model's part folders) are
  // checked, by name, by its load().
  for (const char* f : {"config.json", "user_id_map.json", "item_id_map.json", "serving.safetensors"})
    require_file(dir, f);
  ModelBundle b;
  b.config = read_json(dir / "config.json");
  b.users = IdMap::load(dir / "user_id_map.json");
  b.items = IdMap::load(dir / "item_id_map.json");
  auto serving = load_safetensors(dir / "serving.safetensors");
  const auto& counts = require_tensor(serving, "seen_counts", dir / "serving.safetensors");
  const auto& flat = require_tensor(serving, "seen_items", dir / "serving.safetensors");
  b.popularity = require_tensor(serving, "popularity", dir / "serving.safetensors").data;
  b.seen.resize(counts.data.size());
  std::size_t pos = 0;
  for (std::size_t u = 0; u < counts.data.size(); ++u) {
    auto n = static_cast<std::size_t>(counts.data[u]);
    if (pos + n > flat.data.size()) throw DataError((dir / "serving.safetensors").string(), 0, "seen_items", "truncated");
    for (std::size_t k = 0; k < n; ++k) b.seen[u].push_back(static_cast<std::uint32_t>(flat.data[pos++]));
  }
  if (std::filesystem::exists(dir / "feature_stats.json"))
    b.feature_builder = FeatureBuilder::from_json(read_json(dir / "feature_stats.json"));
  if (std::filesystem::exists(dir / "features.safetensors") && b.config.contains("features") &&
      b.config["features"].contains("users")) {
    auto ft = load_safetensors(dir / "features.safetensors");
    restore_entity(b.features.users, ft, "user", dir / "features.safetensors", b.config.at("features").at("users"));
    restore_entity(b.features.items, ft, "item", dir / "features.safetensors", b.config.at("features").at("items"));
  }

  if (std::filesystem::exists(dir / "user_behaviour.safetensors"))
    b.training_behaviour = load_training_behaviour(dir / "user_behaviour.safetensors", b.users.size(), b.items.size());
  b.recommender = make_model(b.type(), b.config);
  b.recommender->load(dir, b.load_context());
  return b;
}

LoadContext ModelBundle::load_context() const {
  LoadContext context;
  context.config = &config;
  context.num_users = users.size();
  context.num_items = items.size();
  context.features = &features;
  context.user_items = &seen;
  return context;
}

std::string ModelBundle::cold_user_path() const {
  if (!config.contains("model")) return "auto";
  return config["model"].value("cold_user_path", std::string("auto"));
}

Route ModelBundle::route(std::uint32_t user) const {
  const bool history = user < seen.size() && !seen[user].empty();
  return route_user(*recommender, cold_user_path(), UserFacts{true, history, false});
}

Route ModelBundle::route_new_user(bool has_attributes) const {
  return route_user(*recommender, cold_user_path(), UserFacts{false, false, has_attributes && feature_builder});
}

bool ModelBundle::cold_users_by_popularity() const {
  return route_user(*recommender, cold_user_path(), UserFacts{true, false, false}) == Route::popularity;
}

PopularityBaseline ModelBundle::popularity_model() const { return PopularityBaseline::from_weights(popularity); }

std::vector<float> ModelBundle::popularity_scores() const {
  std::vector<float> scores(items.size());
  const std::vector<std::uint32_t> anyone{0};  // popularity ranks every user alike
  popularity_model().score_all(anyone, scores.data());
  return scores;
}

std::vector<ScoredItem> ModelBundle::recommend(std::uint32_t user, std::size_t k, std::string* path) const {
  std::span<const std::uint32_t> exclude;
  if (user < seen.size()) exclude = seen[user];
  const Route r = route(user);
  if (path) *path = route_name(r);
  if (r == Route::popularity) return top_k(popularity_scores(), k, exclude);
  std::vector<float> scores(items.size());
  recommender->score_all(std::span<const std::uint32_t>(&user, 1), scores.data());
  return top_k(scores, k, exclude);
}

std::vector<ScoredItem> ModelBundle::recommend_new_user(const RawAttributes& attributes, std::size_t k,
                                                        std::string* path) const {
  const Route r = route_new_user(!attributes.empty());
  if (path) *path = route_name(r);
  if (r != Route::content) return top_k(popularity_scores(), k);
  std::vector<float> dense(feature_builder->user_dense_dim());
  std::vector<std::int32_t> cats(feature_builder->user_categorical_cardinality().size());
  CategoricalBags bags;  // a multi-valued attribute ("genre=a|b") uses every value
  feature_builder->user_from_attributes(attributes, dense.data(), cats.data(), &bags);
  std::vector<float> scores(items.size());
  recommender->content_scoring()->score_new_user(dense.data(), cats.data(), scores.data(), &bags);
  return top_k(scores, k);
}

nlohmann::json model_architecture(const nlohmann::json& model) {
  // What makes two models of different shape: the family, a network's layer
  // sizes, a factor model's rank. Regularisation, learning rates and neighbour
  // counts are retuning (MINOR/PATCH), not a new architecture.
  static const char* kNetworkShape[] = {"embedding_dim", "hidden_layers", "content_dim", "feature_embedding_dim",
                                        "gmf_dim"};
  const std::string type = model.at("type").get<std::string>();
  nlohmann::json arch{{"family", type}};
  if (model.contains(type) && model[type].is_object()) {  // a family with its own settings section
    for (const auto& [key, value] : model[type].items())
      if (value.is_object() && value.contains("type")) arch[key] = model_architecture(value);  // routed parts
    if (model[type].contains("factors")) arch["factors"] = model[type]["factors"];
  } else {
    for (const char* key : kNetworkShape)  // the networks keep their shape at model.*
      if (model.contains(key)) arch[key] = model[key];
  }
  return arch;
}

}  // namespace hybridrec
