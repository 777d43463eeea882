// Full-catalog scoring throughput (user-item pairs per second) of score_all, which
// splits the first fused Linear so that each pair costs only the rest of the MLP,
// against predict (the whole network per pair). MovieLens-1M sizes, the
// specification's model sizes. bench/pytorch_score.py times PyTorch on the same
// shapes; bench/run_train_bench.sh runs both.
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include <CLI/CLI.hpp>

#include "model/network.h"

using namespace hybridrec;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  CLI::App app{"score_all pairs/s"};
  std::string model = "ncf";
  int threads = 2, users = 6040, items = 3706, reps = 3;
  app.add_option("--model", model, "ncf | hybrid");
  app.add_option("--threads", threads);
  app.add_option("--users", users, "users scored per call (all of them by default)");
  app.add_option("--items", items);
  app.add_option("--reps", reps);
  CLI11_PARSE(app, argc, argv);

  std::mt19937_64 rng(1);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  FeatureSet f;  // 11 dense + 1 categorical user features, 6 dense + 2 categorical item features
  f.users.dense = RowMatrix::NullaryExpr(users, 11, [&]() { return unit(rng); });
  f.users.categorical_names = {"favourite_category"};
  f.users.categorical_cardinality = {19};
  f.users.categorical = {std::vector<std::int32_t>(static_cast<std::size_t>(users), 3)};
  f.items.dense = RowMatrix::NullaryExpr(items, 6, [&]() { return unit(rng); });
  f.items.categorical_names = {"category", "brand"};
  f.items.categorical_cardinality = {19, 200};
  f.items.categorical = {std::vector<std::int32_t>(static_cast<std::size_t>(items), 5),
                         std::vector<std::int32_t>(static_cast<std::size_t>(items), 150)};
  ModelConfig config;
  config.type = model;
  auto net = Network::create(config, static_cast<std::size_t>(users), static_cast<std::size_t>(items), &f, 42);
  net->set_threads(threads);

  std::vector<std::uint32_t> ids(static_cast<std::size_t>(users));
  for (std::size_t u = 0; u < ids.size(); ++u) ids[u] = static_cast<std::uint32_t>(u);
  std::vector<float> out(ids.size() * static_cast<std::size_t>(items));
  net->score_all(std::span(ids).first(1), out.data());  // builds the item cache once, as serving does
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    net->score_all(ids, out.data());
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  const double pairs = static_cast<double>(ids.size()) * items;

  // The same scores through predict, the unsplit network, on 100 users.
  const std::size_t sample_users = std::min<std::size_t>(100, ids.size());
  std::vector<std::uint32_t> pu, pi;
  for (std::size_t u = 0; u < sample_users; ++u)
    for (int i = 0; i < items; ++i) {
      pu.push_back(static_cast<std::uint32_t>(u));
      pi.push_back(static_cast<std::uint32_t>(i));
    }
  std::vector<float> pairs_out(pu.size());
  const auto t0 = Clock::now();
  net->predict(pu, pi, pairs_out.data());
  const double predict_s = std::chrono::duration<double>(Clock::now() - t0).count();
  double max_diff = 0;
  for (std::size_t k = 0; k < pairs_out.size(); ++k) max_diff = std::max<double>(max_diff, std::abs(pairs_out[k] - out[k]));

  std::printf("model=%s threads=%d users=%d items=%d\n", model.c_str(), threads, users, items);
  std::printf("cpp_score_all_pairs_per_s=%.0f\n", pairs / best);
  std::printf("cpp_predict_pairs_per_s=%.0f\n", static_cast<double>(pu.size()) / predict_s);
  std::printf("score_all_vs_predict_max_abs_diff=%.2e\n", max_diff);
  std::printf("rest_of_mlp_gflops=%.2f\n",
              pairs / best * 2.0 * (128.0 * 64 + 64 * 32 + 32) / 1e9);
  return 0;
}
