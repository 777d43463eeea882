// Issue #17: a model that cannot be served is never registered, --force or not.
// Registration loads it back as serve does and scores a few users first.
#include <gtest/gtest.h>

#include "core/error.h"
#include "damaged_model.h"
#include "generated_shop.h"
#include "store/workspace.h"
#include "test_support.h"
#include "train/tracked_training.h"

namespace hybridrec {
namespace {

TEST(RegisterServable, AModelScoringInfinityOrThatCannotLoadIsNeverRegistered) {
  const auto dir = testing::scratch_dir("servable");
  testing::write_generated_shop(dir / "shop", 120, 60, 3000, 3);
  const auto train = testing::run_hybridrec("train --data " + (dir / "shop").string() + " --out " +
                                            (dir / "model").string() + " --quiet --set training.num_epochs=1 --set model.fallback_to_baseline=false");
  ASSERT_EQ(train.status, 0) << train.text;
  EXPECT_NO_THROW(check_servable(dir / "model"));

  testing::fill_tensors_with_infinity(dir / "model" / "model.safetensors");
  try {
    check_servable(dir / "model");
    FAIL() << "a model scoring infinity passed the check";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not registered"), std::string::npos) << e.what();
  }
  auto ws = store::Workspace::open((dir / "ws").string());
  EXPECT_THROW(register_trained_model(ws, dir / "model", "no-run", std::nullopt), Error);
  EXPECT_TRUE(ws.registry().list().empty());

  std::filesystem::remove(dir / "model" / "model.safetensors");
  EXPECT_THROW(check_servable(dir / "model"), Error);
}

}  // namespace
}  // namespace hybridrec
