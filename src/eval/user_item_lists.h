#pragma once
// Each user's distinct items in some set of interactions, as one compact CSR
// table (offsets + items) instead of a vector per user: the evaluator needs
// several of these (train, evaluated part, relevant) for millions of interactions.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "data/dataset.h"

namespace hybridrec {

class UserItemLists {
 public:
  // Sorted, unique items per user from dataset.interactions[indices].
  static UserItemLists build(const Dataset& dataset, std::span<const std::uint32_t> indices);
  // Every interaction of the dataset.
  static UserItemLists build_all(const Dataset& dataset);
  // Per user, the items of *this that are not in `other`.
  UserItemLists minus(const UserItemLists& other) const;

  std::span<const std::uint32_t> of(std::uint32_t user) const {
    if (user + 1 >= offsets_.size()) return {};
    return {items_.data() + offsets_[user], offsets_[user + 1] - offsets_[user]};
  }
  std::size_t count(std::uint32_t user) const { return of(user).size(); }
  std::size_t num_users() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }
  std::size_t total() const { return items_.size(); }

 private:
  std::vector<std::size_t> offsets_;
  std::vector<std::uint32_t> items_;
};

}  // namespace hybridrec
