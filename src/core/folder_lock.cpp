#include "core/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/atomic_file.h"
#include "core/error.h"

namespace hybridrec {

FolderLock::FolderLock(const std::filesystem::path& dir, const std::string& purpose) {
  refuse_special_file(dir, "output folder");
  std::filesystem::create_directories(dir);
  fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) throw Error("cannot open output folder " + dir.string() + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  const int err = errno;
  ::close(fd_);
  fd_ = -1;
  if (err == EWOULDBLOCK)
    throw Error("another " + purpose + " is writing into " + dir.string() +
                " (it holds the folder's lock): wait for it to finish or choose another --out");
  throw Error("cannot lock output folder " + dir.string() + ": " + std::strerror(err));
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace hybridrec
