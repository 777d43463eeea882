// Default run names are unique within an experiment (issue #18: two runs shared
// "hybrid-seed42"); a name the user gives is kept.
#include <gtest/gtest.h>

#include <set>

#include "generated_shop.h"
#include "store/workspace.h"
#include "test_support.h"
#include "train/config.h"
#include "train/tracked_training.h"

using namespace hybridrec;

TEST(RunNames, DefaultNamesAreUniqueWithinTheExperiment) {
  auto dir = hybridrec::testing::scratch_dir("names");
  hybridrec::testing::write_generated_shop(dir / "shop", 60, 30, 1500, 2);
  TrackingOptions tracking;
  tracking.workspace = dir / "ws";
  tracking.register_model = false;
  auto train = [&](const std::string& out, const std::string& experiment, const std::string& name) {
    TrainRequest r;
    r.data = dir / "shop";
    r.config = default_config();
    r.config["model"]["type"] = "popularity";
    r.out = dir / out;
    r.progress = Progress::Mode::Quiet;
    tracking.experiment = experiment;
    tracking.run_name = name;
    return run_tracked_training(r, tracking).run_id;
  };
  const std::string a = train("a", "shop", ""), b = train("b", "shop", ""), c = train("c", "shop", "");
  const std::string other = train("d", "another", "");
  const std::string given = train("e", "shop", "popularity-seed42");
  auto ws = store::Workspace::open(tracking.workspace, "");
  auto& runs = ws.tracking();
  EXPECT_EQ(runs.get_run(a).name, "popularity-seed42");
  EXPECT_EQ(runs.get_run(b).name, "popularity-seed42-2");
  EXPECT_EQ(runs.get_run(c).name, "popularity-seed42-3");
  EXPECT_EQ(runs.get_run(other).name, "popularity-seed42");  // per experiment
  EXPECT_EQ(runs.get_run(given).name, "popularity-seed42");  // the user's choice stands
}
