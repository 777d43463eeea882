// A split supplied as files gives the same numbers as an outside implementation on
// the identical split: MovieLens 100K's u1.base / u1.test (xz), the popularity
// baseline's P@10 and NDCG@10 from `hybridrec train --split files` against
// bench/popularity_reference.py (numpy).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;

std::string capture(const std::string& cmd) {
  std::string out;
  std::FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  pclose(pipe);
  return out;
}

TEST(SuppliedSplit, Ml100kU1PopularityMatchesNumpyReference) {
  const fs::path splits = testing::ml100k_path() / "splits";
  if (!fs::exists(splits / "u1.base.xz")) {
    if (testing::in_ci()) FAIL() << "missing " << splits;
    GTEST_SKIP() << "no " << splits;
  }
  const auto dir = testing::scratch_dir("u1");
  const std::string train = (splits / "u1.base.xz").string(), test = (splits / "u1.test.xz").string();
  const std::string cmd = std::string(HYBRIDREC_BINARY) + " train --model popularity --no-track --quiet --split files --train '" +
                          train + "' --test '" + test + "' --out '" + (dir / "model").string() + "' 2>&1";
  const std::string log = capture(cmd);
  std::ifstream metrics_file(dir / "model" / "metrics.json");
  ASSERT_TRUE(metrics_file) << log;
  const nlohmann::json metrics = nlohmann::json::parse(metrics_file);
  const nlohmann::json& ranking = metrics.at("metrics").at("ranking");

  const std::string reference_text =
      capture("/usr/bin/python3 '" + std::string(HYBRIDREC_SOURCE_DIR) + "/bench/popularity_reference.py' '" + train +
              "' '" + test + "' 10");
  const nlohmann::json reference = nlohmann::json::parse(reference_text, nullptr, false);
  ASSERT_FALSE(reference.is_discarded()) << reference_text;
  EXPECT_EQ(reference["users"].get<int>(), 459);
  EXPECT_NEAR(ranking.at("precision@10").get<double>(), reference["precision@10"].get<double>(), 1e-4);
  EXPECT_NEAR(ranking.at("ndcg@10").get<double>(), reference["ndcg@10"].get<double>(), 1e-4);
}

}  // namespace
}  // namespace hybridrec
