// `train` refuses what `validate` rejects (issue #16): each bad value the issue
// found is stopped before training with file:line:field, --on-invalid skip drops
// and counts the rows instead, and no command writes over an input file.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "test_support.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& file, const std::string& bytes) { std::ofstream(file, std::ios::binary) << bytes; }

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the CLI; returns the exit status and leaves stdout+stderr in `output`.
int run(const std::string& args, const fs::path& dir, std::string& output) {
  const fs::path log = dir / "cli.log";
  const std::string cmd = std::string(HYBRIDREC_BINARY) + " " + args + " > '" + log.string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  output = read_file(log);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A small clean shop (ratings 1-5 in 2020) with one row or price replaced.
fs::path shop(const fs::path& dir, const std::string& bad_row, const std::string& bad_price = "10") {
  fs::create_directories(dir);
  std::string rows = "user_id,item_id,event,value,timestamp\n";
  for (int u = 0; u < 6; ++u)
    for (int i = 0; i < 5; ++i)
      rows += "u" + std::to_string(u) + ",i" + std::to_string((u + i) % 7) + ",rating," + std::to_string(1 + (u + i) % 5) +
              "," + std::to_string(1580000000 + u * 1000 + i) + "\n";
  rows += bad_row;  // line 32
  write(dir / "interactions.csv", rows);
  std::string items = "item_id,category,price\n";
  for (int i = 0; i < 7; ++i) items += "i" + std::to_string(i) + ",c" + std::to_string(i % 2) + "," + (i == 3 ? bad_price : "10") + "\n";
  write(dir / "items.csv", items);
  return dir;
}

std::string train_args(const fs::path& data, const fs::path& out) {
  return "train --data '" + data.string() + "' --model popularity --no-track --quiet --split user_random --out '" +
         out.string() + "'";
}

TEST(TrainRefusesInvalid, EachBadValueOfTheIssueStopsTrainWithFileLineField) {
  const auto root = testing::scratch_dir("cases");
  struct Case {
    const char* name;
    std::string row, price;
    std::string where;
  };
  const std::vector<Case> cases = {
      {"rating6", "u9,i1,rating,6,1580000000\n", "10", "interactions.csv:32: field 'value'"},
      {"rating_minus1", "u9,i1,rating,-1,1580000000\n", "10", "interactions.csv:32: field 'value'"},
      {"rating_1e308", "u9,i1,rating,1e308,1580000000\n", "10", "interactions.csv:32: field 'value'"},
      {"year1969", "u9,i1,rating,3,1969-07-20\n", "10", "interactions.csv:32: field 'timestamp'"},
      {"year23737", "u9,i1,rating,3,686900000000\n", "10", "interactions.csv:32: field 'timestamp'"},
      {"price_minus5", "", "-5", "items.csv:5: field 'price'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path data = shop(root / c.name, c.row, c.price);
    std::string out;
    EXPECT_EQ(run(train_args(data, root / c.name / "model"), root, out), 1) << out;
    EXPECT_NE(out.find(c.where), std::string::npos) << out;
    EXPECT_NE(out.find("1 error(s)"), std::string::npos) << out;
    EXPECT_FALSE(fs::exists(root / c.name / "model" / "metrics.json"));
    // stats refuses it too.
    EXPECT_EQ(run("stats --split user_random --data '" + data.string() + "'", root, out), 1) << out;
  }
  // The clean shop trains.
  std::string out;
  const fs::path clean = shop(root / "clean", "");
  EXPECT_EQ(run(train_args(clean, root / "clean-model"), root, out), 0) << out;
}

TEST(TrainRefusesInvalid, OnInvalidSkipDropsAndCountsTheRows) {
  const auto root = testing::scratch_dir("skip");
  const fs::path data = shop(root / "data", "u9,i1,rating,6,1580000000\nu9,i2,rating,4,1969-07-20\n");
  std::string out;
  ASSERT_EQ(run(train_args(data, root / "model") + " --on-invalid skip", root, out), 0) << out;
  EXPECT_NE(out.find("dropping 2 row(s)"), std::string::npos) << out;
  // The run records what it skipped.
  const std::string config = read_file(root / "model" / "config.json");
  EXPECT_NE(config.find("\"rows_skipped\": 2"), std::string::npos) << config.substr(0, 2000);
  // An attribute-file error cannot be skipped row by row.
  const fs::path price = shop(root / "price", "", "-5");
  EXPECT_EQ(run(train_args(price, root / "model2") + " --on-invalid skip", root, out), 1) << out;
}

TEST(TrainRefusesInvalid, NoCommandOverwritesAnInputFile) {
  const auto root = testing::scratch_dir("overwrite");
  const fs::path data = shop(root / "data", "");
  const std::string before = read_file(data / "interactions.csv");
  std::string out;
  EXPECT_EQ(run(train_args(data, data), root, out), 1) << out;  // --out is the dataset folder
  EXPECT_NE(out.find("dataset folder"), std::string::npos) << out;
  ASSERT_EQ(run(train_args(data, root / "model"), root, out), 0) << out;
  EXPECT_EQ(run("evaluate --model '" + (root / "model").string() + "' --out '" + (data / "interactions.csv").string() + "'",
                root, out),
            1)
      << out;
  EXPECT_NE(out.find("input file"), std::string::npos) << out;
  EXPECT_EQ(read_file(data / "interactions.csv"), before);
  // evaluate reads the data as training did and may write elsewhere.
  EXPECT_EQ(run("evaluate --model '" + (root / "model").string() + "' --out '" + (root / "eval.json").string() + "'",
                root, out),
            0)
      << out;
}

}  // namespace
}  // namespace hybridrec

namespace hybridrec {
namespace {

TEST(ColumnFlags, CliNamesColumnsByFlagsConfigKeysAndPositions) {
  const auto dir = testing::scratch_dir("flags");
  std::string rows = "visitor;product;when\n";
  for (int u = 0; u < 8; ++u)
    for (int i = 0; i < 4; ++i)
      rows += "v" + std::to_string(u) + ";p" + std::to_string((u + i) % 6) + ";2021-0" + std::to_string(1 + i) + "-1" +
              std::to_string(u) + "\n";
  write(dir / "log.csv", rows);
  std::string out;
  // Unknown names: the error says which columns exist and how to name them.
  EXPECT_EQ(run("validate --data '" + (dir / "log.csv").string() + "'", dir, out), 1) << out;
  EXPECT_NE(out.find("the header has: visitor, product, when"), std::string::npos) << out;
  EXPECT_EQ(run("validate --data '" + (dir / "log.csv").string() + "' --user-col visitor --item-col product --time-col when",
                dir, out),
            0)
      << out;
  // The same through the config keys, and recorded in the run for evaluate.
  ASSERT_EQ(run("train --data '" + (dir / "log.csv").string() +
                    "' --set data.columns.user=visitor --set data.columns.item=product --set data.columns.time=when "
                    "--model popularity --no-track --quiet --out '" + (dir / "model").string() + "'",
                dir, out),
            0)
      << out;
  EXPECT_EQ(run("evaluate --model '" + (dir / "model").string() + "' --out '" + (dir / "eval.json").string() + "'", dir, out),
            0)
      << out;
  // A headerless copy by position.
  write(dir / "raw.csv", rows.substr(rows.find('\n') + 1));
  EXPECT_EQ(run("validate --data '" + (dir / "raw.csv").string() + "' --columns user,item,time", dir, out), 0) << out;
  EXPECT_NE(out.find("rows 32"), std::string::npos) << out;
  EXPECT_EQ(run("validate --data '" + (dir / "raw.csv").string() + "' --user-col 1 --item-col 2 --time-col 3", dir, out), 0)
      << out;
}

}  // namespace
}  // namespace hybridrec

namespace hybridrec {
namespace {

TEST(TuneRefusesInvalid, TuneStopsOnErrorsAndOnInvalidSkipDropsTheRowsInEveryTrial) {
  const auto root = testing::scratch_dir("tune-skip");
  const fs::path data = shop(root / "data", "u9,i1,rating,6,1580000000\nu9,i2,rating,4,1969-07-20\n");
  const std::string tune = "tune --data '" + data.string() + "' --workspace '" + (root / "ws").string() +
                           "' --max-jobs 1 --max-parallel-jobs 1 --threads 1 --quiet"
                           " --set training.num_epochs=1";
  std::string out;
  EXPECT_EQ(run(tune, root, out), 1) << out;
  EXPECT_NE(out.find("interactions.csv:32: field 'value'"), std::string::npos) << out;
  ASSERT_EQ(run(tune + " --on-invalid skip", root, out), 0) << out;
  EXPECT_NE(out.find("dropping 2 row(s)"), std::string::npos) << out;
  EXPECT_EQ(out.find("failed"), std::string::npos) << out;
  // The trial (another process) trained without the two bad rows and their user u9.
  std::size_t trials = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root / "ws" / "tune"))
    if (entry.path().filename() == "config.json" && entry.path().parent_path().filename().string().rfind("trial-", 0) == 0) {
      ++trials;
      const std::string config = read_file(entry.path());
      EXPECT_NE(config.find("\"num_interactions\": 30"), std::string::npos) << config.substr(0, 1500);
      EXPECT_NE(config.find("\"num_users\": 6"), std::string::npos);
    }
  EXPECT_EQ(trials, 1u);
}

}  // namespace
}  // namespace hybridrec
