// `hybridrec stats --data PATH [--format NAME] [--split S] [--seed S] [--json]`:
// dataset statistics, split statistics (with cold-start counts) and the content
// features that split's training period yields.
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/error.h"
#include "data/features.h"
#include "data/readers.h"
#include "data/split.h"
#include "data/stats.h"

namespace hybridrec::cli {

void register_stats(CLI::App& app) {
  auto* cmd = app.add_subcommand("stats", "Dataset, split and feature statistics");
  struct Args {
    DataOptions data;
    SplitConfig split;
    bool json = false;
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
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->callback([args] {
    LoadOptions load = resolve_load_options(args->data);
    if (args->data.path.empty()) throw ConfigError("stats: --data PATH is required (or --train F --test F)");
    if (load.supplied_split_files()) args->split.strategy = "files";
    else if (!load.split_column.empty()) args->split.strategy = "column";
    validate_before_use(args->data, load, args->json);  // stats refuses what validate rejects
    Dataset ds = load_dataset(args->data.path, load);
    Split split = make_split(ds, args->split);
    FeatureSet features = FeatureBuilder::fit(ds, split).transform(ds, split);
    nlohmann::json report{{"dataset", dataset_statistics(ds)},
                          {"split", split_statistics(ds, split)},
                          {"features", feature_statistics(features)}};
    if (args->json)
      std::cout << report.dump(2) << "\n";
    else
      std::cout << format_statistics_text(report);
  });
}

}  // namespace hybridrec::cli
