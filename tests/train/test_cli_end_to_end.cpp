// The CLI as a new user runs it: generate -> validate -> train -> evaluate
// (with leave-one-out) -> recommend, through the real binary.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>

#include "core/atomic_file.h"
#include "test_support.h"

namespace {

using Output = hybridrec::testing::CliOutput;
Output run(const std::string& args) { return hybridrec::testing::run_hybridrec(args); }

}  // namespace

TEST(CliEndToEnd, GenerateTrainEvaluateRecommend) {
  auto dir = hybridrec::testing::scratch_dir("cli");
  auto shop = (dir / "shop").string(), model = (dir / "model").string(), ws = (dir / "ws").string();
  ASSERT_EQ(run("generate --out " + shop + " --users 300 --items 100 --interactions 15000 --seed 3").status, 0);
  Output v = run("validate --data " + shop);
  ASSERT_EQ(v.status, 0) << v.text;
  Output t = run("train --data " + shop + " --out " + model + " --workspace " + ws +
                 " --promote --force --quiet --set training.num_epochs=2 --set data.split=leave_one_out"
                 " --set data.val_ratio=0.1");  // 2 epochs end below the baselines: the gate needs --force
  ASSERT_EQ(t.status, 0) << t.text;
  EXPECT_NE(t.text.find("registered rec-model-v1.0.0 as champion"), std::string::npos) << t.text;

  Output e = run("evaluate --model " + model + " --leave-one-out 49 --k 10 --baselines popularity --json");
  ASSERT_EQ(e.status, 0) << e.text;
  auto report = nlohmann::json::parse(e.text);
  double hr = report["leave_one_out"]["hit_rate@10"].get<double>();
  EXPECT_GE(hr, 0.0);
  EXPECT_LE(hr, 1.0);
  EXPECT_TRUE(report["comparison_to_baseline"].contains("ndcg@10_improvement"));

  Output r = run("recommend --model " + model + " --user u000001 --k 3 --json");
  ASSERT_EQ(r.status, 0) << r.text;
  EXPECT_EQ(nlohmann::json::parse(r.text)[0]["items"].size(), 3u);

  Output bad = run("train --data " + dir.string() + "/nope --out " + model + " --no-track");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.text.find("nope"), std::string::npos) << bad.text;
}
