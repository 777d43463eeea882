#pragma once
// Writes files so that a crash leaves either the old or the new content, never
// a half-written file: write to a temporary beside the target, fsync, rename.
// A target that is not a regular file (a device, FIFO or socket, or a symlink to
// one) is refused, never replaced; temporaries a killed writer left behind are
// removed by remove_stale_temp_files at the next start.
#include <cstddef>
#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hybridrec {

void write_file_atomic(const std::filesystem::path& path, std::string_view content);
// Throws Error (naming `what` and the path) when the path exists and is neither a
// regular file nor a folder: writing there would block on a FIFO or replace a device.
void refuse_special_file(const std::filesystem::path& path, std::string_view what);
// A fresh temporary name beside `path` (<file>.tmp<pid>_<n>): the one form
// remove_stale_temp_files recognises, so every writer's leftovers are cleaned.
std::filesystem::path temp_path_beside(const std::filesystem::path& path);
// Removes the temporaries (<file>.tmp<pid>_<n>) of writers no longer running from
// `dir` and its subfolders; returns how many. A missing folder has none.
std::size_t remove_stale_temp_files(const std::filesystem::path& dir);
void write_json_atomic(const std::filesystem::path& path, const nlohmann::json& value, int indent = 2);
std::string read_file(const std::filesystem::path& path);  // throws Error naming the path
nlohmann::json read_json(const std::filesystem::path& path);  // throws DataError naming the path

}  // namespace hybridrec
