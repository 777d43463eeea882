// The study tables on both backends (SQLite, and PostgreSQL when
// HYBRIDREC_TEST_PG_URL is set): budget, concurrent claims, lost workers.
#include <mutex>
#include <set>
#include <thread>

#include "../store/store_test_support.h"
#include "train/config.h"
#include "tune/study_store.h"

namespace hybridrec::testing {
namespace {

using tune::StudyStore;
using tune::TrialStatus;

tune::StudySettings small_study(int max_jobs, tune::Strategy strategy = tune::Strategy::random) {
  tune::StudySettings s;
  s.strategy = strategy;
  s.max_jobs = max_jobs;
  s.initial_random = 2;
  s.space = tune::SearchSpace::from_json(
      {{"parameters", {{"learning_rate", {{"type", "continuous"}, {"min", 1e-4}, {"max", 1e-2}, {"scaling", "log"}}},
                       {"embedding_dim", {{"type", "integer"}, {"min", 8}, {"max", 64}}}}}},
      "test");
  s.data = "unused";
  s.config = default_config();
  return s;
}

class StudyStoreTest : public StoreBackendTest {};
HYBRIDREC_INSTANTIATE_BACKENDS(StudyStoreTest);

TEST_P(StudyStoreTest, ClaimsNumberTrialsAndStopAtTheBudget) {
  auto ws = open();
  StudyStore store(ws.database());
  auto study = store.create("s", small_study(3, tune::Strategy::bayesian));
  EXPECT_THROW(store.create("s", small_study(3)), Error);
  for (int n = 1; n <= 3; ++n) {
    auto t = store.claim_next(study, "w");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->number, n);
    EXPECT_NO_THROW(study.settings.space.encode(t->params));
    store.record_epoch(t->id, {0.1, 0.2});
    EXPECT_FALSE(store.close_if_done(study));
    EXPECT_TRUE(store.finish(t->id, TrialStatus::completed, 0.25 * n, {0.125, 0.25 * n}, {{"epochs", 2}}, ""));
  }
  EXPECT_FALSE(store.claim_next(study, "w"));
  EXPECT_TRUE(store.close_if_done(study));
  EXPECT_FALSE(store.close_if_done(study));  // only one closer registers the best model
  auto trials = store.trials(study.id);
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[2].history, (std::vector<double>{0.125, 0.75}));
  auto best = tune::best_trial(study, trials);
  ASSERT_TRUE(best);
  EXPECT_EQ(best->number, 3);
  EXPECT_EQ(store.get("s").status, "finished");
}

// A study stored before trial parameters were named by configuration key reads
// with the keys: its space, its trials, and a new trial proposed from them.
TEST_P(StudyStoreTest, AnOlderStudysShortParameterNamesReadAsConfigurationKeys) {
  auto ws = open();
  StudyStore store(ws.database());
  auto study = store.create("old", small_study(3));
  auto first = store.claim_next(study, "w");
  ASSERT_TRUE(first);
  store.finish(first->id, TrialStatus::completed, 0.3, {0.3}, {}, "");
  // Rewrite the stored rows as an older build wrote them.
  auto settings = study.settings.to_json();
  for (auto& p : settings["space"]) p["name"] = p["name"] == "training.learning_rate" ? "learning_rate" : "embedding_dim";
  ws.database().query("UPDATE studies SET settings = $1 WHERE study_id = $2", {settings.dump(), study.id});
  const json legacy = {{"learning_rate", first->params["training.learning_rate"]},
                       {"embedding_dim", first->params["model.embedding_dim"]}};
  ws.database().query("UPDATE trials SET params = $1 WHERE trial_id = $2", {legacy.dump(), first->id});

  auto reread = store.get("old");
  std::set<std::string> names;
  for (const auto& p : reread.settings.space.parameters()) names.insert(p.name);
  EXPECT_EQ(names, (std::set<std::string>{"model.embedding_dim", "training.learning_rate"}));
  auto trials = store.trials(reread.id);
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].params, first->params);
  EXPECT_NO_THROW(reread.settings.space.encode(trials[0].params));
  auto next = store.claim_next(reread, "w");
  ASSERT_TRUE(next);
  EXPECT_TRUE(next->params.contains("model.embedding_dim")) << next->params.dump();
}

TEST_P(StudyStoreTest, ConcurrentWorkersNeverClaimTheSameTrial) {
  { StudyStore(open().database()).create("race", small_study(16)); }
  std::mutex mutex;
  std::vector<std::int64_t> numbers;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&, w] {
      auto ws = open();  // its own connection, like a separate process
      StudyStore store(ws.database());
      auto study = store.get("race");
      while (auto t = store.claim_next(study, "w" + std::to_string(w))) {
        {
          std::lock_guard lock(mutex);
          numbers.push_back(t->number);
        }
        store.finish(t->id, TrialStatus::completed, 0.5, {0.5}, {}, "");
      }
    });
  for (auto& t : workers) t.join();
  std::set<std::int64_t> unique(numbers.begin(), numbers.end());
  EXPECT_EQ(numbers.size(), 16u);
  EXPECT_EQ(unique.size(), 16u);
  EXPECT_EQ(*unique.begin(), 1);
  EXPECT_EQ(*unique.rbegin(), 16);
}

TEST_P(StudyStoreTest, ALostTrialFailsAndItsParametersRunAgain) {
  auto ws = open();
  StudyStore store(ws.database());
  auto study = store.create("lost", small_study(2));
  auto first = store.claim_next(study, "w1");
  ASSERT_TRUE(first);
  // The worker went silent long ago (its process is this one, so only the heartbeat tells).
  ws.database().query("UPDATE trials SET heartbeat_ms = 0 WHERE trial_id = $1", {first->id});
  auto retry = store.claim_next(study, "w2");
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->number, 2);
  ASSERT_TRUE(retry->retry_of);
  EXPECT_EQ(*retry->retry_of, 1);
  EXPECT_EQ(retry->params, first->params);
  auto trials = store.trials(study.id);
  EXPECT_EQ(trials[0].status, TrialStatus::failed);
  EXPECT_TRUE(trials[0].lost);
  EXPECT_NE(trials[0].error.find("no heartbeat"), std::string::npos) << trials[0].error;
  // The lost worker's late result is discarded; the lost trial does not use the budget.
  EXPECT_FALSE(store.finish(first->id, TrialStatus::completed, 0.9, {0.9}, {}, ""));
  store.finish(retry->id, TrialStatus::completed, 0.4, {0.4}, {}, "");
  auto third = store.claim_next(study, "w2");
  ASSERT_TRUE(third);
  EXPECT_FALSE(third->retry_of);
  store.finish(third->id, TrialStatus::failed, std::nullopt, {}, {}, "training diverged");
  EXPECT_FALSE(store.claim_next(study, "w2"));
  EXPECT_TRUE(store.close_if_done(study));
}

TEST_P(StudyStoreTest, UnknownStudyNamesTheKnownOnes) {
  auto ws = open();
  StudyStore store(ws.database());
  store.create("alpha", small_study(1));
  try {
    store.get("beta");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("alpha"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hybridrec::testing
