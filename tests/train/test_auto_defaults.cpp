// Defaults chosen from the data (data.recency_half_life_days: auto) and the guard
// rails of a training run: a setting that keeps few positives, a model below the
// best baseline (warned about, and replaced by that baseline when asked), an
// empty split part, a time-based split on data without timestamps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include "core/atomic_file.h"
#include "core/error.h"
#include "model/id_dropout_choice.h"
#include "test_support.h"
#include "train/config.h"
#include "train/pipeline.h"

using namespace hybridrec;

namespace {

// A shop over 20 years whose taste drifts slowly: items are released all along
// and stay on sale, users come and go over the two decades and each prefers one
// of ten item groups, so what sells shifts from the old catalogue to the new.
// A model that learns the groups ranks above popularity; a 10-day half-life
// (MovieLens 100K's old default) keeps about 0.3% of the positives, and a
// popularity of the last few days' handful of events.
std::filesystem::path drifting_shop(const std::filesystem::path& dir) {
  constexpr int kUsers = 500, kItems = 150, kGroups = 10, kPerUser = 16;
  constexpr double kYears = 20.0, kDay = 86400.0, kUserLifeYears = 2.0;
  const std::int64_t start = 946684800;  // 2000-01-01
  std::mt19937_64 rng(20);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> born(kItems), appeal(kItems);
  for (int i = 0; i < kItems; ++i) {
    born[i] = (unit(rng) * (kYears + 4.0) - 5.0) * 365.0;  // released from 5 years before to a year before the end
    appeal[i] = 1.0 / std::pow(1.0 + (i / kGroups), 0.6);  // a long tail within each group
  }
  std::filesystem::create_directories(dir / "data");
  std::ofstream out(dir / "data" / "interactions.csv");
  out << "user_id,item_id,event,value,timestamp\n";
  std::vector<double> w(kItems);
  for (int u = 0; u < kUsers; ++u) {
    const int group = static_cast<int>(unit(rng) * kGroups);
    const double arrives = unit(rng) * (kYears - 0.2) * 365.0;
    for (int k = 0; k < kPerUser; ++k) {
      const double day = std::min(arrives + unit(rng) * kUserLifeYears * 365.0, kYears * 365.0);
      for (int i = 0; i < kItems; ++i) {
        const bool alive = day >= born[i];
        w[i] = alive ? appeal[i] * (i % kGroups == group ? 40.0 : 1.0) : 0.0;
      }
      std::discrete_distribution<int> pick(w.begin(), w.end());
      const int item = pick(rng);
      out << "u" << u << ",i" << item << ",purchase,," << start + static_cast<std::int64_t>(day * kDay) << "\n";
    }
  }
  return dir / "data";
}

TrainRequest request_for(const std::filesystem::path& data, const std::filesystem::path& out) {
  TrainRequest r;
  r.data = data;
  r.config = default_config();
  r.config["training"]["num_epochs"] = 10;  // few epochs keep the test fast; the rest are the defaults
  r.out = out;
  r.progress = Progress::Mode::Quiet;
  return r;
}

double test_ndcg(const TrainResult& r) { return r.report.at("metrics").at("ranking").at("ndcg@10").get<double>(); }
double baseline_ndcg(const TrainResult& r, const std::string& name) {
  return r.report.at("baselines").at(name).at("ranking").at("ndcg@10").get<double>();
}
bool mentions(const std::vector<std::string>& warnings, const std::string& text) {
  for (const auto& w : warnings)
    if (w.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

// With the defaults the trained model itself (no baseline fallback) reaches the
// popularity baseline on a 20-year dataset with drifting taste; the fixed 10-day
// half-life falls below it, with warnings for both guard rails it trips.
TEST(AutoDefaults, TwentyYearsOfDriftingTasteReachPopularityWhereTenDaysFail) {
  const auto dir = hybridrec::testing::scratch_dir("drift");
  const auto data = drifting_shop(dir);

  auto defaults = request_for(data, dir / "auto");
  defaults.fallback_to_baseline = true;  // as `hybridrec train` runs it
  const TrainResult automatic = run_training(defaults);
  const nlohmann::json config = read_json(dir / "auto" / "config.json");
  const auto& chosen = config.at("auto_settings").at("data.recency_half_life_days");
  EXPECT_EQ(chosen.at("origin"), "auto");
  EXPECT_EQ(chosen.at("candidates").size(), 6u);  // off and five fractions of the span
  EXPECT_GT(chosen.at("span_days").get<double>(), 365.0 * 10);
  // The number the run used is what config.json records for the key itself.
  EXPECT_EQ(config.at("data").at("recency_half_life_days").get<double>(), chosen.at("value").get<double>());
  // model.id_dropout_rate: auto, measured on the same split's new users and items.
  const auto& dropout = config.at("auto_settings").at("model.id_dropout_rate");
  EXPECT_EQ(dropout.at("origin"), "auto");
  EXPECT_EQ(dropout.at("measured_on"), "validation");
  const double share = std::max(dropout.at("new_user_share").get<double>(), dropout.at("new_item_share").get<double>());
  EXPECT_NEAR(dropout.at("value").get<double>(), std::clamp(share, double{kIdDropoutMin}, double{kIdDropoutMax}), 1e-6);
  EXPECT_EQ(config.at("model").at("id_dropout_rate").get<double>(), dropout.at("value").get<double>());
  EXPECT_GE(test_ndcg(automatic), baseline_ndcg(automatic, "popularity"));
  // Not only by serving a baseline: the trained model itself reaches popularity.
  const double trained = automatic.report.contains("fallback")
                             ? automatic.report["fallback"].at("trained_test_ndcg@10").get<double>()
                             : test_ndcg(automatic);
  EXPECT_GE(trained, baseline_ndcg(automatic, "popularity"));

  auto fixed = request_for(data, dir / "ten_days");
  fixed.config["data"]["recency_half_life_days"] = 10;
  const TrainResult ten_days = run_training(fixed);
  EXPECT_LT(test_ndcg(ten_days), baseline_ndcg(ten_days, "popularity"));
  EXPECT_LT(test_ndcg(ten_days), trained);
  EXPECT_TRUE(mentions(ten_days.warnings, "of the training positives per epoch (under 10%)"));
  EXPECT_TRUE(mentions(ten_days.warnings, "below the"));
  // Saved with the run, not only printed.
  const auto saved = read_json(dir / "ten_days" / "config.json").at("warnings").get<std::vector<std::string>>();
  EXPECT_EQ(saved, ten_days.warnings);
  EXPECT_EQ(read_json(dir / "ten_days" / "metrics.json").at("warnings").get<std::vector<std::string>>(), ten_days.warnings);
  EXPECT_EQ(read_json(dir / "ten_days" / "config.json").at("model").at("type"), "hybrid");  // library callers keep it
}

// `hybridrec train` (fallback_to_baseline) serves and registers the best baseline
// when the trained model ranks validation below it, and records why.
TEST(AutoDefaults, AModelBelowTheBestBaselineOnValidationIsReplacedByIt) {
  const auto dir = hybridrec::testing::scratch_dir("fallback");
  const auto data = drifting_shop(dir);
  auto r = request_for(data, dir / "model");
  r.config["model"]["type"] = "ials";
  // Hopeless on purpose: factors regularised to nothing, and a one-day half-life for
  // the model's own popularity (its new users).
  r.config["model"]["ials"]["regularization"] = 1e4;
  r.config["data"]["recency_half_life_days"] = 1;
  r.fallback_to_baseline = true;
  const TrainResult result = run_training(r);
  ASSERT_TRUE(result.report.contains("fallback"));
  const auto& f = result.report["fallback"];
  EXPECT_EQ(f.at("trained_family"), "ials");
  EXPECT_LT(f.at("trained_validation_ndcg@10").get<double>(), f.at("baseline_validation_ndcg@10").get<double>());
  const std::string served = f.at("served");
  EXPECT_TRUE(served == "popularity" || served == "category") << served;
  EXPECT_EQ(result.family, served);
  EXPECT_EQ(read_json(dir / "model" / "config.json").at("model").at("type"), served);
  EXPECT_LT(f.at("trained_test_ndcg@10").get<double>(), test_ndcg(result));
  EXPECT_DOUBLE_EQ(test_ndcg(result), baseline_ndcg(result, served));  // the answer is that baseline
  EXPECT_TRUE(mentions(result.warnings, "is served and registered"));
}

// An empty split part stops the run with the reason, not "the training split is empty".
TEST(AutoDefaults, AnEmptySplitPartIsRefusedWithItsReason) {
  const auto dir = hybridrec::testing::scratch_dir("empty");
  std::filesystem::create_directories(dir / "same_time");
  {
    std::ofstream out(dir / "same_time" / "interactions.csv");
    out << "user_id,item_id,event,value,timestamp\n";
    for (int u = 0; u < 20; ++u)
      for (int i = 0; i < 3; ++i) out << "u" << u << ",i" << (u + i) % 7 << ",purchase,,1700000000\n";
  }
  auto same_time = request_for(dir / "same_time", dir / "m1");
  try {
    run_training(same_time);
    FAIL() << "expected a refusal";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("the train part is empty"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("same timestamp"), std::string::npos) << e.what();
  }
  std::filesystem::create_directories(dir / "one_each");
  {
    std::ofstream out(dir / "one_each" / "interactions.csv");
    out << "user_id,item_id,event,value,timestamp\n";
    for (int u = 0; u < 30; ++u) out << "u" << u << ",i" << u % 5 << ",purchase,," << 1700000000 + u * 3600 << "\n";
  }
  auto one_each = request_for(dir / "one_each", dir / "m2");
  one_each.config["data"]["split"] = "user_random";
  try {
    run_training(one_each);
    FAIL() << "expected a refusal";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("the test part is empty"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("every user has fewer than 2 interactions"), std::string::npos) << e.what();
  }
}

// A time-based split on data without a time column is refused, naming the split
// that works (the documented choice: refuse rather than switch silently).
TEST(AutoDefaults, ATemporalSplitWithoutTimestampsIsRefusedNamingUserRandom) {
  const auto dir = hybridrec::testing::scratch_dir("no_time");
  std::filesystem::create_directories(dir / "data");
  {
    std::ofstream out(dir / "data" / "ratings.csv");
    out << "user_id,item_id,rating\n";
    for (int u = 0; u < 20; ++u)
      for (int i = 0; i < 4; ++i) out << "u" << u << ",i" << (u * 3 + i) % 11 << ",4\n";
  }
  auto r = request_for(dir / "data" / "ratings.csv", dir / "m");
  try {
    run_training(r);
    FAIL() << "expected a refusal";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--split user_random"), std::string::npos) << e.what();
  }
}
