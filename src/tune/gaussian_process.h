#pragma once
// A Gaussian process regressor with a zero prior mean and an ARD Matérn 5/2
// kernel, the usual surrogate of Bayesian optimisation (Snoek et al. 2012):
//   k(x, x') = s2 (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r),  r^2 = sum_i ((x_i - x'_i) / l_i)^2
// plus noise variance on the diagonal. Inputs live in the unit cube; callers
// standardise the targets (zero mean, unit variance) first.
#include <vector>

#include <Eigen/Dense>

namespace hybridrec {
class Rng;
namespace tune {

struct GpHyperparameters {
  std::vector<double> lengthscales;  // one per input coordinate
  double signal_variance = 1.0;
  double noise_variance = 1e-6;
};

double matern52(const Eigen::VectorXd& a, const Eigen::VectorXd& b, const GpHyperparameters& h);

class GaussianProcess {
 public:
  struct Prediction {
    double mean = 0;
    double variance = 0;  // of the latent function (noise excluded)
  };

  // Conditions on the data with fixed hyperparameters (Cholesky via Eigen's LLT).
  // Throws Error if the kernel matrix is not positive definite even with jitter.
  void fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const GpHyperparameters& h);
  Prediction predict(const Eigen::VectorXd& x) const;
  // log p(y | X, h) of the fitted data.
  double log_marginal_likelihood() const { return lml_; }
  const GpHyperparameters& hyperparameters() const { return h_; }

  // Fits the hyperparameters by maximising the log marginal likelihood plus weak
  // log-normal priors (keeps fits sane with a handful of points), with
  // Nelder-Mead over log-parameters from several starts, then conditions on them.
  void fit_with_hyperparameter_search(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, Rng& rng);

 private:
  Eigen::MatrixXd x_;
  Eigen::LLT<Eigen::MatrixXd> llt_;
  Eigen::VectorXd alpha_;
  GpHyperparameters h_;
  double lml_ = 0;
};

// Expected improvement below `best` (minimisation) of a Gaussian N(mean, variance):
//   EI = (best - mean - xi) Phi(z) + sigma phi(z),  z = (best - mean - xi) / sigma.
double expected_improvement(double mean, double variance, double best, double xi = 0.0);

}  // namespace tune
}  // namespace hybridrec
