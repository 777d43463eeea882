// End to end through the CLI on a tiny generated shop: parallel worker
// processes share a study (SQLite, and PostgreSQL when HYBRIDREC_TEST_PG_URL is
// set), a killed study resumes with every trial accounted for once, and the
// best trial is registered as a challenger.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "../store/store_test_support.h"
#include "generated_shop.h"
#include "tune/study_store.h"

namespace hybridrec::testing {
namespace {

fs::path shop_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / "hybridrec-tests" / "tune-shop";
    if (!fs::exists(d / "interactions.csv")) {
      hybridrec::testing::write_generated_shop(d, 150, 60, 4000, 3);
    }
    return d;
  }();
  return dir;
}

// Small trials: 2 epochs, no baselines at test time, narrow layers.
std::string tune_command(const fs::path& ws, const std::string& url, const std::string& extra) {
  std::string cmd = std::string(HYBRIDREC_BINARY) + " tune --data '" + shop_dir().string() + "' --workspace '" + ws.string() +
                    "' --set training.num_epochs=2 --set 'evaluation.baselines=[]' --early-stopping-min-epochs 1 " + extra;
  if (!url.empty()) cmd += " --store '" + url + "'";
  return cmd;
}

json show_json(const fs::path& ws, const std::string& url, const std::string& study) {
  std::string out_file = (ws / "show.json").string();
  std::string cmd = std::string(HYBRIDREC_BINARY) + " tune show --json --study " + study + " --workspace '" + ws.string() + "'" +
                    (url.empty() ? "" : " --store '" + url + "'") + " > '" + out_file + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return read_json(out_file);
}

class TuneCliTest : public StoreBackendTest {};
HYBRIDREC_INSTANTIATE_BACKENDS(TuneCliTest);

TEST_P(TuneCliTest, TwoParallelWorkersRunEveryTrialExactlyOnce) {
  std::string cmd = tune_command(dir(), url(), "--study par --max-jobs 4 --max-parallel-jobs 2 --initial-random 2 > '" +
                                                   (dir() / "log.txt").string() + "' 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir() / "log.txt");
  json s = show_json(dir(), url(), "par");
  ASSERT_EQ(s["trials"].size(), 4u) << s.dump(1);
  std::set<long long> numbers;
  std::set<std::string> workers, runs;
  for (const auto& t : s["trials"]) {
    numbers.insert(t["number"].get<long long>());
    workers.insert(t["worker"].get<std::string>());
    runs.insert(t["run_id"].get<std::string>());
    EXPECT_NE(t["status"], "running");
    EXPECT_FALSE(t["lost"].get<bool>());
    if (t["status"] != "failed") {
      EXPECT_EQ(t["history"].size(), t["result"]["epochs"].get<std::size_t>());
    }
  }
  EXPECT_EQ(numbers, (std::set<long long>{1, 2, 3, 4}));
  EXPECT_EQ(runs.size(), 4u);                      // one tracked run per trial
  EXPECT_EQ(workers, (std::set<std::string>{"w1", "w2"}));  // both processes worked
  ASSERT_FALSE(s["best"].is_null());
  EXPECT_EQ(s["status"], "finished");
  EXPECT_EQ(s["objective"], json({{"metric", "validation:ndcg@10"}, {"type", "Maximize"}}));
  for (const auto& t : s["trials"])
    if (!t["objective"].is_null()) {
      EXPECT_LE(t["objective"].get<double>(), s["best"]["objective"].get<double>());
    }
  // The best trial's model is a registered challenger, linked to its run.
  ASSERT_TRUE(s["best_model_id"].is_string());
  auto ws = open();
  auto model = ws.registry().get(s["best_model_id"].get<std::string>());
  EXPECT_EQ(model.status, store::ModelStatus::challenger);
  EXPECT_EQ(model.run_id.value_or(""), s["best"]["run_id"].get<std::string>());
  EXPECT_EQ(ws.tracking().get_run(*model.run_id).tags.at("study"), "par");

  // `tune show --report` writes the study's offline HTML report with one plotted
  // point per trial that has an objective.
  const fs::path html = dir() / "study.html";
  std::string report_cmd = std::string(HYBRIDREC_BINARY) + " tune show --study par --workspace '" + dir().string() +
                           "'" + (url().empty() ? "" : " --store '" + url() + "'") + " --report '" + html.string() +
                           "' > /dev/null";
  ASSERT_EQ(std::system(report_cmd.c_str()), 0) << report_cmd;
  const std::string page = read_file(html);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_NE(page.find(fmt::format("{:.4f}", s["best"]["objective"].get<double>())), std::string::npos)
      << "the best objective should be printed in the report";
  for (const auto& t : s["trials"]) {
    auto run = ws.tracking().get_run(t["run_id"].get<std::string>());
    EXPECT_EQ(run.tags.at("trial_status"), t["status"].get<std::string>());
    EXPECT_EQ(run.metrics.at("val_ndcg@10").size(), t["history"].size());  // per-epoch metrics tracked
  }
}

TEST_P(TuneCliTest, AKilledStudyResumesWithEveryTrialAccountedForOnce) {
  std::string cmd = tune_command(dir(), url(), "--study crash --max-jobs 4 --max-parallel-jobs 1 --initial-random 2 --quiet") +
                    " > /dev/null 2>&1";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setpgid(0, 0);  // its own process group: the coordinator and its worker die together
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);
  // Kill as soon as trial 2 is running: trial 1 is finished, trial 2 mid-flight.
  bool killed = false;
  for (int i = 0; i < 3000 && !killed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    try {
      auto ws = open();
      tune::StudyStore store(ws.database());
      auto study = store.find("crash");
      if (!study) continue;
      auto trials = store.trials(study->id);
      if (trials.size() >= 2 && trials[1].status == tune::TrialStatus::running) {
        kill(-pid, SIGKILL);
        killed = true;
      }
    } catch (const std::exception&) {
      // the database may be mid-creation
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(killed) << "trial 2 never started";
  std::string resume = std::string(HYBRIDREC_BINARY) + " tune --resume --study crash --workspace '" + dir().string() + "'" +
                       (url().empty() ? "" : " --store '" + url() + "'") + " > '" +
                       (dir() / "resume.txt").string() + "' 2>&1";
  ASSERT_EQ(std::system(resume.c_str()), 0) << read_file(dir() / "resume.txt");
  EXPECT_NE(read_file(dir() / "resume.txt").find("lost with their worker"), std::string::npos) << read_file(dir() / "resume.txt");

  json s = show_json(dir(), url(), "crash");
  int budgeted = 0, lost = 0;
  std::map<long long, json> by_number;
  for (const auto& t : s["trials"]) {
    by_number[t["number"].get<long long>()] = t;
    EXPECT_NE(t["status"], "running");
    if (t["lost"].get<bool>()) ++lost;
    else ++budgeted;
  }
  EXPECT_EQ(budgeted, 4);
  ASSERT_EQ(lost, 1);
  EXPECT_TRUE(by_number[2]["lost"].get<bool>());
  EXPECT_EQ(by_number[2]["status"], "failed");
  // Exactly one trial re-runs the lost one's parameters.
  int retries = 0;
  for (const auto& [n, t] : by_number)
    if (t["retry_of"] == 2) {
      ++retries;
      EXPECT_EQ(t["params"], by_number[2]["params"]);
    }
  EXPECT_EQ(retries, 1);
  EXPECT_EQ(s["status"], "finished");
}

TEST(TuneCli, AFailingTrialIsRecordedWithItsMessageAndTheStudyGoesOn) {
  auto dir = scratch_dir("fail");
  // Half the Latin-hypercube trials get an impossible batch size and fail in training setup.
  write_file_atomic(dir / "space.yaml", "parameters:\n  training.batch_size: {type: categorical, values: [0, 64]}\n");
  std::string cmd = tune_command(dir, "", "--study f --max-jobs 4 --max-parallel-jobs 1 --initial-random 4 --space '" +
                                              (dir / "space.yaml").string() + "' > '" + (dir / "out.txt").string() + "' 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir / "out.txt");
  json s = show_json(dir, "", "f");
  int failed = 0, completed = 0;
  for (const auto& t : s["trials"]) {
    if (t["status"] == "failed") {
      ++failed;
      EXPECT_EQ(t["params"]["training.batch_size"], 0);
      EXPECT_NE(t["error"].get<std::string>().find("batch_size must be positive"), std::string::npos) << t["error"];
    } else {
      ++completed;
      EXPECT_EQ(t["params"]["training.batch_size"], 64);
    }
  }
  EXPECT_EQ(failed, 2);
  EXPECT_EQ(completed, 2);
  EXPECT_EQ(s["best"]["params"]["training.batch_size"], 64);
}

TEST(TuneCli, BadSearchSpaceAndObjectiveAreRefusedBeforeAnyTrial) {
  auto dir = scratch_dir("bad");
  write_file_atomic(dir / "space.yaml", "parameters:\n  momentum: {type: continuous, min: 0.5, max: 0.99}\n");
  std::string cmd = tune_command(dir, "", "--space '" + (dir / "space.yaml").string() + "' > '" + (dir / "out.txt").string() + "' 2>&1");
  EXPECT_NE(std::system(cmd.c_str()), 0);
  EXPECT_NE(read_file(dir / "out.txt").find("parameter 'momentum'"), std::string::npos) << read_file(dir / "out.txt");
  cmd = tune_command(dir, "", "--objective-metric ndcg@10 > '" + (dir / "out.txt").string() + "' 2>&1");
  EXPECT_NE(std::system(cmd.c_str()), 0);
  EXPECT_NE(read_file(dir / "out.txt").find("validation:METRIC"), std::string::npos) << read_file(dir / "out.txt");
}

}  // namespace
}  // namespace hybridrec::testing
