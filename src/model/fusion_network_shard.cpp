// FusionNetwork: the id tables as compact working tables, for row-sharded
// training (dist/sharded_embeddings.h), and the byte counts that show what it saves.
#include <algorithm>
#include <string>

#include "core/error.h"
#include "model/fusion_network.h"

namespace hybridrec {

namespace {
template <class V>
void release(V& v) {
  V().swap(v);  // clear() keeps the capacity: the point here is to give the memory back
}
}  // namespace

void FusionNetwork::use_working_rows(int side, const std::vector<std::uint32_t>& sorted_rows) {
  // The GMF tables are id tables too, but the shard exchange moves only the two
  // MLP id tables; training them replicated while their siblings are sharded would
  // silently mix two protocols, so the combination is refused.
  if (gmf_dim_ > 0)
    throw ConfigError("--shard-embeddings does not support the GMF branch yet (model.gmf_dim = " +
                      std::to_string(gmf_dim_) + "); train without --shard-embeddings or with model.gmf_dim: 0");
  const auto s = static_cast<std::size_t>(side);
  Parameter& p = params_[static_cast<std::size_t>(id_embedding_[s])];
  if (!working_[s]) {
    release(p.value);
    release(p.exp_avg);
    release(p.exp_avg_sq);
    release(p.step);
    working_[s] = true;
  }
  working_rows_[s] = sorted_rows;
  p.shape[0] = static_cast<std::int64_t>(sorted_rows.size());
  p.value.resize(sorted_rows.size() * embedding_dim_);
  row_grads_[static_cast<std::size_t>(id_embedding_[s])].reset(sorted_rows.size(), embedding_dim_);
  ++version_;
}

void FusionNetwork::use_full_table(int side) {
  const auto s = static_cast<std::size_t>(side);
  Parameter& p = params_[static_cast<std::size_t>(id_embedding_[s])];
  const std::size_t rows = id_table_rows(side), n = rows * embedding_dim_;
  p.shape[0] = static_cast<std::int64_t>(rows);
  p.value.assign(n, 0.0f);
  p.exp_avg.assign(n, 0.0f);
  p.exp_avg_sq.assign(n, 0.0f);
  p.step.assign(rows, 0.0f);
  working_[s] = false;
  release(working_rows_[s]);
  row_grads_[static_cast<std::size_t>(id_embedding_[s])].reset(rows, embedding_dim_);
  ++version_;
}

IdTableView FusionNetwork::id_table(int side) {
  const auto s = static_cast<std::size_t>(side);
  Parameter& p = params_[static_cast<std::size_t>(id_embedding_[s])];
  IdTableView view{p.value.data(), nullptr, nullptr, nullptr, p.rows(), embedding_dim_};
  if (!working_[s]) {
    view.exp_avg = p.exp_avg.data();
    view.exp_avg_sq = p.exp_avg_sq.data();
    view.step = p.step.data();
  }
  return view;
}

void FusionNetwork::to_working_rows(int side, std::vector<std::uint32_t>& rows) const {
  const auto& table = working_rows_[static_cast<std::size_t>(side)];
  for (std::uint32_t& r : rows) {
    const auto it = std::lower_bound(table.begin(), table.end(), r);
    if (it == table.end() || *it != r)
      throw Error("sharded embeddings: row " + std::to_string(r) + " of the " + (side == 0 ? "user" : "item") +
                  " table was not fetched into the working table");
    r = static_cast<std::uint32_t>(it - table.begin());
  }
}

void FusionNetwork::require_full_tables(const char* what) const {
  if (!has_full_id_tables())
    throw Error(std::string(what) + " needs the full id embedding tables, but this rank holds only a working table "
                "of its batch's rows (--shard-embeddings); gather the shards first");
}

namespace {
template <class P>
std::size_t bytes_of(const P& p) {
  return sizeof(float) * (p.value.size() + p.exp_avg.size() + p.exp_avg_sq.size() + p.step.size() + p.grad.size());
}
}  // namespace

std::size_t FusionNetwork::parameter_bytes() const {
  std::size_t bytes = 0;
  for (const Parameter& p : params_) bytes += bytes_of(p);
  return bytes;
}

std::size_t FusionNetwork::id_table_bytes() const {
  return bytes_of(params_[static_cast<std::size_t>(id_embedding_[0])]) +
         bytes_of(params_[static_cast<std::size_t>(id_embedding_[1])]);
}

}  // namespace hybridrec
