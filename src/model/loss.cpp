#include "model/loss.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace hybridrec {
namespace {

double sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }
// log(1 + exp(x)) without overflow.
double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

}  // namespace

void validate_batch(const Batch& b, Loss loss) {
  const std::size_t n = b.size();
  if (n == 0) throw Error("training batch is empty");
  if (b.items.size() != n) throw Error("batch: users and items differ in length");
  if (!b.weights.empty() && b.weights.size() != n) throw Error("batch: weights and users differ in length");
  if (loss == Loss::BPR) {
    if (b.group_size < 2) throw Error("batch: BPR needs group_size >= 2 (a positive and at least one negative)");
    if (n % static_cast<std::size_t>(b.group_size) != 0)
      throw Error("batch: BPR batch size " + std::to_string(n) + " is not a multiple of group_size " +
                  std::to_string(b.group_size));
  } else if (b.labels.size() != n) {
    throw Error("batch: labels and users differ in length");
  }
}

double loss_and_gradient(Loss loss, const float* z, const Batch& b, float* dz) {
  const std::size_t n = b.size();
  auto weight = [&](std::size_t i) { return b.weights.empty() ? 1.0 : static_cast<double>(b.weights[i]); };
  double total = 0.0;
  if (loss == Loss::BPR) {
    const std::size_t g = static_cast<std::size_t>(b.group_size);
    const double pairs = static_cast<double>(n / g * (g - 1));
    if (dz)
      for (std::size_t i = 0; i < n; ++i) dz[i] = 0.0f;
    for (std::size_t start = 0; start < n; start += g) {
      const double w = weight(start);
      for (std::size_t k = start + 1; k < start + g; ++k) {
        const double d = static_cast<double>(z[start]) - z[k];
        total += w * softplus(-d);  // -log sigmoid(d)
        if (dz) {
          const double dd = -w * sigmoid(-d) / pairs;  // dL/dd
          dz[start] += static_cast<float>(dd);
          dz[k] -= static_cast<float>(dd);
        }
      }
    }
    return total / pairs;
  }
  const double inv_n = 1.0 / static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double w = weight(i), y = b.labels[i], zi = z[i];
    const double p = sigmoid(zi);
    if (loss == Loss::MSE) {
      total += w * (p - y) * (p - y);
      if (dz) dz[i] = static_cast<float>(w * 2.0 * (p - y) * p * (1.0 - p) * inv_n);
    } else {
      // BCE(sigmoid(z), y) = softplus(z) - y z, the stable form of -[y log p + (1-y) log(1-p)].
      total += w * (softplus(zi) - y * zi);
      if (dz) dz[i] = static_cast<float>(w * (p - y) * inv_n);
    }
  }
  return total * inv_n;
}

}  // namespace hybridrec
