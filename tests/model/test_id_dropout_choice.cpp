// model.id_dropout_rate: auto takes the share of new users and items measured on
// the data (model/id_dropout_choice.h), never a number tuned on one dataset.
#include <gtest/gtest.h>

#include "core/error.h"
#include "model/id_dropout_choice.h"

using namespace hybridrec;

namespace {

// `known` users with training rows at times 0..9; of the validation rows (time
// 100+), `new_users` come from users with no training row. Items: `items`, all
// in training except `new_items` that only validation sees.
struct Shop {
  Dataset data;
  Split split;
};

Shop shop(int known, int new_users, int items, int new_items) {
  Shop s;
  for (int u = 0; u < known + new_users; ++u) s.data.users.intern("u" + std::to_string(u));
  for (int i = 0; i < items + new_items; ++i) s.data.items.intern("i" + std::to_string(i));
  auto add = [&](std::int64_t t, int u, int i, std::vector<std::uint32_t>& part) {
    part.push_back(static_cast<std::uint32_t>(s.data.interactions.size()));
    s.data.interactions.push_back(
        {t, static_cast<std::uint32_t>(u), static_cast<std::uint32_t>(i), 1.0f, Event::Purchase});
  };
  for (int u = 0; u < known; ++u)
    for (int k = 0; k < 10; ++k) add(k, u, (u + k) % items, s.split.train);
  // Validation: every known user and every new user once, on a known item,
  // then each new item once by user 0.
  for (int u = 0; u < known + new_users; ++u) add(100, u, u % items, s.split.validation);
  for (int i = 0; i < new_items; ++i) add(101, 0, items + i, s.split.validation);
  s.split.train_end_time = 9;
  return s;
}

ModelConfig automatic() {
  ModelConfig c = ModelConfig::from_json({{"id_dropout_rate", "auto"}});
  EXPECT_TRUE(c.id_dropout_auto);
  return c;
}

}  // namespace

TEST(IdDropoutChoice, AutoIsTheShareOfValidationUsersNewToTraining) {
  const Shop s = shop(/*known=*/70, /*new_users=*/30, /*items=*/50, /*new_items=*/0);
  const IdDropoutChoice c = choose_id_dropout_rate(automatic(), s.data, s.split);
  EXPECT_TRUE(c.automatic);
  EXPECT_NEAR(c.rate, 0.30f, 1e-6);
  EXPECT_EQ(c.record.at("origin"), "auto");
  EXPECT_EQ(c.record.at("measured_on"), "validation");
  EXPECT_NEAR(c.record.at("new_user_share").get<double>(), 0.30, 1e-9);
  EXPECT_NE(c.reason.find("30.0% of the validation users"), std::string::npos) << c.reason;
}

TEST(IdDropoutChoice, TheLargerShareWinsWhenItemsAreNewerThanUsers) {
  // 10 of 60 validation users are new (17%), 20 of 70 validation items (29%).
  const Shop s = shop(50, 10, 50, 20);
  const IdDropoutChoice c = choose_id_dropout_rate(automatic(), s.data, s.split);
  EXPECT_NEAR(c.rate, 20.0f / 70.0f, 1e-6);
}

TEST(IdDropoutChoice, TheShareIsClampedSoBothPathsKeepTraining) {
  // No new entity (a per-user random split): the content path still trains.
  EXPECT_FLOAT_EQ(choose_id_dropout_rate(automatic(), shop(60, 0, 50, 0).data, shop(60, 0, 50, 0).split).rate,
                  kIdDropoutMin);
  // Nine in ten users new: the id embeddings still see half of the samples.
  const Shop mostly_new = shop(10, 90, 50, 0);
  EXPECT_FLOAT_EQ(choose_id_dropout_rate(automatic(), mostly_new.data, mostly_new.split).rate, kIdDropoutMax);
}

TEST(IdDropoutChoice, WithoutValidationTheTrainingPartsNewestRowsStandIn) {
  // Training: 45 users with two old rows each, then the newest 10% of rows, some
  // from users that arrive only then: their share of the tail's users is measured.
  Shop s;
  for (int u = 0; u < 60; ++u) s.data.users.intern("u" + std::to_string(u));
  for (int i = 0; i < 20; ++i) s.data.items.intern("i" + std::to_string(i));
  auto add = [&](std::int64_t t, int u, int i) {
    s.split.train.push_back(static_cast<std::uint32_t>(s.data.interactions.size()));
    s.data.interactions.push_back({t, static_cast<std::uint32_t>(u), static_cast<std::uint32_t>(i), 1.0f, Event::Purchase});
  };
  for (int u = 0; u < 45; ++u)
    for (int k = 0; k < 2; ++k) add(k, u, (u + k) % 20);  // 90 older rows
  for (int u = 38; u < 48; ++u) add(50, u, u % 20);       // 10 newest rows: users 38..44 known, 45..47 new
  const IdDropoutChoice c = choose_id_dropout_rate(automatic(), s.data, s.split);
  EXPECT_EQ(c.record.at("measured_on"), "newest 10% of the training part");
  EXPECT_NEAR(c.rate, 0.3f, 1e-6);  // 3 of the tail's 10 users are new
  s.data.has_timestamps = false;    // nothing to order by: the lower bound, said so
  const IdDropoutChoice none = choose_id_dropout_rate(automatic(), s.data, s.split);
  EXPECT_FLOAT_EQ(none.rate, kIdDropoutMin);
  EXPECT_NE(none.reason.find("no timestamps"), std::string::npos) << none.reason;
}

TEST(IdDropoutChoice, ANumberInTheConfigurationIsKeptAndRoundTrips) {
  const Shop s = shop(70, 30, 50, 0);
  ModelConfig fixed = ModelConfig::from_json({{"id_dropout_rate", 0.2}});
  const IdDropoutChoice c = choose_id_dropout_rate(fixed, s.data, s.split);
  EXPECT_FALSE(c.automatic);
  EXPECT_FLOAT_EQ(c.rate, 0.2f);
  EXPECT_EQ(c.record.at("origin"), "config");
  // auto survives to_json/from_json (config.json of a run that never resolved it).
  EXPECT_TRUE(ModelConfig::from_json(automatic().to_json()).id_dropout_auto);
  EXPECT_TRUE(automatic().uses_id_dropout());
  EXPECT_FALSE(ModelConfig{}.uses_id_dropout());
  EXPECT_THROW(ModelConfig::from_json({{"id_dropout_rate", "often"}}), ConfigError);
}
