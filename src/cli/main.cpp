#include <CLI/CLI.hpp>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"hybridrec: a hybrid recommender system (collaborative filtering + content features)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "hybridrec 0.1.0");
  namespace cli = hybridrec::cli;
  cli::register_generate(app);
  cli::register_validate(app);
  cli::register_stats(app);
  cli::register_train(app);
  cli::register_evaluate(app);
  cli::register_recommend(app);
  cli::register_models(app);
  cli::register_runs(app);
  cli::register_tune(app);
  cli::register_report(app);
  cli::register_ui(app);
  cli::register_serve(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const hybridrec::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const nlohmann::json::exception& e) {
    // Configuration is checked key by key before use (train/config_schema.h); a
    // JSON error here means a malformed stored file, and the library's own text
    // ("[json.exception.type_error.302] ...") says nothing a user can act on.
    std::cerr << "error: a stored JSON file (config.json, metrics.json, ...) holds a value of the wrong kind or lacks "
                 "one (JSON error "
              << e.id << ")\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
