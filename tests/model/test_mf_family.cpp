// The mf family (BPR matrix factorisation, model/family_mf.cpp): it learns (BPR
// loss falls, held-out positives outrank unseen items far better than chance),
// its scoring paths agree exactly, it saves and loads, and it is deterministic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"
#include "data/generator.h"
#include "data/split.h"
#include "model/mf_family.h"
#include "test_support.h"

namespace hybridrec {
namespace {

struct Shop {
  Dataset dataset;
  Split split;
};

const Shop& shop() {
  static const Shop s = [] {
    GeneratorConfig g;
    g.users = 300;
    g.items = 120;
    g.interactions = 12000;
    g.seed = 5;
    Shop out{generate_shop(g), {}};
    SplitConfig c;
    c.strategy = "user_random";
    c.train_ratio = 0.8;
    c.val_ratio = 0.0;
    c.test_ratio = 0.2;
    out.split = make_split(out.dataset, c);
    return out;
  }();
  return s;
}

nlohmann::json config(int epochs = 30, int factors = 16) {
  return {{"model", {{"mf", {{"factors", factors}, {"learning_rate", 0.05}, {"regularization", 0.01},
                              {"epochs", epochs}, {"seed", 11}}}}}};
}

std::unique_ptr<MfRecommender> fitted(const nlohmann::json& cfg, int threads = 2, std::uint64_t run_seed = 1) {
  auto model = std::unique_ptr<MfRecommender>(static_cast<MfRecommender*>(make_mf(cfg).release()));
  TrainingContext context;
  context.dataset = &shop().dataset;
  context.split = &shop().split;
  context.config = cfg;
  context.seed = run_seed;
  context.threads = threads;
  model->fit(context);
  return model;
}

std::vector<float> all_scores(const Recommender& model) {
  const std::size_t users = shop().dataset.num_users(), items = model.num_items();
  std::vector<std::uint32_t> ids(users);
  for (std::size_t u = 0; u < users; ++u) ids[u] = static_cast<std::uint32_t>(u);
  std::vector<float> out(users * items);
  model.score_all(ids, out.data());
  return out;
}

// Mean over held-out (user, item) pairs of the fraction of the user's unseen
// items scored below the held-out item (AUC; chance is 0.5).
double test_auc(const Recommender& model) {
  const Dataset& d = shop().dataset;
  const auto scores = all_scores(model);
  std::vector<std::set<std::uint32_t>> seen(d.num_users());
  for (auto k : shop().split.train) seen[d.interactions[k].user].insert(d.interactions[k].item);
  double total = 0;
  std::size_t pairs = 0;
  for (auto k : shop().split.test) {
    const auto& x = d.interactions[k];
    if (seen[x.user].empty() || seen[x.user].count(x.item)) continue;
    const float* row = scores.data() + static_cast<std::size_t>(x.user) * d.num_items();
    std::size_t below = 0, others = 0;
    for (std::uint32_t j = 0; j < d.num_items(); ++j) {
      if (j == x.item || seen[x.user].count(j)) continue;
      ++others;
      below += row[j] < row[x.item];
    }
    total += static_cast<double>(below) / static_cast<double>(others);
    ++pairs;
  }
  return total / static_cast<double>(pairs);
}

TEST(MfFamily, BprLossFallsAndHeldOutItemsRankFarAboveChance) {
  auto model = fitted(config());
  const auto& losses = model->epoch_losses();
  ASSERT_EQ(losses.size(), 30u);
  EXPECT_LT(losses.front(), std::log(2.0) + 0.01);  // near-zero initial factors start at -log sigmoid(0)
  EXPECT_LT(losses.back(), 0.7 * losses.front());
  EXPECT_LT(losses.back(), losses[losses.size() / 2]);
  const double auc = test_auc(*model);
  EXPECT_GT(auc, 0.75) << "random ranks at 0.5";
  // An untrained model (0 epochs: the random initialisation) is at chance.
  EXPECT_NEAR(test_auc(*fitted(config(0))), 0.5, 0.06);
}

TEST(MfFamily, ScoreAllEqualsScorePairsAndItemVectorsGiveTheSameScores) {
  auto model = fitted(config(5));
  const auto all = all_scores(*model);
  const std::size_t items = model->num_items();
  std::vector<std::uint32_t> users, pair_items;
  for (std::uint32_t u = 0; u < 40; ++u)
    for (std::uint32_t i = 0; i < items; ++i) {
      users.push_back(u);
      pair_items.push_back(i);
    }
  std::vector<float> pairs(users.size());
  model->score_pairs(users, pair_items, pairs.data());
  for (std::size_t k = 0; k < pairs.size(); ++k) ASSERT_EQ(pairs[k], all[k]) << "pair " << k;

  // The candidate stage's inner product [q_i, b_i] . [p_u, 1] is the score.
  const ItemVectors* vectors = model->item_vectors();
  ASSERT_NE(vectors, nullptr);
  const RowMatrix candidates = vectors->candidate_item_vectors();
  const auto query = vectors->candidate_query(7, {});
  ASSERT_EQ(static_cast<std::size_t>(candidates.cols()), query.size());
  EXPECT_EQ(vectors->item_embeddings().cols(), candidates.cols() - 1);
  for (std::size_t i = 0; i < items; ++i) {
    double dot = 0;
    for (std::size_t c = 0; c < query.size(); ++c) dot += candidates(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c)) * query[c];
    EXPECT_NEAR(dot, all[7 * items + i], 1e-5);
  }
}

TEST(MfFamily, UsersWithoutTrainingHistoryScoreByItemBias) {
  // A user id beyond every training interaction: the dataset's last users may all
  // have history, so build a split that leaves user 0 out of training.
  Split split = shop().split;
  const Dataset& d = shop().dataset;
  split.train.erase(std::remove_if(split.train.begin(), split.train.end(),
                                   [&](std::uint32_t k) { return d.interactions[k].user == 0; }),
                    split.train.end());
  auto model = std::unique_ptr<MfRecommender>(static_cast<MfRecommender*>(make_mf(config(5)).release()));
  TrainingContext context;
  context.dataset = &d;
  context.split = &split;
  context.threads = 1;
  model->fit(context);
  std::vector<float> cold(model->num_items());
  const std::uint32_t user = 0;
  model->score_all(std::span<const std::uint32_t>(&user, 1), cold.data());
  const RowMatrix v = model->candidate_item_vectors();
  for (std::size_t i = 0; i < cold.size(); ++i) {
    ASSERT_TRUE(std::isfinite(cold[i]));
    EXPECT_EQ(cold[i], v(static_cast<Eigen::Index>(i), v.cols() - 1)) << "item " << i;  // the bias alone
  }
}

TEST(MfFamily, SaveThenLoadGivesTheSameScores) {
  auto model = fitted(config(5));
  const auto dir = testing::scratch_dir("mf");
  model->save(dir);
  EXPECT_TRUE(std::filesystem::exists(dir / "model.safetensors"));
  auto loaded = make_mf(config(5));
  LoadContext context;
  const nlohmann::json cfg = config(5);
  context.config = &cfg;
  context.num_users = shop().dataset.num_users();
  context.num_items = shop().dataset.num_items();
  loaded->load(dir, context);
  EXPECT_EQ(all_scores(*loaded), all_scores(*model));
  // A file for another catalogue size is refused, naming the tensor.
  context.num_items += 1;
  try {
    make_mf(cfg)->load(dir, context);
    ADD_FAILURE() << "loading with the wrong item count succeeded";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("item_factors"), std::string::npos) << e.what();
  }
}

TEST(MfFamily, SameSeedAndThreadsGiveTheSameModel) {
  const auto a = all_scores(*fitted(config(5), 2)), b = all_scores(*fitted(config(5), 2));
  EXPECT_EQ(a, b);
  EXPECT_EQ(all_scores(*fitted(config(5), 1)), all_scores(*fitted(config(5), 1)));
  auto other = config(5);
  other["model"]["mf"]["seed"] = 12;
  EXPECT_NE(all_scores(*fitted(other, 2)), a);
  // seed null: the run's seed decides.
  other["model"]["mf"]["seed"] = nullptr;
  EXPECT_EQ(all_scores(*fitted(other, 2, 3)), all_scores(*fitted(other, 2, 3)));
  EXPECT_NE(all_scores(*fitted(other, 2, 3)), all_scores(*fitted(other, 2, 4)));
}

TEST(MfFamily, BadSettingsNameTheirKeyAndTheGridCoversTheConfiguredValues) {
  auto bad = config();
  bad["model"]["mf"]["factors"] = 0;
  try {
    make_mf(bad);
    ADD_FAILURE() << "factors 0 accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("model.mf.factors"), std::string::npos);
  }
  bad = config();
  bad["model"]["mf"]["learning_rate"] = "fast";
  EXPECT_THROW(make_mf(bad), ConfigError);
  const auto grid = mf_grid(config(40), shop().dataset);
  std::set<int> epochs;
  bool configured = false;
  for (const auto& overlay : grid) {
    const auto& mf = overlay.at("model").at("mf");
    epochs.insert(mf.at("epochs").get<int>());
    configured |= mf.at("epochs") == 40 && mf.at("regularization").get<double>() == 0.01;
    make_mf(overlay);  // every point is a valid configuration
  }
  EXPECT_TRUE(configured);
  EXPECT_EQ(epochs, (std::set<int>{20, 40, 80}));
}

}  // namespace
}  // namespace hybridrec
