#pragma once
// Sums one step's gradients over every rank of a data-parallel job: the dense
// tensors in one all-reduce, the embedding tables sparsely (each rank sends only
// the rows its batch touched, every rank receives all of them and adds them up in
// rank order). Every rank therefore ends with the same bits in the same rows, so
// lazy row-wise Adam moves the same rows identically and the replicas never drift.
//
// Each rank's part is weighted by its share of the global batch, so the result is
// the gradient of the mean loss over the global batch, as one process would get.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dist/communicator.h"
#include "model/network.h"

namespace hybridrec::dist {

struct ExchangeStats {
  double seconds = 0.0;             // inside sum(): packing, MPI calls, unpacking
  std::uint64_t steps = 0;
  std::uint64_t dense_bytes = 0;    // sent by this rank into the all-reduce
  std::uint64_t sparse_bytes = 0;   // sent by this rank (rows + gradients)
  std::uint64_t received_bytes = 0; // sparse bytes received from the other ranks
  std::uint64_t rows_sent = 0;
};

struct ExchangeTotals {
  double mean_loss = 0.0;
  std::size_t samples = 0;  // the global batch size
};

class GradientExchange {
 public:
  explicit GradientExchange(Communicator& comm) : comm_(comm) {}
  // refs: this rank's gradients of a batch of local_samples samples (0: an empty
  // part, its gradients are ignored). On return they hold the global mean.
  // The first `sharded_tables` embedding tables are exchanged elsewhere (row-sharded
  // id tables, dist/sharded_embeddings.h): they are not gathered here but keep their
  // (zero) slots in the all-reduce, so the message has replicated mode's length and
  // MPI reduces it in the same order (the same bits with 3+ ranks too).
  ExchangeTotals sum(const GradientRefs& refs, double local_loss, std::size_t local_samples,
                     std::size_t sharded_tables = 0);
  const ExchangeStats& stats() const { return stats_; }
  void reset_stats() { stats_ = {}; }

 private:
  Communicator& comm_;
  std::vector<float> dense_;
  std::vector<char> sparse_;
  ExchangeStats stats_;
};

}  // namespace hybridrec::dist
