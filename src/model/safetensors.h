#pragma once
// The safetensors file format (8-byte little-endian header length, JSON header
// of {name: {dtype, shape, data_offsets}}, raw little-endian data), so models load
// in Python with torch alone. No Debian package provides it for C++.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "model/tensor.h"

namespace hybridrec {

// Writes F32 tensors atomically; metadata goes to the header's "__metadata__".
void save_safetensors(const std::filesystem::path& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});
// Reads F32 (and converts F64/F16/BF16/I64/I32 to float) tensors; throws DataError
// naming the file on a truncated or malformed file.
std::vector<NamedTensor> load_safetensors(const std::filesystem::path& path,
                                          std::map<std::string, std::string>* metadata = nullptr);
// The tensor called `name` among those loaded from `file`; throws DataError naming
// the file and the tensor when it is missing.
const NamedTensor& require_tensor(const std::vector<NamedTensor>& tensors, const std::string& name,
                                  const std::filesystem::path& file);

}  // namespace hybridrec
