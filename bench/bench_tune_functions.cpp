// Bayesian optimisation (tune/proposer.h: GP Matérn 5/2 + expected improvement,
// 5 Latin-hypercube starts) versus random search on Branin and Hartmann-6:
// `seeds` runs of `evaluations` evaluations each, the median over seeds of the
// best value found. bench/run_tune_bench.sh runs Optuna's TPE beside it.
//   build/bench/bench_tune_functions [seeds=10] [evaluations=20]
// Output: one line per (function, strategy): name, strategy, median, seconds, best per seed.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>

#include "tune/proposer.h"
#include "tune_test_functions.h"

using namespace hybridrec;

namespace {

struct Problem {
  const char* name;
  tune::SearchSpace space;
  std::function<double(const nlohmann::json&)> f;
};

tune::SearchSpace box(const std::vector<std::pair<double, double>>& bounds) {
  nlohmann::json params = nlohmann::json::array();
  for (std::size_t i = 0; i < bounds.size(); ++i)
    params.push_back({{"name", fmt::format("x{}", i)}, {"type", "continuous"}, {"min", bounds[i].first}, {"max", bounds[i].second}});
  return tune::SearchSpace::from_json(params, "bench");
}

double best_of_run(const Problem& p, tune::Strategy strategy, std::uint64_t seed, int evaluations) {
  tune::ProposalRequest r;
  r.seed = seed;
  r.initial_random = 5;
  double best = 1e300;
  for (int i = 0; i < evaluations; ++i) {
    r.index = i;
    auto x = tune::propose(p.space, strategy, r);
    double y = p.f(p.space.decode(x));
    r.observed.push_back({x, y});
    best = std::min(best, y);
  }
  return best;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  const int seeds = argc > 1 ? std::atoi(argv[1]) : 10;
  const int evaluations = argc > 2 ? std::atoi(argv[2]) : 20;
  std::vector<Problem> problems = {
      {"branin", box({{-5, 10}, {0, 15}}), [](const nlohmann::json& x) { return bench::branin(x["x0"], x["x1"]); }},
      {"hartmann6", box(std::vector<std::pair<double, double>>(6, {0.0, 1.0})),
       [](const nlohmann::json& x) {
         std::vector<double> v;
         for (int i = 0; i < 6; ++i) v.push_back(x[fmt::format("x{}", i)].get<double>());
         return bench::hartmann6(v);
       }},
  };
  for (const auto& p : problems) {
    for (auto strategy : {tune::Strategy::bayesian, tune::Strategy::random}) {
      auto t0 = std::chrono::steady_clock::now();
      std::vector<double> bests;
      for (int s = 0; s < seeds; ++s) bests.push_back(best_of_run(p, strategy, 1000 + static_cast<std::uint64_t>(s), evaluations));
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::string line = fmt::format("{} {} {:.6f} {:.3f}", p.name, tune::to_string(strategy), median(bests), seconds);
      for (double b : bests) line += fmt::format(" {:.6f}", b);
      std::cout << line << "\n";
    }
  }
  return 0;
}
