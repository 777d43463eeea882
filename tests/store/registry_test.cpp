#include <algorithm>

#include "store/model_dir.h"
#include "store_test_support.h"

namespace hybridrec::testing {
namespace {

using store::ModelStatus;

class RegistryTest : public StoreBackendTest {
 protected:
  store::ModelRecord add(store::Workspace& ws, const std::string& name, double ndcg) {
    FixtureModel m;
    m.ndcg = ndcg;
    return ws.registry().register_model(store::register_request_from_model_dir(write_model_dir(dir() / name, m)));
  }
};
HYBRIDREC_INSTANTIATE_BACKENDS(RegistryTest);

TEST_P(RegistryTest, RegisteredRecordCarriesTheSpecificationSchema) {
  auto ws = open();
  auto run = ws.tracking().start_run("exp", "train");
  auto req = store::register_request_from_model_dir(write_model_dir(dir() / "m", {}), run);
  auto m = ws.registry().register_model(req);
  auto j = m.to_json();
  EXPECT_EQ(j["model_id"], "rec-model-v1.0.0");
  EXPECT_EQ(j["run_id"], run);
  EXPECT_EQ(j["hyperparameters"]["embedding_dim"], 50);
  EXPECT_EQ(j["hyperparameters"]["learning_rate"], 0.001);
  EXPECT_EQ(j["training_data"]["num_samples"], 100000);
  EXPECT_EQ(j["metrics"]["ranking"]["ndcg@10"], 0.40);
  EXPECT_FALSE(j["architecture"].contains("dropout_rate"));
  EXPECT_EQ(j["artifact_path"], "artifacts/manifests/rec-model-v1.0.0.json");
  auto manifest = read_json(ws.root() / m.artifact_path);
  EXPECT_EQ(manifest["files"].size(), 5u);
  EXPECT_EQ(m.files.size(), 5u);
  ASSERT_EQ(ws.registry().events(m.model_id).size(), 1u);
  EXPECT_EQ(ws.registry().get("v1.0.0").model_id, m.model_id);  // lookup by version too
  req.run_id = "no-such-run";
  EXPECT_THROW(ws.registry().register_model(req), Error);
}

TEST_P(RegistryTest, PromoteRefusesAWorseChallengerUnlessForced) {
  auto ws = open();
  auto& reg = ws.registry();
  auto a = add(ws, "a", 0.40);
  reg.promote(a.model_id);
  auto worse = add(ws, "worse", 0.35);
  try {
    reg.promote(worse.model_id);
    FAIL() << "a worse challenger was promoted";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("ndcg@10"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--force"), std::string::npos) << msg;
  }
  EXPECT_EQ(reg.champion()->model_id, a.model_id);
  EXPECT_EQ(reg.get(worse.model_id).status, ModelStatus::challenger);

  auto better = add(ws, "better", 0.45);
  reg.promote(better.model_id);
  EXPECT_EQ(reg.champion()->model_id, better.model_id);
  EXPECT_EQ(reg.get(a.model_id).status, ModelStatus::archived);  // demoted in the same transaction

  reg.promote(worse.model_id, /*force=*/true);
  EXPECT_EQ(reg.champion()->model_id, worse.model_id);
  int champions = 0;
  for (const auto& m : reg.list()) champions += m.status == ModelStatus::champion;
  EXPECT_EQ(champions, 1);
}

TEST_P(RegistryTest, DeployRecordsCanaryStepsAndRollbackRestoresPreviousChampion) {
  auto ws = open();
  auto& reg = ws.registry();
  auto a = add(ws, "a", 0.40);
  auto b = add(ws, "b", 0.42);
  auto c = add(ws, "c", 0.44);
  EXPECT_THROW(reg.rollback(), Error);  // no champion yet
  reg.promote(a.model_id);
  EXPECT_THROW(reg.rollback(), Error);  // no previous champion
  reg.deploy(a.model_id, "production", 100);
  reg.promote(b.model_id);
  reg.deploy(b.model_id, "production", 10);
  reg.deploy(b.model_id, "production", 50);
  auto deployed = reg.deploy(b.model_id, "production", 100);
  ASSERT_EQ(deployed.deployment_history.size(), 3u);
  EXPECT_EQ(deployed.deployment_history[0].traffic_percentage, 10);
  EXPECT_EQ(deployed.deployment_history[0].environment, "production");
  EXPECT_THROW(reg.deploy(b.model_id, "production", 0), Error);
  EXPECT_THROW(reg.deploy(b.model_id, "production", 101), Error);
  EXPECT_THROW(reg.deploy(a.model_id, "production", 10), Error);  // archived
  reg.promote(c.model_id);

  // b scored below c: rolling back to it is refused without force, and the
  // message holds the comparison.
  try {
    reg.rollback("production");
    FAIL() << "rolled back to a worse model without force";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("worse than champion " + c.model_id), std::string::npos) << msg;
    EXPECT_NE(msg.find("0.4200"), std::string::npos) << msg;
    EXPECT_NE(msg.find("0.4400"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--force"), std::string::npos) << msg;
  }
  EXPECT_EQ(reg.champion()->model_id, c.model_id);
  EXPECT_TRUE(reg.rollback_gate().worse_than_champion());

  auto restored = reg.rollback("production", /*force=*/true);
  EXPECT_EQ(restored.model_id, b.model_id);
  EXPECT_EQ(restored.status, ModelStatus::champion);
  EXPECT_EQ(restored.deployment_history.back().traffic_percentage, 100);
  EXPECT_NE(restored.deployment_history.back().reason.find(c.model_id), std::string::npos);
  EXPECT_EQ(reg.get(c.model_id).status, ModelStatus::archived);
  EXPECT_EQ(reg.rollback("production", true).model_id, a.model_id);  // walks further back
  EXPECT_THROW(reg.rollback("production", true), Error);  // nothing before a

  // Audit trail: nothing deleted, every step recorded.
  auto events = reg.events();
  int rolled_back = 0;
  for (const auto& e : events) rolled_back += e.event == "rolled_back";
  EXPECT_EQ(rolled_back, 2);
  EXPECT_EQ(reg.list().size(), 3u);
  EXPECT_EQ(reg.get(b.model_id).deployment_history.size(), 4u);
}

// A model directory whose metrics.json holds the baselines' scores too.
fs::path model_with_baselines(const fs::path& dir, double ndcg, double popularity) {
  FixtureModel m;
  m.ndcg = ndcg;
  write_model_dir(dir, m);
  json report = read_json(dir / "metrics.json");
  report["baselines"] = {{"popularity", {{"ranking", {{"ndcg@10", popularity}}}}},
                         {"random", {{"ranking", {{"ndcg@10", 0.01}}}}}};
  write_json_atomic(dir / "metrics.json", report);
  return dir;
}

TEST_P(RegistryTest, AModelBelowTheBestBaselineIsNeverChampionWithoutForce) {
  auto ws = open();
  auto& reg = ws.registry();
  // No champion yet: only the baselines stand in the way.
  auto weak = reg.register_model(
      store::register_request_from_model_dir(model_with_baselines(dir() / "weak", 0.0375, 0.3396)));
  // Registration says so, in the event.
  const auto registered = reg.events(weak.model_id).front();
  ASSERT_EQ(registered.event, "registered");
  EXPECT_TRUE(registered.details["gate"]["below_baseline"].get<bool>()) << registered.details.dump();
  EXPECT_EQ(registered.details["gate"]["best_baseline"], "popularity");
  EXPECT_DOUBLE_EQ(registered.details["gate"]["baseline_value"].get<double>(), 0.3396);
  try {
    reg.promote(weak.model_id);
    FAIL() << "a model below the popularity baseline became champion";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("below the best baseline (popularity)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("0.0375"), std::string::npos) << msg;
    EXPECT_NE(msg.find("0.3396"), std::string::npos) << msg;
  }
  EXPECT_FALSE(reg.champion());
  EXPECT_EQ(reg.get(weak.model_id).status, ModelStatus::challenger);

  // A model above its baselines is promoted as before.
  auto good = reg.register_model(
      store::register_request_from_model_dir(model_with_baselines(dir() / "good", 0.37, 0.3396)));
  EXPECT_FALSE(reg.events(good.model_id).front().details["gate"]["below_baseline"].get<bool>());
  reg.promote(good.model_id);
  EXPECT_EQ(reg.champion()->model_id, good.model_id);

  // --force promotes the weak one, and the promotion event records the gate it failed.
  reg.promote(weak.model_id, /*force=*/true);
  EXPECT_EQ(reg.champion()->model_id, weak.model_id);
  const auto events = reg.events(weak.model_id);
  const auto promoted = std::find_if(events.begin(), events.end(), [](const auto& e) { return e.event == "promoted"; });
  ASSERT_NE(promoted, events.end());
  EXPECT_TRUE(promoted->details["forced"].get<bool>());
  EXPECT_TRUE(promoted->details["gate"]["below_baseline"].get<bool>());
  EXPECT_TRUE(promoted->details["gate"]["worse_than_champion"].get<bool>());
  EXPECT_EQ(promoted->details["gate"]["champion"], good.model_id);
}

TEST(GateCheck, BestBaselineIgnoresTheModelsOwnNumbersAndPicksTheHighest) {
  const json report = {{"metrics", {{"ranking", {{"ndcg@10", 0.2}}}}},
                       {"baselines",
                        {{"popularity", {{"ranking", {{"ndcg@10", 0.3}}}}},
                         {"category", {{"ranking", {{"ndcg@10", 0.35}}}}},
                         {"random", {{"ranking", {{"ndcg@10", 0.01}}}}}}}};
  auto best = store::best_baseline(report, "ndcg@10");
  ASSERT_TRUE(best);
  EXPECT_EQ(best->name, "category");
  EXPECT_DOUBLE_EQ(best->value, 0.35);
  EXPECT_FALSE(store::best_baseline(report["metrics"], "ndcg@10"));
  const auto gate = store::check_gate("m", report, "ndcg@10", std::nullopt, json());
  EXPECT_TRUE(gate.below_baseline());
  EXPECT_FALSE(gate.passes());
  EXPECT_NE(gate.failure().find("category"), std::string::npos) << gate.failure();
  // Without baselines or champion there is nothing to fail.
  EXPECT_TRUE(store::check_gate("m", report["metrics"], "ndcg@10", std::nullopt, json()).passes());
}

TEST_P(RegistryTest, CompareShowsDifferingHyperparametersAndMetricDeltas) {
  auto ws = open();
  auto a = add(ws, "a", 0.40);
  FixtureModel m;
  m.ndcg = 0.50;
  m.learning_rate = 0.01;
  auto b = ws.registry().register_model(store::register_request_from_model_dir(write_model_dir(dir() / "b2", m)));
  auto cmp = ws.registry().compare(a.model_id, b.model_id);
  EXPECT_EQ(cmp["hyperparameters"]["learning_rate"], json({0.001, 0.01}));
  EXPECT_FALSE(cmp["hyperparameters"].contains("batch_size"));
  EXPECT_NEAR(cmp["metrics"]["ranking.ndcg@10"]["delta"].get<double>(), 0.10, 1e-12);
  EXPECT_FALSE(cmp["architecture_changed"].get<bool>());
}

}  // namespace
}  // namespace hybridrec::testing
