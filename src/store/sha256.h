#pragma once
// SHA-256 of files, for content-addressed artifacts and corruption checks.
#include <filesystem>
#include <string>

namespace hybridrec::store {

std::string sha256_hex(const std::string& bytes);           // lowercase hex, 64 chars
std::string sha256_file(const std::filesystem::path& file);  // throws Error naming the file

}  // namespace hybridrec::store
