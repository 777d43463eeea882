#include "tune/nelder_mead.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hybridrec::tune {

NelderMeadResult nelder_mead(const std::function<double(const std::vector<double>&)>& f, std::vector<double> x0,
                             double step, int max_evaluations, double tolerance) {
  const std::size_t n = x0.size();
  NelderMeadResult result;
  auto eval = [&](const std::vector<double>& x) {
    ++result.evaluations;
    double v = f(x);
    return std::isfinite(v) ? v : 1e300;
  };
  std::vector<std::vector<double>> simplex(n + 1, x0);
  std::vector<double> values(n + 1);
  for (std::size_t i = 0; i < n; ++i) simplex[i + 1][i] += step;
  for (std::size_t i = 0; i <= n; ++i) values[i] = eval(simplex[i]);
  std::vector<std::size_t> order(n + 1);
  auto point = [&](const std::vector<double>& centroid, const std::vector<double>& worst, double t) {
    std::vector<double> p(n);
    for (std::size_t j = 0; j < n; ++j) p[j] = centroid[j] + t * (worst[j] - centroid[j]);
    return p;
  };
  while (result.evaluations < max_evaluations) {
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    const std::size_t best = order.front(), worst = order.back(), second = order[n - 1];
    if (std::abs(values[worst] - values[best]) <= tolerance * (std::abs(values[best]) + tolerance)) break;
    std::vector<double> centroid(n, 0.0);
    for (std::size_t i = 0; i <= n; ++i)
      if (i != worst)
        for (std::size_t j = 0; j < n; ++j) centroid[j] += simplex[i][j] / static_cast<double>(n);
    auto reflected = point(centroid, simplex[worst], -1.0);
    double fr = eval(reflected);
    if (fr < values[best]) {
      auto expanded = point(centroid, simplex[worst], -2.0);
      double fe = eval(expanded);
      if (fe < fr) simplex[worst] = expanded, values[worst] = fe;
      else simplex[worst] = reflected, values[worst] = fr;
    } else if (fr < values[second]) {
      simplex[worst] = reflected, values[worst] = fr;
    } else {
      bool outside = fr < values[worst];
      auto contracted = point(centroid, simplex[worst], outside ? -0.5 : 0.5);
      double fc = eval(contracted);
      if (fc < std::min(fr, values[worst])) {
        simplex[worst] = contracted, values[worst] = fc;
      } else {  // shrink towards the best vertex
        for (std::size_t i = 0; i <= n; ++i) {
          if (i == best) continue;
          for (std::size_t j = 0; j < n; ++j) simplex[i][j] = simplex[best][j] + 0.5 * (simplex[i][j] - simplex[best][j]);
          values[i] = eval(simplex[i]);
        }
      }
    }
  }
  std::size_t best = static_cast<std::size_t>(std::min_element(values.begin(), values.end()) - values.begin());
  result.x = simplex[best];
  result.value = values[best];
  return result;
}

}  // namespace hybridrec::tune
