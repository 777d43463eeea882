#include <algorithm>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/leave_one_out.h"
#include "eval_fixtures.h"

using namespace hybridrec;
using hybridrec::testing::FunctionModel;
using hybridrec::testing::Fixture;
using hybridrec::testing::oracle;
using hybridrec::testing::Part;

namespace {
// 3 users x 50 items, one held-out item each.
Fixture loo_world() {
  Fixture f(3, 50);
  for (std::uint32_t u = 0; u < 3; ++u) {
    for (std::uint32_t i = 0; i < 5; ++i) f.add(u, u * 5 + i, Part::Train);
    f.add(u, 40 + u, Part::Validation);
    f.add(u, 30 + u, Part::Test);
  }
  return f;
}
}  // namespace

TEST(LeaveOneOut, OracleRanksTheHeldOutItemFirst) {
  const Fixture f = loo_world();
  const auto model = oracle(f, Part::Test);
  const auto result = evaluate_leave_one_out(model, f.dataset, f.split, 20, {1, 10}, 5);
  EXPECT_EQ(result["cases"], 3);
  EXPECT_DOUBLE_EQ(result["hit_rate@1"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(result["ndcg@10"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(result["mrr"].get<double>(), 1.0);
}

TEST(LeaveOneOut, NegativesAreNeverInteractedAndTiesCountAgainstThePositive) {
  const Fixture f = loo_world();
  const FunctionModel constant(50, [](std::uint32_t, std::uint32_t) { return 0.0f; });
  const auto result = evaluate_leave_one_out(constant, f.dataset, f.split, 20, {10}, 5);
  EXPECT_DOUBLE_EQ(result["hit_rate@10"].get<double>(), 0.0);  // rank 21 of 21
  EXPECT_DOUBLE_EQ(result["mrr"].get<double>(), 1.0 / 21.0);

  std::map<std::uint32_t, std::vector<std::uint32_t>> scored;
  for (const auto& [u, i] : constant.scored_pairs()) scored[u].push_back(i);
  for (std::uint32_t u = 0; u < 3; ++u) {
    auto& items = scored[u];
    ASSERT_EQ(items.size(), 21u);
    EXPECT_EQ(items[0], 30 + u);  // the held-out item
    const std::set<std::uint32_t> negatives(items.begin() + 1, items.end());
    EXPECT_EQ(negatives.size(), 20u);  // without replacement
    for (std::uint32_t i : negatives) {
      EXPECT_FALSE(i >= u * 5 && i < u * 5 + 5);  // not trained on
      EXPECT_NE(i, 40 + u);                       // not its validation item
      EXPECT_NE(i, 30 + u);
    }
  }
}

TEST(LeaveOneOut, SeededAndLimitedByTheCandidates) {
  const Fixture f = loo_world();
  const FunctionModel a(50, [](std::uint32_t, std::uint32_t i) { return static_cast<float>(i % 7); });
  const FunctionModel b(50, [](std::uint32_t, std::uint32_t i) { return static_cast<float>(i % 7); });
  evaluate_leave_one_out(a, f.dataset, f.split, 10, {5}, 9);
  evaluate_leave_one_out(b, f.dataset, f.split, 10, {5}, 9);
  EXPECT_EQ(a.scored_pairs(), b.scored_pairs());

  // Each user interacted with 7 of 50 items: asking for 99 negatives uses the other 43.
  const FunctionModel all(50, [](std::uint32_t, std::uint32_t) { return 0.0f; });
  evaluate_leave_one_out(all, f.dataset, f.split, 99, {5}, 9);
  EXPECT_EQ(all.scored_pairs().size(), 3u * 44u);
  EXPECT_THROW(evaluate_leave_one_out(all, f.dataset, f.split, 0, {5}, 9), ConfigError);
}
