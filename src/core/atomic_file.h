#pragma once
// Writes files so that a crash leaves either the old or the new content, never
// a half-written file: write to a temporary beside the target, fsync, rename.
#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hybridrec {

void write_file_atomic(const std::filesystem::path& path, std::string_view content);
void write_json_atomic(const std::filesystem::path& path, const nlohmann::json& value, int indent = 2);
std::string read_file(const std::filesystem::path& path);  // throws Error naming the path
nlohmann::json read_json(const std::filesystem::path& path);  // throws DataError naming the path

}  // namespace hybridrec
