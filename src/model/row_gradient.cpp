#include "model/row_gradient.h"

namespace hybridrec {

void RowGradient::reset(std::size_t table_rows, std::size_t dim) {
  dim_ = dim;
  slot_.assign(table_rows, -1);
  rows_.clear();
  grads_.clear();
}

void RowGradient::begin() {
  // Only the slots touched by the previous batch are cleared: O(batch), not O(table).
  for (std::uint32_t r : rows_) slot_[r] = -1;
  rows_.clear();
  grads_.clear();
}

void RowGradient::add(std::uint32_t row, const float* grad) {
  std::int32_t s = slot_[row];
  if (s < 0) {
    s = static_cast<std::int32_t>(rows_.size());
    slot_[row] = s;
    rows_.push_back(row);
    grads_.insert(grads_.end(), grad, grad + dim_);  // capacity is kept between batches
    return;
  }
  float* dst = grads_.data() + static_cast<std::size_t>(s) * dim_;
  for (std::size_t j = 0; j < dim_; ++j) dst[j] += grad[j];
}

void RowGradient::add(std::uint32_t row, const float* grad, float scale) {
  std::int32_t s = slot_[row];
  if (s < 0) {
    s = static_cast<std::int32_t>(rows_.size());
    slot_[row] = s;
    rows_.push_back(row);
    grads_.resize(grads_.size() + dim_, 0.0f);
  }
  float* dst = grads_.data() + static_cast<std::size_t>(s) * dim_;
  for (std::size_t j = 0; j < dim_; ++j) dst[j] += scale * grad[j];
}

}  // namespace hybridrec
