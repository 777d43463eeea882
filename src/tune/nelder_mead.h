#pragma once
// Derivative-free minimisation (Nelder-Mead simplex) for the handful of
// Gaussian-process hyperparameters: the objective is cheap, low-dimensional and
// smooth enough, and the simplex needs no gradient code to get wrong.
#include <functional>
#include <vector>

namespace hybridrec::tune {

struct NelderMeadResult {
  std::vector<double> x;
  double value = 0;
  int evaluations = 0;
};

// Minimises f from x0 with an initial simplex of edge `step`; stops after
// max_evaluations or when the simplex's values agree to `tolerance`.
NelderMeadResult nelder_mead(const std::function<double(const std::vector<double>&)>& f, std::vector<double> x0,
                             double step, int max_evaluations, double tolerance = 1e-8);

}  // namespace hybridrec::tune
