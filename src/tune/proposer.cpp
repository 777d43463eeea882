#include "tune/proposer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/rng.h"
#include "tune/gaussian_process.h"

namespace hybridrec::tune {

namespace {

// Streams of the study seed: one per purpose, so changing one does not shift another.
constexpr std::uint64_t kLatinStream = 1, kRandomStream = 2, kBayesStream = 3;

Eigen::VectorXd as_vector(const std::vector<double>& x) { return Eigen::Map<const Eigen::VectorXd>(x.data(), static_cast<Eigen::Index>(x.size())); }

// The GP on the observed values (standardised) plus the constant lie at pending points.
struct Surrogate {
  GaussianProcess gp;
  double best = 0;  // lowest standardised observation
};

Surrogate fit_surrogate(const ProposalRequest& request, Rng& rng) {
  const auto& obs = request.observed;
  const auto n = static_cast<Eigen::Index>(obs.size());
  const auto d = static_cast<Eigen::Index>(obs.front().x.size());
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) y[i] = obs[static_cast<std::size_t>(i)].value;
  const double mean = y.mean();
  double sd = std::sqrt((y.array() - mean).square().sum() / static_cast<double>(n));
  if (!(sd > 1e-12)) sd = 1.0;
  y = (y.array() - mean) / sd;
  Eigen::MatrixXd x(n, d);
  for (Eigen::Index i = 0; i < n; ++i) x.row(i) = as_vector(obs[static_cast<std::size_t>(i)].x).transpose();

  Surrogate s;
  s.best = y.minCoeff();
  s.gp.fit_with_hyperparameter_search(x, y, rng);
  if (!request.pending.empty()) {
    // Hyperparameters come from real data only; the lies only move the posterior.
    const auto m = static_cast<Eigen::Index>(request.pending.size());
    Eigen::MatrixXd xa(n + m, d);
    Eigen::VectorXd ya(n + m);
    xa.topRows(n) = x;
    ya.head(n) = y;
    for (Eigen::Index i = 0; i < m; ++i) {
      xa.row(n + i) = as_vector(request.pending[static_cast<std::size_t>(i)]).transpose();
      ya[n + i] = 0.0;  // the mean of the standardised observations
    }
    GpHyperparameters h = s.gp.hyperparameters();
    s.gp.fit(xa, ya, h);
  }
  return s;
}

double acquisition(const Surrogate& s, const std::vector<double>& x) {
  auto p = s.gp.predict(as_vector(x));
  return expected_improvement(p.mean, p.variance, s.best, 0.01);
}

// A random neighbour of x (Gaussian step of width `scale` per coordinate), snapped.
std::vector<double> neighbour(const SearchSpace& space, const std::vector<double>& x, double scale, Rng& rng) {
  std::vector<double> y = x;
  for (auto& v : y) v = std::clamp(v + scale * rng.normal(), 0.0, 1.0);
  return space.snap(y);
}

std::vector<double> maximise_expected_improvement(const SearchSpace& space, const ProposalRequest& request,
                                                  const Surrogate& s, Rng& rng) {
  struct Candidate {
    std::vector<double> x;
    double ei;
  };
  std::vector<Candidate> candidates;
  auto add = [&](std::vector<double> x) {
    double ei = acquisition(s, x);
    candidates.push_back({std::move(x), ei});
  };
  // Global: uniform candidates. Local: around the best observations so far.
  for (int i = 0; i < 2000; ++i) add(space.sample(rng));
  std::vector<std::size_t> order(request.observed.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return request.observed[a].value < request.observed[b].value; });
  for (std::size_t k = 0; k < std::min<std::size_t>(5, order.size()); ++k)
    for (int i = 0; i < 100; ++i) add(neighbour(space, request.observed[order[k]].x, i < 50 ? 0.05 : 0.15, rng));

  // Refine the best few by stochastic hill climbing with a shrinking step.
  std::partial_sort(candidates.begin(), candidates.begin() + std::min<std::ptrdiff_t>(5, std::ssize(candidates)),
                    candidates.end(), [](const auto& a, const auto& b) { return a.ei > b.ei; });
  Candidate best = candidates.front();
  for (std::size_t k = 0; k < std::min<std::size_t>(5, candidates.size()); ++k) {
    Candidate c = candidates[k];
    double scale = 0.1;
    for (int step = 0; step < 60; ++step) {
      auto x = neighbour(space, c.x, scale, rng);
      double ei = acquisition(s, x);
      if (ei > c.ei) c = {std::move(x), ei};
      else if (step % 10 == 9) scale *= 0.5;
    }
    if (c.ei > best.ei) best = c;
  }
  return best.x;
}

}  // namespace

Strategy parse_strategy(const std::string& text) {
  if (text == "bayesian" || text == "Bayesian") return Strategy::bayesian;
  if (text == "random" || text == "Random") return Strategy::random;
  throw ConfigError("strategy must be bayesian or random, got '" + text + "'");
}

std::string to_string(Strategy strategy) { return strategy == Strategy::bayesian ? "bayesian" : "random"; }

std::vector<double> latin_hypercube_point(const SearchSpace& space, std::uint64_t seed, int rows, int index) {
  if (index < 0 || index >= rows) throw Error("Latin hypercube row out of range");
  Rng rng = Rng::stream(seed, kLatinStream);
  nlohmann::json params = nlohmann::json::object();
  for (const auto& p : space.parameters()) {
    // Each parameter: a random permutation of the strata, a random point in each.
    std::vector<int> strata(static_cast<std::size_t>(rows));
    std::iota(strata.begin(), strata.end(), 0);
    rng.shuffle(strata.begin(), strata.end());
    std::vector<double> jitter(static_cast<std::size_t>(rows));
    for (auto& j : jitter) j = rng.uniform();
    const double u = (strata[static_cast<std::size_t>(index)] + jitter[static_cast<std::size_t>(index)]) / rows;
    if (p.kind == ParamKind::categorical)
      params[p.name] = p.values[std::min(p.values.size() - 1, static_cast<std::size_t>(u * static_cast<double>(p.values.size())))];
    else
      params[p.name] = SearchSpace::decode_one(p, u);
  }
  return space.encode(params);
}

std::vector<double> propose(const SearchSpace& space, Strategy strategy, const ProposalRequest& request) {
  if (strategy == Strategy::random) {
    Rng rng = Rng::stream(request.seed ^ (kRandomStream << 32), static_cast<std::uint64_t>(request.index));
    return space.sample(rng);
  }
  if (request.index < request.initial_random)
    return latin_hypercube_point(space, request.seed, request.initial_random, request.index);
  Rng rng = Rng::stream(request.seed ^ (kBayesStream << 32), static_cast<std::uint64_t>(request.index));
  if (request.observed.size() < 2) return space.sample(rng);  // nothing to model yet (failures, or all still running)
  Surrogate s = fit_surrogate(request, rng);
  return maximise_expected_improvement(space, request, s, rng);
}

}  // namespace hybridrec::tune
