// `tune best STUDY --config best.yaml` writes the best trial as a config file that
// `train --config best.yaml` reproduces: the retrained model's best validation
// NDCG@10 is the trial's objective.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "core/atomic_file.h"
#include "generated_shop.h"
#include "test_support.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void run(const std::string& command, const fs::path& log) {
  const std::string full = command + " > '" + log.string() + "' 2>&1";
  ASSERT_EQ(std::system(full.c_str()), 0) << command << "\n" << hybridrec::read_file(log);
}

}  // namespace

TEST(TuneBest, TrainWithTheWrittenConfigReproducesTheTrialsValidationMetric) {
  const fs::path dir = hybridrec::testing::scratch_dir("best");
  hybridrec::testing::write_generated_shop(dir / "shop", 150, 60, 4000, 3);
  const std::string bin = HYBRIDREC_BINARY;
  const std::string ws = (dir / "ws").string(), shop = (dir / "shop").string();
  run(bin + " tune --data '" + shop + "' --workspace '" + ws + "' --study s --max-jobs 2 --max-parallel-jobs 1 " +
          "--threads 1 --initial-random 2 --no-early-stopping --quiet --set training.num_epochs=2 " +
          "--set 'evaluation.baselines=[]'",
      dir / "tune.log");
  run(bin + " tune show --json --study s --workspace '" + ws + "'", dir / "show.json");
  const json show = hybridrec::read_json(dir / "show.json");
  double objective = -1;  // the best trial's: the highest objective of the study
  for (const auto& trial : show["trials"])
    if (trial.contains("objective") && trial["objective"].is_number())
      objective = std::max(objective, trial["objective"].get<double>());
  ASSERT_GT(objective, 0.0) << show.dump(1);

  run(bin + " tune best s --workspace '" + ws + "' --config '" + (dir / "best.yaml").string() + "'", dir / "best.log");
  const std::string yaml = hybridrec::read_file(dir / "best.yaml");
  // Trial parameters are named by their configuration keys, not hidden_layer_1.
  EXPECT_NE(yaml.find("#   training.learning_rate = "), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("#   model.hidden_layers[0] = "), std::string::npos) << yaml;

  run(bin + " train --data '" + shop + "' --config '" + (dir / "best.yaml").string() + "' --no-track --quiet --out '" +
          (dir / "model").string() + "'",
      dir / "train.log");
  double retrained = -1;
  for (const auto& epoch : hybridrec::read_json(dir / "model" / "training_history.json"))
    retrained = std::max(retrained, epoch.value("val_ndcg@10", -1.0));
  EXPECT_NEAR(retrained, objective, 1e-9) << yaml;
}
