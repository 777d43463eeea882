// The contract every model family keeps (docs/design/model-interface.md), run over
// every name in the family table, so a new family is covered the moment its row
// exists. Each family is trained once on a small generated shop through
// run_training, the function `hybridrec train` runs (SGD families through the
// trainer, the others through fit), with fast settings.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "generated_shop.h"
#include "model/abilities.h"
#include "model/model_families.h"
#include "test_support.h"
#include "train/config.h"
#include "train/model_bundle.h"
#include "train/pipeline.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;

// Settings that keep every family fast here: two epochs and small layers for the
// networks; a family with slow defaults of its own adds an overlay to this map.
const std::map<std::string, nlohmann::json>& fast_overlays() {
  static const std::map<std::string, nlohmann::json> overlays{};
  return overlays;
}

nlohmann::json fast_config(const std::string& family) {
  nlohmann::json c = default_config();
  c["model"]["type"] = family;
  c["model"]["embedding_dim"] = 8;
  c["model"]["hidden_layers"] = {16, 8};
  c["model"]["content_dim"] = 8;
  c["model"]["feature_embedding_dim"] = 4;
  c["training"]["num_epochs"] = 2;
  c["training"]["early_stopping_patience"] = 0;
  c["training"]["threads"] = 1;
  c["evaluation"]["baselines"] = nlohmann::json::array();
  if (auto it = fast_overlays().find(family); it != fast_overlays().end()) merge_config(c, it->second);
  return c;
}

const fs::path& shop_root() {
  static const fs::path root = [] {
    auto dir = testing::scratch_dir("conformance");
    testing::write_generated_shop(dir / "shop", 160, 70, 5000, 11);
    return dir;
  }();
  return root;
}

// Trains `family` into shop_root()/<out> once per process.
fs::path trained(const std::string& family, const std::string& out) {
  static std::map<std::string, fs::path> done;
  const std::string key = family + "/" + out;
  if (auto it = done.find(key); it != done.end()) return it->second;
  TrainRequest r;
  r.data = shop_root() / "shop";
  r.config = fast_config(family);
  r.out = shop_root() / (family + "_" + out);
  r.progress = Progress::Mode::Quiet;
  run_training(r);
  return done[key] = r.out;
}

std::vector<float> all_scores(const Recommender& model, std::span<const std::uint32_t> users) {
  std::vector<float> out(users.size() * model.num_items());
  model.score_all(users, out.data());
  return out;
}

// Some known users with history, and every user without (the split's cold users).
std::vector<std::uint32_t> probe_users(const ModelBundle& b) {
  std::vector<std::uint32_t> users;
  for (std::uint32_t u = 0; u < b.users.size() && users.size() < 6; u += 7)
    if (u < b.seen.size() && !b.seen[u].empty()) users.push_back(u);
  for (std::uint32_t u = 0; u < b.users.size(); ++u)
    if (u >= b.seen.size() || b.seen[u].empty()) users.push_back(u);
  return users;
}

bool near(float a, float b) { return std::abs(a - b) <= 1e-5f * std::max(std::abs(a), std::abs(b)) + 1e-6f; }

class Conformance : public ::testing::TestWithParam<std::string> {
 protected:
  ModelBundle load() { return ModelBundle::load(trained(GetParam(), "a")); }
};

TEST_P(Conformance, TableMakesTheFamilyByName) {
  auto model = make_model(GetParam(), fast_config(GetParam()));
  EXPECT_EQ(model->type(), GetParam());
}

TEST_P(Conformance, ScoreAllAgreesWithScorePairsAndScoreItems) {
  const ModelBundle b = load();
  const Recommender& m = *b.recommender;
  ASSERT_EQ(m.num_items(), b.items.size());
  const auto users = probe_users(b);
  const auto all = all_scores(m, users);
  const std::size_t n = m.num_items();
  std::vector<std::uint32_t> items(n);
  for (std::uint32_t i = 0; i < n; ++i) items[i] = i;
  for (std::size_t k = 0; k < users.size(); ++k) {
    const std::vector<std::uint32_t> same_user(n, users[k]);
    std::vector<float> pairs(n), per_user(n);
    m.score_pairs(same_user, items, pairs.data());
    m.score_items(users[k], items, per_user.data());
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(near(all[k * n + i], pairs[i])) << "user " << users[k] << " item " << i << ": score_all "
                                                  << all[k * n + i] << " vs score_pairs " << pairs[i];
      ASSERT_TRUE(near(all[k * n + i], per_user[i])) << "user " << users[k] << " item " << i << ": score_all "
                                                     << all[k * n + i] << " vs score_items " << per_user[i];
    }
  }
  // Not a constant: a ranking model must tell items apart.
  EXPECT_NE(*std::min_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n)),
            *std::max_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n)));
}

TEST_P(Conformance, RecommendNeverReturnsSeenItems) {
  const ModelBundle b = load();
  std::size_t checked = 0;
  for (std::uint32_t u = 0; u < b.seen.size(); ++u) {
    if (b.seen[u].empty()) continue;
    const auto top = b.recommend(u, b.items.size());
    EXPECT_EQ(top.size(), b.items.size() - b.seen[u].size());
    for (const auto& s : top) ASSERT_FALSE(std::binary_search(b.seen[u].begin(), b.seen[u].end(), s.item));
    if (++checked == 20) break;
  }
  EXPECT_EQ(checked, 20u);
}

TEST_P(Conformance, ColdUsersGetFiniteScoresAndARoute) {
  const ModelBundle b = load();
  std::vector<std::uint32_t> cold;
  for (std::uint32_t u = 0; u < b.users.size(); ++u)
    if (u >= b.seen.size() || b.seen[u].empty()) cold.push_back(u);
  ASSERT_FALSE(cold.empty()) << "the temporal split leaves some users without training history";
  for (float s : all_scores(*b.recommender, cold)) ASSERT_TRUE(std::isfinite(s));
  std::string path;
  const auto top = b.recommend(cold[0], 5, &path);
  EXPECT_EQ(top.size(), 5u);
  EXPECT_TRUE(path == "model" || path == "content" || path == "popularity") << path;
  if (const ContentScoring* content = b.recommender->content_scoring()) {
    ASSERT_TRUE(b.feature_builder);
    std::vector<float> dense(b.feature_builder->user_dense_dim());
    std::vector<std::int32_t> cats(b.feature_builder->user_categorical_cardinality().size());
    b.feature_builder->user_from_attributes({{"age_group", "25-34"}}, dense.data(), cats.data());
    std::vector<float> scores(b.items.size());
    content->score_new_user(dense.data(), cats.data(), scores.data());
    for (float s : scores) ASSERT_TRUE(std::isfinite(s));
  }
}

TEST_P(Conformance, AbilitiesAreConsistent) {
  const ModelBundle b = load();
  const std::size_t n = b.items.size();
  if (const ItemVectors* v = b.recommender->item_vectors()) {
    EXPECT_EQ(static_cast<std::size_t>(v->item_embeddings().rows()), n);
    const RowMatrix candidates = v->candidate_item_vectors();
    ASSERT_EQ(static_cast<std::size_t>(candidates.rows()), n);
    const std::uint32_t user = probe_users(b).front();
    const std::vector<std::uint32_t> reference(b.seen[user].begin(), b.seen[user].end());
    const auto query = v->candidate_query(user, reference);
    ASSERT_EQ(static_cast<Eigen::Index>(query.size()), candidates.cols());
    for (float q : query) ASSERT_TRUE(std::isfinite(q));
  }
  if (const ItemSimilarity* s = b.recommender->item_similarity())
    for (std::uint32_t i = 0; i + 1 < n; i += 5) EXPECT_FLOAT_EQ(s->item_similarity(i, i + 1), s->item_similarity(i + 1, i));
}

TEST_P(Conformance, SaveThenLoadGivesTheSameScores) {
  const ModelBundle b = load();
  const fs::path again = shop_root() / (GetParam() + "_resaved");
  b.save(again);
  const ModelBundle c = ModelBundle::load(again);
  EXPECT_EQ(c.recommender->type(), GetParam());
  const auto users = probe_users(b);
  EXPECT_EQ(all_scores(*b.recommender, users), all_scores(*c.recommender, users));
  // The family's own save/load, without the bundle: what make_model + load restore.
  const fs::path own = shop_root() / (GetParam() + "_own");
  b.recommender->save(own);
  auto model = make_model(GetParam(), b.config);
  model->load(own, b.load_context());
  EXPECT_EQ(all_scores(*b.recommender, users), all_scores(*model, users));
}

TEST_P(Conformance, TheSameSeedGivesTheSameModel) {
  const ModelBundle a = load();
  const ModelBundle b = ModelBundle::load(trained(GetParam(), "b"));
  const auto users = probe_users(a);
  EXPECT_EQ(all_scores(*a.recommender, users), all_scores(*b.recommender, users));
}

INSTANTIATE_TEST_SUITE_P(Families, Conformance, ::testing::ValuesIn(model_family_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace hybridrec
