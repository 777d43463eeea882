#pragma once
// What every fuzz target shares: the bytes libFuzzer hands over are cut into the
// files a user could give (interactions, an attribute table), written to a
// private temporary folder, and read back through the real loaders. Only
// hybridrec::Error may escape a loader: anything else (a raw library exception,
// a crash, a sanitizer report) is a bug the fuzzer reports.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "data/readers.h"

namespace hybridrec::fuzz {

// A per-process folder under the system's temporary directory, removed at exit.
class ScratchFolder {
 public:
  ScratchFolder()
      : path_(std::filesystem::temp_directory_path() / ("hybridrec-fuzz-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::filesystem::path write(const std::string& name, std::string_view bytes) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return file;
  }

 private:
  std::filesystem::path path_;
};

// The first byte chooses the loader's options (so the fuzzer explores flags as
// well as content); the rest is split at the first "\n====\n" into a main file
// and an optional second file.
struct FuzzInput {
  std::uint8_t options = 0;
  std::string_view main, second;
  bool has_second = false;
};

inline FuzzInput split_input(const std::uint8_t* data, std::size_t size) {
  FuzzInput input;
  if (size == 0) return input;
  input.options = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr std::string_view kCut = "\n====\n";
  const auto cut = rest.find(kCut);
  if (cut == std::string_view::npos) {
    input.main = rest;
  } else {
    input.main = rest.substr(0, cut);
    input.second = rest.substr(cut + kCut.size());
    input.has_second = true;
  }
  return input;
}

// Loads `path` as `train --data` would. A clear refusal (hybridrec::Error, with
// its file, line and field) is the expected answer to bad bytes; anything else
// escapes to libFuzzer as a finding.
inline void load_refusing_cleanly(const std::filesystem::path& path, const LoadOptions& options) {
  try {
    LoadStats stats;
    (void)load_dataset(path, options, &stats);
  } catch (const hybridrec::Error&) {
  }
}

}  // namespace hybridrec::fuzz
