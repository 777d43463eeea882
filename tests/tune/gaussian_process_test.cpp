#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"
#include "tune/gaussian_process.h"

namespace hybridrec::tune {
namespace {

// Expected numbers computed independently with numpy:
//   X = [[.1,.2],[.4,.9],[.9,.5]]; y = [.5,-.3,1.2]; l = [.3,.7]; s2 = 1.5; noise = .01
//   k(a,b): r = sqrt(sum(((a-b)/l)**2)); s2*(1+sqrt(5)*r+5/3*r*r)*exp(-sqrt(5)*r)
//   K = [[k(a,b) for b in X] for a in X] + noise*I;  xs = [.6,.4];  ks = [k(a,xs) for a in X]
//   mu = ks @ solve(K,y); var = s2 - ks @ solve(K,ks)
//   lml = -.5*y@solve(K,y) - .5*slogdet(K)[1] - 1.5*log(2*pi)
//   EI(best=-.3) = (best-mu)*Phi(z) + sd*phi(z), z = (best-mu)/sd
struct HandCase {
  Eigen::MatrixXd x{{0.1, 0.2}, {0.4, 0.9}, {0.9, 0.5}};
  Eigen::VectorXd y{{0.5, -0.3, 1.2}};
  GpHyperparameters h{{0.3, 0.7}, 1.5, 0.01};
  Eigen::VectorXd query{{0.6, 0.4}};
};

TEST(GaussianProcess, Matern52MatchesTheClosedForm) {
  HandCase c;
  EXPECT_NEAR(matern52(c.x.row(0).transpose(), c.query, c.h), 0.326452705130488, 1e-12);
  EXPECT_NEAR(matern52(c.query, c.query, c.h), 1.5, 1e-12);  // k(x, x) = signal variance
}

TEST(GaussianProcess, PosteriorMeanVarianceAndEvidenceMatchNumpy) {
  HandCase c;
  GaussianProcess gp;
  gp.fit(c.x, c.y, c.h);
  auto p = gp.predict(c.query);
  EXPECT_NEAR(p.mean, 0.4144654586335581, 1e-6);
  EXPECT_NEAR(p.variance, 0.8003431243770031, 1e-6);
  EXPECT_NEAR(gp.log_marginal_likelihood(), -4.017640128686358, 1e-6);
  // At a training input the posterior nearly interpolates (small noise).
  auto at = gp.predict(c.x.row(1).transpose());
  EXPECT_NEAR(at.mean, -0.3, 0.02);
  EXPECT_LT(at.variance, 0.02);
}

TEST(GaussianProcess, ExpectedImprovementMatchesNumpy) {
  HandCase c;
  GaussianProcess gp;
  gp.fit(c.x, c.y, c.h);
  auto p = gp.predict(c.query);
  EXPECT_NEAR(expected_improvement(p.mean, p.variance, -0.3), 0.10780044267441188, 1e-6);
  // Degenerate cases: no uncertainty -> plain improvement, never negative.
  EXPECT_DOUBLE_EQ(expected_improvement(1.0, 0.0, 1.5), 0.5);
  EXPECT_DOUBLE_EQ(expected_improvement(2.0, 0.0, 1.5), 0.0);
  // More uncertainty at the same mean is worth more.
  EXPECT_GT(expected_improvement(0.0, 1.0, -0.5), expected_improvement(0.0, 0.25, -0.5));
}

TEST(GaussianProcess, HyperparameterSearchBeatsTheDefaultsOnEvidence) {
  // A smooth noiseless function of the first input only: the fit should find a
  // long lengthscale for the irrelevant second input and little noise.
  Rng rng(3);
  const int n = 15;
  Eigen::MatrixXd x(n, 2);
  Eigen::VectorXd y(n);
  for (int i = 0; i < n; ++i) {
    x(i, 0) = rng.uniform();
    x(i, 1) = rng.uniform();
    y[i] = std::sin(6.0 * x(i, 0));
  }
  y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
  GaussianProcess fixed;
  fixed.fit(x, y, GpHyperparameters{{0.5, 0.5}, 1.0, 0.1});
  GaussianProcess fitted;
  fitted.fit_with_hyperparameter_search(x, y, rng);
  EXPECT_GT(fitted.log_marginal_likelihood(), fixed.log_marginal_likelihood());
  const auto& h = fitted.hyperparameters();
  EXPECT_GT(h.lengthscales[1], 2.0 * h.lengthscales[0]);
  EXPECT_LT(h.noise_variance, 0.01);
  Eigen::VectorXd q{{0.37, 0.5}};
  EXPECT_NEAR(fitted.predict(q).mean * 1.0, fitted.predict(Eigen::VectorXd{{0.37, 0.9}}).mean, 0.1);
}

}  // namespace
}  // namespace hybridrec::tune
