#include "tune/gaussian_process.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/rng.h"
#include "tune/nelder_mead.h"

namespace hybridrec::tune {

namespace {

constexpr double kSqrt5 = 2.23606797749978969640;
constexpr double kLog2Pi = 1.83787706640934548356;

// Bounds of the log-hyperparameters (the unit cube and standardised targets make
// these scale-free): lengthscales 0.01..20, signal 0.05..20, noise 1e-6..1.
constexpr double kLogLengthMin = -4.6, kLogLengthMax = 3.0;
constexpr double kLogSignalMin = -3.0, kLogSignalMax = 3.0;
constexpr double kLogNoiseMin = -13.8, kLogNoiseMax = 0.0;

// Weak log-normal priors (means and widths in log space): lengthscales around 0.5
// of the cube, signal around the unit variance of standardised targets, small noise.
constexpr double kPriorLogLength = -0.7, kPriorLogLengthSd = 1.5;
constexpr double kPriorLogSignal = 0.0, kPriorLogSignalSd = 1.5;
constexpr double kPriorLogNoise = -6.0, kPriorLogNoiseSd = 3.0;

double gaussian_log_prior(double v, double mean, double sd) { return -0.5 * (v - mean) * (v - mean) / (sd * sd); }

GpHyperparameters from_log(const std::vector<double>& theta, std::size_t dims) {
  GpHyperparameters h;
  h.lengthscales.resize(dims);
  for (std::size_t i = 0; i < dims; ++i) h.lengthscales[i] = std::exp(std::clamp(theta[i], kLogLengthMin, kLogLengthMax));
  h.signal_variance = std::exp(std::clamp(theta[dims], kLogSignalMin, kLogSignalMax));
  h.noise_variance = std::exp(std::clamp(theta[dims + 1], kLogNoiseMin, kLogNoiseMax));
  return h;
}

// Squared distance outside the box, so the simplex is pulled back inside.
double box_penalty(const std::vector<double>& theta, std::size_t dims) {
  double p = 0;
  auto add = [&](double v, double lo, double hi) {
    if (v < lo) p += (lo - v) * (lo - v);
    if (v > hi) p += (v - hi) * (v - hi);
  };
  for (std::size_t i = 0; i < dims; ++i) add(theta[i], kLogLengthMin, kLogLengthMax);
  add(theta[dims], kLogSignalMin, kLogSignalMax);
  add(theta[dims + 1], kLogNoiseMin, kLogNoiseMax);
  return 1e3 * p;
}

}  // namespace

double matern52(const Eigen::VectorXd& a, const Eigen::VectorXd& b, const GpHyperparameters& h) {
  double r2 = 0;
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    double d = (a[i] - b[i]) / h.lengthscales[static_cast<std::size_t>(i)];
    r2 += d * d;
  }
  double r = std::sqrt(r2);
  return h.signal_variance * (1.0 + kSqrt5 * r + 5.0 / 3.0 * r2) * std::exp(-kSqrt5 * r);
}

void GaussianProcess::fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const GpHyperparameters& h) {
  if (x.rows() != y.size()) throw Error("Gaussian process: inputs and targets differ in count");
  if (static_cast<Eigen::Index>(h.lengthscales.size()) != x.cols()) throw Error("Gaussian process: one lengthscale per input needed");
  x_ = x;
  h_ = h;
  const Eigen::Index n = x.rows();
  Eigen::MatrixXd k(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j <= i; ++j) k(i, j) = k(j, i) = matern52(x.row(i).transpose(), x.row(j).transpose(), h);
  // Jitter grows only if the factorisation fails (duplicate points with tiny noise).
  for (double jitter = 0.0; jitter < 1.0; jitter = jitter == 0.0 ? 1e-10 : jitter * 100.0) {
    Eigen::MatrixXd kn = k;
    kn.diagonal().array() += h.noise_variance + jitter;
    llt_.compute(kn);
    if (llt_.info() == Eigen::Success) {
      alpha_ = llt_.solve(y);
      const Eigen::MatrixXd& l = llt_.matrixLLT();
      double log_det_half = l.diagonal().array().log().sum();
      lml_ = -0.5 * y.dot(alpha_) - log_det_half - 0.5 * static_cast<double>(n) * kLog2Pi;
      return;
    }
  }
  throw Error("Gaussian process: the kernel matrix is not positive definite");
}

GaussianProcess::Prediction GaussianProcess::predict(const Eigen::VectorXd& x) const {
  const Eigen::Index n = x_.rows();
  Eigen::VectorXd ks(n);
  for (Eigen::Index i = 0; i < n; ++i) ks[i] = matern52(x_.row(i).transpose(), x, h_);
  Prediction p;
  p.mean = ks.dot(alpha_);
  Eigen::VectorXd v = llt_.matrixL().solve(ks);
  p.variance = std::max(0.0, h_.signal_variance - v.squaredNorm());
  return p;
}

void GaussianProcess::fit_with_hyperparameter_search(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, Rng& rng) {
  const auto dims = static_cast<std::size_t>(x.cols());
  auto objective = [&](const std::vector<double>& theta) {
    GaussianProcess gp;
    try {
      gp.fit(x, y, from_log(theta, dims));
    } catch (const Error&) {
      return std::numeric_limits<double>::infinity();
    }
    double log_prior = gaussian_log_prior(theta[dims], kPriorLogSignal, kPriorLogSignalSd) +
                       gaussian_log_prior(theta[dims + 1], kPriorLogNoise, kPriorLogNoiseSd);
    for (std::size_t i = 0; i < dims; ++i) log_prior += gaussian_log_prior(theta[i], kPriorLogLength, kPriorLogLengthSd);
    return -(gp.log_marginal_likelihood() + log_prior) + box_penalty(theta, dims);
  };
  std::vector<double> best_theta;
  double best_value = std::numeric_limits<double>::infinity();
  constexpr int kStarts = 4;
  for (int start = 0; start < kStarts; ++start) {
    std::vector<double> theta0(dims + 2);
    for (std::size_t i = 0; i < dims; ++i) theta0[i] = start == 0 ? kPriorLogLength : rng.uniform(-3.0, 1.5);
    theta0[dims] = start == 0 ? 0.0 : rng.uniform(-1.0, 1.0);
    theta0[dims + 1] = start == 0 ? -6.0 : rng.uniform(-10.0, -2.0);
    auto r = nelder_mead(objective, theta0, 0.5, 150 * static_cast<int>(dims + 2));
    if (r.value < best_value) best_value = r.value, best_theta = r.x;
  }
  fit(x, y, from_log(best_theta, dims));
}

double expected_improvement(double mean, double variance, double best, double xi) {
  const double improvement = best - mean - xi;
  const double sigma = std::sqrt(std::max(variance, 0.0));
  if (sigma < 1e-12) return std::max(improvement, 0.0);
  const double z = improvement / sigma;
  const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
  const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI);
  return improvement * cdf + sigma * pdf;
}

}  // namespace hybridrec::tune
