// End to end through the `hybridrec` binary: register a trained model directory,
// list/show/promote/deploy/rollback, and the run commands, on a SQLite workspace.
#include <sys/wait.h>

#include <cstdio>

#include "store_test_support.h"

namespace hybridrec::testing {
namespace {

struct Result {
  int code;
  std::string out;
};

// Arguments are single-quoted; the test controls every one of them.
Result run_cli(const std::string& args) {
  std::string cmd = std::string("'") + HYBRIDREC_BINARY + "' " + args + " 2>&1";
  Result r{-1, ""};
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(StoreCli, RegisterPromoteDeployRollbackThroughTheBinary) {
  auto dir = scratch_dir("cli");
  auto ws = "--workspace '" + (dir / "ws").string() + "'";
  FixtureModel a;
  a.ndcg = 0.40;
  write_model_dir(dir / "a", a);
  FixtureModel b;
  b.ndcg = 0.30;
  b.features = {"user_id", "item_id"};
  write_model_dir(dir / "b", b);

  auto r = run_cli("models register --artifacts '" + (dir / "a").string() + "' " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("rec-model-v1.0.0"), std::string::npos) << r.out;
  ASSERT_EQ(run_cli("models promote v1.0.0 " + ws).code, 0);
  r = run_cli("models register --artifacts '" + (dir / "b").string() + "' " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("rec-model-v1.1.0"), std::string::npos) << r.out;  // features changed: MINOR

  r = run_cli("models promote rec-model-v1.1.0 " + ws);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("worse than champion"), std::string::npos) << r.out;
  ASSERT_EQ(run_cli("models promote rec-model-v1.1.0 --force " + ws).code, 0);
  r = run_cli("models deploy rec-model-v1.1.0 --env production --traffic 10 " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("10% traffic"), std::string::npos) << r.out;
  r = run_cli("models rollback --env production " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("rec-model-v1.0.0"), std::string::npos) << r.out;

  r = run_cli("models list --json " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  auto models = json::parse(r.out);
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0]["status"], "champion");
  EXPECT_EQ(models[1]["status"], "archived");
  EXPECT_EQ(models[1]["deployment_history"][0]["traffic_percentage"], 10);
  r = run_cli("models list " + ws);
  EXPECT_NE(r.out.find("GATE METRIC"), std::string::npos) << r.out;
  r = run_cli("models compare v1.0.0 v1.1.0 " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("-0.1000"), std::string::npos) << r.out;  // ndcg@10 delta
  r = run_cli("models show ../../etc/passwd " + ws);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("no model"), std::string::npos) << r.out;
  r = run_cli("models register --version 1.2 --artifacts '" + (dir / "a").string() + "' " + ws);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("vMAJOR.MINOR.PATCH"), std::string::npos) << r.out;
}

TEST(StoreCli, RunsListShowCompare) {
  auto dir = scratch_dir("cli");
  std::string a, b;
  {
    auto w = store::Workspace::open(dir / "ws");
    a = w.tracking().start_run("exp", "lr-small", {{"learning_rate", 0.001}, {"batch_size", 256}});
    b = w.tracking().start_run("exp", "lr-big", {{"learning_rate", 0.01}, {"batch_size", 256}});
    for (int e = 1; e <= 3; ++e) {
      w.tracking().log_metric(a, "val_ndcg@10", 0.1 * e, e);
      w.tracking().log_metric(b, "val_ndcg@10", 0.2 * e, e);
    }
    w.tracking().end_run(a);
  }
  auto ws = "--workspace '" + (dir / "ws").string() + "'";
  auto r = run_cli("runs list --experiment exp --json " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(json::parse(r.out).size(), 2u);
  r = run_cli("runs show " + a.substr(0, 8) + " " + ws);  // unique prefix
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("finished"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1..3"), std::string::npos) << r.out;  // step history summary
  r = run_cli("runs compare " + a + " " + b + " --json " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  auto cmp = json::parse(r.out);
  EXPECT_TRUE(cmp["params_differing"].contains("learning_rate"));
  EXPECT_FALSE(cmp["params_differing"].contains("batch_size"));
  EXPECT_NEAR(cmp["metrics"]["val_ndcg@10"][1].get<double>(), 0.6, 1e-12);
}

}  // namespace
}  // namespace hybridrec::testing
