#include <regex>

#include <gtest/gtest.h>

#include "eval/result_report.h"

using namespace hybridrec;

namespace {
nlohmann::json metrics(double ndcg10, double precision10, double recall10, double map) {
  return {{"primary_k", 10},
          {"part", "test"},
          {"ks", {5, 10}},
          {"users_evaluated", 100},
          {"users_without_relevant", 2},
          {"ranking", {{"ndcg@10", ndcg10}, {"precision@10", precision10}, {"recall@10", recall10}, {"map", map}}},
          {"prediction", {{"rmse", 0.8}, {"mae", 0.6}}},
          {"business", {{"coverage", 0.7}, {"diversity", nullptr}, {"novelty", 0.4}, {"serendipity", 0.3}}},
          {"fairness", {{"demographic_parity", 0.08}, {"equal_opportunity", 0.12}}},
          {"segments", {{"new_users", {{"users", 3}}}}},
          {"cold_start_paths", {{"cold_users", 3}}}};
}
}  // namespace

TEST(ResultReport, HasEverySpecificationKey) {
  const auto report = make_result_report("v2.3.1", metrics(0.45, 0.38, 0.2, 0.3),
                                         {{"popularity", metrics(0.40, 0.35, 0.1, 0.0)},
                                          {"random", metrics(0.05, 0.02, 0.01, 0.01)}});
  for (const char* key : {"model_version", "timestamp", "metrics", "comparison_to_baseline", "segments", "baselines"})
    EXPECT_TRUE(report.contains(key)) << key;
  for (const char* section : {"ranking", "prediction", "business", "fairness"})
    EXPECT_TRUE(report["metrics"].contains(section)) << section;
  EXPECT_EQ(report["model_version"], "v2.3.1");
  EXPECT_TRUE(std::regex_match(report["timestamp"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  EXPECT_DOUBLE_EQ(report["metrics"]["fairness"]["demographic_parity"].get<double>(), 0.08);
  EXPECT_EQ(report["baselines"].size(), 2u);
  EXPECT_DOUBLE_EQ(report["baselines"]["random"]["ranking"]["ndcg@10"].get<double>(), 0.05);
  EXPECT_EQ(report["segments"]["new_users"]["users"], 3);
}

TEST(ResultReport, ImprovementIsRelativeToTheBestBaseline) {
  const auto report = make_result_report("v1.0.0", metrics(0.45, 0.30, 0.2, 0.3),
                                         {{"popularity", metrics(0.40, 0.40, 0.1, 0.0)},
                                          {"random", metrics(0.05, 0.02, 0.01, 0.01)}});
  const auto& cmp = report["comparison_to_baseline"];
  EXPECT_EQ(cmp["baseline"], "popularity");  // highest ndcg@10
  EXPECT_EQ(cmp["ndcg@10_improvement"], "+12.5%");     // 0.45 / 0.40
  EXPECT_EQ(cmp["precision@10_improvement"], "-25.0%"); // 0.30 / 0.40
  EXPECT_EQ(cmp["recall@10_improvement"], "+100.0%");
  EXPECT_EQ(cmp["map_improvement"], "n/a");             // baseline MAP 0
}

TEST(ResultReport, FormatImprovement) {
  EXPECT_EQ(format_improvement(0.38, 0.35), "+8.6%");
  EXPECT_EQ(format_improvement(0.35, 0.35), "+0.0%");
  EXPECT_EQ(format_improvement(0.1, 0.2), "-50.0%");
  EXPECT_EQ(format_improvement(0.1, 0.0), "n/a");
  EXPECT_EQ(format_improvement(0.69199, 0.692), "+0.0%");  // rounds to zero: no "-0.0%"
  EXPECT_EQ(format_improvement(0.45, 0.40), "+12.5%");
}

TEST(ResultReport, NoBaselinesMeansNoComparison) {
  const auto report = make_result_report("v1.0.0", metrics(0.45, 0.30, 0.2, 0.3), {});
  EXPECT_TRUE(report["comparison_to_baseline"]["baseline"].is_null());
  EXPECT_EQ(report["comparison_to_baseline"]["ndcg@10_improvement"], "n/a");
}

TEST(ResultReport, TableShowsModelAndBaselines) {
  const auto report = make_result_report("v9.9.9", metrics(0.45, 0.30, 0.2, 0.3),
                                         {{"popularity", metrics(0.40, 0.40, 0.1, 0.0)}});
  const std::string table = format_metrics_table(report);
  EXPECT_NE(table.find("v9.9.9"), std::string::npos);
  EXPECT_NE(table.find("popularity"), std::string::npos);
  EXPECT_NE(table.find("ndcg@10"), std::string::npos);
  EXPECT_NE(table.find("0.4500"), std::string::npos);
  EXPECT_NE(table.find("+12.5%"), std::string::npos);
  // Diversity is null in these metrics: printed as "-".
  const auto line_start = table.find("diversity");
  ASSERT_NE(line_start, std::string::npos);
  const auto line = table.substr(line_start, table.find('\n', line_start) - line_start);
  EXPECT_NE(line.find('-'), std::string::npos);
}
