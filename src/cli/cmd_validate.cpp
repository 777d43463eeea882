// `hybridrec validate --data PATH [--format NAME] [--json]`: a data-quality
// report; exits non-zero when the data has errors (warnings do not fail).
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/error.h"
#include "data/validation.h"

namespace hybridrec::cli {

void register_validate(CLI::App& app) {
  auto* cmd = app.add_subcommand("validate", "Check a dataset for errors and summarise it");
  struct Args {
    DataOptions data;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  add_data_options(*cmd, args->data, false);
  add_split_source_options(*cmd, args->data);
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->callback([args] {
    LoadOptions load = resolve_load_options(args->data);
    if (args->data.path.empty()) throw ConfigError("validate: --data PATH is required (or --train F --test F)");
    ValidationReport report = validate_dataset(args->data.path, load);
    if (args->json)
      std::cout << report.to_json().dump(2) << "\n";
    else
      std::cout << report.to_text();
    // Exit status 1 without a second message: the report already says why.
    if (!report.ok()) throw CLI::RuntimeError(1);
  });
}

}  // namespace hybridrec::cli
