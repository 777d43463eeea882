// Issue #17's "early and honest refusals" and strict configuration, through the
// real binary: each refusal comes before the training, names what is wrong, and
// a run refused after it started is recorded as failed with the reason.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "generated_shop.h"
#include "test_support.h"

namespace {

using Output = hybridrec::testing::CliOutput;
Output run(const std::string& args) { return hybridrec::testing::run_hybridrec(args); }

class CliRefusals : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = hybridrec::testing::scratch_dir("cli-refusals");
    hybridrec::testing::write_generated_shop(dir_ / "shop", 200, 80, 6000, 5);
  }
  std::string data() const { return "--data " + (dir_ / "shop").string(); }
  std::string out(const std::string& name) const { return " --out " + (dir_ / name).string(); }
  std::string ws() const { return " --workspace " + (dir_ / "ws").string(); }
  std::filesystem::path dir_;
};

TEST_F(CliRefusals, ConfigFileErrorsNameTheKeyAndNeverTheLibrary) {
  const auto yaml = dir_ / "bad.yaml";
  std::ofstream(yaml) << "model:\n  embeding_dim: 8\n";
  Output o = run("train " + data() + out("m") + " --no-track --config " + yaml.string());
  EXPECT_NE(o.status, 0);
  EXPECT_NE(o.text.find("did you mean 'model.embedding_dim'?"), std::string::npos) << o.text;
  std::ofstream(yaml) << "model:\n  embedding_dim: 8.7\n";
  o = run("train " + data() + out("m") + " --no-track --config " + yaml.string());
  EXPECT_NE(o.status, 0);
  EXPECT_NE(o.text.find("model.embedding_dim = 8.7 is not an integer"), std::string::npos) << o.text;
  o = run("train " + data() + out("m") + " --no-track --set model.hidden_layers=abc");
  EXPECT_NE(o.status, 0);
  EXPECT_NE(o.text.find("model.hidden_layers"), std::string::npos) << o.text;
  EXPECT_EQ(o.text.find("json.exception"), std::string::npos) << o.text;
  o = run("train " + data() + out("m") + " --no-track --set data.negative_sampling_ratio=100000");
  EXPECT_NE(o.status, 0);
  EXPECT_NE(o.text.find("[1, 1000]"), std::string::npos) << o.text;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "m" / "config.json"));
}

// A version already taken is refused before any training; a run refused after
// it started (here: the memory estimate) is `failed` with its reason.
TEST_F(CliRefusals, TakenVersionBeforeTrainingAndARefusedRunIsFailedWithItsReason) {
  Output first = run("train " + data() + out("pop") + ws() + " --model popularity --quiet --version v1.0.0");
  ASSERT_EQ(first.status, 0) << first.text;
  Output again = run("train " + data() + out("again") + ws() + " --model hybrid --version v1.0.0");
  EXPECT_NE(again.status, 0);
  EXPECT_NE(again.text.find("--version v1.0.0 is already registered"), std::string::npos) << again.text;
  EXPECT_EQ(again.text.find("epoch"), std::string::npos) << "trained before refusing: " << again.text;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "again" / "config.json"));

  Output big = run("train " + data() + out("big") + ws() +
                   " --quiet --set model.embedding_dim=4096 --set training.max_memory_gb=0.001");
  EXPECT_NE(big.status, 0);
  EXPECT_NE(big.text.find("GB"), std::string::npos) << big.text;
  EXPECT_NE(big.text.find("training.max_memory_gb"), std::string::npos) << big.text;
  Output runs = run("runs list --json" + ws());
  ASSERT_EQ(runs.status, 0) << runs.text;
  const auto list = nlohmann::json::parse(runs.text);
  ASSERT_EQ(list.size(), 2u) << runs.text;  // the taken version started no run
  std::string failed;
  for (const auto& r : list)
    if (r["status"] == "failed") failed = r["run_id"].get<std::string>();
  ASSERT_FALSE(failed.empty()) << runs.text;
  Output shown = run("runs show " + failed + " --json" + ws());
  ASSERT_EQ(shown.status, 0) << shown.text;
  const auto reason = nlohmann::json::parse(shown.text)["tags"].value("failure_reason", std::string());
  EXPECT_NE(reason.find("training.max_memory_gb"), std::string::npos) << shown.text;
}

TEST_F(CliRefusals, ResumeRefusesChangedSettingsButTheEpochCountAndSaysWhenThereIsNoCheckpoint) {
  const std::string base = "train " + data() + out("m") + " --no-track --model ncf --set model.embedding_dim=8 "
                           "--set 'model.hidden_layers=[16,8]'";
  Output none = run(base + " --resume --set training.num_epochs=1");
  ASSERT_EQ(none.status, 0) << none.text;
  EXPECT_NE(none.text.find("--resume: no checkpoint"), std::string::npos) << none.text;
  Output changed = run(base + " --resume --quiet --set training.num_epochs=2 --set training.learning_rate=0.01");
  EXPECT_NE(changed.status, 0);
  EXPECT_NE(changed.text.find("training.learning_rate 0.001 -> 0.01"), std::string::npos) << changed.text;
  EXPECT_NE(changed.text.find("only training.num_epochs may change"), std::string::npos) << changed.text;
  Output longer = run(base + " --resume --set training.num_epochs=2");
  ASSERT_EQ(longer.status, 0) << longer.text;
  EXPECT_NE(longer.text.find("resuming after epoch 1"), std::string::npos) << longer.text;
}

// #15: `evaluate` reads evaluation.k, evaluation.baselines and
// data.negative_sampling_ratio from the run's configuration, as training did.
TEST_F(CliRefusals, EvaluateFollowsTheRunsEvaluationSettings) {
  Output t = run("train " + data() + out("pop") + " --no-track --quiet --model popularity --set 'evaluation.k=[3]' "
                 "--set 'evaluation.baselines=[random]' --set data.negative_sampling_ratio=2");
  ASSERT_EQ(t.status, 0) << t.text;
  Output e = run("evaluate --model " + (dir_ / "pop").string() + " --json --out " + (dir_ / "eval.json").string());
  ASSERT_EQ(e.status, 0) << e.text;
  const auto report = nlohmann::json::parse(e.text);
  const auto& ranking = report["metrics"]["ranking"];
  EXPECT_TRUE(ranking.contains("ndcg@3")) << ranking.dump();
  EXPECT_FALSE(ranking.contains("ndcg@10")) << ranking.dump();
  EXPECT_TRUE(report["baselines"].contains("random")) << report["baselines"].dump();
  EXPECT_FALSE(report["baselines"].contains("category")) << report["baselines"].dump();
  // The flags still win over the configuration.
  e = run("evaluate --model " + (dir_ / "pop").string() + " --json --k 4 --baselines none --out " +
          (dir_ / "eval2.json").string());
  ASSERT_EQ(e.status, 0) << e.text;
  const auto flagged = nlohmann::json::parse(e.text);
  EXPECT_TRUE(flagged["metrics"]["ranking"].contains("ndcg@4")) << e.text;
  EXPECT_TRUE(!flagged.contains("baselines") || flagged["baselines"].empty()) << e.text;
}

}  // namespace
