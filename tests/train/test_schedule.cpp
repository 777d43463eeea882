#include <gtest/gtest.h>

#include "core/error.h"
#include "train/config.h"
#include "train/schedule.h"

using namespace hybridrec;

TEST(ReduceLROnPlateau, HalvesAfterPatienceEpochsWithoutImprovement) {
  ReduceLROnPlateau s(0.5f, 3, 1e-6f);
  float lr = 1e-3f;
  lr = s.step(0.30, lr);  // best
  for (int i = 0; i < 3; ++i) lr = s.step(0.29, lr);
  EXPECT_FLOAT_EQ(lr, 1e-3f);  // 3 bad epochs: still within patience
  lr = s.step(0.29, lr);
  EXPECT_FLOAT_EQ(lr, 5e-4f);  // the 4th bad epoch reduces
  lr = s.step(0.31, lr);
  EXPECT_FLOAT_EQ(lr, 5e-4f);
}

TEST(ReduceLROnPlateau, NeverGoesBelowMinLr) {
  ReduceLROnPlateau s(0.5f, 0, 1e-6f);
  float lr = 3e-6f;
  s.step(1.0, lr);
  for (int i = 0; i < 5; ++i) lr = s.step(0.5, lr);
  EXPECT_FLOAT_EQ(lr, 1e-6f);
}

TEST(EarlyStopping, StopsAfterPatienceAndRemembersBest) {
  EarlyStopping e(2);
  EXPECT_TRUE(e.update(0.1, 0));
  EXPECT_TRUE(e.update(0.2, 1));
  EXPECT_FALSE(e.update(0.2, 2));
  EXPECT_FALSE(e.should_stop());
  EXPECT_FALSE(e.update(0.15, 3));
  EXPECT_TRUE(e.should_stop());
  EXPECT_EQ(e.best_epoch(), 1);
  auto state = e.state();
  EarlyStopping restored(2);
  restored.load_state(state);
  EXPECT_TRUE(restored.should_stop());
  EXPECT_EQ(restored.best_epoch(), 1);
}

TEST(Config, DefaultsMatchTheSpecification) {
  auto c = default_config();
  EXPECT_EQ(c["model"]["embedding_dim"], 50);
  EXPECT_EQ(c["model"]["hidden_layers"], nlohmann::json({128, 64, 32}));
  EXPECT_DOUBLE_EQ(c["training"]["learning_rate"].get<double>(), 0.001);
  EXPECT_EQ(c["training"]["batch_size"], 256);
  EXPECT_EQ(c["data"]["negative_sampling_ratio"], 4);
  EXPECT_DOUBLE_EQ(c["data"]["train_ratio"].get<double>(), 0.70);
}

TEST(Config, SetOverridesAndRejectsUnknownKeys) {
  auto c = default_config();
  apply_override(c, "model.hidden_layers=[64, 32]");
  apply_override(c, "training.learning_rate=0.01");
  EXPECT_EQ(c["model"]["hidden_layers"], nlohmann::json({64, 32}));
  EXPECT_DOUBLE_EQ(c["training"]["learning_rate"].get<double>(), 0.01);
  EXPECT_THROW(apply_override(c, "training.learnig_rate=0.01"), ConfigError);
  EXPECT_THROW(apply_override(c, "no_equals_sign"), ConfigError);
}

TEST(Config, TypedViewValidatesValues) {
  auto c = default_config();
  c["training"]["batch_size"] = 0;
  EXPECT_THROW(TrainingConfig::from_json(c), ConfigError);
  c = default_config();
  c["training"]["embedding_optimizer"] = "sparse";
  EXPECT_THROW(TrainingConfig::from_json(c), ConfigError);
}
