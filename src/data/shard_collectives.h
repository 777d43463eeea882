#pragma once
// What the data, feature and evaluation code needs when each process of a group
// holds only its shard of the interactions (every user's whole history on one
// shard; dist/sharded_loading.h implements it over MPI). Statistics that are
// global — a time cut, item popularity, feature normalisers, evaluation means —
// are computed from per-shard partial values combined with these collectives, so
// every shard ends with the same numbers a single process computes on all rows.
// Code that gets none (a null pointer) runs exactly as before.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/byte_buffer.h"

namespace hybridrec {

class ShardCollectives {
 public:
  virtual ~ShardCollectives() = default;
  virtual int shard() const = 0;
  virtual int shards() const = 0;
  // In place, element-wise over every shard; identical results on every shard.
  virtual void sum(double* data, std::size_t n) = 0;
  virtual void sum(std::uint64_t* data, std::size_t n) = 0;
  virtual void max(std::int64_t* data, std::size_t n) = 0;
  virtual void min(std::int64_t* data, std::size_t n) = 0;
  // Every shard's bytes concatenated in shard order, on every shard.
  virtual std::vector<char> gather_all(const std::vector<char>& mine) = 0;
  // The same for plain values: every shard's values concatenated in shard order.
  template <class T>
  std::vector<T> gather_all_values(const std::vector<T>& mine) {
    return values_of<T>(gather_all(bytes_of(mine)));
  }

  void sum(std::vector<double>& v) { sum(v.data(), v.size()); }
  void sum(std::vector<std::uint64_t>& v) { sum(v.data(), v.size()); }
  std::uint64_t sum(std::uint64_t x) {
    sum(&x, 1);
    return x;
  }
  std::int64_t max(std::int64_t x) {
    max(&x, 1);
    return x;
  }
  std::int64_t min(std::int64_t x) {
    min(&x, 1);
    return x;
  }
};

}  // namespace hybridrec
