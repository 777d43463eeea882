#pragma once
// Adam as torch.optim.Adam (PyTorch 1.13 single-tensor path): weight decay added
// to the gradient, moments updated in float32 with the same operation order, bias
// corrections computed in double from the step count. One call updates one
// contiguous span: a whole dense tensor, or one embedding row with its own step
// (lazy row-wise Adam, like sparse Adam).
#include <cstddef>

#include "model/network.h"

namespace hybridrec {

// The hyper-parameters as the float32 scalars PyTorch's kernels see. PyTorch holds
// them as Python doubles (0.999, not 0.999f); we recover that decimal value from the
// float so that 1 - beta2 rounds exactly as it does in PyTorch.
struct AdamScalars {
  float beta1, beta2, one_minus_beta1, one_minus_beta2, eps, weight_decay;
  double lr, beta1_d, beta2_d;
  static AdamScalars from(const OptimizerConfig& config, float learning_rate);
};

// Per-step factors that depend on the step count (>= 1).
struct AdamStepFactors {
  float step_size;     // lr / (1 - beta1^step)
  float bias2_sqrt;    // sqrt(1 - beta2^step)
  static AdamStepFactors at(const AdamScalars& s, double step);
};

// param/exp_avg/exp_avg_sq updated in place over n values. grad == nullptr means a
// zero gradient (an embedding row absent from the batch under dense Adam).
void adam_update(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, std::size_t n,
                 const AdamScalars& s, const AdamStepFactors& f);

// Shortest decimal that rounds to f, as a double (0.999f -> 0.999).
double decimal_value(float f);

}  // namespace hybridrec
