#pragma once
// Damages a saved model the way a bad disk or an overflow would, for the tests
// that a broken model is never registered or served.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

namespace hybridrec::testing {

// Overwrites every tensor byte of a safetensors file (after its JSON header)
// with +infinity, leaving the header valid so the model still loads.
inline void fill_tensors_with_infinity(const std::filesystem::path& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  std::uint64_t header = 0;
  f.read(reinterpret_cast<char*>(&header), sizeof header);
  const std::uint64_t data = sizeof header + header;
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<char> payload(std::filesystem::file_size(file) - data);
  for (std::size_t i = 0; i + sizeof inf <= payload.size(); i += sizeof inf) std::memcpy(&payload[i], &inf, sizeof inf);
  f.seekp(static_cast<std::streamoff>(data));
  f.write(payload.data(), static_cast<std::streamsize>(payload.size()));
}

}  // namespace hybridrec::testing
