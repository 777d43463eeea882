#include "train/batch_recommend.h"

#include <algorithm>
#include <atomic>
#include <exception>

#include "core/error.h"

namespace hybridrec {

namespace {

// Users per score_all call, as the evaluator blocks them: enough to amortise the
// call, and a thread's score buffer at most 16 MB on huge catalogues.
constexpr std::size_t kBlockUsers = 32;
constexpr std::size_t kMaxBufferFloats = std::size_t{1} << 22;

void check_user(const ModelBundle& bundle, std::uint32_t user) {
  if (user >= bundle.users.size())
    throw Error("user index " + std::to_string(user) + " out of range (" + std::to_string(bundle.users.size()) +
                " users)");
}

}  // namespace

std::vector<std::vector<ScoredItem>> recommend_batch(const ModelBundle& bundle, std::span<const std::uint32_t> users,
                                                     const BatchRecommendOptions& options, std::vector<Route>* routes) {
  const std::size_t n = bundle.items.size();
  std::vector<Route> route(users.size());
  for (std::size_t i = 0; i < users.size(); ++i) {
    check_user(bundle, users[i]);
    route[i] = bundle.route(users[i]);
  }
  // Blocks of consecutive users on the same route: one scorer per block.
  const std::size_t block_size = std::clamp<std::size_t>(kMaxBufferFloats / std::max<std::size_t>(n, 1), 1, kBlockUsers);
  std::vector<std::pair<std::size_t, std::size_t>> blocks;
  for (std::size_t b = 0; b < users.size();) {
    std::size_t e = b;
    const bool popular = route[b] == Route::popularity;
    while (e < users.size() && e - b < block_size && (route[e] == Route::popularity) == popular) ++e;
    blocks.emplace_back(b, e);
    b = e;
  }
  const std::vector<float> popularity = bundle.popularity_scores();
  std::vector<std::vector<ScoredItem>> out(users.size());
  std::atomic<std::size_t> done{0};
  std::exception_ptr failure;  // the first error, rethrown after the parallel loop
  std::atomic<bool> failed{false};
#pragma omp parallel num_threads(std::max(1, options.threads))
  {
    std::vector<float> scores(block_size * n);
#pragma omp for schedule(dynamic, 1)
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      if (failed) continue;
      try {
        const auto [begin, end] = blocks[b];
        const bool popular = route[begin] == Route::popularity;
        if (!popular) bundle.recommender->score_all(users.subspan(begin, end - begin), scores.data());
        for (std::size_t j = begin; j < end; ++j) {
          std::span<const std::uint32_t> exclude;
          if (options.exclude_seen && users[j] < bundle.seen.size()) exclude = bundle.seen[users[j]];
          const std::span<const float> row =
              popular ? std::span<const float>(popularity) : std::span<const float>(scores.data() + (j - begin) * n, n);
          out[j] = top_k(row, options.k, exclude);
        }
        const std::size_t now = done += end - begin;
        if (options.on_progress) {
#pragma omp critical(hybridrec_batch_progress)
          options.on_progress(now);
        }
      } catch (...) {
#pragma omp critical(hybridrec_batch_failure)
        if (!failed.exchange(true)) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  if (routes) *routes = std::move(route);
  return out;
}

std::vector<float> score_pairs_routed(const ModelBundle& bundle, std::span<const std::uint32_t> users,
                                      std::span<const std::uint32_t> items) {
  if (users.size() != items.size()) throw Error("score: users and items differ in length");
  for (std::size_t i = 0; i < users.size(); ++i) {
    check_user(bundle, users[i]);
    if (items[i] >= bundle.items.size())
      throw Error("item index " + std::to_string(items[i]) + " out of range (" + std::to_string(bundle.items.size()) +
                  " items)");
  }
  std::vector<float> out(users.size());
  bundle.recommender->score_pairs(users, items, out.data());
  const std::vector<float> popularity = bundle.popularity_scores();
  for (std::size_t i = 0; i < users.size(); ++i)
    if (bundle.route(users[i]) == Route::popularity) out[i] = popularity[items[i]];
  return out;
}

}  // namespace hybridrec
