#pragma once
// One real training run shared by the report tests: a tiny generated shop, a
// 2-epoch hybrid model tracked and registered in a scratch workspace, plus a
// popularity run to compare against. Trained once per test process.
#include <unistd.h>

#include <filesystem>
#include <string>

#include "generated_shop.h"
#include "test_support.h"
#include "train/config.h"
#include "train/tracked_training.h"

namespace hybridrec::testing {

struct TrainedWorkspace {
  std::filesystem::path root, workspace;
  std::string hybrid_run, popularity_run;
};

inline TrainedWorkspace train_small_workspace() {
  TrainedWorkspace t;
  // One folder per test process: ctest -j runs the report tests in parallel
  // processes, and a shared folder would be wiped under a running neighbour.
  t.root = std::filesystem::temp_directory_path() / "hybridrec-tests" / ("report-workspace-" + std::to_string(::getpid()));
  std::filesystem::remove_all(t.root);
  std::filesystem::create_directories(t.root);
  t.workspace = t.root / "workspace";
  hybridrec::testing::write_generated_shop(t.root / "shop", 300, 120, 8000, 3);
  auto request = [&](const std::string& type) {
    TrainRequest r;
    r.data = t.root / "shop";
    r.config = default_config();
    r.config["model"]["type"] = type;
    r.config["model"]["embedding_dim"] = 16;
    r.config["model"]["hidden_layers"] = {32, 16, 8};
    r.config["training"]["num_epochs"] = 2;
    r.out = t.root / ("model-" + type);
    r.progress = Progress::Mode::Quiet;
    return r;
  };
  TrackingOptions tracking;
  tracking.workspace = t.workspace;
  tracking.promote = true;
  tracking.force = true;  // the fixture needs a champion, whatever 2 epochs score against the baselines
  t.hybrid_run = run_tracked_training(request("hybrid"), tracking).run_id;
  tracking.promote = false;
  t.popularity_run = run_tracked_training(request("popularity"), tracking).run_id;
  return t;
}

inline const TrainedWorkspace& trained_workspace() {
  static const TrainedWorkspace instance = train_small_workspace();
  return instance;
}

}  // namespace hybridrec::testing
