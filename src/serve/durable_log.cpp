#include "serve/durable_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/error.h"

namespace hybridrec::serve {

DurableLog::DurableLog(std::filesystem::path path) : path_(std::move(path)) {
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path());
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error("cannot open " + path_.string() + " for appending: " + std::strerror(errno));
  // A torn last line from an earlier crash must not swallow our first record:
  // start on a fresh line if the file does not end with one.
  std::ifstream in(path_, std::ios::binary | std::ios::ate);
  if (in && in.tellg() > 0) {
    in.seekg(-1, std::ios::end);
    if (in.get() != '\n') pending_ = "\n";
  }
}

DurableLog::~DurableLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t DurableLog::flushes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return flush_count_;
}

void DurableLog::append_all(const std::vector<nlohmann::json>& records) {
  std::string lines;
  for (const auto& r : records) lines += r.dump() + "\n";
  std::unique_lock<std::mutex> lock(mutex_);
  pending_ += lines;
  const std::uint64_t ticket = ++queued_;
  while (durable_ < ticket) {
    // Once a write failed, lines queued with it are lost: nobody may report success.
    if (!failure_.empty()) throw Error(failure_);
    if (flushing_) {
      flushed_.wait(lock);
      continue;
    }
    // This caller becomes the flusher for everything queued so far.
    flushing_ = true;
    std::string batch;
    batch.swap(pending_);
    const std::uint64_t upto = queued_;
    lock.unlock();
    const char* p = batch.data();
    std::size_t left = batch.size();
    int error = 0;
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = errno;
        break;
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    if (!error && ::fdatasync(fd_) != 0) error = errno;
    lock.lock();
    flushing_ = false;
    ++flush_count_;
    if (error) {
      failure_ = "cannot append to " + path_.string() + ": " + std::strerror(error);
      flushed_.notify_all();
      throw Error(failure_);
    }
    durable_ = upto;
    flushed_.notify_all();
  }
}

std::size_t DurableLog::read(const std::filesystem::path& path, const std::function<void(const nlohmann::json&)>& visit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return 0;
  std::size_t skipped = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_discarded() || !record.is_object()) {
      ++skipped;
      continue;
    }
    visit(record);
  }
  return skipped;
}

}  // namespace hybridrec::serve
