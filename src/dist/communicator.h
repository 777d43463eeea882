#pragma once
// The process group of a data-parallel job, over MPI (Debian's OpenMPI).
//
// MPI is initialised only when the process was started by an MPI launcher
// (mpirun sets OMPI_COMM_WORLD_SIZE / PMIX_RANK), or when HYBRIDREC_MPI=1 asks for
// a singleton; otherwise world() is a one-process group that never touches MPI, so
// the binary runs without mpirun exactly as before. Errors of MPI calls are
// returned, not fatal: a failed collective (a peer died, a socket closed) becomes a
// hybridrec::Error naming the call and the rank instead of a hang or a core dump.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hybridrec::dist {

class Communicator {
 public:
  // The process-wide group; MPI_Init on first use, MPI_Finalize at exit.
  static Communicator& world();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  bool distributed() const { return size_ > 1; }

  // In-place sums over every rank (identical results on every rank).
  void allreduce_sum(float* data, std::size_t n);
  void allreduce_sum(double* data, std::size_t n);
  void allreduce_sum(std::uint64_t* data, std::size_t n);
  // In-place element-wise extremes over every rank.
  void allreduce_max(std::int64_t* data, std::size_t n);
  void allreduce_min(std::int64_t* data, std::size_t n);
  // Every rank's bytes, concatenated in rank order; offsets gets size()+1 entries.
  std::vector<char> allgather(const std::vector<char>& mine, std::vector<std::size_t>* offsets);
  // The same when every rank already knows every rank's size (one collective, not two).
  std::vector<char> allgather_known(const std::vector<char>& mine, const std::vector<std::size_t>& sizes,
                                    std::vector<std::size_t>* offsets);
  // Personalised exchange (MPI_Alltoallv): `send` holds the bytes for rank 0, then
  // for rank 1, ... (send_sizes, one per rank); returns what every rank sent to this
  // one, concatenated in rank order, and fills recv_sizes. The sizes travel first in
  // an MPI_Alltoall; alltoallv_known skips that when the caller knows them already.
  std::vector<char> alltoallv(const std::vector<char>& send, const std::vector<std::size_t>& send_sizes,
                              std::vector<std::size_t>* recv_sizes);
  std::vector<char> alltoallv_known(const std::vector<char>& send, const std::vector<std::size_t>& send_sizes,
                                    const std::vector<std::size_t>& recv_sizes);
  // The root's text on every rank.
  std::string broadcast(const std::string& from_root);
  void barrier();
  // Ends the whole job (every rank) with `code`: what a rank does after an error,
  // so that its peers do not wait forever in the next collective.
  [[noreturn]] void abort(int code);

  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;
  ~Communicator();

 private:
  Communicator();
  void check(int rc, const char* call) const;
  bool mpi_ = false;
  int rank_ = 0, size_ = 1;
};

// True when this process was started by an MPI launcher (or HYBRIDREC_MPI=1).
bool launched_by_mpi();

}  // namespace hybridrec::dist
