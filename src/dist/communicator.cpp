#include "dist/communicator.h"

#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <cstring>
#include <fmt/format.h>

#include "core/error.h"

namespace hybridrec::dist {

namespace {
template <class T>
MPI_Datatype datatype();
template <>
MPI_Datatype datatype<float>() { return MPI_FLOAT; }
template <>
MPI_Datatype datatype<double>() { return MPI_DOUBLE; }
template <>
MPI_Datatype datatype<std::uint64_t>() { return MPI_UINT64_T; }
template <>
MPI_Datatype datatype<std::int64_t>() { return MPI_INT64_T; }

// MPI counts are int: large buffers go in chunks.
constexpr std::size_t kMaxChunk = std::size_t{1} << 30;

template <class T>
void allreduce_chunks(Communicator& comm, T* data, std::size_t n, const std::function<void(int, const char*)>& check,
                      MPI_Op op = MPI_SUM) {
  for (std::size_t off = 0; off < n; off += kMaxChunk) {
    const int count = static_cast<int>(std::min(kMaxChunk, n - off));
    check(MPI_Allreduce(MPI_IN_PLACE, data + off, count, datatype<T>(), op, MPI_COMM_WORLD), "MPI_Allreduce");
  }
}
}  // namespace

// MPI's int counts and displacements of per-rank byte sizes; throws past 2 GiB.
static std::size_t byte_counts(const std::vector<std::size_t>& sizes, int rank, std::vector<int>* counts,
                        std::vector<int>* displs) {
  counts->resize(sizes.size());
  displs->resize(sizes.size());
  std::size_t total = 0;
  for (std::size_t r = 0; r < sizes.size(); ++r) {
    (*displs)[r] = static_cast<int>(total);
    (*counts)[r] = static_cast<int>(sizes[r]);
    total += sizes[r];
    if (total > static_cast<std::size_t>(INT32_MAX))
      throw Error(fmt::format("rank {}: a {}-byte exchange is over MPI's 2 GiB limit; use a smaller batch", rank, total));
  }
  return total;
}

bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(var)) return true;
  const char* force = std::getenv("HYBRIDREC_MPI");
  return force && std::strcmp(force, "1") == 0;
}

Communicator& Communicator::world() {
  static Communicator instance;
  return instance;
}

Communicator::Communicator() {
  if (!launched_by_mpi()) return;
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) MPI_Init(nullptr, nullptr);
  mpi_ = true;
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Communicator::~Communicator() {
  if (!mpi_) return;
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (!finalised) MPI_Finalize();
}

void Communicator::check(int rc, const char* call) const {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw Error(fmt::format("{} failed on rank {} of {}: {} (a peer process probably died; the job stops, "
                          "continue with --resume from the last checkpoint)",
                          call, rank_, size_, std::string(text, static_cast<std::size_t>(length))));
}

void Communicator::allreduce_sum(float* data, std::size_t n) {
  if (!mpi_ || size_ == 1) return;
  allreduce_chunks(*this, data, n, [this](int rc, const char* call) { check(rc, call); });
}
void Communicator::allreduce_sum(double* data, std::size_t n) {
  if (!mpi_ || size_ == 1) return;
  allreduce_chunks(*this, data, n, [this](int rc, const char* call) { check(rc, call); });
}
void Communicator::allreduce_sum(std::uint64_t* data, std::size_t n) {
  if (!mpi_ || size_ == 1) return;
  allreduce_chunks(*this, data, n, [this](int rc, const char* call) { check(rc, call); });
}

void Communicator::allreduce_max(std::int64_t* data, std::size_t n) {
  if (!mpi_ || size_ == 1) return;
  allreduce_chunks(*this, data, n, [this](int rc, const char* call) { check(rc, call); }, MPI_MAX);
}
void Communicator::allreduce_min(std::int64_t* data, std::size_t n) {
  if (!mpi_ || size_ == 1) return;
  allreduce_chunks(*this, data, n, [this](int rc, const char* call) { check(rc, call); }, MPI_MIN);
}

std::vector<char> Communicator::allgather(const std::vector<char>& mine, std::vector<std::size_t>* offsets) {
  std::vector<std::size_t> sizes(static_cast<std::size_t>(size_), mine.size());
  if (mpi_ && size_ > 1) {
    if (mine.size() > static_cast<std::size_t>(INT32_MAX))
      throw Error(fmt::format("rank {}: a {}-byte message is over MPI's 2 GiB limit", rank_, mine.size()));
    int my_count = static_cast<int>(mine.size());
    std::vector<int> counts(static_cast<std::size_t>(size_));
    check(MPI_Allgather(&my_count, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
    for (int r = 0; r < size_; ++r) sizes[static_cast<std::size_t>(r)] = static_cast<std::size_t>(counts[static_cast<std::size_t>(r)]);
  }
  return allgather_known(mine, sizes, offsets);
}

std::vector<char> Communicator::allgather_known(const std::vector<char>& mine, const std::vector<std::size_t>& sizes,
                                                std::vector<std::size_t>* offsets) {
  offsets->assign(static_cast<std::size_t>(size_) + 1, 0);
  if (!mpi_ || size_ == 1) {
    (*offsets)[1] = mine.size();
    return mine;
  }
  if (sizes.size() != static_cast<std::size_t>(size_) || sizes[static_cast<std::size_t>(rank_)] != mine.size())
    throw Error(fmt::format("rank {}: allgather sizes disagree with the message ({} bytes)", rank_, mine.size()));
  std::vector<int> counts, displs;
  const std::size_t total = byte_counts(sizes, rank_, &counts, &displs);
  for (int r = 0; r < size_; ++r)
    (*offsets)[static_cast<std::size_t>(r) + 1] = static_cast<std::size_t>(displs[static_cast<std::size_t>(r)]) +
                                                   sizes[static_cast<std::size_t>(r)];
  std::vector<char> all(total);
  if (total == 0) return all;  // every rank knows the sizes, so every rank skips the call
  check(MPI_Allgatherv(mine.data(), counts[static_cast<std::size_t>(rank_)], MPI_BYTE, all.data(), counts.data(),
                       displs.data(), MPI_BYTE, MPI_COMM_WORLD),
        "MPI_Allgatherv");
  return all;
}

std::vector<char> Communicator::alltoallv(const std::vector<char>& send, const std::vector<std::size_t>& send_sizes,
                                          std::vector<std::size_t>* recv_sizes) {
  recv_sizes->assign(static_cast<std::size_t>(size_), 0);
  if (!mpi_ || size_ == 1) {
    (*recv_sizes)[0] = send.size();
    return send;
  }
  std::vector<std::uint64_t> mine(send_sizes.begin(), send_sizes.end()), theirs(static_cast<std::size_t>(size_));
  check(MPI_Alltoall(mine.data(), 1, MPI_UINT64_T, theirs.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD), "MPI_Alltoall");
  recv_sizes->assign(theirs.begin(), theirs.end());
  return alltoallv_known(send, send_sizes, *recv_sizes);
}

std::vector<char> Communicator::alltoallv_known(const std::vector<char>& send, const std::vector<std::size_t>& send_sizes,
                                                const std::vector<std::size_t>& recv_sizes) {
  if (send_sizes.size() != static_cast<std::size_t>(size_) || recv_sizes.size() != static_cast<std::size_t>(size_))
    throw Error(fmt::format("rank {}: alltoallv needs one size per rank ({})", rank_, size_));
  if (!mpi_ || size_ == 1) return send;
  std::vector<int> send_counts, send_displs, recv_counts, recv_displs;
  if (byte_counts(send_sizes, rank_, &send_counts, &send_displs) != send.size())
    throw Error(fmt::format("rank {}: alltoallv sizes disagree with the message ({} bytes)", rank_, send.size()));
  std::vector<char> received(byte_counts(recv_sizes, rank_, &recv_counts, &recv_displs));
  check(MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), MPI_BYTE, received.data(),
                      recv_counts.data(), recv_displs.data(), MPI_BYTE, MPI_COMM_WORLD),
        "MPI_Alltoallv");
  return received;
}

std::string Communicator::broadcast(const std::string& from_root) {
  if (!mpi_ || size_ == 1) return from_root;
  std::uint64_t length = from_root.size();
  check(MPI_Bcast(&length, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast");
  std::string text = is_root() ? from_root : std::string(length, '\0');
  check(MPI_Bcast(text.data(), static_cast<int>(length), MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
  return text;
}

void Communicator::barrier() {
  if (!mpi_ || size_ == 1) return;
  check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

void Communicator::abort(int code) {
  if (mpi_) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

}  // namespace hybridrec::dist
