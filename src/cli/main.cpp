#include <CLI/CLI.hpp>
#include <iostream>

#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"hybridrec: a hybrid recommender system"};
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
