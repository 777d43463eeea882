#pragma once
// Options shared by several subcommands, declared once so they read the same
// everywhere (fastText keeps its args in one place for the same reason).
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "data/readers.h"

namespace hybridrec::cli {

struct DataOptions {
  std::string path;
  LoadOptions load;  // --format and --sep land here
};

// --data PATH (required unless `required` is false), --format NAME and --sep S.
void add_data_options(CLI::App& cmd, DataOptions& options, bool required = true);

// Parses "5,10,20" into {5, 10, 20}; throws CLI::ValidationError on junk.
std::vector<int> parse_k_list(const std::string& text);

}  // namespace hybridrec::cli
