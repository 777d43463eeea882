#include "cli/cli_common.h"

#include <sstream>

namespace hybridrec::cli {

void add_data_options(CLI::App& cmd, DataOptions& options, bool required) {
  auto* data = cmd.add_option("--data", options.path,
                              "dataset: a folder (canonical CSV, MovieLens 100K/1M/10M/latest) or a delimited file");
  if (required) data->required();
  cmd.add_option("--format", options.load.format,
                 "force a layout: canonical, movielens-100k, movielens-1m, movielens-latest, generic (default: detect)")
      ->check(CLI::IsMember({"auto", "canonical", "movielens-100k", "movielens-1m", "movielens-10m", "movielens-latest",
                             "generic"}));
  cmd.add_option("--sep", options.load.separator, "delimiter of a generic file (default: detected)");
}

std::vector<int> parse_k_list(const std::string& text) {
  std::vector<int> ks;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    try {
      std::size_t used = 0;
      int k = std::stoi(part, &used);
      if (used != part.size() || k <= 0) throw std::invalid_argument(part);
      ks.push_back(k);
    } catch (const std::exception&) {
      throw CLI::ValidationError("--k", "expected positive integers separated by commas, got '" + text + "'");
    }
  }
  if (ks.empty()) throw CLI::ValidationError("--k", "empty list");
  return ks;
}

}  // namespace hybridrec::cli
