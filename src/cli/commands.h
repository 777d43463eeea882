#pragma once
// Each subcommand lives in its own cmd_<name>.cpp and registers itself here.
// A command's callback throws hybridrec::Error on failure; main() prints it and
// exits non-zero.
#include <CLI/CLI.hpp>

namespace hybridrec::cli {

void register_generate(CLI::App& app);
void register_validate(CLI::App& app);
void register_stats(CLI::App& app);
void register_train(CLI::App& app);
void register_evaluate(CLI::App& app);
void register_recommend(CLI::App& app);
void register_models(CLI::App& app);
void register_runs(CLI::App& app);
void register_tune(CLI::App& app);
void register_report(CLI::App& app);
void register_ui(CLI::App& app);
void register_serve(CLI::App& app);

}  // namespace hybridrec::cli
