// End-to-end training: the artifact set, the result format, resume to the same
// result, and cold start through the content branch.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/atomic_file.h"
#include "generated_shop.h"
#include "model/safetensors.h"
#include "test_support.h"
#include "train/config.h"
#include "train/model_bundle.h"
#include "train/pipeline.h"

using namespace hybridrec;

namespace {

std::filesystem::path small_shop(const std::string& name) {
  auto dir = hybridrec::testing::scratch_dir(name);
  hybridrec::testing::write_generated_shop(dir / "shop", 300, 120, 12000, 5);
  return dir;
}

TrainRequest small_request(const std::filesystem::path& dir, const std::string& type, int epochs,
                           const std::string& out = "model") {
  TrainRequest r;
  r.data = dir / "shop";
  r.config = default_config();
  r.config["model"]["type"] = type;
  r.config["model"]["embedding_dim"] = 16;
  r.config["model"]["hidden_layers"] = {32, 16, 8};
  r.config["training"]["num_epochs"] = epochs;
  r.config["training"]["early_stopping_patience"] = 0;  // run every epoch
  r.out = dir / out;
  r.progress = Progress::Mode::Quiet;
  return r;
}

std::vector<float> weights(const std::filesystem::path& model_dir) {
  std::vector<float> all;
  for (const auto& t : load_safetensors(model_dir / "model.safetensors")) all.insert(all.end(), t.data.begin(), t.data.end());
  return all;
}

}  // namespace

TEST(Pipeline, WritesTheSpecificationsArtifactSetAndResultFormat) {
  auto dir = small_shop("artifacts");
  TrainResult result = run_training(small_request(dir, "hybrid", 2));
  for (const char* f : {"model.safetensors", "user_id_map.json", "item_id_map.json", "config.json", "metrics.json",
                        "training_history.json", "feature_stats.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / "model" / f)) << f;
  auto history = read_json(dir / "model" / "training_history.json");
  ASSERT_EQ(history.size(), 2u);
  for (const char* key : {"epoch", "train_loss", "val_loss", "val_ndcg@10", "lr", "seconds", "samples_per_second"})
    EXPECT_TRUE(history[0].contains(key)) << key;
  auto metrics = read_json(dir / "model" / "metrics.json");
  for (const char* key : {"model_version", "timestamp", "metrics", "comparison_to_baseline"})
    EXPECT_TRUE(metrics.contains(key)) << key;
  for (const char* section : {"ranking", "prediction", "business", "fairness"})
    EXPECT_TRUE(metrics["metrics"].contains(section)) << section;
  EXPECT_TRUE(metrics["metrics"]["ranking"].contains("ndcg@10"));
}

TEST(Pipeline, ResumeAfterInterruptionGivesTheSameModel) {
  auto dir = small_shop("resume");
  auto straight = small_request(dir, "ncf", 3);
  straight.out = dir / "straight";
  run_training(straight);

  auto interrupted = small_request(dir, "ncf", 2);  // "killed" after epoch 2
  interrupted.out = dir / "resumed";
  run_training(interrupted);
  auto resumed = small_request(dir, "ncf", 3);
  resumed.out = dir / "resumed";
  resumed.resume = true;
  TrainResult r = run_training(resumed);
  EXPECT_TRUE(r.outcome.resumed);
  EXPECT_EQ(r.history.size(), 3u);
  EXPECT_EQ(weights(dir / "straight"), weights(dir / "resumed"));
}

TEST(Pipeline, SameSeedGivesBitIdenticalModels) {
  auto dir = small_shop("determinism");
  auto a = small_request(dir, "hybrid", 1);
  a.out = dir / "a";
  auto b = a;
  b.out = dir / "b";
  run_training(a);
  run_training(b);
  EXPECT_EQ(weights(dir / "a"), weights(dir / "b"));
}

TEST(Pipeline, DivergingLossStopsWithAClearMessage) {
  auto dir = small_shop("nan");
  auto r = small_request(dir, "ncf", 2);
  r.config["training"]["learning_rate"] = 1e30;
  r.config["training"]["loss_function"] = "BCELoss";
  try {
    run_training(r);
    GTEST_SKIP() << "this learning rate did not diverge";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("diverged"), std::string::npos) << e.what();
  }
}

TEST(Pipeline, SavedModelLoadsAndServesKnownAndNewUsers) {
  auto dir = small_shop("serve");
  auto request = small_request(dir, "hybrid", 2);
  request.config["model"]["cold_user_path"] = "content";
  run_training(request);
  ModelBundle bundle = ModelBundle::load(dir / "model");
  std::string path;
  auto top = bundle.recommend(0, 5, &path);
  ASSERT_EQ(top.size(), 5u);
  EXPECT_EQ(path, "model");
  for (auto s : top) EXPECT_FALSE(std::binary_search(bundle.seen[0].begin(), bundle.seen[0].end(), s.item));
  auto fresh = bundle.recommend_new_user({{"age_group", "25-34"}, {"segment", "premium"}}, 5, &path);
  EXPECT_EQ(path, "content");
  EXPECT_EQ(fresh.size(), 5u);
}

// Loading never reads the training data: a baseline saves its fitted state too.
TEST(Pipeline, ABaselineLoadsWithoutItsTrainingData) {
  auto dir = small_shop("baseline_alone");
  run_training(small_request(dir, "category", 1));
  const ModelBundle before = ModelBundle::load(dir / "model");
  std::uint32_t user = 0;
  while (before.seen[user].empty()) ++user;
  const auto expected = before.recommend(user, 10);
  std::filesystem::remove_all(dir / "shop");
  const ModelBundle after = ModelBundle::load(dir / "model");
  EXPECT_EQ(after.recommender->type(), "category");
  const auto got = after.recommend(user, 10);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t r = 0; r < got.size(); ++r) {
    EXPECT_EQ(got[r].item, expected[r].item);
    EXPECT_EQ(got[r].score, expected[r].score);
  }
}

TEST(Pipeline, CorruptModelFileIsReportedByName) {
  auto dir = small_shop("corrupt");
  run_training(small_request(dir, "ncf", 1));
  write_file_atomic(dir / "model" / "model.safetensors", "garbage");
  try {
    ModelBundle::load(dir / "model");
    FAIL() << "loading a corrupt model must fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos) << e.what();
  }
}

TEST(Pipeline, ValidationOnASampleOfUsersIsDeterministicAndDiffersFromAll) {
  auto dir = small_shop("val_sample");
  auto all = small_request(dir, "ncf", 1, "all");
  // Fixed: an auto half-life is chosen on validation, which the sample changes.
  all.config["data"]["recency_half_life_days"] = 10;
  auto sampled = small_request(dir, "ncf", 1, "s1");
  sampled.config["data"]["recency_half_life_days"] = 10;
  sampled.config["evaluation"]["validation_users"] = 20;
  auto again = sampled;
  again.out = dir / "s2";
  double v_all = run_training(all).history[0]["val_ndcg@10"].get<double>();
  double v1 = run_training(sampled).history[0]["val_ndcg@10"].get<double>();
  double v2 = run_training(again).history[0]["val_ndcg@10"].get<double>();
  EXPECT_EQ(v1, v2);
  EXPECT_NE(v1, v_all);  // 20 of the ~200 validation users
  EXPECT_EQ(weights(dir / "all"), weights(dir / "s1"));  // validation never changes training
}

// data.recency_half_life_days: a positive one half-life older than the newest
// training interaction is trained on in half the epochs (recency_mode sample) or
// weighs half (weight); duplicates keep their newest, strongest value.
TEST(CollectPositives, RecencyHalfLifeHalvesKeepOrWeightPerHalfLife) {
  Dataset d;
  const std::int64_t day = 86400, now = 1'700'000'000;
  auto add = [&](std::uint32_t user, std::uint32_t item, std::int64_t t) {
    Interaction it;
    it.user = user;
    it.item = item;
    it.timestamp = t;
    it.event = Event::Rating;
    d.interactions.push_back(it);
  };
  add(0, 0, now);
  add(0, 1, now - 10 * day);
  add(1, 0, now - 20 * day);
  add(1, 0, now - 1 * day);  // the same pair again, more recently
  Split split;
  split.train = {0, 1, 2, 3};
  split.train_end_time = now;  // as make_split sets it
  const float weights[4] = {1, 1, 1, 1};
  auto flat = collect_positives(d, split, weights, 0.0);
  ASSERT_EQ(flat.size(), 3u);
  for (const auto& p : flat) EXPECT_FLOAT_EQ(p.weight, 1.0f);
  for (const auto& p : flat) EXPECT_FLOAT_EQ(p.keep, 1.0f);
  auto decayed = collect_positives(d, split, weights, 10.0, /*by_sampling=*/false);
  ASSERT_EQ(decayed.size(), 3u);
  EXPECT_FLOAT_EQ(decayed[0].weight, 1.0f);
  EXPECT_NEAR(decayed[1].weight, 0.5f, 1e-6f);
  EXPECT_NEAR(decayed[2].weight, std::pow(0.5f, 0.1f), 1e-6f);
  for (const auto& p : decayed) EXPECT_FLOAT_EQ(p.keep, 1.0f);
  auto sampled = collect_positives(d, split, weights, 10.0, /*by_sampling=*/true);
  ASSERT_EQ(sampled.size(), 3u);
  for (const auto& p : sampled) EXPECT_FLOAT_EQ(p.weight, 1.0f);
  EXPECT_FLOAT_EQ(sampled[0].keep, 1.0f);
  EXPECT_NEAR(sampled[1].keep, 0.5f, 1e-6f);
  EXPECT_NEAR(sampled[2].keep, std::pow(0.5f, 0.1f), 1e-6f);
}

namespace hybridrec {
namespace {

// Recency sampling: each epoch trains on a fresh draw of the positives, about the
// sum of their keep probabilities, and the draw is part of the seed (same seed,
// same model). The weight mode trains on every positive each epoch.
TEST(Pipeline, RecencySamplingTrainsEachEpochOnAFreshDrawOfThePositives) {
  auto dir = small_shop("recency_sampling");
  auto full = small_request(dir, "ncf", 2, "full");
  full.config["data"]["recency_half_life_days"] = 0;  // every positive, every epoch
  auto sampled = small_request(dir, "ncf", 2, "sampled");
  sampled.config["data"]["recency_half_life_days"] = 5.0;
  auto again = sampled;
  again.out = dir / "again";
  auto weighted = sampled;
  weighted.config["data"]["recency_mode"] = "weight";
  weighted.out = dir / "weighted";
  const auto h_full = run_training(full).history;
  const auto h_sampled = run_training(sampled).history;
  const auto samples = [](const nlohmann::json& h, int e) { return h[e]["samples"].get<double>(); };
  EXPECT_LT(samples(h_sampled, 0), 0.9 * samples(h_full, 0));
  EXPECT_GT(samples(h_sampled, 0), 0.0);
  EXPECT_NE(samples(h_sampled, 0), samples(h_sampled, 1)) << "each epoch draws again";
  run_training(again);
  EXPECT_EQ(weights(dir / "sampled"), weights(dir / "again"));
  EXPECT_EQ(samples(run_training(weighted).history, 0), samples(h_full, 0));
  auto bad = sampled;
  bad.config["data"]["recency_mode"] = "sometimes";
  EXPECT_THROW(run_training(bad), ConfigError);
}

// Users without training history: ncf ranks them by its own popularity; a hybrid
// picks content or popularity on validation (auto) and the saved model keeps the
// choice; popularity forces it. The scores are the popularity scaled to [0, 1].
TEST(Pipeline, ColdUsersGoToTheChosenPath) {
  auto dir = small_shop("cold_path");
  auto ncf = small_request(dir, "ncf", 1, "ncf");
  run_training(ncf);
  ModelBundle n = ModelBundle::load(dir / "ncf");
  EXPECT_TRUE(n.cold_users_by_popularity());
  EXPECT_FALSE(n.recommender->serves_cold_users());  // ncf has no cold path: routing sends them on
  std::uint32_t cold = 0;
  while (cold < n.seen.size() && !n.seen[cold].empty()) ++cold;
  ASSERT_LT(cold, n.seen.size()) << "the temporal split leaves some users without training history";
  EXPECT_EQ(n.route(cold), Route::popularity);
  // What evaluation ranks routed users by: the model's own popularity, scaled to [0, 1].
  std::vector<float> scores(n.items.size());
  n.popularity_model().score_all(std::span<const std::uint32_t>(&cold, 1), scores.data());
  const float top = *std::max_element(n.popularity.begin(), n.popularity.end());
  for (std::size_t i = 0; i < scores.size(); ++i) EXPECT_FLOAT_EQ(scores[i], n.popularity[i] / top);
  std::string path;
  const auto served = n.recommend(cold, 5, &path);
  EXPECT_EQ(path, "popularity");
  const auto by_popularity = top_k(n.popularity, 5, n.seen[cold]);
  ASSERT_EQ(served.size(), by_popularity.size());
  for (std::size_t r = 0; r < served.size(); ++r) EXPECT_EQ(served[r].item, by_popularity[r].item);

  auto forced = small_request(dir, "hybrid", 1, "forced");
  forced.config["model"]["cold_user_path"] = "popularity";
  run_training(forced);
  ModelBundle h = ModelBundle::load(dir / "forced");
  EXPECT_TRUE(h.cold_users_by_popularity());
  h.recommend(cold, 5, &path);
  EXPECT_EQ(path, "popularity");
  h.recommend_new_user({{"age_group", "25-34"}}, 5, &path);
  EXPECT_EQ(path, "popularity");

  auto automatic = small_request(dir, "hybrid", 1, "auto");
  run_training(automatic);
  const auto chosen = ModelBundle::load(dir / "auto").config["model"]["cold_user_path"].get<std::string>();
  EXPECT_TRUE(chosen == "content" || chosen == "popularity") << chosen;

  auto bad = small_request(dir, "hybrid", 1);
  bad.config["model"]["cold_user_path"] = "guess";
  EXPECT_THROW(run_training(bad), ConfigError);
}

}  // namespace
}  // namespace hybridrec
