#pragma once
// An exclusive lock on an output folder for as long as a process writes into it
// (flock on the folder itself, so no lock file joins the artifacts). The kernel
// drops it when the process ends, killed or not: a crash never leaves it stuck.
#include <filesystem>
#include <string>

namespace hybridrec {

class FolderLock {
 public:
  // Creates the folder if needed and locks it; throws Error saying another
  // `purpose` (e.g. "training") is writing there when a process holds the lock.
  FolderLock(const std::filesystem::path& dir, const std::string& purpose);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace hybridrec
