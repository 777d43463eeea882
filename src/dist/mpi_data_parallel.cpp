#include "dist/mpi_data_parallel.h"

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

std::uint64_t MpiDataParallel::max(std::uint64_t local) {
  auto value = static_cast<std::int64_t>(local);
  comm_.allreduce_max(&value, 1);
  return static_cast<std::uint64_t>(value);
}

std::uint64_t MpiDataParallel::sum(std::uint64_t local) {
  comm_.allreduce_sum(&local, 1);
  return local;
}

float MpiDataParallel::train_step(Network& network, const Batch& batch, Loss loss, std::uint64_t dropout_seed,
                                  std::size_t* global_samples) {
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
  compute_seconds_ = 0.0;
  epoch_start_ = std::chrono::steady_clock::now();
}

nlohmann::json MpiDataParallel::end_epoch(const Network& network) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start_).count();
  const ExchangeStats& s = exchange_.stats();
  // Every rank must hold the same parameters: compare checksums.
  const std::uint64_t mine = parameter_checksum(network);
  std::vector<char> bytes(sizeof mine);
  std::memcpy(bytes.data(), &mine, sizeof mine);
  std::vector<std::size_t> offsets;
  const std::vector<char> all = comm_.allgather(bytes, &offsets);
  nlohmann::json checksums = nlohmann::json::array();
  bool identical = true;
  for (int r = 0; r < size(); ++r) {
    std::uint64_t theirs = 0;
    std::memcpy(&theirs, all.data() + offsets[static_cast<std::size_t>(r)], sizeof theirs);
    checksums.push_back(fmt::format("{:016x}", theirs));
    identical = identical && theirs == mine;
  }
  if (!identical)
    throw Error(fmt::format("data-parallel replicas diverged: parameter checksums {} differ across ranks",
                            checksums.dump()));
  const double steps = s.steps ? static_cast<double>(s.steps) : 1.0;
  return {{"ranks", size()},
          {"comm_seconds", s.seconds},
          {"compute_seconds", compute_seconds_},
          {"comm_share", seconds > 0 ? s.seconds / seconds : 0.0},
          {"dense_bytes_per_step", static_cast<double>(s.dense_bytes) / steps},
          {"sparse_bytes_per_step", static_cast<double>(s.sparse_bytes) / steps},
          {"sparse_rows_per_step", static_cast<double>(s.rows_sent) / steps},
          {"replica_checksums", checksums}};
}

}  // namespace hybridrec::dist
