#include "cli/cli_common.h"

#include <sstream>

#include "data/load_config.h"

namespace hybridrec::cli {

void add_data_options(CLI::App& cmd, DataOptions& options, bool required) {
  auto* data = cmd.add_option("--data", options.path,
                              "dataset: a folder (canonical CSV, MovieLens 100K/1M/10M/latest), a delimited file or "
                              "a JSON lines file (.gz / .xz read as they are)");
  if (required) data->required();
  cmd.add_option("--format", options.load.format,
                 "force a layout: canonical, movielens-100k, movielens-1m, movielens-latest, generic, jsonl "
                 "(default: detect)")
      ->check(CLI::IsMember({"auto", "canonical", "movielens-100k", "movielens-1m", "movielens-10m", "movielens-latest",
                             "generic", "jsonl"}));
  cmd.add_option("--sep", options.load.separator, "delimiter of a generic file: , ; | tab :: (default: detected)");
  const std::string how = " column: a header name (case-insensitive) or, in a file without a header, a 1-based "
                          "position (default: found by its usual names; config data.columns.";
  cmd.add_option("--user-col", options.load.user_column, "user" + how + "user)");
  cmd.add_option("--item-col", options.load.item_column, "item" + how + "item)");
  cmd.add_option("--time-col", options.load.timestamp_column,
                 "time" + how + "time); unix seconds or ISO dates; without one the data has no timestamps");
  cmd.add_option("--rating-col", options.load.value_column, "explicit rating" + how + "rating)");
  cmd.add_option("--weight-col", options.load.weight_column,
                 "weight" + how + "weight): play counts, quantities... used as each positive's confidence");
  cmd.add_option("--event-col", options.load.event_column,
                 "event" + how + "event): view, add_to_cart, purchase, rating");
  cmd.add_option("--columns", options.column_order,
                 "names of the columns of a file without a header, in order, e.g. user,item,-,-,rating,time "
                 "(roles user, item, time, rating, weight, event, split; any other name or '-' = not used)");
  cmd.add_flag("--no-header", options.no_header, "the file has no header line (columns by position)");
  cmd.add_option("--weight-transform", options.load.weight_transform,
                 "weight column -> confidence: log1p (default), raw or binary (config data.weight_transform)")
      ->check(CLI::IsMember({"raw", "log1p", "binary"}));
  cmd.add_option("--items", options.load.items_file, "item attribute table, any delimited layout (config data.items)")
      ->check(CLI::ExistingFile);
  cmd.add_option("--item-key", options.load.item_key, "item id column of --items (name or 1-based position; default: first)");
  cmd.add_option("--item-links", options.load.item_links,
                 "link table of (item, value) rows, e.g. tags: one multi-valued attribute (repeatable)")
      ->check(CLI::ExistingFile);
  cmd.add_option("--item-roles", options.item_roles,
                 "roles of item attribute columns: name=ignore,genre=multi:;,year=numeric (categorical, multi, "
                 "multi:SEP, numeric, ignore; default: inferred and printed)");
  cmd.add_option("--users", options.load.users_file, "user attribute table, any delimited layout (config data.users)")
      ->check(CLI::ExistingFile);
  cmd.add_option("--user-key", options.load.user_key, "user id column of --users (default: first)");
  cmd.add_option("--user-roles", options.user_roles, "roles of user attribute columns, as --item-roles");
}

namespace {
// "name=ignore,genre=multi:;" -> {name: ignore, genre: multi:;}. A separator ','
// cannot be written here (use the config's data.item_roles).
std::map<std::string, std::string> parse_roles(const std::string& text, const std::string& flag) {
  std::map<std::string, std::string> roles;
  for (const auto& part : parse_column_list(text)) {
    if (part.empty()) continue;
    const auto eq = part.find('=');
    if (eq == std::string::npos || eq == 0)
      throw CLI::ValidationError(flag, "expected column=role pairs separated by commas, got '" + part + "'");
    roles[part.substr(0, eq)] = part.substr(eq + 1);
  }
  return roles;
}
}  // namespace

void add_split_source_options(CLI::App& cmd, DataOptions& options) {
  cmd.add_option("--train", options.load.split_train, "with --split files: the training interactions")
      ->check(CLI::ExistingFile);
  cmd.add_option("--validation", options.load.split_validation, "with --split files: the validation interactions")
      ->check(CLI::ExistingFile);
  cmd.add_option("--test", options.load.split_test, "with --split files: the test interactions")
      ->check(CLI::ExistingFile);
  cmd.add_option("--split-col", options.load.split_column,
                 "column holding each row's part (train, validation, test): a split supplied with the data");
}

void add_on_invalid_option(CLI::App& cmd, DataOptions& options) {
  cmd.add_option("--on-invalid", options.on_invalid,
                 "rows that validation rejects: error (stop, the default) or skip (drop them, count and report them)")
      ->check(CLI::IsMember({"error", "skip"}))
      ->capture_default_str();
}

LoadOptions resolve_load_options(DataOptions& options, nlohmann::json* config) {
  LoadOptions flags = options.load;
  if (!options.column_order.empty()) flags.columns = parse_column_list(options.column_order);
  if (options.no_header) flags.header = false;
  flags.item_roles = parse_roles(options.item_roles, "--item-roles");
  flags.user_roles = parse_roles(options.user_roles, "--user-roles");
  LoadOptions load;
  if (config && config->contains("data")) apply_data_config((*config)["data"], load);
  overlay_load_options(flags, load);
  if (options.path.empty() && load.supplied_split_files()) options.path = load.split_train.string();
  if (config) {
    nlohmann::json recorded = load_options_to_json(load);
    for (auto it = recorded.begin(); it != recorded.end(); ++it) (*config)["data"][it.key()] = it.value();
    // A split column or split files mean the split is the supplied one.
    if (load.supplied_split_files()) (*config)["data"]["split"] = "files";
    else if (!load.split_column.empty()) (*config)["data"]["split"] = "column";
  }
  return load;
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
