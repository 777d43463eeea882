#include "model/adam.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace hybridrec {

double decimal_value(float f) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf) - 1, f);
  *res.ptr = '\0';
  return std::strtod(buf, nullptr);
}

AdamScalars AdamScalars::from(const OptimizerConfig& c, float learning_rate) {
  AdamScalars s;
  s.beta1_d = decimal_value(c.beta1);
  s.beta2_d = decimal_value(c.beta2);
  s.beta1 = static_cast<float>(s.beta1_d);
  s.beta2 = static_cast<float>(s.beta2_d);
  s.one_minus_beta1 = static_cast<float>(1.0 - s.beta1_d);
  s.one_minus_beta2 = static_cast<float>(1.0 - s.beta2_d);
  s.eps = c.eps;
  s.weight_decay = c.weight_decay;
  s.lr = decimal_value(learning_rate);
  return s;
}

AdamStepFactors AdamStepFactors::at(const AdamScalars& s, double step) {
  AdamStepFactors f;
  const double bias1 = 1.0 - std::pow(s.beta1_d, step);
  const double bias2 = 1.0 - std::pow(s.beta2_d, step);
  f.step_size = static_cast<float>(s.lr / bias1);
  f.bias2_sqrt = static_cast<float>(std::sqrt(bias2));
  return f;
}

// The loops are written element-wise with no dependencies between iterations so
// that -O3 -march=native vectorises them (sqrt vectorises thanks to -fno-math-errno).
void adam_update(float* __restrict param, const float* __restrict grad, float* __restrict m,
                 float* __restrict v, std::size_t n, const AdamScalars& s, const AdamStepFactors& f) {
  const float b1 = s.beta1, b2 = s.beta2, a1 = s.one_minus_beta1, a2 = s.one_minus_beta2;
  const float wd = s.weight_decay, eps = s.eps, neg_step = -f.step_size, bc2 = f.bias2_sqrt;
  if (grad) {
    for (std::size_t i = 0; i < n; ++i) {
      const float g = grad[i] + wd * param[i];
      m[i] = m[i] * b1 + a1 * g;
      v[i] = v[i] * b2 + a2 * g * g;
      const float denom = std::sqrt(v[i]) / bc2 + eps;
      param[i] = param[i] + neg_step * m[i] / denom;
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      const float g = wd * param[i];
      m[i] = m[i] * b1 + a1 * g;
      v[i] = v[i] * b2 + a2 * g * g;
      const float denom = std::sqrt(v[i]) / bc2 + eps;
      param[i] = param[i] + neg_step * m[i] / denom;
    }
  }
}

}  // namespace hybridrec
