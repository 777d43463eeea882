#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "store_test_support.h"

namespace hybridrec::testing {
namespace {

using store::RunStatus;

class TrackingTest : public StoreBackendTest {};
HYBRIDREC_INSTANTIATE_BACKENDS(TrackingTest);

TEST_P(TrackingTest, RunRoundTripKeepsParamsMetricsPerStepTagsSeedsAndArtifacts) {
  auto ws = open();
  auto& t = ws.tracking();
  auto id = t.start_run("recommendation-model", "ncf-experiment-1",
                        {{"model", {{"embedding_dim", 50}}}, {"learning_rate", 0.001}, {"loss", "MSELoss"}},
                        {{"stage", "dev"}}, {{"seed", 42}, {"split_seed", 7}});
  for (int epoch = 1; epoch <= 3; ++epoch)
    t.log_metrics(id, {{"train_loss", 1.0 / epoch}, {"val_ndcg@10", 0.1 * epoch}}, epoch);
  t.log_metric(id, "test_ndcg@10", 0.123456789012345678, 3);
  t.log_param(id, "batch_size", 256);
  t.set_tag(id, "stage", "prod");  // overwrite
  auto file = dir() / "out" / "metrics.json";
  write_json_atomic(file, {{"ndcg@10", 0.3}});
  auto logged = t.log_artifact(id, file);
  t.end_run(id, RunStatus::finished);

  auto r = t.get_run(id);
  EXPECT_EQ(r.experiment, "recommendation-model");
  EXPECT_EQ(r.name, "ncf-experiment-1");
  EXPECT_EQ(r.status, RunStatus::finished);
  EXPECT_FALSE(r.end_time.empty());
  EXPECT_EQ(r.pid, static_cast<long>(::getpid()));
  EXPECT_EQ(r.host, store::host_name());
  EXPECT_EQ(r.seeds, (json{{"seed", 42}, {"split_seed", 7}}));
  EXPECT_EQ(r.params.at("model.embedding_dim"), "50");
  EXPECT_EQ(r.params.at("loss"), "MSELoss");
  EXPECT_EQ(r.params.at("batch_size"), "256");
  EXPECT_EQ(r.tags.at("stage"), "prod");
  ASSERT_EQ(r.metrics.at("train_loss").size(), 3u);
  EXPECT_EQ(r.metrics.at("train_loss")[2].step, 3);
  EXPECT_DOUBLE_EQ(r.metrics.at("train_loss")[1].value, 0.5);
  EXPECT_FALSE(r.metrics.at("train_loss")[0].timestamp.empty());
  EXPECT_DOUBLE_EQ(r.latest_metrics.at("val_ndcg@10"), 0.1 * 3);
  EXPECT_EQ(r.latest_metrics.at("test_ndcg@10"), 0.123456789012345678);  // doubles survive exactly
  ASSERT_EQ(r.artifacts.size(), 1u);
  EXPECT_EQ(r.artifacts[0].path, "metrics.json");
  EXPECT_EQ(r.artifacts[0].sha256, logged[0].sha256);
  EXPECT_EQ(r.artifacts[0].size, static_cast<std::int64_t>(fs::file_size(file)));
  EXPECT_TRUE(fs::exists(ws.artifacts().object_path(r.artifacts[0].sha256)));

  EXPECT_THROW(t.end_run(id, RunStatus::failed), Error);  // already finished
  EXPECT_THROW(t.log_metric(id, "loss", std::nan(""), 4), Error);
  EXPECT_THROW(t.log_metric("no-such-run", "loss", 1.0, 1), Error);
}

TEST_P(TrackingTest, ListFiltersByExperimentNewestFirst) {
  auto ws = open();
  auto& t = ws.tracking();
  auto a = t.start_run("exp-a", "first");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto b = t.start_run("exp-a", "second");
  t.start_run("exp-b", "other");
  auto runs = t.list_runs("exp-a");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run_id, b);
  EXPECT_EQ(runs[1].run_id, a);
  EXPECT_EQ(t.list_runs().size(), 3u);
  EXPECT_EQ(t.list_runs("", 1).size(), 1u);
  EXPECT_EQ(t.list_experiments(), (std::vector<std::string>{"exp-a", "exp-b"}));
}

TEST_P(TrackingTest, ProcessKilledMidRunIsMarkedKilledOnNextOpen) {
  auto pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      auto ws = open();
      auto id = ws.tracking().start_run("crash", "doomed");
      ws.tracking().log_metric(id, "train_loss", 0.9, 1);
    } catch (...) {
      ::_exit(3);
    }
    ::raise(SIGKILL);  // dies without end_run, like a crash or `kill -9`
    ::_exit(4);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child failed before the kill, status " << status;

  auto ws = open();
  EXPECT_GE(ws.runs_reaped_on_open(), 1);
  auto runs = ws.tracking().list_runs("crash");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, RunStatus::killed);
  EXPECT_FALSE(runs[0].end_time.empty());
  EXPECT_EQ(runs[0].latest_metrics.at("train_loss"), 0.9);  // what was logged before the crash survives
}

TEST_P(TrackingTest, LiveRunOfThisProcessIsNotReaped) {
  auto ws = open();
  auto id = ws.tracking().start_run("exp", "alive");
  auto again = open();
  EXPECT_EQ(again.runs_reaped_on_open(), 0);
  EXPECT_EQ(again.tracking().get_run(id).status, RunStatus::running);
}

TEST_P(TrackingTest, ActiveRunMarksFailedWhenAnExceptionUnwinds) {
  auto ws = open();
  std::string id;
  try {
    store::ActiveRun run(ws.tracking(), ws.tracking().start_run("exp", "throws"));
    id = run.id();
    throw std::runtime_error("training diverged");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(ws.tracking().get_run(id).status, RunStatus::failed);
  store::ActiveRun ok(ws.tracking(), ws.tracking().start_run("exp", "ok"));
  ok.finish();
  EXPECT_EQ(ws.tracking().get_run(ok.id()).status, RunStatus::finished);
}

}  // namespace
}  // namespace hybridrec::testing
