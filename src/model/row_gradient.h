#pragma once
// The gradient of an embedding table for one batch, kept sparse: the distinct
// rows looked up and one summed gradient row each. Rows are summed in sample
// order, so the result does not depend on the thread count.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <Eigen/Core>

namespace hybridrec {

class RowGradient {
 public:
  void reset(std::size_t table_rows, std::size_t dim);  // once, at construction
  void begin();                                         // start a batch
  // Adds grad[0..dim) to the gradient of `row`.
  void add(std::uint32_t row, const float* grad);
  // Adds scale * grad[0..dim) (a mean-pooled bag's share of its gradient).
  void add(std::uint32_t row, const float* grad, float scale);
  std::size_t count() const { return rows_.size(); }
  const std::vector<std::uint32_t>& rows() const { return rows_; }  // first-appearance order
  const float* grad(std::size_t k) const { return grads_.data() + k * dim_; }
  // -1 for a row absent from the batch, else its index into rows().
  std::int32_t slot_of(std::uint32_t row) const { return slot_[row]; }
  std::size_t dim() const { return dim_; }

 private:
  std::size_t dim_ = 0;
  std::vector<std::int32_t> slot_;  // table row -> slot, -1 when absent
  std::vector<std::uint32_t> rows_;
  std::vector<float, Eigen::aligned_allocator<float>> grads_;
};

}  // namespace hybridrec
