// The mf family (BPR matrix factorisation) on MovieLens 100K, until the family
// table and the pipeline run it from `hybridrec train`: fits on train, picks the
// family's validation grid point by validation NDCG@10 when the split has a
// validation part, and prints test NDCG@10 next to the popularity baseline.
//   bench_mf_ml100k --split temporal                       (the default 70/10/20 split)
//   bench_mf_ml100k --split user_random --train 0.75 --val 0 --test 0.25 --half-life 0
//                                                          (bench/ml100k_protocol.sh's split)
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "data/readers.h"
#include "data/split.h"
#include "eval/evaluator.h"
#include "model/baselines.h"
#include "model/mf_family.h"

using namespace hybridrec;

namespace {

double ndcg10(const Recommender& model, const Dataset& dataset, const Split& split, const std::string& part,
              const Recommender& fallback, int threads) {
  EvalOptions options;
  options.ks = {10};
  options.part = part;
  options.ranking_only = true;
  options.threads = threads;
  return evaluate(model, dataset, split, options, &fallback)["ranking"]["ndcg@10"].get<double>();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mf (BPR-MF) on MovieLens 100K: test NDCG@10"};
  std::string data = std::string(HYBRIDREC_SOURCE_DIR) + "/../shared/data/ml-100k", strategy = "temporal";
  double train = 0.7, val = 0.1, test = 0.2, half_life = 10.0;
  int threads = 2, factors = 64, epochs = 50;
  double lr = 0.05, reg = 0.01;
  app.add_option("--data", data);
  app.add_option("--split", strategy, "temporal | user_random | user_temporal | leave_one_out");
  app.add_option("--train", train);
  app.add_option("--val", val);
  app.add_option("--test", test);
  app.add_option("--half-life", half_life, "data.recency_half_life_days");
  app.add_option("--threads", threads);
  app.add_option("--factors", factors);
  app.add_option("--epochs", epochs);
  app.add_option("--lr", lr);
  app.add_option("--reg", reg);
  CLI11_PARSE(app, argc, argv);

  const Dataset dataset = load_dataset(data);
  SplitConfig sc;
  sc.strategy = strategy;
  sc.train_ratio = train, sc.val_ratio = val, sc.test_ratio = test;
  const Split split = make_split(dataset, sc);
  nlohmann::json config = {{"data", {{"recency_half_life_days", half_life}}},
                           {"model", {{"mf", {{"factors", factors}, {"learning_rate", lr}, {"regularization", reg},
                                              {"epochs", epochs}, {"seed", 42}}}}}};
  TrainingContext context;
  context.dataset = &dataset;
  context.split = &split;
  context.threads = threads;
  context.config = config;
  PopularityBaseline popularity;
  popularity.fit(context);

  nlohmann::json chosen = config;
  if (!split.validation.empty()) {
    double best = -1;
    for (const auto& overlay : mf_grid(config, dataset)) {
      nlohmann::json trial = config;
      trial.merge_patch(overlay);
      auto model = make_mf(trial);
      context.config = trial;
      model->fit(context);
      const double v = ndcg10(*model, dataset, split, "validation", popularity, threads);
      std::printf("grid %s: validation ndcg@10 %.4f\n", overlay.dump().c_str(), v);
      if (v > best) best = v, chosen = trial;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  auto model = make_mf(chosen);
  context.config = chosen;
  model->fit(context);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("split %s %.3g/%.3g/%.3g, half-life %g days; mf %s fitted in %.2f s (%d threads)\n", strategy.c_str(),
              train, val, test, half_life, chosen["model"]["mf"].dump().c_str(), seconds, threads);
  std::printf("RESULT test ndcg@10: mf %.4f, popularity %.4f\n", ndcg10(*model, dataset, split, "test", popularity, threads),
              ndcg10(popularity, dataset, split, "test", popularity, threads));
  return 0;
}
