#include "dist/gradient_exchange.h"

#include <chrono>
#include <cstring>

#include "core/error.h"
#include "core/byte_buffer.h"

namespace hybridrec::dist {


ExchangeTotals GradientExchange::sum(const GradientRefs& refs, double local_loss, std::size_t local_samples,
                                     std::size_t sharded_tables) {
  const auto t0 = std::chrono::steady_clock::now();
  const float n = static_cast<float>(local_samples);

  // One all-reduce of [samples, loss * samples, rows per (rank, table), every dense
  // gradient * samples]: the row counts ride along (zero but in this rank's slots),
  // so the sparse all-gather that follows needs no size exchange of its own (counts
  // below 2^24 are exact in float).
  const std::size_t P = static_cast<std::size_t>(comm_.size()), T = refs.embeddings.size();
  const std::size_t head = 2 + P * T;
  std::size_t total = head;
  for (const auto& g : refs.dense) total += g.size();
  dense_.assign(head, 0.0f);
  dense_.resize(total);
  dense_[0] = n;
  dense_[1] = static_cast<float>(local_loss) * n;
  for (std::size_t t = sharded_tables; t < T; ++t)
    dense_[2 + static_cast<std::size_t>(comm_.rank()) * T + t] =
        local_samples == 0 ? 0.0f : static_cast<float>(refs.embeddings[t]->count());
  std::size_t offset = head;
  for (const auto& g : refs.dense) {
    float* dst = dense_.data() + offset;
    if (local_samples == 0)
      std::memset(dst, 0, g.size() * sizeof(float));
    else
      for (std::size_t i = 0; i < g.size(); ++i) dst[i] = g[i] * n;
    offset += g.size();
  }
  comm_.allreduce_sum(dense_.data(), dense_.size());
  const float global = dense_[0];
  if (!(global > 0.0f)) throw Error("data-parallel step: the global batch is empty on every rank");
  const float inv = 1.0f / global;
  offset = head;
  for (const auto& g : refs.dense) {
    const float* src = dense_.data() + offset;
    for (std::size_t i = 0; i < g.size(); ++i) g[i] = src[i] * inv;
    offset += g.size();
  }

  // Sparse: per table [row count, rows, rows x dim gradients * share]; an empty
  // part sends no rows (its RowGradients still hold an older batch).
  sparse_.clear();
  const float share = n * inv;
  std::vector<float> scaled;
  std::uint64_t rows_sent = 0;
  for (std::size_t t = sharded_tables; t < T; ++t) {
    const RowGradient* g = refs.embeddings[t];
    const std::uint32_t count = local_samples == 0 ? 0 : static_cast<std::uint32_t>(g->count());
    append(sparse_, &count, 1);
    if (count == 0) continue;
    append(sparse_, g->rows().data(), count);
    scaled.resize(static_cast<std::size_t>(count) * g->dim());
    for (std::size_t k = 0; k < count; ++k)
      for (std::size_t j = 0; j < g->dim(); ++j) scaled[k * g->dim() + j] = g->grad(k)[j] * share;
    append(sparse_, scaled.data(), scaled.size());
    rows_sent += count;
  }
  std::vector<std::size_t> sizes(P, 0), offsets;
  for (std::size_t r = 0; r < P; ++r)
    for (std::size_t t = sharded_tables; t < T; ++t) {
      const auto rows = static_cast<std::size_t>(dense_[2 + r * T + t]);
      sizes[r] += sizeof(std::uint32_t) + rows * (sizeof(std::uint32_t) + refs.embeddings[t]->dim() * sizeof(float));
    }
  const std::vector<char> all = comm_.allgather_known(sparse_, sizes, &offsets);
  // Rebuild every table's gradient from all ranks' rows, rank by rank: the same
  // additions in the same order on every rank.
  std::vector<const char*> cursor(static_cast<std::size_t>(comm_.size()));
  for (int r = 0; r < comm_.size(); ++r) cursor[static_cast<std::size_t>(r)] = all.data() + offsets[static_cast<std::size_t>(r)];
  for (std::size_t t = sharded_tables; t < T; ++t) {
    RowGradient* g = refs.embeddings[t];
    g->begin();
    for (auto& c : cursor) {
      const std::uint32_t count = *take<std::uint32_t>(c, 1);
      const std::uint32_t* rows = take<std::uint32_t>(c, count);
      const float* grads = take<float>(c, static_cast<std::size_t>(count) * g->dim());
      for (std::uint32_t k = 0; k < count; ++k) g->add(rows[k], grads + static_cast<std::size_t>(k) * g->dim());
    }
  }

  stats_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stats_.steps += 1;
  stats_.dense_bytes += dense_.size() * sizeof(float);
  stats_.sparse_bytes += sparse_.size();
  stats_.received_bytes += all.size() - sparse_.size();
  stats_.rows_sent += rows_sent;
  return {static_cast<double>(dense_[1] * inv), static_cast<std::size_t>(global)};
}

}  // namespace hybridrec::dist
