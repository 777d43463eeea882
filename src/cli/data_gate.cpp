// The checks every command that reads a dataset makes before using it: the
// validation gate (train refuses what validate rejects) and the refusal to write
// over an input file.
#include <fmt/format.h>

#include <iostream>
#include <numeric>

#include "cli/cli_common.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "data/validation.h"

namespace hybridrec::cli {

namespace {

constexpr std::size_t kShown = 10;

std::string describe(const ValidationIssue& i) {
  std::string where = i.file + (i.line > 0 ? ":" + std::to_string(i.line) : "");
  std::string field = i.field.empty() ? "" : fmt::format("field '{}': ", i.field);
  return fmt::format("{}: {}{} [{}]", where, field, i.message, i.code);
}

namespace fs = std::filesystem;

fs::path normal(const fs::path& p) {
  std::error_code ec;
  fs::path n = fs::weakly_canonical(fs::absolute(p), ec);
  return ec ? fs::absolute(p).lexically_normal() : n;
}

}  // namespace

nlohmann::json GateResult::to_json() const {
  return {{"rows_skipped", rows_skipped}, {"warning_count", warning_count}, {"warnings", warnings}};
}

GateResult validate_before_use(const DataOptions& options, LoadOptions& load, bool quiet) {
  const ValidationReport report = validate_dataset(options.path, load);
  GateResult result;
  result.warning_count = report.warnings;
  for (const auto& issue : report.issues)
    if (issue.severity == ValidationIssue::Severity::Warning && result.warnings.size() < kShown)
      result.warnings.push_back(describe(issue));
  if (!report.ok()) {
    const bool skippable = options.on_invalid == "skip" && report.errors_outside_rows == 0;
    std::vector<std::string> first;
    for (const auto& issue : report.issues)
      if (issue.severity == ValidationIssue::Severity::Error && first.size() < kShown) first.push_back(describe(issue));
    if (!skippable) {
      std::string message = fmt::format("{} has {} error(s) that `validate` reports (first {}):\n  {}\n",
                                        options.path, report.errors, first.size(), fmt::join(first, "\n  "));
      if (options.on_invalid == "skip")
        message += "these errors are not in interaction rows (a missing column, an attribute file), so "
                   "--on-invalid skip cannot drop them; fix the data";
      else
        message += "fix the data (hybridrec validate --data ... lists every problem), or pass --on-invalid skip to "
                   "drop the rejected rows";
      throw Error(message);
    }
    result.rows_skipped = std::accumulate(report.error_rows.begin(), report.error_rows.end(), std::size_t{0},
                                          [](std::size_t n, const auto& file) { return n + file.second.size(); });
    load.skip_rows = std::make_shared<const std::map<std::string, std::unordered_set<std::size_t>>>(report.error_rows);
    load.strict = false;
    std::cerr << fmt::format("--on-invalid skip: dropping {} row(s) with {} error(s) (first: {})\n",
                             result.rows_skipped, report.errors, first.empty() ? "" : first.front());
  }
  if (!quiet && result.warning_count > 0)
    std::cerr << fmt::format("{} warning(s) in {}:\n  {}{}\n", result.warning_count, options.path,
                             fmt::join(result.warnings, "\n  "),
                             result.warning_count > result.warnings.size() ? "\n  ..." : "");
  return result;
}

void refuse_overwriting_inputs(const fs::path& out, const std::string& data_path, const LoadOptions& load,
                               const std::string& flag) {
  if (out.empty()) return;
  refuse_special_file(out, flag);  // a device, FIFO or socket (or a symlink to one)
  const fs::path target = normal(out);
  std::error_code ec;
  std::vector<fs::path> inputs;
  if (!data_path.empty()) {
    if (fs::is_directory(data_path, ec)) {
      // A dataset folder: writing into it would mix artifacts with the data, and
      // replace a file of the same name.
      if (target == normal(data_path))
        throw ConfigError(fmt::format("{} {} is the dataset folder: choose another folder", flag, out.string()));
      for (const auto& entry : fs::directory_iterator(data_path, ec))
        if (entry.is_regular_file()) inputs.push_back(entry.path());
    } else {
      inputs.emplace_back(data_path);
    }
  }
  for (const auto& p : {load.split_train, load.split_validation, load.split_test})
    if (!p.empty()) inputs.push_back(p);
  for (const auto& input : inputs) {
    const fs::path in = normal(input);
    if (target == in)
      throw ConfigError(fmt::format("{} {} is an input file of this dataset: it would be overwritten", flag,
                                    out.string()));
  }
}

}  // namespace hybridrec::cli
