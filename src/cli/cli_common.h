#pragma once
// Options shared by several subcommands, declared once so they read the same
// everywhere (fastText keeps its args in one place for the same reason).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/readers.h"

namespace hybridrec::cli {

struct DataOptions {
  std::string path;
  LoadOptions load;          // --format, --sep, the column flags land here
  std::string column_order;  // --columns user,item,-,rating,time
  bool no_header = false;    // --no-header
  std::string on_invalid = "error";  // --on-invalid error|skip
  std::string item_roles, user_roles;  // --item-roles name=ignore,genre=multi:;
};

// --data PATH (required unless `required` is false), --format NAME, --sep S and
// the column mapping: --user-col --item-col --time-col --rating-col --weight-col
// --event-col --columns --no-header --weight-transform, and the attribute tables:
// --items FILE --item-key COL --item-links FILE --item-roles, --users FILE
// --user-key COL --user-roles.
void add_data_options(CLI::App& cmd, DataOptions& options, bool required = true);

// A supplied split: --train F --validation F --test F (with --split files) and
// --split-col COL (values train / validation / test).
void add_split_source_options(CLI::App& cmd, DataOptions& options);

// --on-invalid error|skip.
void add_on_invalid_option(CLI::App& cmd, DataOptions& options);

// The options to load with: the config's data section (data.columns, ...) with
// the flags over it. When `config` is given the result is recorded back into
// config["data"], so a trained model reloads its data the same way. Also fills
// options.path from --train when --data is absent.
LoadOptions resolve_load_options(DataOptions& options, nlohmann::json* config = nullptr);

// What the validation gate found (data/validation.h), for the run's record.
struct GateResult {
  std::size_t rows_skipped = 0;
  std::vector<std::string> warnings;  // first warnings, "file:line: field 'f': message"
  std::size_t warning_count = 0;
  nlohmann::json to_json() const;
};

// `train`, `tune` and `stats` check the data as `validate` does before anything
// else. Errors stop the command (printing the first ones with file:line:field and
// the count) unless --on-invalid skip, which drops the rejected rows through
// `load.skip_rows`. Warnings are printed unless `quiet`.
GateResult validate_before_use(const DataOptions& options, LoadOptions& load, bool quiet = false);

// No command overwrites its input: refuses (ConfigError) an output path that is
// one of the dataset's files, or a folder that holds one of them.
void refuse_overwriting_inputs(const std::filesystem::path& out, const std::string& data_path, const LoadOptions& load,
                               const std::string& flag = "--out");

// Parses "5,10,20" into {5, 10, 20}; throws CLI::ValidationError on junk.
std::vector<int> parse_k_list(const std::string& text);

}  // namespace hybridrec::cli
