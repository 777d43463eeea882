// `hybridrec stats --data PATH [--format NAME] [--split S] [--seed S] [--json]`:
// dataset statistics, split statistics (with cold-start counts) and the content
// features that split's training period yields.
#include <iostream>

#include "cli/commands.h"
#include "data/features.h"
#include "data/readers.h"
#include "data/split.h"
#include "data/stats.h"

namespace hybridrec::cli {

void register_stats(CLI::App& app) {
  auto* cmd = app.add_subcommand("stats", "Dataset, split and feature statistics");
  struct Args {
    std::string data;
    LoadOptions load;
    SplitConfig split;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--data", args->data, "Dataset folder or file")->required();
  cmd->add_option("--format", args->load.format,
                  "auto, canonical, movielens-100k, movielens-1m, movielens-latest or generic")
      ->capture_default_str();
  cmd->add_option("--sep", args->load.separator, "Delimiter of a generic file (default: detected)");
  cmd->add_option("--split", args->split.strategy, "temporal, user_temporal, user_random or leave_one_out")
      ->capture_default_str()
      ->check(CLI::IsMember({"temporal", "user_temporal", "user_random", "leave_one_out"}));
  cmd->add_option("--train-ratio", args->split.train_ratio)->capture_default_str();
  cmd->add_option("--val-ratio", args->split.val_ratio)->capture_default_str();
  cmd->add_option("--test-ratio", args->split.test_ratio)->capture_default_str();
  cmd->add_option("--seed", args->split.seed, "Split seed")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->callback([args] {
    Dataset ds = load_dataset(args->data, args->load);
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
