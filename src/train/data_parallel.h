#pragma once
// What the trainer needs from a group of processes that train one model together
// by synchronous data parallelism (implemented over MPI in dist/mpi_data_parallel.h).
// A single-process run passes none and trains exactly as before.
//
// Every rank holds the same parameters; each step every rank computes the gradients
// of its part of the global batch, the parts are summed (dense tensors all-reduced,
// embedding rows exchanged sparsely) and every rank applies the same update. Rank 0
// alone validates, checkpoints, logs and registers; its decisions (learning rate,
// stop) are broadcast.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/network.h"

namespace hybridrec {

struct Positive;

class DataParallel {
 public:
  virtual ~DataParallel() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool is_root() const { return rank() == 0; }

  // Sum of a count over every rank.
  virtual std::uint64_t sum(std::uint64_t local) = 0;
  // Largest of a count over every rank (the longest shard decides the steps per epoch).
  virtual std::uint64_t max(std::uint64_t local) = 0;
  // One synchronous step. `batch` is this rank's part of the global batch and may be
  // empty (a shard that ran out). Returns the global mean loss; *global_samples
  // gets the global batch size.
  virtual float train_step(Network& network, const Batch& batch, Loss loss, std::uint64_t dropout_seed,
                           std::size_t* global_samples) = 0;
  // The root's value on every rank.
  virtual nlohmann::json broadcast(const nlohmann::json& from_root) = 0;
  // Around each epoch: begin resets the communication counters; end checks that
  // every rank still holds the same parameters (throws Error when they diverged)
  // and returns the epoch's communication statistics for the history record. With
  // row-sharded embeddings end also gathers the full tables into rank 0's network
  // (for validation and checkpoints), hence the non-const network.
  virtual void begin_epoch(int epoch) = 0;
  virtual nlohmann::json end_epoch(Network& network) = 0;
};

// This rank's share of the training positives: every size-th one, starting at
// rank, so shards differ in size by at most one.
std::vector<Positive> shard_positives(const std::vector<Positive>& all, int rank, int size);

// The seed of a rank's random streams (shuffle, negatives, dropout): rank 0 keeps
// the run's seed, so a one-rank job draws exactly what a plain run draws.
std::uint64_t rank_seed(std::uint64_t seed, int rank);

}  // namespace hybridrec
