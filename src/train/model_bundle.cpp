#include "train/model_bundle.h"

#include <algorithm>
#include <numeric>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/negative_sampling.h"
#include "data/readers.h"
#include "model/baselines.h"
#include "model/safetensors.h"
#include "train/neural_recommender.h"
#include "train/pipeline.h"

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

const NamedTensor& find_tensor(const std::vector<NamedTensor>& ts, const std::string& name,
                               const std::filesystem::path& file) {
  for (const auto& t : ts)
    if (t.name == name) return t;
  throw DataError(file.string(), 0, name, "tensor missing");
}

void restore_entity(EntityFeatures& f, const std::vector<NamedTensor>& ts, const std::string& prefix,
                    const std::filesystem::path& file, const nlohmann::json& names) {
  const auto& dense = find_tensor(ts, prefix + "_dense", file);
  f.dense = Eigen::Map<const RowMatrix>(dense.data.data(), dense.shape[0], dense.shape[1]);
  const auto& cat = find_tensor(ts, prefix + "_categorical", file);
  const auto n = cat.shape[0], c = cat.shape[1];
  f.categorical.assign(static_cast<std::size_t>(c), std::vector<std::int32_t>(static_cast<std::size_t>(n)));
  for (std::int64_t j = 0; j < c; ++j)
    for (std::int64_t i = 0; i < n; ++i) f.categorical[j][i] = static_cast<std::int32_t>(cat.data[i * c + j]);
  f.dense_names = names.at("dense_names").get<std::vector<std::string>>();
  f.categorical_names = names.at("categorical_names").get<std::vector<std::string>>();
  f.categorical_cardinality = names.at("categorical_cardinality").get<std::vector<std::int32_t>>();
}

nlohmann::json entity_description(const EntityFeatures& f) {
  return {{"dense_dim", f.dense_dim()},
          {"dense_names", f.dense_names},
          {"categorical_names", f.categorical_names},
          {"categorical_cardinality", f.categorical_cardinality}};
}

void require_file(const std::filesystem::path& dir, const char* name) {
  if (!std::filesystem::exists(dir / name))
    throw DataError((dir / name).string(), 0, "", "model artifact missing (is this a folder written by 'hybridrec train'?)");
}

}  // namespace

void ModelBundle::save(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  nlohmann::json cfg = config;
  cfg["num_users"] = users.size();
  cfg["num_items"] = items.size();
  if (network) {
    cfg["features"] = {{"user_dense_dim", features.users.dense_dim()},
                       {"item_dense_dim", features.items.dense_dim()},
                       {"user_cat_cardinalities", features.users.categorical_cardinality},
                       {"item_cat_cardinalities", features.items.categorical_cardinality},
                       {"users", entity_description(features.users)},
                       {"items", entity_description(features.items)}};
    save_safetensors(dir / "model.safetensors", network->state_dict(), {{"format", "pt"}, {"model_type", type()}});
    save_safetensors(dir / "features.safetensors",
                     {matrix_tensor("user_dense", features.users.dense), codes_tensor("user_categorical", features.users),
                      matrix_tensor("item_dense", features.items.dense), codes_tensor("item_categorical", features.items)});
  }
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
  write_json_atomic(dir / "config.json", cfg);  // last: its presence marks a complete folder
}

ModelBundle ModelBundle::load(const std::filesystem::path& dir) {
  if (!std::filesystem::is_directory(dir)) throw Error("model folder not found: " + dir.string());
  for (const char* f : {"config.json", "user_id_map.json", "item_id_map.json", "serving.safetensors"}) require_file(dir, f);
  ModelBundle b;
  b.config = read_json(dir / "config.json");
  b.users = IdMap::load(dir / "user_id_map.json");
  b.items = IdMap::load(dir / "item_id_map.json");
  auto serving = load_safetensors(dir / "serving.safetensors");
  const auto& counts = find_tensor(serving, "seen_counts", dir / "serving.safetensors");
  const auto& flat = find_tensor(serving, "seen_items", dir / "serving.safetensors");
  b.popularity = find_tensor(serving, "popularity", dir / "serving.safetensors").data;
  b.seen.resize(counts.data.size());
  std::size_t pos = 0;
  for (std::size_t u = 0; u < counts.data.size(); ++u) {
    auto n = static_cast<std::size_t>(counts.data[u]);
    if (pos + n > flat.data.size()) throw DataError((dir / "serving.safetensors").string(), 0, "seen_items", "truncated");
    for (std::size_t k = 0; k < n; ++k) b.seen[u].push_back(static_cast<std::uint32_t>(flat.data[pos++]));
  }
  if (std::filesystem::exists(dir / "feature_stats.json"))
    b.feature_builder = FeatureBuilder::from_json(read_json(dir / "feature_stats.json"));

  const std::string type = b.type();
  if (type == "ncf" || type == "hybrid") {
    require_file(dir, "model.safetensors");
    ModelConfig mc = ModelConfig::from_json(b.config.at("model"));
    if (type == "hybrid") {
      require_file(dir, "features.safetensors");
      auto ft = load_safetensors(dir / "features.safetensors");
      restore_entity(b.features.users, ft, "user", dir / "features.safetensors", b.config.at("features").at("users"));
      restore_entity(b.features.items, ft, "item", dir / "features.safetensors", b.config.at("features").at("items"));
    }
    b.network = Network::create(mc, b.users.size(), b.items.size(), type == "hybrid" ? &b.features : nullptr, 0);
    b.network->load_state_dict(load_safetensors(dir / "model.safetensors"));
    b.mark_seen_on_network();
    b.recommender = b.cold_users_by_popularity()
                        ? std::make_unique<NeuralRecommender>(*b.network, b.seen, b.popularity)
                        : std::make_unique<NeuralRecommender>(*b.network);
  } else {
    // Baselines are cheap: refit them on the recorded training data.
    b.recommender = refit_baseline(b.config);
  }
  return b;
}

void ModelBundle::mark_seen_on_network() const {
  std::vector<bool> users_seen(users.size(), false), items_seen(items.size(), false);
  for (std::size_t u = 0; u < seen.size(); ++u) {
    users_seen[u] = !seen[u].empty();
    for (auto i : seen[u]) items_seen[i] = true;
  }
  network->set_seen(users_seen, items_seen);
}

bool ModelBundle::cold_users_by_popularity() const {
  if (network && (!network->serves_cold_users() ||
                  config.at("model").value("cold_user_path", std::string("auto")) == "popularity"))
    return true;
  return recommender && !recommender->serves_cold_users();  // e.g. the category baseline
}

std::vector<ScoredItem> ModelBundle::recommend(std::uint32_t user, std::size_t k, std::string* path) const {
  std::vector<float> scores(items.size());
  const bool cold = user >= seen.size() || seen[user].empty();
  std::span<const std::uint32_t> exclude;
  if (user < seen.size()) exclude = seen[user];
  if (cold && cold_users_by_popularity()) {
    if (path) *path = "popularity";
    return top_k(popularity, k, exclude);
  }
  if (path) *path = cold ? "content" : "model";
  std::uint32_t u = user;
  recommender->score_all(std::span<const std::uint32_t>(&u, 1), scores.data());
  return top_k(scores, k, exclude);
}

std::vector<ScoredItem> ModelBundle::recommend_new_user(const RawAttributes& attributes, std::size_t k,
                                                        std::string* path) const {
  if (network && !cold_users_by_popularity() && feature_builder && !attributes.empty()) {
    std::vector<float> dense(feature_builder->user_dense_dim());
    std::vector<std::int32_t> cats(feature_builder->user_categorical_cardinality().size());
    feature_builder->user_from_attributes(attributes, dense.data(), cats.data());
    std::vector<float> scores(items.size());
    network->score_new_user(dense.data(), cats.data(), scores.data());
    if (path) *path = "content";
    return top_k(scores, k);
  }
  if (path) *path = "popularity";
  return top_k(popularity, k);
}

}  // namespace hybridrec
