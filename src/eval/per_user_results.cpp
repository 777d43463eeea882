#include "eval/per_user_results.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <tuple>

#include "core/byte_buffer.h"
#include "core/error.h"

namespace hybridrec::eval_detail {

namespace {

// One user's record: id, flags, then each PerUser array's slice for the user.
std::size_t record_bytes(const PerUser& p) {
  return sizeof(std::uint32_t) + 2 + p.width * sizeof(double) + p.max_k * sizeof(std::uint32_t) +
         2 * sizeof(std::uint32_t) + p.num_ks * (sizeof(std::uint32_t) + sizeof(double));
}

}  // namespace

void gather_user_results(ShardCollectives& shards, std::vector<RankedUser>& users, PerUser& per) {
  std::vector<char> mine;
  mine.reserve(users.size() * record_bytes(per));
  for (std::size_t pos = 0; pos < users.size(); ++pos) {
    append(mine, &users[pos].user, 1);
    const char flags[2] = {static_cast<char>(users[pos].cold), static_cast<char>(users[pos].by_fallback)};
    append(mine, flags, 2);
    append(mine, &per.metrics[pos * per.width], per.width);
    append(mine, &per.top[pos * per.max_k], per.max_k);
    append(mine, &per.top_len[pos], 1);
    append(mine, &per.cold_relevant[pos], 1);
    append(mine, &per.cold_hits[pos * per.num_ks], per.num_ks);
    append(mine, &per.serendipity[pos * per.num_ks], per.num_ks);
  }
  const std::vector<char> all = shards.gather_all(mine);
  const std::size_t record = record_bytes(per);
  if (all.size() % record != 0) throw Error("sharded evaluation: gathered per-user results are malformed");
  const std::size_t n = all.size() / record;

  std::vector<RankedUser> got(n);
  PerUser g;
  g.width = per.width, g.max_k = per.max_k, g.num_ks = per.num_ks;
  const char* in = all.data();
  for (std::size_t pos = 0; pos < n; ++pos) {
    std::memcpy(&got[pos].user, in, sizeof(std::uint32_t));
    got[pos].cold = in[4] != 0;
    got[pos].by_fallback = in[5] != 0;
    in += sizeof(std::uint32_t) + 2;
    take_into(in, g.metrics, g.width);
    take_into(in, g.top, g.max_k);
    take_into(in, g.top_len, 1);
    take_into(in, g.cold_relevant, 1);
    take_into(in, g.cold_hits, g.num_ks);
    take_into(in, g.serendipity, g.num_ks);
  }

  // A single process lists users by index with the fallback users moved last.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(got[a].by_fallback, got[a].user) < std::tie(got[b].by_fallback, got[b].user);
  });
  users.clear();
  per.metrics.clear(), per.top.clear(), per.top_len.clear(), per.cold_relevant.clear(), per.cold_hits.clear(),
      per.serendipity.clear();
  for (std::size_t k : order) {
    users.push_back(got[k]);
    per.metrics.insert(per.metrics.end(), &g.metrics[k * g.width], &g.metrics[k * g.width] + g.width);
    per.top.insert(per.top.end(), &g.top[k * g.max_k], &g.top[k * g.max_k] + g.max_k);
    per.top_len.push_back(g.top_len[k]);
    per.cold_relevant.push_back(g.cold_relevant[k]);
    per.cold_hits.insert(per.cold_hits.end(), &g.cold_hits[k * g.num_ks], &g.cold_hits[k * g.num_ks] + g.num_ks);
    per.serendipity.insert(per.serendipity.end(), &g.serendipity[k * g.num_ks], &g.serendipity[k * g.num_ks] + g.num_ks);
  }
}

ErrorMetrics combine_errors(ShardCollectives& shards, const ErrorMetrics& mine) {
  const double n = static_cast<double>(mine.count);
  double sums[3] = {mine.rmse * mine.rmse * n, mine.mae * n, n};
  shards.sum(sums, 3);
  ErrorMetrics all;
  all.count = static_cast<std::size_t>(std::llround(sums[2]));
  if (all.count == 0) return all;
  all.rmse = std::sqrt(sums[0] / sums[2]);
  all.mae = sums[1] / sums[2];
  return all;
}

}  // namespace hybridrec::eval_detail
