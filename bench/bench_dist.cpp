// Data-parallel training throughput: run it alone or under `mpirun -np N`.
// Every rank trains the hybrid network on its part of each global batch of the
// MovieLens-1M-sized synthetic stream (bench/synthetic_batches.h) through the real
// GradientExchange, and rank 0 prints global samples/s, the share of time spent
// communicating and the bytes each rank sends per step.
//
// --sharding: replicated vs row-sharded id tables (--shard-embeddings) side by
// side in one run under mpirun: alternating rounds of each mode on fresh networks
// of the same seed, then samples/s, communication share, bytes per step and the
// id-table bytes each rank holds, per mode.
//
// It also prints a scaling model to 8 and 32 machines built from what it measured
// here: compute seconds per sample on one rank, the dense all-reduce size, and the
// sparse message size of a local batch of B/P samples (counted by running the
// network on such a batch). Network: ring all-reduce 2(P-1)/P * D / bw + 2(P-1) a,
// ring all-gather (P-1) * S / bw + (P-1) a, with bandwidth bw and latency a given
// by --gbps and --latency-us (defaults: 10 Gb/s Ethernet, 25 us).
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "dist/communicator.h"
#include "dist/gradient_exchange.h"
#include "dist/mpi_data_parallel.h"
#include "model/network.h"
#include "synthetic_batches.h"

using namespace hybridrec;
using Clock = std::chrono::steady_clock;

namespace {

// Bytes one rank sends in the sparse exchange for the gradients now held.
double sparse_bytes(Network& net) {
  double bytes = 0;
  for (const RowGradient* g : net.gradients().embeddings)
    bytes += 4.0 + static_cast<double>(g->count()) * (4.0 + 4.0 * static_cast<double>(g->dim()));
  return bytes;
}

void slice(const SampleStream& s, std::size_t first, std::size_t count, Batch& batch) {
  batch.users.assign(s.users.begin() + first, s.users.begin() + first + count);
  batch.items.assign(s.items.begin() + first, s.items.begin() + first + count);
  batch.labels.assign(s.labels.begin() + first, s.labels.begin() + first + count);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"data-parallel training throughput and a scaling model"};
  int threads = 1, steps = 600, warmup = 50, global_batch = 256;
  double gbps = 10.0, latency_us = 25.0;
  std::string model = "hybrid";
  app.add_option("--model", model, "ncf | hybrid");
  app.add_option("--threads", threads, "threads per rank");
  app.add_option("--steps", steps, "timed steps");
  app.add_option("--warmup", warmup);
  app.add_option("--batch", global_batch, "global batch (split across ranks)");
  app.add_option("--gbps", gbps, "network bandwidth for the model, Gb/s");
  app.add_option("--latency-us", latency_us, "network latency per message for the model");
  bool sharding = false;
  int rounds = 3;
  app.add_flag("--sharding", sharding, "compare replicated and row-sharded id embedding tables side by side");
  app.add_option("--rounds", rounds, "with --sharding: alternating rounds per mode");
  CLI11_PARSE(app, argc, argv);

  auto& comm = dist::Communicator::world();
  const int P = comm.size(), rank = comm.rank();
  const std::size_t B = static_cast<std::size_t>(global_batch), local = B / static_cast<std::size_t>(P);
  const SampleStream samples = make_samples(static_cast<std::size_t>(warmup + steps), B, 2024);
  const FeatureSet features = make_features(7);
  ModelConfig config;
  config.type = model;
  Batch batch;
  std::size_t global_samples = 0;
  // Trains a fresh network for warmup + steps global batches; the timed steps'
  // statistics (end_epoch also checks that the replicated layers agree).
  auto measure = [&](bool shard, std::unique_ptr<Network>* keep) {
    auto net = Network::create(config, kUsers, kItems, &features, 42);
    net->set_optimizer(OptimizerConfig{});
    net->set_threads(threads);
    dist::MpiDataParallel parallel(comm, shard);
    auto run = [&](int from, int count) {
      for (int s = from; s < from + count; ++s) {
        slice(samples, static_cast<std::size_t>(s) * B + static_cast<std::size_t>(rank) * local, local, batch);
        parallel.train_step(*net, batch, Loss::MSE, static_cast<std::uint64_t>(s), &global_samples);
      }
    };
    run(0, warmup);
    comm.barrier();
    parallel.begin_epoch(0);
    const auto t0 = Clock::now();
    run(warmup, steps);
    comm.barrier();
    nlohmann::json stats = parallel.end_epoch(*net);
    stats["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
    if (keep) *keep = std::move(net);
    return stats;
  };

  if (sharding) {
    // Alternating rounds, so that a change of load on a shared machine hits both.
    double rate[2] = {0, 0}, share[2] = {0, 0}, comm_ms[2] = {0, 0}, compute_ms[2] = {0, 0};
    nlohmann::json last[2];
    for (int round = 0; round < rounds; ++round)
      for (int mode = 0; mode < 2; ++mode) {
        const nlohmann::json st = measure(mode == 1, nullptr);
        const double seconds = st["seconds"].get<double>();
        rate[mode] += static_cast<double>(steps) * static_cast<double>(B) / seconds / rounds;
        share[mode] += st["comm_seconds"].get<double>() / seconds / rounds;
        comm_ms[mode] += 1e3 * st["comm_seconds"].get<double>() / steps / rounds;
        compute_ms[mode] += 1e3 * st["compute_seconds"].get<double>() / steps / rounds;
        last[mode] = st;
      }
    if (rank == 0) {
      std::printf("ranks=%d threads_per_rank=%d model=%s global_batch=%zu steps=%d rounds=%d (tables %zu users x %zu items)\n",
                  P, threads, model.c_str(), B, steps, rounds, kUsers, kItems);
      std::printf("%-12s %12s %11s %16s %13s %15s %15s %22s\n", "mode", "samples/s", "comm_share", "compute_ms/step",
                  "comm_ms/step", "dense_B/step", "sparse_B/step", "id_table_bytes/rank");
      for (int mode = 0; mode < 2; ++mode) {
        const nlohmann::json& st = last[mode];
        const double sparse = st["sparse_bytes_per_step"].get<double>() +
                              (mode == 1 ? st["id_exchange_bytes_per_step"].get<double>() : 0.0);
        std::printf("%-12s %12.0f %11.3f %16.3f %13.3f %15.0f %15.0f %22s\n", mode == 0 ? "replicated" : "sharded",
                    rate[mode], share[mode], compute_ms[mode], comm_ms[mode], st["dense_bytes_per_step"].get<double>(),
                    sparse, st["id_embedding_bytes_per_rank"].dump().c_str());
      }
      std::printf("sharded/replicated samples/s = %.2f\n", rate[1] / rate[0]);
    }
    return 0;
  }

  std::unique_ptr<Network> kept;
  const nlohmann::json stats = measure(false, &kept);
  Network* net = kept.get();
  const double seconds = stats["seconds"].get<double>();
  const double comm_s = stats["comm_seconds"].get<double>(), compute_s = stats["compute_seconds"].get<double>();
  const double dense_bytes = stats["dense_bytes_per_step"].get<double>();
  if (rank == 0) {
    std::printf("ranks=%d threads_per_rank=%d model=%s global_batch=%zu steps=%d\n", P, threads, model.c_str(), B, steps);
    std::printf("samples_per_s=%.0f\n", static_cast<double>(steps) * static_cast<double>(B) / seconds);
    std::printf("comm_share=%.3f\n", comm_s / seconds);
    std::printf("compute_ms_per_step=%.4f\n", 1e3 * compute_s / steps);
    std::printf("comm_ms_per_step=%.4f\n", 1e3 * comm_s / steps);
    std::printf("dense_bytes_per_step=%.0f\n", dense_bytes);
    std::printf("sparse_bytes_per_step=%.0f\n", stats["sparse_bytes_per_step"].get<double>());
    std::printf("replicas_identical=yes\n");
  }
  if (P > 1) return 0;

  // The scaling model (one process: it needs the single-rank compute time).
  const double per_sample = compute_s / (static_cast<double>(steps) * static_cast<double>(B));
  const double bw = gbps * 1e9 / 8.0, alpha = latency_us * 1e-6;
  std::printf("\nscaling model: compute %.3f us/sample on one rank (%d threads), dense all-reduce %.0f KB, "
              "network %.0f Gb/s, %.0f us latency\n", 1e6 * per_sample, threads, dense_bytes / 1024, gbps, latency_us);
  std::printf("%-8s %-10s %12s %12s %12s %12s %14s %9s %10s\n", "machines", "scaling", "local_batch", "sparse_KB",
              "compute_ms", "comm_ms", "samples/s", "speedup", "comm_share");
  for (const char* mode : {"strong", "weak"})
    for (int machines : {1, 2, 8, 32}) {
      // strong: the global batch stays B; weak: every machine keeps a batch of B.
      const std::size_t lb = std::string(mode) == "strong" ? std::max<std::size_t>(1, B / machines) : B;
      slice(samples, 0, lb, batch);
      net->compute_gradients(batch, Loss::MSE, 1);
      const double sparse = sparse_bytes(*net);
      const double m = machines;
      const double compute = per_sample * static_cast<double>(lb);
      const double comm_model =
          machines == 1 ? 0.0
                        : 2.0 * (m - 1) / m * dense_bytes / bw + 2.0 * (m - 1) * alpha + (m - 1) * sparse / bw + (m - 1) * alpha;
      const double step = compute + comm_model;
      const double rate = static_cast<double>(lb) * m / step;
      const double base = 1.0 / per_sample;
      std::printf("%-8d %-10s %12zu %12.1f %12.4f %12.4f %14.0f %9.2f %10.3f\n", machines, mode, lb, sparse / 1024,
                  1e3 * compute, 1e3 * comm_model, rate, rate / base, comm_model / step);
    }
  return 0;
}
