// --model auto: every listed family fitted and ranked on validation, the best kept
// (or a routed pair), recorded in config.json, loadable without the data, and
// registered under its family's architecture.
#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "generated_shop.h"
#include "model/family_routed.h"
#include "store/model_dir.h"
#include "store/workspace.h"
#include "test_support.h"
#include "train/config.h"
#include "train/model_bundle.h"
#include "train/model_selection.h"
#include "train/pipeline.h"

using namespace hybridrec;

namespace {

TrainRequest auto_request(const std::filesystem::path& dir, const nlohmann::json& families) {
  TrainRequest r;
  r.data = dir / "shop";
  r.config = default_config();
  r.config["model"]["type"] = "auto";
  r.config["model"]["auto"]["families"] = families;
  r.config["model"]["embedding_dim"] = 16;
  r.config["model"]["hidden_layers"] = {32, 16, 8};
  r.config["training"]["num_epochs"] = 2;
  r.out = dir / "model";
  r.progress = Progress::Mode::Quiet;
  return r;
}

std::filesystem::path shop(const std::string& name) {
  auto dir = hybridrec::testing::scratch_dir(name);
  hybridrec::testing::write_generated_shop(dir / "shop", 300, 120, 12000, 5);
  return dir;
}

}  // namespace

TEST(AutoModel, KeepsTheBestCandidateOnValidationAndRecordsEveryOne) {
  const auto dir = shop("auto_best");
  TrainResult result = run_training(auto_request(dir, {"ease", "itemknn", "hybrid"}));
  const nlohmann::json config = read_json(dir / "model" / "config.json");
  const auto& selection = config.at("selection");
  ASSERT_GE(selection.at("candidates").size(), 3u);  // ease's and itemknn's grids, hybrid
  double best = -1;
  for (const auto& c : selection["candidates"]) best = std::max(best, c.value("ndcg@10", -1.0));
  EXPECT_DOUBLE_EQ(selection["chosen"]["ndcg@10"].get<double>(), best);
  const std::string family = config["model"]["type"].get<std::string>();
  EXPECT_NE(family, "auto");
  EXPECT_TRUE(selection.contains("per_segment"));
  EXPECT_FALSE(selection.at("decision").get<std::string>().empty());
  EXPECT_EQ(config.at("architecture").at("family"), family);
  EXPECT_FALSE(std::filesystem::exists(dir / "model" / "selection"));  // the candidates' scratch is gone

  // The saved model loads without the data and answers.
  std::filesystem::rename(dir / "shop", dir / "moved");
  ModelBundle bundle = ModelBundle::load(dir / "model");
  EXPECT_EQ(bundle.type(), family);
  EXPECT_EQ(bundle.recommend(0, 5).size(), 5u);
  EXPECT_GT(result.report["metrics"]["ranking"].value("ndcg@10", 0.0), 0.0);
}

TEST(AutoModel, RefusesAListWithABaselineOrAnUnknownFamilyBeforeTraining) {
  const auto dir = shop("auto_bad");
  EXPECT_THROW(run_training(auto_request(dir, {"ease", "popularity"})), ConfigError);
  EXPECT_THROW(run_training(auto_request(dir, {"ease", "no_such_family"})), ConfigError);
  EXPECT_FALSE(std::filesystem::exists(dir / "model" / "config.json"));
}

TEST(AutoModel, NeedsAValidationPart) {
  const auto dir = shop("auto_noval");
  TrainRequest r = auto_request(dir, {"ease"});
  r.config["data"]["val_ratio"] = 0.0;
  r.config["data"]["train_ratio"] = 0.8;
  EXPECT_THROW(run_training(r), ConfigError);
}

TEST(RoutedModel, SendsUsersWithHistoryToOnePartAndNewUsersToTheOther) {
  const auto dir = shop("routed");
  TrainRequest r = auto_request(dir, {"ease"});
  r.config["model"]["type"] = "routed";
  r.config["model"]["routed"] = {{"history", {{"type", "ease"}}}, {"new_users", {{"type", "category"}}}};
  run_training(r);
  ModelBundle bundle = ModelBundle::load(dir / "model");
  ASSERT_EQ(bundle.type(), "routed");
  const auto arch = read_json(dir / "model" / "config.json").at("architecture");
  EXPECT_EQ(arch.at("history").at("family"), "ease");
  EXPECT_EQ(arch.at("new_users").at("family"), "category");
  // A user with history gets the history part's scores, a user without the new-user part's.
  const auto* routed = dynamic_cast<const RoutedRecommender*>(bundle.recommender.get());
  ASSERT_NE(routed, nullptr);
  EXPECT_EQ(routed->history_model().type(), "ease");
  EXPECT_EQ(routed->new_user_model().type(), "category");
  std::uint32_t known = 0, cold = 0;
  while (known < bundle.seen.size() && bundle.seen[known].empty()) ++known;
  while (cold < bundle.seen.size() && !bundle.seen[cold].empty()) ++cold;
  ASSERT_LT(known, bundle.seen.size());
  ASSERT_LT(cold, bundle.seen.size()) << "the generated shop has users who join after the cut";
  const std::size_t n = bundle.items.size();
  for (auto [user, part] : {std::pair{known, &routed->history_model()}, std::pair{cold, &routed->new_user_model()}}) {
    std::vector<float> whole(n), expected(n);
    bundle.recommender->score_all(std::span<const std::uint32_t>(&user, 1), whole.data());
    part->score_all(std::span<const std::uint32_t>(&user, 1), expected.data());
    EXPECT_EQ(whole, expected) << "user " << user;
  }
}

TEST(ModelFamilies, ARegistryFamilyChangeIsAMajorVersionAndRetuningIsNot) {
  const auto dir = shop("family_versions");
  auto train = [&](const std::string& family, const std::string& out, double lambda_relative) {
    TrainRequest r = auto_request(dir, {"ease"});
    r.config["model"]["type"] = family;
    r.config["model"]["ease"]["lambda"] = 10.0 * lambda_relative;
    r.out = dir / out;
    run_training(r);
    return r.out;
  };
  auto ws = store::Workspace::open(dir / "workspace");
  const auto first = ws.registry().register_model(store::register_request_from_model_dir(train("ease", "a", 1.0)));
  EXPECT_EQ(first.model_type, "ease");
  const auto retuned = store::register_request_from_model_dir(train("ease", "b", 4.0));
  EXPECT_NE(ws.registry().propose_version(retuned.architecture, retuned.features).bump, "major")
      << "a new lambda is retuning, not a new architecture";
  const auto other = store::register_request_from_model_dir(train("itemknn", "c", 1.0));
  EXPECT_EQ(ws.registry().propose_version(other.architecture, other.features).bump, "major");
}

TEST(ModelFamilies, BadFamilySettingsAreRefusedBeforeTheDataIsRead) {
  const auto dir = shop("family_bad_settings");
  TrainRequest r = auto_request(dir, {"ease"});
  r.data = dir / "no-such-data";  // never reached: the settings fail first
  r.config["model"]["type"] = "ease";
  r.config["model"]["ease"]["lambda"] = -1;
  EXPECT_THROW(run_training(r), ConfigError);
  r.config["model"]["type"] = "no_such_family";
  try {
    run_training(r);
    FAIL() << "an unknown family must be refused";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("ease"), std::string::npos) << "the message lists the families: " << e.what();
  }
}

TEST(ModelFamilies, ACatalogueTooLargeForEaseIsRefusedWithTheSizeAndAnAlternative) {
  const auto dir = shop("ease_too_big");
  TrainRequest r = auto_request(dir, {"ease"});
  r.config["model"]["type"] = "ease";
  r.config["model"]["ease"]["max_memory_gb"] = 1e-6;  // about 1 KB: the 120-item shop needs more
  try {
    run_training(r);
    FAIL() << "ease must refuse a catalogue over its memory limit";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("ials"), std::string::npos) << message;
    EXPECT_NE(message.find("120"), std::string::npos) << "names the catalogue size: " << message;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "model" / "config.json"));
}

TEST(AutoModel, CandidatesGoRoundRobinOverTheFamiliesFromEachGridsMiddle) {
  nlohmann::json config = default_config();
  config["model"]["auto"]["families"] = {"ease", "hybrid", "itemknn"};
  const Dataset empty;
  const auto candidates = auto_candidates(config, empty);
  const auto ease_grid = family_grid("ease", config, empty);
  ASSERT_GE(ease_grid.size(), 3u);
  // The first round tries every family once, ease at the middle of its grid.
  ASSERT_GE(candidates.size(), 3u);
  EXPECT_EQ(candidates[0].family, "ease");
  EXPECT_EQ(candidates[0].overlay, ease_grid[ease_grid.size() / 2].overlay);
  EXPECT_EQ(candidates[1].family, "hybrid");
  EXPECT_EQ(candidates[2].family, "itemknn");
  // Every grid point is there exactly once.
  std::size_t ease_points = 0;
  for (const auto& c : candidates) ease_points += c.family == "ease";
  EXPECT_EQ(ease_points, ease_grid.size());
  EXPECT_EQ(candidates.size(), ease_grid.size() + 1 + family_grid("itemknn", config, empty).size());
}
