#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <set>

#include "core/error.h"
#include "tune/importance.h"
#include "tune/proposer.h"
#include "tune/trial_config.h"
#include "train/config.h"

namespace hybridrec::tune {
namespace {

SearchSpace unit_box(int dims) {
  nlohmann::json params = nlohmann::json::array();
  for (int i = 0; i < dims; ++i) params.push_back({{"name", "x" + std::to_string(i)}, {"type", "continuous"}, {"min", 0}, {"max", 1}});
  return SearchSpace::from_json(params, "test");
}

TEST(Proposer, LatinHypercubeHitsEveryStratumOfEveryParameterOnce) {
  auto space = unit_box(3);
  const int rows = 8;
  for (int p = 0; p < 3; ++p) {
    std::set<int> strata;
    for (int r = 0; r < rows; ++r) strata.insert(static_cast<int>(latin_hypercube_point(space, 9, rows, r)[p] * rows));
    EXPECT_EQ(strata.size(), static_cast<std::size_t>(rows));
  }
}

TEST(Proposer, SameStudyStateGivesTheSameProposal) {
  auto space = default_search_space();
  ProposalRequest r;
  r.seed = 11;
  r.index = 3;
  EXPECT_EQ(propose(space, Strategy::random, r), propose(space, Strategy::random, r));
  r.index = 4;
  auto fourth = propose(space, Strategy::random, r);
  r.index = 5;
  EXPECT_NE(fourth, propose(space, Strategy::random, r));
}

// Proposes and observes `count` points in sequence (as one worker would); returns the best value.
double observe_sequence(const SearchSpace& space, ProposalRequest& r, int count,
                        const std::function<double(const std::vector<double>&)>& f, Strategy strategy = Strategy::bayesian) {
  double best = 1e9;
  for (int i = 0; i < count; ++i) {
    r.index = i;
    auto x = propose(space, strategy, r);
    r.observed.push_back({x, f(x)});
    best = std::min(best, r.observed.back().value);
  }
  return best;
}

// A quadratic bowl with its minimum at (0.3, 0.7).
double bowl(const std::vector<double>& x) { return (x[0] - 0.3) * (x[0] - 0.3) + (x[1] - 0.7) * (x[1] - 0.7); }

TEST(Proposer, BayesianFindsTheBottomOfABowlFasterThanRandom) {
  auto space = unit_box(2);
  auto run = [&](Strategy strategy, std::uint64_t seed) {
    ProposalRequest r;
    r.seed = seed;
    r.initial_random = 4;
    return observe_sequence(space, r, 14, bowl, strategy);
  };
  int wins = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    double bayes = run(Strategy::bayesian, seed);
    EXPECT_LT(bayes, 2e-3) << "seed " << seed;
    wins += bayes < run(Strategy::random, seed);
  }
  EXPECT_GE(wins, 4);
}

TEST(Proposer, ConstantLiarSpreadsParallelProposals) {
  auto space = unit_box(2);
  ProposalRequest r;
  r.seed = 4;
  r.initial_random = 4;
  observe_sequence(space, r, 6, bowl);
  r.index = 6;
  auto first = propose(space, Strategy::bayesian, r);
  r.pending.push_back(first);  // first is now running elsewhere
  auto second = propose(space, Strategy::bayesian, r);
  double distance = std::hypot(first[0] - second[0], first[1] - second[1]);
  EXPECT_GT(distance, 0.02) << "the second worker was sent to the first one's point";
}

TEST(Proposer, IntegerAndCategoricalProposalsAreValidValues) {
  auto space = default_search_space();
  ProposalRequest r;
  r.seed = 8;
  r.initial_random = 3;
  observe_sequence(space, r, 6, [&](const std::vector<double>& x) {
    nlohmann::json p = space.decode(x);
    EXPECT_EQ(space.encode(p), x) << "proposal is not a snapped point";
    EXPECT_TRUE(p["model.embedding_dim"].is_number_integer());
    const auto& batch = p["training.batch_size"];
    EXPECT_TRUE(batch == 128 || batch == 256 || batch == 512);
    return -p["model.embedding_dim"].get<double>() / 128.0;
  });
}

TEST(Importance, TheParameterThatDrivesTheObjectiveGetsMostOfTheVariance) {
  auto space = unit_box(3);
  std::vector<Observation> obs;
  for (int i = 0; i < 12; ++i) {
    auto x = latin_hypercube_point(space, 2, 12, i);
    obs.push_back({x, std::sin(5 * x[1]) + 0.05 * x[0]});
  }
  auto imp = parameter_importance(space, obs);
  ASSERT_EQ(imp.size(), 3u);
  EXPECT_GT(imp["x1"], 0.8);
  EXPECT_NEAR(imp["x0"] + imp["x1"] + imp["x2"], 1.0, 1e-9);
  EXPECT_TRUE(parameter_importance(space, {obs[0], obs[1]}).empty());
}

TEST(TrialConfig, ConfigurationKeysSetTheTrainingConfiguration) {
  nlohmann::json params = {{"model.embedding_dim", 77}, {"training.learning_rate", 0.003},
                           {"model.hidden_layers[0]", 200}, {"model.hidden_layers[2]", 20}};
  auto c = apply_trial_params(default_config(), params);
  EXPECT_EQ(c["model"]["embedding_dim"], 77);
  EXPECT_EQ(c["training"]["learning_rate"], 0.003);
  const auto base_layers = default_config()["model"]["hidden_layers"];
  EXPECT_EQ(c["model"]["hidden_layers"], nlohmann::json({200, base_layers[1], 20}));
  // An index past the list, into a non-list, or malformed is refused, naming the parameter.
  for (const char* bad : {"model.hidden_layers[3]", "model.embedding_dim[0]", "model.hidden_layers[x]", "model.hidden_layers[0"}) {
    try {
      apply_trial_params(default_config(), {{bad, 8}});
      ADD_FAILURE() << bad << " was accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(TrialConfig, ShortNamesOfOlderStudiesMapOntoTheTrainingConfiguration) {
  nlohmann::json params = {{"embedding_dim", 77}, {"learning_rate", 0.003}, {"batch_size", 512}, {"dropout_rate", 0.35},
                           {"hidden_layer_1", 200}, {"hidden_layer_2", 90}, {"hidden_layer_3", 20},
                           {"training.weight_decay", 0.0001}};
  auto c = apply_trial_params(default_config(), params);
  EXPECT_EQ(c["model"]["embedding_dim"], 77);
  EXPECT_EQ(c["training"]["learning_rate"], 0.003);
  EXPECT_EQ(c["training"]["batch_size"], 512);
  EXPECT_EQ(c["model"]["dropout_rate"], 0.35);
  EXPECT_EQ(c["model"]["hidden_layers"], nlohmann::json({200, 90, 20}));
  EXPECT_EQ(c["training"]["weight_decay"], 0.0001);
  EXPECT_THROW(apply_trial_params(default_config(), {{"hidden_layer_4", 8}}), ConfigError);
  EXPECT_THROW(apply_trial_params(default_config(), {{"momentum", 0.9}}), ConfigError);
  EXPECT_THROW(apply_trial_params(default_config(), {{"training.no_such_key", 1}}), ConfigError);
  EXPECT_NO_THROW(check_space_maps_onto(default_search_space(), default_config()));
}

}  // namespace
}  // namespace hybridrec::tune
