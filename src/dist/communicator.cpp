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
  std::vector<int> counts(static_cast<std::size_t>(size_)), displs(static_cast<std::size_t>(size_));
  std::size_t total = 0;
  for (int r = 0; r < size_; ++r) {
    displs[static_cast<std::size_t>(r)] = static_cast<int>(total);
    counts[static_cast<std::size_t>(r)] = static_cast<int>(sizes[static_cast<std::size_t>(r)]);
    total += sizes[static_cast<std::size_t>(r)];
    (*offsets)[static_cast<std::size_t>(r) + 1] = total;
  }
  if (total > static_cast<std::size_t>(INT32_MAX))
    throw Error(fmt::format("rank {}: {} bytes of gathered gradients are over MPI's 2 GiB limit; use a smaller batch",
                            rank_, total));
  std::vector<char> all(total);
  check(MPI_Allgatherv(mine.data(), counts[static_cast<std::size_t>(rank_)], MPI_BYTE, all.data(), counts.data(),
                       displs.data(), MPI_BYTE, MPI_COMM_WORLD),
        "MPI_Allgatherv");
  return all;
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
