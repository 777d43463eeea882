#pragma once
// An append-only file of JSON lines that survives crashes: a line is on disk
// (write + fdatasync) before append() returns. Concurrent appenders are
// group-committed: whoever finds the file idle writes every line queued so far in
// one write() and one fdatasync, so N concurrent events cost one disk flush, not
// N, while each caller still only returns once its own line is durable.
// Reading tolerates a torn last line (a crash in the middle of a write).
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hybridrec::serve {

class DurableLog {
 public:
  explicit DurableLog(std::filesystem::path path);  // creates the file (and folders) if missing
  ~DurableLog();
  DurableLog(const DurableLog&) = delete;
  DurableLog& operator=(const DurableLog&) = delete;

  // Appends records as lines; returns once they are flushed to disk.
  void append(const nlohmann::json& record) { append_all(std::vector<nlohmann::json>{record}); }
  void append_all(const std::vector<nlohmann::json>& records);
  const std::filesystem::path& path() const { return path_; }
  std::uint64_t flushes() const;  // number of fdatasync calls so far (group commit shows here)

  // Calls visit for every complete, parseable line of the file; returns the number
  // of lines skipped (torn or corrupt). A missing file reads as empty.
  static std::size_t read(const std::filesystem::path& path, const std::function<void(const nlohmann::json&)>& visit);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  mutable std::mutex mutex_;
  std::condition_variable flushed_;
  std::string pending_;           // lines queued, not yet written
  std::uint64_t queued_ = 0;      // tickets handed out
  std::uint64_t durable_ = 0;     // tickets on disk
  bool flushing_ = false;
  std::uint64_t flush_count_ = 0;
  std::string failure_;  // set by a failed write; every later append throws it
};

}  // namespace hybridrec::serve
