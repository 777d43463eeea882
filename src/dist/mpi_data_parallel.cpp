#include "dist/mpi_data_parallel.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>

#include "core/error.h"

namespace hybridrec::dist {

std::uint64_t parameter_checksum(const Network& network) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& t : network.state_dict()) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(t.data.data());
    for (std::size_t i = 0, n = t.data.size() * sizeof(float); i < n; ++i) h = (h ^ bytes[i]) * 0x100000001b3ULL;
  }
  return h;
}

MpiDataParallel::MpiDataParallel(Communicator& comm, bool shard_embeddings) : comm_(comm), exchange_(comm) {
  if (shard_embeddings) sharded_ = std::make_unique<ShardedEmbeddings>(comm, exchange_);
}

std::uint64_t MpiDataParallel::sum(std::uint64_t local) {
  comm_.allreduce_sum(&local, 1);
  return local;
}

std::uint64_t MpiDataParallel::max(std::uint64_t local) {
  auto value = static_cast<std::int64_t>(local);  // counts: far below 2^63
  comm_.allreduce_max(&value, 1);
  return static_cast<std::uint64_t>(value);
}

float MpiDataParallel::train_step(Network& network, const Batch& batch, Loss loss, std::uint64_t dropout_seed,
                                  std::size_t* global_samples) {
  if (sharded_) {
    const ExchangeTotals totals = sharded_->train_step(network, batch, loss, dropout_seed, &compute_seconds_);
    *global_samples = totals.samples;
    return static_cast<float>(totals.mean_loss);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const double local_loss = batch.size() ? network.compute_gradients(batch, loss, dropout_seed) : 0.0;
  compute_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const ExchangeTotals totals = exchange_.sum(network.gradients(), local_loss, batch.size());
  const auto t1 = std::chrono::steady_clock::now();
  network.apply_gradients();
  compute_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  *global_samples = totals.samples;
  return static_cast<float>(totals.mean_loss);
}

nlohmann::json MpiDataParallel::broadcast(const nlohmann::json& from_root) {
  return nlohmann::json::parse(comm_.broadcast(comm_.is_root() ? from_root.dump() : std::string()));
}

void MpiDataParallel::begin_epoch(int epoch) {
  if (const char* fault = std::getenv("HYBRIDREC_FAULT_KILL")) {
    int fault_rank = -1, fault_epoch = -1;
    if (std::sscanf(fault, "%d:%d", &fault_rank, &fault_epoch) == 2 && fault_rank == rank() && fault_epoch == epoch) {
      std::fprintf(stderr, "rank %d: HYBRIDREC_FAULT_KILL: killing myself at the start of epoch %d\n", rank(), epoch);
      std::fflush(stderr);
      std::raise(SIGKILL);
    }
  }
  exchange_.reset_stats();
  if (sharded_) sharded_->reset_stats();
  compute_seconds_ = 0.0;
  epoch_start_ = std::chrono::steady_clock::now();
}

nlohmann::json MpiDataParallel::end_epoch(Network& network) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start_).count();
  const ExchangeStats& s = exchange_.stats();
  // Every rank must hold the same replicated parameters: compare checksums (with
  // sharded embeddings the id tables are each rank's own and are left out). The
  // per-rank parameter bytes ride along.
  const std::size_t shard_bytes = sharded_ ? sharded_->shard_bytes() : 0;
  const std::uint64_t mine[3] = {parameter_checksum(network), network.id_table_bytes() + shard_bytes,
                                 network.parameter_bytes() + shard_bytes};
  std::vector<char> bytes(sizeof mine);
  std::memcpy(bytes.data(), mine, sizeof mine);
  std::vector<std::size_t> offsets;
  const std::vector<char> all = comm_.allgather(bytes, &offsets);
  nlohmann::json checksums = nlohmann::json::array(), id_bytes = nlohmann::json::array(),
                 parameter_bytes = nlohmann::json::array();
  bool identical = true;
  for (int r = 0; r < size(); ++r) {
    std::uint64_t theirs[3] = {0, 0, 0};
    std::memcpy(theirs, all.data() + offsets[static_cast<std::size_t>(r)], sizeof theirs);
    checksums.push_back(fmt::format("{:016x}", theirs[0]));
    id_bytes.push_back(theirs[1]);
    parameter_bytes.push_back(theirs[2]);
    identical = identical && theirs[0] == mine[0];
  }
  if (!identical)
    throw Error(fmt::format("data-parallel replicas diverged: parameter checksums {} differ across ranks",
                            checksums.dump()));
  const double steps = s.steps ? static_cast<double>(s.steps) : 1.0;
  const double comm_seconds = s.seconds + (sharded_ ? sharded_->stats().seconds : 0.0);
  nlohmann::json record = {{"ranks", size()},
                           {"comm_seconds", comm_seconds},
                           {"compute_seconds", compute_seconds_},
                           {"comm_share", seconds > 0 ? comm_seconds / seconds : 0.0},
                           {"dense_bytes_per_step", static_cast<double>(s.dense_bytes) / steps},
                           {"sparse_bytes_per_step", static_cast<double>(s.sparse_bytes) / steps},
                           {"sparse_rows_per_step", static_cast<double>(s.rows_sent) / steps},
                           {"replica_checksums", checksums},
                           {"shard_embeddings", sharded_ != nullptr},
                           {"id_embedding_bytes_per_rank", id_bytes},
                           {"parameter_bytes_per_rank", parameter_bytes}};
  if (sharded_) {
    const ShardStats& shard = sharded_->stats();
    record["id_rows_fetched_per_step"] = static_cast<double>(shard.rows_fetched) / steps;
    record["id_exchange_bytes_per_step"] = static_cast<double>(shard.bytes_sent) / steps;
    // Validation and checkpoints on rank 0 need the whole tables: the one gather.
    const auto t0 = std::chrono::steady_clock::now();
    sharded_->gather_to_root(network);
    record["gather_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return record;
}

}  // namespace hybridrec::dist
