#include <gtest/gtest.h>

#include "tune/median_stopping.h"

namespace hybridrec::tune {
namespace {

const std::vector<std::vector<double>> kOthers = {
    {0.10, 0.20, 0.30, 0.40},  // running averages: 0.10 0.15 0.20 0.25
    {0.20, 0.30, 0.40, 0.50},  //                   0.20 0.25 0.30 0.35
    {0.05, 0.10, 0.15},        //                   0.05 0.075 0.10
};

TEST(MedianStopping, StopsOnlyWhenTheBestSoFarIsBelowTheMedianOfRunningAverages) {
  MedianStoppingRule rule{2, 3};
  // Epoch 2: averages 0.15, 0.25, 0.075 -> median 0.15.
  EXPECT_TRUE(median_rule_says_stop({0.10, 0.14}, kOthers, rule, true));
  EXPECT_FALSE(median_rule_says_stop({0.10, 0.1501}, kOthers, rule, true));  // just above the median
  EXPECT_FALSE(median_rule_says_stop({0.16, 0.01}, kOthers, rule, true));  // the best so far counts, not the last
  // Epoch 3: averages 0.20, 0.30, 0.10 -> median 0.20.
  EXPECT_TRUE(median_rule_says_stop({0.10, 0.15, 0.19}, kOthers, rule, true));
  EXPECT_FALSE(median_rule_says_stop({0.10, 0.15, 0.21}, kOthers, rule, true));
}

TEST(MedianStopping, WaitsForMinimumEpochsAndEnoughComparableTrials) {
  EXPECT_FALSE(median_rule_says_stop({0.0}, kOthers, {2, 3}, true));           // before min_epochs
  EXPECT_TRUE(median_rule_says_stop({0.0, 0.0}, kOthers, {2, 3}, true));
  // Epoch 4: only two trials got that far.
  EXPECT_FALSE(median_rule_says_stop({0, 0, 0, 0}, kOthers, {2, 3}, true));
  EXPECT_TRUE(median_rule_says_stop({0, 0, 0, 0}, kOthers, {2, 2}, true));     // median of 0.25 and 0.35
  EXPECT_FALSE(median_rule_says_stop({0, 0}, {}, {1, 1}, true));
}

TEST(MedianStopping, MinimisedObjectivesStopWhenAboveTheMedian) {
  std::vector<std::vector<double>> losses = {{1.0, 0.8}, {0.9, 0.7}, {1.2, 1.0}};  // averages at 2: 0.9 0.8 1.1
  EXPECT_TRUE(median_rule_says_stop({1.0, 0.95}, losses, {2, 3}, false));
  EXPECT_FALSE(median_rule_says_stop({1.0, 0.85}, losses, {2, 3}, false));
}

}  // namespace
}  // namespace hybridrec::tune
