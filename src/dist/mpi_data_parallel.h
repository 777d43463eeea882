#pragma once
// DataParallel over MPI: the trainer's view of an `mpirun -np N hybridrec train`
// job (train/data_parallel.h). Steps go through GradientExchange; after every
// epoch the ranks compare parameter checksums, so a replica that drifted stops the
// job instead of silently training a different model.
//
// With shard_embeddings the id embedding tables are row-sharded across the ranks
// instead (dist/sharded_embeddings.h); the dense layers stay replicated and checked.
//
// Fault injection for tests: HYBRIDREC_FAULT_KILL=RANK:EPOCH makes that rank kill
// itself (SIGKILL) when the epoch begins, as a crashed machine would.
#include <chrono>
#include <memory>
#include <string>

#include "dist/communicator.h"
#include "dist/gradient_exchange.h"
#include "dist/sharded_embeddings.h"
#include "train/data_parallel.h"

namespace hybridrec::dist {

class MpiDataParallel final : public DataParallel {
 public:
  explicit MpiDataParallel(Communicator& comm, bool shard_embeddings = false);

  int rank() const override { return comm_.rank(); }
  int size() const override { return comm_.size(); }
  std::uint64_t sum(std::uint64_t local) override;
  std::uint64_t max(std::uint64_t local) override;
  float train_step(Network& network, const Batch& batch, Loss loss, std::uint64_t dropout_seed,
                   std::size_t* global_samples) override;
  nlohmann::json broadcast(const nlohmann::json& from_root) override;
  void begin_epoch(int epoch) override;
  nlohmann::json end_epoch(Network& network) override;

  const ExchangeStats& stats() const { return exchange_.stats(); }
  bool shards_embeddings() const { return sharded_ != nullptr; }

 private:
  Communicator& comm_;
  GradientExchange exchange_;
  std::unique_ptr<ShardedEmbeddings> sharded_;  // null: replicated id tables
  double compute_seconds_ = 0.0;
  std::chrono::steady_clock::time_point epoch_start_;
};

// FNV-1a over every parameter's bytes, in state_dict order.
std::uint64_t parameter_checksum(const Network& network);

}  // namespace hybridrec::dist
