#include "tune/importance.h"

#include <cmath>

#include "core/rng.h"
#include "tune/gaussian_process.h"

namespace hybridrec::tune {

namespace {

double variance_of(const std::vector<double>& v) {
  double mean = 0, sq = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v) sq += (x - mean) * (x - mean);
  return sq / static_cast<double>(v.size());
}

}  // namespace

std::map<std::string, double> parameter_importance(const SearchSpace& space, const std::vector<Observation>& observed,
                                                   std::uint64_t seed) {
  std::map<std::string, double> out;
  if (observed.size() < 3) return out;
  const auto n = static_cast<Eigen::Index>(observed.size());
  const auto d = static_cast<Eigen::Index>(space.dimension());
  Eigen::MatrixXd x(n, d);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& o = observed[static_cast<std::size_t>(i)];
    for (Eigen::Index j = 0; j < d; ++j) x(i, j) = o.x[static_cast<std::size_t>(j)];
    y[i] = o.value;
  }
  const double mean = y.mean();
  double sd = std::sqrt((y.array() - mean).square().sum() / static_cast<double>(n));
  if (!(sd > 1e-12)) sd = 1.0;
  y = (y.array() - mean) / sd;
  Rng rng = Rng::stream(seed, 77);
  GaussianProcess gp;
  gp.fit_with_hyperparameter_search(x, y, rng);

  constexpr int kBase = 128, kGrid = 12;
  std::vector<std::vector<double>> base;
  for (int i = 0; i < kBase; ++i) base.push_back(space.sample(rng));
  double total = 0;
  std::size_t offset = 0;
  for (const auto& p : space.parameters()) {
    const auto width = static_cast<std::size_t>(p.width());
    const int levels = p.kind == ParamKind::categorical ? p.width() : kGrid;
    std::vector<double> effect;
    for (int level = 0; level < levels; ++level) {
      double sum = 0;
      for (auto point : base) {
        for (std::size_t j = 0; j < width; ++j)
          point[offset + j] = p.kind == ParamKind::categorical ? (static_cast<int>(j) == level ? 1.0 : 0.0)
                                                               : (level + 0.5) / kGrid;
        point = space.snap(point);
        sum += gp.predict(Eigen::Map<Eigen::VectorXd>(point.data(), d)).mean;
      }
      effect.push_back(sum / kBase);
    }
    out[p.name] = variance_of(effect);
    total += out[p.name];
    offset += width;
  }
  for (auto& [name, v] : out) v = total > 0 ? v / total : 0.0;
  return out;
}

}  // namespace hybridrec::tune
