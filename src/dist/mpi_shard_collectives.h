#pragma once
// ShardCollectives (data/shard_collectives.h) over the MPI process group: what an
// `mpirun -np N hybridrec train` job uses when each rank holds only its user shard
// of the interactions (distributed.shard_data, the default under mpirun).
#include "data/shard_collectives.h"
#include "dist/communicator.h"

namespace hybridrec::dist {

class MpiShardCollectives final : public ShardCollectives {
 public:
  explicit MpiShardCollectives(Communicator& comm) : comm_(comm) {}
  int shard() const override { return comm_.rank(); }
  int shards() const override { return comm_.size(); }
  void sum(double* data, std::size_t n) override { comm_.allreduce_sum(data, n); }
  void sum(std::uint64_t* data, std::size_t n) override { comm_.allreduce_sum(data, n); }
  void max(std::int64_t* data, std::size_t n) override { comm_.allreduce_max(data, n); }
  void min(std::int64_t* data, std::size_t n) override { comm_.allreduce_min(data, n); }
  std::vector<char> gather_all(const std::vector<char>& mine) override {
    std::vector<std::size_t> offsets;
    return comm_.allgather(mine, &offsets);
  }
  using ShardCollectives::max;
  using ShardCollectives::min;
  using ShardCollectives::sum;

 private:
  Communicator& comm_;
};

}  // namespace hybridrec::dist
