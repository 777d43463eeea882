#include "core/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <regex>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "core/error.h"

namespace hybridrec {

namespace {

namespace fs = std::filesystem;

const char* kind_name(fs::file_type t) {
  switch (t) {
    case fs::file_type::character: return "a character device";
    case fs::file_type::block: return "a block device";
    case fs::file_type::fifo: return "a FIFO (named pipe)";
    case fs::file_type::socket: return "a socket";
    default: return "not a regular file or folder";
  }
}

// "<name>.tmp<pid>_<random>", as write_file_atomic names its temporaries.
const std::regex kTempName(R"(.+\.tmp([0-9]+)_[0-9]+$)");

bool process_running(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

}  // namespace

void refuse_special_file(const std::filesystem::path& path, std::string_view what) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);  // follows a symlink to what it names
  if (ec || !fs::exists(st)) return;
  if (fs::is_regular_file(st) || fs::is_directory(st)) return;
  const bool link = fs::is_symlink(fs::symlink_status(path, ec));
  throw Error(std::string(what) + " " + path.string() + " is " + (link ? "a symlink to " : "") + kind_name(st.type()) +
              ": refusing to write there (choose a regular file or folder)");
}

std::size_t remove_stale_temp_files(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  std::size_t removed = 0;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::smatch m;
    const std::string name = it->path().filename().string();
    if (!std::regex_match(name, m, kTempName)) continue;
    if (process_running(std::stol(m[1].str()))) continue;  // a writer at work (maybe another process)
    if (fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

std::filesystem::path temp_path_beside(const std::filesystem::path& path) {
  auto tmp = path;
  tmp += ".tmp" + std::to_string(::getpid()) + "_" + std::to_string(std::random_device{}());
  return tmp;
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  refuse_special_file(path, "output");
  if (fs::is_directory(path)) throw Error("cannot write " + path.string() + ": it is a folder");
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  const auto tmp = temp_path_beside(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw Error("cannot write " + tmp.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error("cannot write " + tmp.string() + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error("cannot replace " + path.string() + ": " + std::strerror(err));
  }
}

void write_json_atomic(const std::filesystem::path& path, const nlohmann::json& value, int indent) {
  write_file_atomic(path, value.dump(indent) + "\n");
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path.string() + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::string text = read_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError(path.string(), 0, "", std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace hybridrec
