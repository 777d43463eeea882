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
  // The models differ in their features only: that shows, the identical settings do not.
  EXPECT_NE(r.out.find("features"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("training.learning_rate"), std::string::npos) << r.out;
  r = run_cli("models compare v1.0.0 v1.1.0 --all " + ws);
  EXPECT_NE(r.out.find("training.learning_rate"), std::string::npos) << r.out;
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
  auto row = [&](const std::string& section, const std::string& key) {
    for (const auto& entry : cmp["sections"][section])
      if (entry["key"] == key) return entry;
    return json();
  };
  EXPECT_FALSE(row("settings", "learning_rate").is_null()) << cmp.dump(1);
  EXPECT_TRUE(row("settings", "batch_size").is_null()) << "identical: hidden without --all";
  EXPECT_NEAR(row("metrics", "val_ndcg@10")["values"][1].get<double>(), 0.6, 1e-12);
  r = run_cli("runs compare " + a + " " + b + " " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("learning_rate"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("batch_size"), std::string::npos) << r.out;
  r = run_cli("runs compare " + a + " " + b + " --all " + ws);
  EXPECT_NE(r.out.find("batch_size"), std::string::npos) << r.out;

  // runs export --format mlflow: the file-store layout (store/mlflow_export_test.cpp checks it field by field).
  const auto mlruns = dir / "mlruns";
  r = run_cli("runs export --format mlflow '" + mlruns.string() + "' " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("exported 2 runs of 1 experiments"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("val_ndcg@10 -> val_ndcg_at_10"), std::string::npos) << r.out;  // the example of the rule
  std::size_t metric_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(mlruns))
    metric_files += e.path().filename() == "val_ndcg_at_10" && e.path().parent_path().filename() == "metrics";
  EXPECT_EQ(metric_files, 2u);
  r = run_cli("runs export --format csv '" + (dir / "x").string() + "' " + ws);
  EXPECT_NE(r.code, 0) << "only mlflow is a known format";
}

// Issue #15's gate through the binary: registration says a model is below the
// best baseline, promote refuses it (and prints the comparison), --force
// promotes it, and rolling back to a worse model needs --force.
TEST(StoreCli, BaselineGateAndRollbackToAWorseModelNeedForce) {
  auto dir = scratch_dir("cli-gate");
  auto ws = "--workspace '" + (dir / "ws").string() + "'";
  auto with_popularity = [&](const std::string& name, double ndcg, double popularity) {
    FixtureModel m;
    m.ndcg = ndcg;
    write_model_dir(dir / name, m);
    json report = read_json(dir / name / "metrics.json");
    report["baselines"] = {{"popularity", {{"ranking", {{"ndcg@10", popularity}}}}}};
    write_json_atomic(dir / name / "metrics.json", report);
    return "'" + (dir / name).string() + "'";
  };
  auto r = run_cli("models register --artifacts " + with_popularity("good", 0.40, 0.30) + " " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.find("below the best baseline"), std::string::npos) << r.out;
  r = run_cli("models register --artifacts " + with_popularity("weak", 0.05, 0.30) + " " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("below the best baseline"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not be promoted without --force"), std::string::npos) << r.out;

  r = run_cli("models promote v1.0.1 " + ws);  // weak, no champion yet
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("below the best baseline (popularity)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0.0500"), std::string::npos) << r.out;
  r = run_cli("models list --json " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  for (const auto& m : json::parse(r.out)) EXPECT_NE(m["status"], "champion") << m.dump();

  ASSERT_EQ(run_cli("models promote v1.0.0 " + ws).code, 0);
  r = run_cli("models promote v1.0.1 --force " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("warning (--force)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("worse"), std::string::npos) << r.out;
  r = run_cli("models show v1.0.1 --json " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  auto shown = json::parse(r.out);
  EXPECT_EQ(shown["status"], "champion");
  bool forced = false;
  for (const auto& e : shown["events"])
    if (e["event"] == "promoted") forced = e["details"]["forced"].get<bool>() && e["details"]["gate"]["below_baseline"].get<bool>();
  EXPECT_TRUE(forced) << shown["events"].dump();

  // Now v1.0.0 (0.40) is the previous champion and better: rollback is allowed.
  ASSERT_EQ(run_cli("models rollback " + ws).code, 0);
  // The other way round: champion good, previous champion weak -> rolling back
  // to weak prints the comparison and needs --force.
  ASSERT_EQ(run_cli("models promote v1.0.1 --force " + ws).code, 0);
  ASSERT_EQ(run_cli("models promote v1.0.0 " + ws).code, 0);  // good over weak: passes
  r = run_cli("models rollback " + ws);
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("refused"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0.0500"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0.4000"), std::string::npos) << r.out;
  r = run_cli("models list --json " + ws);
  for (const auto& m : json::parse(r.out))
    if (m["status"] == "champion") EXPECT_EQ(m["version"], "v1.0.0");
  r = run_cli("models rollback --force " + ws);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("rec-model-v1.0.1"), std::string::npos) << r.out;
}

// Issue #17: read-only commands never create a workspace at a mistyped path, and
// serve's flags are bounded.
TEST(StoreCli, ReadOnlyCommandsRefuseAMissingWorkspaceAndServeFlagsAreBounded) {
  auto dir = scratch_dir("cli-readonly");
  const auto missing = dir / "no-such-workspace";
  const std::string ws = "--workspace '" + missing.string() + "'";
  for (const std::string command : {"models list", "runs list", "models show v1.0.0", "serve --port 0"}) {
    auto r = run_cli(command + " " + ws);
    EXPECT_NE(r.code, 0) << command << ": " << r.out;
    EXPECT_NE(r.out.find("no workspace at"), std::string::npos) << command << ": " << r.out;
    EXPECT_FALSE(fs::exists(missing)) << command << " created " << missing;
  }
  auto r = run_cli("serve --threads 100000 " + ws);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("--threads"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1024"), std::string::npos) << r.out;
  r = run_cli("serve --poll-seconds 1e-9 " + ws);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("out of range"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(missing));
}

}  // namespace
}  // namespace hybridrec::testing
