#pragma once
// Standard global-optimisation test functions (minimised) shared by the tuner
// benchmark; bench/optuna_tpe.py defines the same two in Python.
#include <array>
#include <cmath>
#include <vector>

namespace hybridrec::bench {

// Branin-Hoo on [-5, 10] x [0, 15]; global minimum 0.397887.
inline double branin(double x1, double x2) {
  const double a = 1, b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, r = 6, s = 10, t = 1 / (8 * M_PI);
  return a * std::pow(x2 - b * x1 * x1 + c * x1 - r, 2) + s * (1 - t) * std::cos(x1) + s;
}

// Hartmann-6 on [0, 1]^6; global minimum -3.32237.
inline double hartmann6(const std::vector<double>& x) {
  static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  static const double a[4][6] = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}};
  static const double p[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                 {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                 {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                 {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  double sum = 0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0;
    for (int j = 0; j < 6; ++j) inner += a[i][j] * (x[j] - p[i][j]) * (x[j] - p[i][j]);
    sum += alpha[i] * std::exp(-inner);
  }
  return -sum;
}

}  // namespace hybridrec::bench
