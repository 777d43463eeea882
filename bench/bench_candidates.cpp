// The approximate candidate stage against exact full-catalog scoring, side by
// side on one model folder: recall of the served top-10 (training items
// excluded) and time per request, for several candidate counts. Also the recall
// of a brute-force scan with the same linearised query, which separates the
// linearisation's error from HNSW's.
//   build/bench/bench_candidates --model DIR [--candidates 100,300,1000] [--users 300]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>

#include "model/abilities.h"
#include "serve/served_model.h"

using namespace hybridrec;
using namespace hybridrec::serve;
using Clock = std::chrono::steady_clock;

namespace {
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

std::set<std::uint32_t> top_ids(const RecommendAnswer& a) {
  std::set<std::uint32_t> s;
  for (const auto& x : a.items) s.insert(x.item);
  return s;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"candidate stage recall and latency"};
  std::string dir, candidates_text = "100,300,1000";
  int users = 300, k = 10;
  app.add_option("--model", dir, "model folder")->required();
  app.add_option("--candidates", candidates_text, "comma-separated candidate counts");
  app.add_option("--users", users, "users sampled (with training history)");
  app.add_option("--k", k);
  CLI11_PARSE(app, argc, argv);

  ServingOptions exact_options;
  exact_options.ann = AnnMode::off;
  exact_options.cache_bytes = 0;
  ServedModel exact("exact", "-", dir, exact_options);
  const auto& bundle = exact.bundle();
  std::vector<std::uint32_t> sample;
  for (std::uint32_t u = 0; u < bundle.seen.size(); ++u)
    if (!bundle.seen[u].empty()) sample.push_back(u);
  std::shuffle(sample.begin(), sample.end(), std::mt19937_64(7));
  if (sample.size() > static_cast<std::size_t>(users)) sample.resize(static_cast<std::size_t>(users));
  std::printf("model %s: %zu items, %zu users sampled, K=%d, 1 thread\n", dir.c_str(), bundle.items.size(),
              sample.size(), k);

  std::vector<std::set<std::uint32_t>> truth;
  auto t0 = Clock::now();
  for (auto u : sample) {
    RecommendQuery q;
    q.user_id = bundle.users.id(u);
    q.k = static_cast<std::size_t>(k);
    truth.push_back(top_ids(exact.recommend(q)));
  }
  const double exact_ms = ms_since(t0) / static_cast<double>(sample.size());
  std::printf("%-28s %10s %12s %10s\n", "stage", "recall@k", "ms/request", "speedup");
  std::printf("%-28s %10.4f %12.3f %10s\n", "exact (all items)", 1.0, exact_ms, "1.0x");

  std::stringstream list(candidates_text);
  std::string token;
  while (std::getline(list, token, ',')) {
    ServingOptions o;
    o.ann = AnnMode::on;
    o.cache_bytes = 0;
    o.ann_candidates = std::stoul(token);
    auto build = Clock::now();
    ServedModel approx("approx", "-", dir, o);
    const double build_s = ms_since(build) / 1000;
    double hits = 0, brute_hits = 0;
    t0 = Clock::now();
    for (std::size_t i = 0; i < sample.size(); ++i) {
      RecommendQuery q;
      q.user_id = bundle.users.id(sample[i]);
      q.k = static_cast<std::size_t>(k);
      for (auto item : top_ids(approx.recommend(q))) hits += truth[i].count(item);
    }
    const double approx_ms = ms_since(t0) / static_cast<double>(sample.size());
    // Brute force over the same linearised query (no HNSW): the linearisation alone.
    const ItemVectors& vectors = *bundle.recommender->item_vectors();
    const RowMatrix parts = vectors.candidate_item_vectors();
    for (std::size_t i = 0; i < sample.size(); ++i) {
      const auto u = sample[i];
      std::vector<std::uint32_t> reference(bundle.seen[u].begin(),
                                           bundle.seen[u].begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(48, bundle.seen[u].size())));
      const auto query = vectors.candidate_query(u, reference);
      Eigen::VectorXf ip = parts * Eigen::Map<const Eigen::VectorXf>(query.data(), static_cast<Eigen::Index>(query.size()));
      std::vector<std::uint32_t> order(static_cast<std::size_t>(ip.size()));
      for (std::uint32_t j = 0; j < order.size(); ++j) order[j] = j;
      const std::size_t n = std::min(order.size(), o.ann_candidates + bundle.seen[u].size());
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                        [&](auto a, auto b) { return ip[a] > ip[b]; });
      std::set<std::uint32_t> cands(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n));
      for (auto item : truth[i]) brute_hits += cands.count(item);
    }
    const double denom = static_cast<double>(sample.size()) * k;
    std::printf("%-28s %10.4f %12.3f %9.1fx   (index %s in %.1f s; linearised brute-force candidates recall %.4f)\n",
                ("approximate, " + token + " candidates").c_str(), hits / denom, approx_ms, exact_ms / approx_ms,
                approx.candidate_index()->loaded_from_cache() ? "loaded" : "built", build_s, brute_hits / denom);
  }
  return 0;
}
