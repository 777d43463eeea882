// Training throughput of the C++ engine on synthetic data of MovieLens-1M size
// (6,040 users, 3,706 items, 1,000,209 positives with 4 sampled negatives each),
// and the machine's peak FLOP/s measured with a large Eigen SGEMM in the same run.
//
// --write-samples FILE saves the exact batches (and hybrid features) so that
// bench/pytorch_train.py times PyTorch on identical input; bench/run_train_bench.sh
// runs both and prints the ratio.
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <Eigen/Core>

#include "model/network.h"
#include "synthetic_batches.h"

using namespace hybridrec;
using Clock = std::chrono::steady_clock;

namespace {

template <typename T>
void put(std::ofstream& out, const std::vector<T>& v) {
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(T)));
}

// Layout read by bench/pytorch_train.py: int64 header then raw little-endian arrays.
void write_samples(const std::string& path, const SampleStream& s, const FeatureSet& f) {
  std::ofstream out(path, std::ios::binary);
  const EntityFeatures* sides[2] = {&f.users, &f.items};
  std::vector<std::int64_t> header = {static_cast<std::int64_t>(kUsers), static_cast<std::int64_t>(kItems),
                                      static_cast<std::int64_t>(s.users.size())};
  for (auto* e : sides) header.push_back(static_cast<std::int64_t>(e->dense_dim()));
  for (auto* e : sides) header.push_back(static_cast<std::int64_t>(e->num_categorical()));
  for (auto* e : sides)
    for (auto c : e->categorical_cardinality) header.push_back(c);
  put(out, header);
  put(out, s.users);
  put(out, s.items);
  put(out, s.labels);
  for (auto* e : sides) {
    out.write(reinterpret_cast<const char*>(e->dense.data()), static_cast<std::streamsize>(e->dense.size() * 4));
    std::vector<std::int32_t> codes;  // [entity][field]
    for (std::size_t k = 0; k < e->size(); ++k)
      for (std::size_t j = 0; j < e->num_categorical(); ++j) codes.push_back(e->categorical[j][k]);
    put(out, codes);
  }
  if (!out) throw std::runtime_error("cannot write " + path);
}

// Peak: best of several 2048^3 SGEMMs, Eigen parallelised over `threads`.
double peak_flops(int threads) {
  Eigen::setNbThreads(threads);
  const int n = 2048;
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n), c(n, n);
  double best = 0.0;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = Clock::now();
    c.noalias() = a * b;
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::max(best, 2.0 * n * n * n / s);
  }
  Eigen::setNbThreads(1);
  if (c(0, 0) == 12345.0f) std::printf(" ");  // keep the product alive
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"C++ training throughput, batch-size samples per Adam step"};
  std::string model = "ncf", loss_name = "mse", samples_path;
  int threads = 2, steps = 2000, warmup = 100, batch_size = 256, gmf_dim = 0;
  bool dense_adam = false, skip_peak = false;
  app.add_option("--model", model, "ncf | hybrid");
  app.add_option("--loss", loss_name);
  app.add_option("--threads", threads);
  app.add_option("--steps", steps, "timed steps");
  app.add_option("--warmup", warmup);
  app.add_option("--batch", batch_size);
  app.add_option("--gmf-dim", gmf_dim, "model.gmf_dim: the NeuMF GMF branch (0 = off)");
  app.add_flag("--dense-adam", dense_adam, "update every embedding row every step (torch.optim.Adam)");
  app.add_flag("--skip-peak", skip_peak);
  app.add_option("--write-samples", samples_path, "save the batches for bench/pytorch_train.py");
  CLI11_PARSE(app, argc, argv);

  const std::size_t B = static_cast<std::size_t>(batch_size);
  const SampleStream samples = make_samples(static_cast<std::size_t>(warmup + steps), B, 2024);
  const FeatureSet features = make_features(7);
  if (!samples_path.empty()) write_samples(samples_path, samples, features);

  ModelConfig config;  // the specification's sizes
  config.type = model;
  config.gmf_dim = gmf_dim;
  auto net = Network::create(config, kUsers, kItems, &features, 42);
  OptimizerConfig opt;
  opt.lazy_embeddings = !dense_adam;
  net->set_optimizer(opt);
  net->set_threads(threads);
  const Loss loss = parse_loss(loss_name);

  Batch batch;
  auto run = [&](int from, int count) {
    double last = 0;
    for (int s = from; s < from + count; ++s) {
      const std::size_t first = static_cast<std::size_t>(s) * B;
      batch.users.assign(samples.users.begin() + first, samples.users.begin() + first + B);
      batch.items.assign(samples.items.begin() + first, samples.items.begin() + first + B);
      batch.labels.assign(samples.labels.begin() + first, samples.labels.begin() + first + B);
      last = net->train_step(batch, loss, static_cast<std::uint64_t>(s));
    }
    return last;
  };
  run(0, warmup);
  const auto t0 = Clock::now();
  const double last_loss = run(warmup, steps);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const double samples_per_s = static_cast<double>(steps) * static_cast<double>(B) / seconds;
  // Training = forward + backward (weight and input gradients): 3x the forward FLOPs.
  const double train_flops = 3.0 * net->flops_per_sample() * samples_per_s;

  std::printf("model=%s threads=%d batch=%d steps=%d adam=%s loss=%s final_loss=%.4f\n", model.c_str(), threads,
              batch_size, steps, dense_adam ? "dense" : "lazy", loss_name.c_str(), last_loss);
  std::printf("cpp_samples_per_s=%.0f\n", samples_per_s);
  std::printf("cpp_step_ms=%.4f\n", 1e3 * seconds / steps);
  std::printf("train_gflops=%.2f\n", train_flops / 1e9);
  if (!skip_peak) {
    const double peak = peak_flops(threads);
    std::printf("peak_sgemm_gflops=%.2f\n", peak / 1e9);
    std::printf("fraction_of_peak=%.3f\n", train_flops / peak);
  }
  return 0;
}
