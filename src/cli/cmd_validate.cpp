// `hybridrec validate --data PATH [--format NAME] [--json]`: a data-quality
// report; exits non-zero when the data has errors (warnings do not fail).
#include <iostream>

#include "cli/commands.h"
#include "data/validation.h"

namespace hybridrec::cli {

void register_validate(CLI::App& app) {
  auto* cmd = app.add_subcommand("validate", "Check a dataset for errors and summarise it");
  struct Args {
    std::string data;
    LoadOptions load;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--data", args->data, "Dataset folder or file")->required();
  cmd->add_option("--format", args->load.format,
                  "auto, canonical, movielens-100k, movielens-1m, movielens-latest or generic")
      ->capture_default_str();
  cmd->add_option("--sep", args->load.separator, "Delimiter of a generic file (default: detected)");
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->callback([args] {
    ValidationReport report = validate_dataset(args->data, args->load);
    if (args->json)
      std::cout << report.to_json().dump(2) << "\n";
    else
      std::cout << report.to_text();
    // Exit status 1 without a second message: the report already says why.
    if (!report.ok()) throw CLI::RuntimeError(1);
  });
}

}  // namespace hybridrec::cli
