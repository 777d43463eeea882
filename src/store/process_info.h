#pragma once
// Facts about this process and machine recorded with each run, and the check
// that decides whether a "running" run's process is still alive.
#include <optional>
#include <string>

namespace hybridrec::store {

std::string now_utc_iso();        // "2024-01-15T10:30:00.123Z"
std::string host_name();
long current_pid();
// The kernel's start time of a process (clock ticks since boot, /proc/PID/stat
// field 22). Together with the pid it identifies a process even after the pid is
// reused. nullopt if the process does not exist.
std::optional<std::string> process_start_time(long pid);
// True if the process that recorded (pid, start) on this host is still running.
bool process_alive(long pid, const std::string& recorded_start);
// `git rev-parse HEAD` of the current directory, else of the hybridrec source
// tree; nullopt outside a git checkout or without git.
std::optional<std::string> git_commit();
// 32 random hex characters (128 bits): run ids that never collide across hosts.
std::string random_id();

}  // namespace hybridrec::store
