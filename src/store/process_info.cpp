#include "store/process_info.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

extern char** environ;

namespace hybridrec::store {

std::string now_utc_iso() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", std::chrono::floor<std::chrono::seconds>(now), ms);
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

long current_pid() { return static_cast<long>(::getpid()); }

std::optional<std::string> process_start_time(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  // The command name (field 2) may contain spaces and ')'; fields after the last ')' are plain.
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i)
    if (i == 22) return field;
  return std::nullopt;
}

bool process_alive(long pid, const std::string& recorded_start) {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  auto start = process_start_time(pid);
  if (!start) return !std::filesystem::exists("/proc/self");  // no procfs: trust kill()
  // A zombie (killed, not yet reaped: common in containers whose init does not
  // reap) still has /proc/PID but will never finish its work; a reused pid has
  // another start time.
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  auto close = line.rfind(')');
  if (close != std::string::npos && close + 2 < line.size() && (line[close + 2] == 'Z' || line[close + 2] == 'X')) return false;
  return recorded_start.empty() || *start == recorded_start;
}

namespace {

// Runs a program without a shell (arguments are never parsed by sh) and returns its stdout.
std::optional<std::string> capture(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe(fds) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t child = 0;
  int rc = posix_spawnp(&child, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  std::string out;
  if (rc == 0) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
      if (n > 0) out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (rc != 0) return std::nullopt;
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace

std::optional<std::string> git_commit() {
  std::vector<std::string> dirs{std::filesystem::current_path().string()};
#ifdef HYBRIDREC_SOURCE_DIR
  dirs.push_back(HYBRIDREC_SOURCE_DIR);
#endif
  for (const auto& dir : dirs) {
    auto out = capture({"git", "-C", dir, "rev-parse", "HEAD"});
    if (out && out->size() == 40) return out;
  }
  return std::nullopt;
}

std::string random_id() {
  std::random_device rd;
  std::uint64_t a = (std::uint64_t{rd()} << 32) ^ rd(), b = (std::uint64_t{rd()} << 32) ^ rd();
  return fmt::format("{:016x}{:016x}", a, b);
}

}  // namespace hybridrec::store
