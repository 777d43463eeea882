// validate_dataset: every kind of issue is reported with its file, line and
// field, examples are capped, and the CLI's exit status follows the errors.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

#include "core/atomic_file.h"
#include "data/validation.h"
#include "test_support.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& file, const std::string& bytes) { std::ofstream(file, std::ios::binary) << bytes; }

const ValidationIssue* find_issue(const ValidationReport& r, const std::string& code) {
  for (const auto& i : r.issues)
    if (i.code == code) return &i;
  return nullptr;
}

constexpr std::int64_t kNow = 1767225600;  // 2026-01-01: fixed so the test never ages

fs::path broken_dataset() {
  auto dir = testing::scratch_dir("broken");
  write(dir / "interactions.csv",
        "user_id,item_id,event,value,timestamp\n"
        "u1,i1,view,,1700000000\n"       // 2 fine
        "u1,i2,clik,,1700000001\n"       // 3 unknown event
        "u2,i1,rating,abc,1700000002\n"  // 4 non-numeric value
        "u2,i2,rating,7,1700000003\n"    // 5 rating out of range
        "u3,i1,view,,not-a-date\n"       // 6 unparseable timestamp
        "u3,i2,view,,1000\n"             // 7 1970
        "u1,i1,view,,1700000000\n"       // 8 duplicate of line 2
        "u9,i1,view,,1700000004\n"       // 9 user not in users.csv (warning)
        "u1,i7,purchase,,1700000005\n"   // 10 item not in items.csv (warning)
        "u1,,view,,1700000006\n"         // 11 empty item id
        "u1,i1,view\n"                   // 12 too few fields
        "u2,i2,rating,,1700000007\n"     // 13 rating without value
        "u2,i1,view,,4102444800\n");     // 14 year 2100
  write(dir / "users.csv", "user_id,age\nu1,30\nu2,40\nu3,50\nu2,41\n");
  write(dir / "items.csv", "item_id,category,price\ni1,a,10\ni2,b,-3\n");
  return dir;
}

TEST(Validation, ReportsEveryIssueWithFileLineAndField) {
  ValidationReport r = validate_dataset(broken_dataset(), {}, kNow);
  struct Expected {
    const char* code;
    const char* file;
    std::size_t line;
    const char* field;
    ValidationIssue::Severity severity;
  };
  using S = ValidationIssue::Severity;
  for (const Expected& e : std::vector<Expected>{
           {"unknown_event", "interactions.csv", 3, "event", S::Error},
           {"non_numeric_value", "interactions.csv", 4, "value", S::Error},
           {"rating_out_of_range", "interactions.csv", 5, "value", S::Error},
           {"bad_timestamp", "interactions.csv", 6, "timestamp", S::Error},
           {"impossible_timestamp", "interactions.csv", 7, "timestamp", S::Error},
           {"duplicate_row", "interactions.csv", 8, "", S::Warning},  // issue #16: duplicates warn
           {"unknown_user", "interactions.csv", 9, "user_id", S::Warning},
           {"unknown_item", "interactions.csv", 10, "item_id", S::Warning},
           {"missing_field", "interactions.csv", 11, "item_id", S::Error},
           {"malformed_row", "interactions.csv", 12, "", S::Error},
           {"missing_value", "interactions.csv", 13, "value", S::Error},
           {"duplicate_id", "users.csv", 5, "id", S::Error},
           {"negative_price", "items.csv", 3, "price", S::Error},
       }) {
    const ValidationIssue* issue = find_issue(r, e.code);
    ASSERT_TRUE(issue) << e.code << "\n" << r.to_text();
    EXPECT_EQ(issue->file, e.file) << e.code;
    EXPECT_EQ(issue->line, e.line) << e.code;
    EXPECT_EQ(issue->field, e.field) << e.code;
    EXPECT_EQ(issue->severity, e.severity) << e.code;
  }
  EXPECT_EQ(r.counts.at("impossible_timestamp"), 2u);  // 1970 and 2100
  EXPECT_NE(find_issue(r, "duplicate_row")->message.find("line 2"), std::string::npos);
  EXPECT_EQ(r.warnings, 3u);  // unknown user, unknown item, the duplicate row
  EXPECT_EQ(r.errors, 11u);
  EXPECT_FALSE(r.ok());
  // Rows that parsed are summarised; broken ones are not counted.
  EXPECT_EQ(r.rows, 7u);
  EXPECT_EQ(r.events[static_cast<int>(Event::Purchase)], 1u);
  EXPECT_EQ(r.catalogue_users, 3u);
  EXPECT_EQ(r.time_min, 1000);
  EXPECT_EQ(r.time_max, 4102444800);

  nlohmann::json j = r.to_json();
  EXPECT_FALSE(j["ok"].get<bool>());
  EXPECT_EQ(j["counts"]["unknown_event"], 1);
  EXPECT_EQ(j["summary"]["rows"], 7);
  EXPECT_EQ(j["issues"][0]["file"].get<std::string>().empty(), false);
  std::string text = r.to_text();
  EXPECT_NE(text.find("interactions.csv:3: field 'event': unknown event 'clik'"), std::string::npos) << text;
  EXPECT_NE(text.find("FAILED"), std::string::npos);
}

TEST(Validation, CapsExamplesButCountsEverything) {
  auto dir = testing::scratch_dir("many");
  std::string content = "user_id,item_id,event,value,timestamp\n";
  for (int i = 0; i < 30; ++i) content += "u,i" + std::to_string(i) + ",clik,,1700000000\n";
  write(dir / "interactions.csv", content);
  ValidationReport r = validate_dataset(dir, {}, kNow);
  EXPECT_EQ(r.counts.at("unknown_event"), 30u);
  EXPECT_EQ(r.errors, 30u);
  EXPECT_EQ(r.issues.size(), ValidationReport::kExamplesPerCode);
  EXPECT_EQ(r.issues.back().line, ValidationReport::kExamplesPerCode + 1);
  EXPECT_NE(r.to_text().find("10 more unknown_event"), std::string::npos);
}

TEST(Validation, MissingAndEmptyFiles) {
  auto dir = testing::scratch_dir("empty");
  LoadOptions canonical;
  canonical.format = "canonical";
  ValidationReport missing = validate_dataset(dir, canonical, kNow);
  ASSERT_TRUE(find_issue(missing, "missing_file"));
  EXPECT_NE(find_issue(missing, "missing_file")->file.find("interactions.csv"), std::string::npos);
  write(dir / "interactions.csv", "user_id,item_id,event,value,timestamp\n");
  ValidationReport header_only = validate_dataset(dir, {}, kNow);
  ASSERT_TRUE(find_issue(header_only, "empty_file"));
  EXPECT_FALSE(header_only.ok());
  write(dir / "interactions.csv", "user_id,item_id,event,value,timestamp\nu,i,view,,1700000000\n");
  write(dir / "items.csv", "");
  ValidationReport empty_items = validate_dataset(dir, {}, kNow);
  ASSERT_TRUE(find_issue(empty_items, "empty_file")) << empty_items.to_text();
  EXPECT_NE(find_issue(empty_items, "empty_file")->file.find("items.csv"), std::string::npos);
}

TEST(Validation, CleanFixturePassesWithOnlyWarnings) {
  ValidationReport r = validate_dataset(fs::path(HYBRIDREC_TEST_DATA) / "io/canonical-mini", {}, kNow);
  EXPECT_TRUE(r.ok()) << r.to_text();
  EXPECT_EQ(r.warnings, 1u);  // u3 is not in users.csv
  EXPECT_EQ(r.rows, 4u);
  EXPECT_EQ(r.users, 3u);
  EXPECT_EQ(r.items, 3u);
  EXPECT_NEAR(r.sparsity, 1.0 - 4.0 / 9.0, 1e-12);
}

TEST(Validation, MovieLens100kIsClean) {
  REQUIRE_ML100K();
  ValidationReport r = validate_dataset(testing::ml100k_path(), {}, kNow);
  EXPECT_TRUE(r.ok()) << r.to_text();
  EXPECT_EQ(r.warnings, 0u);
  EXPECT_EQ(r.rows, 100000u);
  EXPECT_EQ(r.users, 943u);
  EXPECT_EQ(r.items, 1682u);
  EXPECT_EQ(r.events[static_cast<int>(Event::Rating)], 100000u);
  EXPECT_NEAR(r.sparsity, 1.0 - 100000.0 / (943.0 * 1682.0), 1e-12);
}

int run_cli(const std::string& args, const fs::path& out) {
  std::string cmd = std::string(HYBRIDREC_BINARY) + " validate " + args + " > " + out.string() + " 2>&1";
  int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Validation, CliExitStatusFollowsErrorsNotWarnings) {
  auto dir = testing::scratch_dir("cli");
  auto good = fs::path(HYBRIDREC_TEST_DATA) / "io/canonical-mini";
  EXPECT_EQ(run_cli("--data " + good.string() + " --json", dir / "good.json"), 0);
  nlohmann::json j = read_json(dir / "good.json");
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["warnings"], 1);
  EXPECT_EQ(run_cli("--data " + broken_dataset().string(), dir / "bad.txt"), 1);
  std::string text = read_file(dir / "bad.txt");
  EXPECT_NE(text.find("interactions.csv:3"), std::string::npos) << text;
  EXPECT_NE(run_cli("--data " + (dir / "nothing").string() + " --format canonical", dir / "none.txt"), 0);
}

}  // namespace
}  // namespace hybridrec
