#pragma once
// Row-sharded id embedding tables (`hybridrec train --shard-embeddings` under
// mpirun): model-parallel embeddings as TorchRec shards them by row. Rank k of P
// owns the rows r with r % P == k of the user and of the item table, and their
// lazy-Adam moments and step counters; it never keeps the other rows. The small
// categorical feature tables and every dense layer stay replicated (GradientExchange).
//
// One step, on every rank:
//  1. the distinct id rows the local batch needs are asked of their owners and
//     fetched (two MPI_Alltoallv) into a compact working table in the network;
//  2. forward and backward run on the working table;
//  3. dense gradients and feature-table rows are summed as in replicated mode;
//  4. the id-row gradients, scaled by the rank's share of the global batch, go back
//     to their owners (MPI_Alltoallv), which add them up in rank order (the order
//     replicated mode adds them in, so the sums have the same bits) and apply lazy
//     row-wise Adam to their rows.
// What needs a whole table (validation, checkpoints, saving the model) calls
// gather_to_root after the epoch: rank 0 then holds the full tables until its next
// step. That gather is the one place a full table exists; a table larger than one
// machine would need sharded scoring as well (not built).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dist/communicator.h"
#include "dist/gradient_exchange.h"
#include "model/network.h"
#include "model/row_gradient.h"

namespace hybridrec::dist {

// This rank's rows of one id table: local row i is global row i * ranks + rank.
struct EmbeddingShard {
  std::size_t table_rows = 0, dim = 0;  // of the whole table
  std::vector<float> value, exp_avg, exp_avg_sq, step;
  RowGradient gradient;  // the owner's sum over ranks, indexed by local row
  std::size_t rows() const { return step.size(); }
  std::size_t bytes() const;
};

struct ShardStats {
  double seconds = 0.0;             // fetching rows and returning their gradients
  std::uint64_t rows_fetched = 0;   // by this rank (both tables)
  std::uint64_t bytes_sent = 0;     // to other ranks: requests + rows served + gradients returned
};

class ShardedEmbeddings {
 public:
  ShardedEmbeddings(Communicator& comm, GradientExchange& exchange) : comm_(comm), exchange_(exchange) {}

  // One synchronous step of this rank's part of the global batch (may be empty).
  // compute_seconds accumulates the forward/backward and Adam time.
  ExchangeTotals train_step(Network& network, const Batch& batch, Loss loss, std::uint64_t dropout_seed,
                            double* compute_seconds);
  // Every shard's rows and optimizer state into rank 0's network (full tables there
  // afterwards); the other ranks only send. Collective.
  void gather_to_root(Network& network);

  // Bytes of the shards this rank holds (values, moments, step counters).
  std::size_t shard_bytes() const { return shards_[0].bytes() + shards_[1].bytes(); }
  const ShardStats& stats() const { return stats_; }
  void reset_stats() { stats_ = {}; }

 private:
  // Takes this rank's rows from full id tables (a fresh network, a resumed
  // checkpoint, or rank 0 after a gather); the network keeps working tables.
  void take_shards(Network& network);
  void fetch_rows(Network& network, const Batch& batch);
  // adam_seconds gets the owner's summing and Adam time (compute, not communication).
  void return_gradients(Network& network, const ExchangeTotals& totals, std::size_t local_samples,
                        double* adam_seconds);

  Communicator& comm_;
  GradientExchange& exchange_;
  EmbeddingShard shards_[2];
  // This step's rows per table: all of them (the working table, ascending) and
  // split by owner rank (each ascending).
  std::vector<std::uint32_t> needed_[2];
  std::vector<std::vector<std::uint32_t>> wanted_[2];
  ShardStats stats_;
};

}  // namespace hybridrec::dist
