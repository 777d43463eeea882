#include "dist/sharded_embeddings.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fmt/format.h>

#include "core/error.h"
#include "core/byte_buffer.h"
#include "model/adam.h"

namespace hybridrec::dist {

namespace {
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// How many rows of a table of `rows` rank `rank` of `ranks` owns (r % ranks == rank).
std::size_t owned_rows(std::size_t rows, int rank, int ranks) {
  const auto k = static_cast<std::size_t>(rank), p = static_cast<std::size_t>(ranks);
  return rows > k ? (rows - k + p - 1) / p : 0;
}

std::uint32_t position_of(const std::vector<std::uint32_t>& sorted, std::uint32_t row) {
  return static_cast<std::uint32_t>(std::lower_bound(sorted.begin(), sorted.end(), row) - sorted.begin());
}
}  // namespace

std::size_t EmbeddingShard::bytes() const {
  return sizeof(float) * (value.size() + exp_avg.size() + exp_avg_sq.size() + step.size());
}

void ShardedEmbeddings::take_shards(Network& network) {
  if (!network.optimizer().lazy_embeddings)
    throw ConfigError("--shard-embeddings needs training.embedding_optimizer=lazy: dense Adam moves every row of "
                      "the tables every step, which row-sharded tables do not do");
  const int P = comm_.size(), k = comm_.rank();
  for (int s = 0; s < 2; ++s) {
    const IdTableView t = network.id_table(s);
    EmbeddingShard& shard = shards_[s];
    shard.table_rows = t.rows;
    shard.dim = t.dim;
    const std::size_t n = owned_rows(t.rows, k, P), dim = t.dim;
    shard.value.resize(n * dim);
    shard.exp_avg.resize(n * dim);
    shard.exp_avg_sq.resize(n * dim);
    shard.step.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t g = i * static_cast<std::size_t>(P) + static_cast<std::size_t>(k);
      std::memcpy(shard.value.data() + i * dim, t.value + g * dim, dim * sizeof(float));
      std::memcpy(shard.exp_avg.data() + i * dim, t.exp_avg + g * dim, dim * sizeof(float));
      std::memcpy(shard.exp_avg_sq.data() + i * dim, t.exp_avg_sq + g * dim, dim * sizeof(float));
      shard.step[i] = t.step[g];
    }
    shard.gradient.reset(n, dim);
    network.use_working_rows(s, {});  // frees the full table
  }
}

void ShardedEmbeddings::fetch_rows(Network& network, const Batch& batch) {
  const int P = comm_.size(), me = comm_.rank();
  const auto ranks = static_cast<std::size_t>(P);
  // id dropout may route any sample to the unknown (last) row of a table that has
  // one (a network property: more table rows than entities): fetch it too.
  const bool id_dropout_rate = network.config().uses_id_dropout();
  for (int s = 0; s < 2; ++s) {
    const auto& ids = s == 0 ? batch.users : batch.items;
    const bool id_dropout =
        id_dropout_rate && shards_[s].table_rows > (s == 0 ? network.num_users() : network.num_items());
    auto& needed = needed_[s];
    needed.assign(ids.begin(), ids.end());
    if (id_dropout && !ids.empty()) needed.push_back(static_cast<std::uint32_t>(shards_[s].table_rows - 1));
    std::sort(needed.begin(), needed.end());
    needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
    wanted_[s].assign(ranks, {});
    for (std::uint32_t row : needed) wanted_[s][row % ranks].push_back(row);  // stays ascending
  }
  // Requests: per owner, per table [count, rows].
  std::vector<char> request;
  std::vector<std::size_t> request_sizes(ranks), reply_sizes(ranks), expected(ranks, 0);
  for (std::size_t o = 0; o < ranks; ++o) {
    const std::size_t before = request.size();
    for (int s = 0; s < 2; ++s) {
      const auto count = static_cast<std::uint32_t>(wanted_[s][o].size());
      append(request, &count, 1);
      append(request, wanted_[s][o].data(), count);
      expected[o] += count * shards_[s].dim * sizeof(float);
    }
    request_sizes[o] = request.size() - before;
  }
  std::vector<std::size_t> asked_sizes;
  const std::vector<char> asked = comm_.alltoallv(request, request_sizes, &asked_sizes);
  // Serve every requester its rows, in the order asked.
  std::vector<char> reply;
  const char* cursor = asked.data();
  for (std::size_t r = 0; r < ranks; ++r) {
    const std::size_t before = reply.size();
    for (int s = 0; s < 2; ++s) {
      const EmbeddingShard& shard = shards_[s];
      const std::uint32_t count = *take<std::uint32_t>(cursor, 1);
      const std::uint32_t* rows = take<std::uint32_t>(cursor, count);
      for (std::uint32_t k = 0; k < count; ++k) {
        const std::size_t local = rows[k] / ranks;
        if (rows[k] % ranks != static_cast<std::size_t>(me) || local >= shard.rows())
          throw Error(fmt::format("rank {}: asked by rank {} for row {}, which it does not own", me, r, rows[k]));
        append(reply, shard.value.data() + local * shard.dim, shard.dim);
      }
    }
    reply_sizes[r] = reply.size() - before;
  }
  const std::vector<char> values = comm_.alltoallv_known(reply, reply_sizes, expected);
  for (int s = 0; s < 2; ++s) network.use_working_rows(s, needed_[s]);
  cursor = values.data();
  for (std::size_t o = 0; o < ranks; ++o)
    for (int s = 0; s < 2; ++s) {
      const IdTableView t = network.id_table(s);
      for (std::uint32_t row : wanted_[s][o])
        std::memcpy(t.value + position_of(needed_[s], row) * t.dim, take<float>(cursor, t.dim), t.dim * sizeof(float));
    }
  stats_.rows_fetched += needed_[0].size() + needed_[1].size();
  // What leaves this rank (its own part MPI copies locally).
  stats_.bytes_sent += request.size() - request_sizes[static_cast<std::size_t>(me)] + reply.size() -
                       reply_sizes[static_cast<std::size_t>(me)];
}

void ShardedEmbeddings::return_gradients(Network& network, const ExchangeTotals& totals, std::size_t local_samples,
                                         double* adam_seconds) {
  const auto ranks = static_cast<std::size_t>(comm_.size());
  const GradientRefs refs = network.gradients();
  // The same scaling as GradientExchange: this rank's share of the global batch.
  const float share = static_cast<float>(local_samples) * (1.0f / static_cast<float>(totals.samples));
  // Per owner, per table [count, rows, gradients * share]. A fetched row can lack a
  // gradient (id dropout sent all its samples to the unknown row): it is left out,
  // so its owner does not move it, as replicated lazy Adam would not.
  std::vector<char> out;
  std::vector<std::size_t> sizes(ranks);
  std::vector<std::uint32_t> rows;
  std::vector<float> grads;
  for (std::size_t o = 0; o < ranks; ++o) {
    const std::size_t before = out.size();
    for (int s = 0; s < 2; ++s) {
      const RowGradient& g = *refs.embeddings[static_cast<std::size_t>(s)];
      rows.clear();
      grads.clear();
      for (std::uint32_t row : wanted_[s][o]) {
        const std::int32_t slot = local_samples ? g.slot_of(position_of(needed_[s], row)) : -1;
        if (slot < 0) continue;
        rows.push_back(row);
        const float* grad = g.grad(static_cast<std::size_t>(slot));
        for (std::size_t j = 0; j < g.dim(); ++j) grads.push_back(grad[j] * share);
      }
      const auto count = static_cast<std::uint32_t>(rows.size());
      append(out, &count, 1);
      append(out, rows.data(), rows.size());
      append(out, grads.data(), grads.size());
    }
    sizes[o] = out.size() - before;
  }
  std::vector<std::size_t> received_sizes;
  const std::vector<char> received = comm_.alltoallv(out, sizes, &received_sizes);
  stats_.bytes_sent += out.size() - sizes[static_cast<std::size_t>(comm_.rank())];
  // Owners: sum rank by rank (the order replicated mode adds in), then lazy Adam.
  const auto t0 = Clock::now();
  for (EmbeddingShard& shard : shards_) shard.gradient.begin();
  const char* cursor = received.data();
  for (std::size_t r = 0; r < ranks; ++r)
    for (EmbeddingShard& shard : shards_) {
      const std::uint32_t count = *take<std::uint32_t>(cursor, 1);
      const std::uint32_t* from = take<std::uint32_t>(cursor, count);
      const float* grad = take<float>(cursor, static_cast<std::size_t>(count) * shard.dim);
      for (std::uint32_t k = 0; k < count; ++k)
        shard.gradient.add(static_cast<std::uint32_t>(from[k] / ranks), grad + static_cast<std::size_t>(k) * shard.dim);
    }
  const AdamScalars scalars = AdamScalars::from(network.optimizer(), network.learning_rate());
  for (EmbeddingShard& shard : shards_) {
    const RowGradient& g = shard.gradient;
    for (std::size_t k = 0; k < g.count(); ++k) {
      const std::size_t local = g.rows()[k], off = local * shard.dim;
      shard.step[local] += 1.0f;
      adam_update(shard.value.data() + off, g.grad(k), shard.exp_avg.data() + off, shard.exp_avg_sq.data() + off,
                  shard.dim, scalars, AdamStepFactors::at(scalars, shard.step[local]));
    }
  }
  *adam_seconds += seconds_since(t0);
}

ExchangeTotals ShardedEmbeddings::train_step(Network& network, const Batch& batch, Loss loss, std::uint64_t dropout_seed,
                                             double* compute_seconds) {
  if (network.has_full_id_tables()) take_shards(network);
  auto t0 = Clock::now();
  fetch_rows(network, batch);
  stats_.seconds += seconds_since(t0);

  t0 = Clock::now();
  const double local_loss = batch.size() ? network.compute_gradients(batch, loss, dropout_seed) : 0.0;
  *compute_seconds += seconds_since(t0);

  // Dense layers and the replicated feature tables as in replicated mode; the id
  // tables (the first two embedding gradients) go to their owners instead.
  const ExchangeTotals totals = exchange_.sum(network.gradients(), local_loss, batch.size(), 2);

  t0 = Clock::now();
  double adam_seconds = 0.0;
  return_gradients(network, totals, batch.size(), &adam_seconds);
  stats_.seconds += seconds_since(t0) - adam_seconds;

  t0 = Clock::now();
  network.apply_gradients();  // dense layers and feature tables; working tables are skipped
  *compute_seconds += seconds_since(t0) + adam_seconds;
  return totals;
}

void ShardedEmbeddings::gather_to_root(Network& network) {
  if (network.has_full_id_tables()) take_shards(network);
  const int P = comm_.size();
  const auto ranks = static_cast<std::size_t>(P);
  std::vector<char> out;
  for (const EmbeddingShard& shard : shards_)
    for (const auto* part : {&shard.value, &shard.exp_avg, &shard.exp_avg_sq, &shard.step})
      append(out, part->data(), part->size());
  std::vector<std::size_t> sizes(ranks, 0), expected(ranks, 0);
  sizes[0] = out.size();
  if (comm_.is_root())
    for (int r = 0; r < P; ++r)
      for (const EmbeddingShard& shard : shards_)
        expected[static_cast<std::size_t>(r)] +=
            owned_rows(shard.table_rows, r, P) * (3 * shard.dim + 1) * sizeof(float);
  const std::vector<char> all = comm_.alltoallv_known(out, sizes, expected);
  if (!comm_.is_root()) return;
  const char* cursor = all.data();
  for (int s = 0; s < 2; ++s) network.use_full_table(s);
  for (int r = 0; r < P; ++r)
    for (int s = 0; s < 2; ++s) {
      const IdTableView t = network.id_table(s);
      const std::size_t n = owned_rows(t.rows, r, P), dim = t.dim;
      float* targets[3] = {t.value, t.exp_avg, t.exp_avg_sq};
      for (float* target : targets) {
        const float* rows = take<float>(cursor, n * dim);
        for (std::size_t i = 0; i < n; ++i)
          std::memcpy(target + (i * ranks + static_cast<std::size_t>(r)) * dim, rows + i * dim, dim * sizeof(float));
      }
      const float* steps = take<float>(cursor, n);
      for (std::size_t i = 0; i < n; ++i) t.step[i * ranks + static_cast<std::size_t>(r)] = steps[i];
    }
}

}  // namespace hybridrec::dist
