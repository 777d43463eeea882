#pragma once
// The training losses on p = sigmoid(logit), with their gradient with respect to
// the logit. Computed from the logit so that saturated predictions stay finite.
#include "model/network.h"

namespace hybridrec {

// Weighted mean loss of the batch; when dlogits is non-null also writes dL/dlogit
// per sample. MSE: mean(w (p-y)^2). BCE: mean(w BCE(p, y)). BPR: mean over the
// (positive, negative) pairs of each group of w_pos * -log sigmoid(s_pos - s_neg),
// the pair weighted by its positive's weight. Throws Error on a malformed batch.
double loss_and_gradient(Loss loss, const float* logits, const Batch& batch, float* dlogits);

// Checks sizes (labels, weights, BPR groups) so a bad batch fails before any work.
void validate_batch(const Batch& batch, Loss loss);

}  // namespace hybridrec
