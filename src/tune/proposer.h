#pragma once
// Chooses the next point of a study: random search, or Bayesian optimisation
// (a Latin-hypercube start, then a Gaussian process with expected improvement).
// Pure functions of the study so far, so the same code serves one process, N
// local workers and workers on several machines, and the test-function
// benchmark. Values are minimised: a study that maximises passes -objective.
//
// Parallel trials: points still running are "pending"; the Bayesian proposer
// conditions the GP on them with a constant lie (the mean of the observed
// values, Ginsbourger et al. 2010), which flattens expected improvement around
// them so that N simultaneous proposals spread out instead of coinciding.
#include <cstdint>
#include <string>
#include <vector>

#include "tune/search_space.h"

namespace hybridrec::tune {

enum class Strategy { bayesian, random };
Strategy parse_strategy(const std::string& text);  // throws ConfigError
std::string to_string(Strategy strategy);

struct Observation {
  std::vector<double> x;  // unit-cube point (snapped)
  double value = 0;       // minimised
};

struct ProposalRequest {
  std::uint64_t seed = 42;
  int index = 0;                 // 0-based position of the trial in the study's budget
  int initial_random = 5;        // Latin-hypercube points before the GP takes over
  std::vector<Observation> observed;
  std::vector<std::vector<double>> pending;
};

std::vector<double> propose(const SearchSpace& space, Strategy strategy, const ProposalRequest& request);

// Row `index` of a Latin-hypercube design of `rows` points seeded by `seed`
// (integers and categories take the value their stratum decodes to).
std::vector<double> latin_hypercube_point(const SearchSpace& space, std::uint64_t seed, int rows, int index);

}  // namespace hybridrec::tune
