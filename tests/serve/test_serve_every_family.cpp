// Every family of the table is served: trained on a small shop, loaded the way
// `serve` loads a registered model, answered for known and new users, re-ranked by
// MMR (item vectors or the learned item-item similarity), and put behind the
// approximate candidate stage where the family has item vectors.
#include <gtest/gtest.h>

#include <set>

#include "generated_shop.h"
#include "model/abilities.h"
#include "model/model_families.h"
#include "serve/served_model.h"
#include "test_support.h"
#include "train/config.h"
#include "train/pipeline.h"

using namespace hybridrec;

namespace {

const std::filesystem::path& shop() {
  static const std::filesystem::path dir = [] {
    auto d = hybridrec::testing::scratch_dir("serve_every_family");
    hybridrec::testing::write_generated_shop(d / "shop", 300, 150, 12000, 11);
    return d;
  }();
  return dir;
}

std::filesystem::path trained(const std::string& family) {
  const auto out = shop() / ("model-" + family);
  if (std::filesystem::exists(out / "config.json")) return out;
  TrainRequest r;
  r.data = shop() / "shop";
  r.config = default_config();
  r.config["model"]["type"] = family;
  r.config["model"]["embedding_dim"] = 16;
  r.config["model"]["hidden_layers"] = {32, 16, 8};
  r.config["training"]["num_epochs"] = 2;
  r.config["model"]["ials"]["iterations"] = 3;
  r.config["model"]["mf"]["epochs"] = 3;
  r.out = out;
  r.progress = Progress::Mode::Quiet;
  run_training(r);
  return out;
}

class ServeEveryFamily : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(ServeEveryFamily, AnswersKnownAndNewUsersWithMmrAndTheCandidateStageWhereItHasVectors) {
  const auto dir = trained(GetParam());
  serve::ServingOptions options;
  options.ann = serve::AnnMode::on;  // ask for the candidate stage even on a small catalogue
  options.ann_candidates = 40;
  serve::ServedModel served("rec-model-test", "v1.0.0", dir, options);
  const Recommender& model = *served.bundle().recommender;
  EXPECT_EQ(served.approximate(), model.item_vectors() != nullptr)
      << "the candidate stage exists exactly where the family has item vectors";

  // A known user with history.
  std::string known;
  for (std::uint32_t u = 0; u < served.bundle().seen.size() && known.empty(); ++u)
    if (!served.bundle().seen[u].empty()) known = served.bundle().users.id(u);
  ASSERT_FALSE(known.empty());
  serve::RecommendQuery q;
  q.user_id = known;
  q.k = 10;
  const auto plain = served.recommend(q);
  ASSERT_EQ(plain.items.size(), 10u);
  EXPECT_EQ(plain.served_by, "model");
  for (const auto& s : plain.items) EXPECT_TRUE(std::isfinite(s.score));

  // MMR works for every family that is not a baseline: vectors or a learned similarity.
  q.diversity = 0.7;
  const auto diverse = served.recommend(q);
  ASSERT_EQ(diverse.items.size(), 10u);
  const bool has_similarity = model.item_vectors() || model.item_similarity();
  EXPECT_EQ(diverse.diversified, has_similarity);
  if (!model_family(GetParam()).baseline) EXPECT_TRUE(has_similarity) << "MMR needs vectors or a similarity";

  // A brand-new user: the content path when the family has one, else popularity.
  serve::RecommendQuery fresh;
  fresh.user_id = "someone-new";
  fresh.k = 5;
  fresh.attributes = {{"age_group", "25-34"}, {"location", "urban"}};
  const auto answer = served.recommend(fresh);
  EXPECT_EQ(answer.items.size(), 5u);
  EXPECT_TRUE(answer.served_by == "content" || answer.served_by == "popularity");
  if (!model.content_scoring()) EXPECT_EQ(answer.served_by, "popularity");

  // A new visitor with an online history (issue #19): fold-in where the family has
  // it, the content path with behaviour features where it has that, else popularity.
  const auto& known_items = served.bundle().seen[*served.bundle().users.find(known)];
  serve::RecommendQuery visitor;
  visitor.user_id = "visitor-with-history";
  visitor.k = 5;
  std::vector<HistoryEntry> entries;
  for (std::size_t i = 0; i < known_items.size() && i < 5; ++i) {
    visitor.online.events.push_back({served.bundle().items.id(known_items[i]), serve::FeedbackType::click, 1700000000});
    entries.push_back({known_items[i], 1.0f});  // a click weighs what a view weighed in training (default 1)
  }
  visitor.online.version = entries.size();
  const auto folded = served.recommend(visitor);
  const std::string path = model.history_fold_in() ? "fold_in" : model.content_scoring() ? "content_fold_in" : "popularity";
  EXPECT_EQ(folded.served_by, path);
  ASSERT_EQ(folded.items.size(), 5u);
  if (const HistoryFoldIn* fold = model.history_fold_in()) {
    std::vector<float> scores(model.num_items());
    fold->score_folded_in(std::nullopt, entries, scores.data());
    const auto best = top_k(scores, 5);  // clicks are not excluded (purchases are, by default)
    for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(folded.items[i].item, best[i].item) << "rank " << i;
  }

  // A trained user's purchase is excluded from their next answer, whatever the family.
  serve::RecommendQuery buyer;
  buyer.user_id = known;
  buyer.k = 10;
  const auto before = served.recommend(buyer);
  buyer.online.events.push_back({served.bundle().items.id(before.items[0].item), serve::FeedbackType::purchase, 1700000000});
  buyer.online.version = 1;
  const auto after = served.recommend(buyer);
  // The hybrid recomputes the buyer's behaviour features (its training saved them).
  EXPECT_EQ(after.served_by, model.history_fold_in()   ? "fold_in"
                             : model.feature_fold_in() ? "model_fold_in"
                                                       : "model");
  for (const auto& s : after.items) EXPECT_NE(s.item, before.items[0].item);
  if (const HistoryFoldIn* fold = model.history_fold_in()) {
    // The list cached by the first request is stale after the event: the answer is
    // the fold-in of the training row plus the purchase, seen items and the purchase excluded.
    const std::uint32_t user = *served.bundle().users.find(known);
    const HistoryEntry purchase[1] = {{before.items[0].item, 1.0f}};
    std::vector<float> scores(model.num_items());
    fold->score_folded_in(user, purchase, scores.data());
    std::vector<std::uint32_t> exclude = served.bundle().seen[user];
    exclude.push_back(before.items[0].item);
    std::sort(exclude.begin(), exclude.end());
    const auto best = top_k(scores, 10, exclude);
    ASSERT_EQ(after.items.size(), best.size());
    for (std::size_t i = 0; i < best.size(); ++i) EXPECT_EQ(after.items[i].item, best[i].item) << "rank " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, ServeEveryFamily, ::testing::ValuesIn(model_family_names()),
                         [](const auto& info) { return info.param; });
