#pragma once
// Data-quality report for a dataset on disk. Unlike load_dataset it does not stop
// at the first problem: it collects every issue (a capped number of examples per
// kind, plus exact counts) and summarises what the data holds.
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/readers.h"

namespace hybridrec {

struct ValidationIssue {
  enum class Severity { Error, Warning };
  Severity severity = Severity::Error;
  std::string file;
  std::size_t line = 0;  // 1-based; 0 = the whole file
  std::string field;
  // Stable machine name: missing_file, empty_file, malformed_row, missing_field,
  // unknown_event, non_numeric_value, missing_value, rating_out_of_range,
  // bad_timestamp, impossible_timestamp, duplicate_row, unknown_user,
  // unknown_item, duplicate_id, negative_price, bad_weight, unknown_split.
  std::string code;
  std::string message;
};

struct ValidationReport {
  static constexpr std::size_t kExamplesPerCode = 20;

  std::string path, format;
  std::vector<ValidationIssue> issues;         // at most kExamplesPerCode per code
  std::map<std::string, std::size_t> counts;   // code -> every occurrence
  std::size_t errors = 0, warnings = 0;

  // Summary of the rows that parsed.
  std::size_t rows = 0;
  std::size_t users = 0, items = 0;                  // distinct in interactions
  std::size_t catalogue_users = 0, catalogue_items = 0;  // rows of users/items files
  double sparsity = 0.0;                             // 1 - rows / (users * items)
  std::array<std::size_t, kNumEvents> events{};
  std::int64_t time_min = 0, time_max = 0;
  bool has_timestamps = true;  // false: no time column, timestamps not checked
  bool weighted = false;       // a weight column, checked as finite values >= 0
  // Every interaction row with an error, by file name (for --on-invalid skip),
  // and the files those rows are in; errors elsewhere (attribute files, a
  // missing column) cannot be skipped row by row.
  std::map<std::string, std::unordered_set<std::size_t>> error_rows;
  std::size_t errors_outside_rows = 0;

  bool ok() const { return errors == 0; }
  void add(ValidationIssue issue);
  nlohmann::json to_json() const;
  std::string to_text() const;  // human-readable, one issue per line
};

// `now` (unix seconds) bounds "in the future"; 0 = the current time.
ValidationReport validate_dataset(const std::filesystem::path& path, const LoadOptions& options = {},
                                  std::int64_t now = 0);

}  // namespace hybridrec
