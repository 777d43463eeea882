// `hybridrec stats --data PATH [--format NAME] [--split S] [--seed S] [--json]`:
// dataset statistics, split statistics (with cold-start counts) and the content
// features that split's training period yields.
#include <iostream>
#include <optional>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/error.h"
#include "data/features.h"
#include "data/readers.h"
#include "data/split.h"
#include "data/stats.h"
#include "train/config.h"

namespace hybridrec::cli {

namespace {
double parse_half_life(const std::string& text) {
  try {
    std::size_t used = 0;
    const double days = std::stod(text, &used);
    if (used == text.size() && days >= 0) return days;
  } catch (const std::exception&) {
  }
  throw ConfigError("--recency-half-life-days: expected auto, off or a number of days >= 0, got '" + text + "'");
}
}  // namespace

void register_stats(CLI::App& app) {
  auto* cmd = app.add_subcommand("stats", "Dataset, split and feature statistics");
  struct Args {
    DataOptions data;
    SplitConfig split;
    bool json = false;
    std::string half_life;
  };
  auto args = std::make_shared<Args>();
  add_data_options(*cmd, args->data, false);
  add_split_source_options(*cmd, args->data);
  add_on_invalid_option(*cmd, args->data);
  cmd->add_option("--split", args->split.strategy,
                  "temporal, user_temporal, user_random, leave_one_out, files (--train/--test) or column (--split-col)")
      ->capture_default_str()
      ->check(CLI::IsMember({"temporal", "user_temporal", "user_random", "leave_one_out", "files", "column"}));
  cmd->add_option("--train-ratio", args->split.train_ratio)->capture_default_str();
  cmd->add_option("--val-ratio", args->split.val_ratio)->capture_default_str();
  cmd->add_option("--test-ratio", args->split.test_ratio)->capture_default_str();
  cmd->add_option("--seed", args->split.seed, "Split seed")->capture_default_str();
  cmd->add_option("--recency-half-life-days", args->half_life,
                  "data.recency_half_life_days to check (auto, off or days; default: the configuration's)");
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->callback([args] {
    LoadOptions load = resolve_load_options(args->data);
    if (args->data.path.empty()) throw ConfigError("stats: --data PATH is required (or --train F --test F)");
    if (load.supplied_split_files()) args->split.strategy = "files";
    else if (!load.split_column.empty()) args->split.strategy = "column";
    validate_before_use(args->data, load, args->json);  // stats refuses what validate rejects
    Dataset ds = load_dataset(args->data.path, load);
    nlohmann::json report{{"dataset", dataset_statistics(ds)}, {"warnings", nlohmann::json::array()}};
    // What `train` would warn about or refuse, seen from the data: a split the
    // data cannot take (no timestamps for a time-based split), an empty part, a
    // recency half-life that keeps few positives.
    std::optional<Split> split;
    try {
      split = make_split(ds, args->split);
    } catch (const ConfigError& e) {
      report["warnings"].push_back(std::string("train refuses this split: ") + e.what());
    }
    if (split) {
      report["split"] = split_statistics(ds, *split);
      for (const auto& w : split_warnings(ds, *split)) report["warnings"].push_back(w);
      nlohmann::json weighting_config = default_config();
      if (!args->half_life.empty())
        weighting_config["data"]["recency_half_life_days"] =
            args->half_life == "auto" || args->half_life == "off" ? nlohmann::json(args->half_life)
                                                                  : nlohmann::json(parse_half_life(args->half_life));
      report["recency"] = recency_statistics(ds, *split, PositiveWeighting::from_config(weighting_config));
      for (const auto& w : report["recency"]["warnings"]) report["warnings"].push_back(w);
      if (!split->train.empty())
        report["features"] = feature_statistics(FeatureBuilder::fit(ds, *split).transform(ds, *split));
    }
    if (args->json)
      std::cout << report.dump(2) << "\n";
    else
      std::cout << format_statistics_text(report);
  });
}

}  // namespace hybridrec::cli
