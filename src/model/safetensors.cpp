#include "model/safetensors.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"

namespace hybridrec {

// The format stores little-endian bytes; we memcpy them straight into floats.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

namespace {

// The header is JSON, so a corrupt length field could ask us to parse gigabytes;
// the reference implementation caps it at 100 MB as well.
constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;

std::size_t dtype_size(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64") return 8;
  if (dtype == "F32" || dtype == "I32") return 4;
  if (dtype == "F16" || dtype == "BF16") return 2;
  return 0;  // unsupported
}

template <typename T>
void convert(const char* bytes, std::size_t count, float* out) {
  for (std::size_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, bytes + i * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

void decode(const std::string& dtype, const char* bytes, std::size_t count, float* out) {
  if (dtype == "F32") {
    std::memcpy(out, bytes, count * sizeof(float));
  } else if (dtype == "F64") {
    convert<double>(bytes, count, out);
  } else if (dtype == "I64") {
    convert<std::int64_t>(bytes, count, out);
  } else if (dtype == "I32") {
    convert<std::int32_t>(bytes, count, out);
  } else if (dtype == "F16") {
    // Eigen's half/bfloat16 do the IEEE conversions (subnormals, inf, NaN) for us.
    for (std::size_t i = 0; i < count; ++i) {
      std::uint16_t bits;
      std::memcpy(&bits, bytes + i * 2, 2);
      out[i] = static_cast<float>(Eigen::numext::bit_cast<Eigen::half>(bits));
    }
  } else {  // BF16
    for (std::size_t i = 0; i < count; ++i) {
      std::uint16_t bits;
      std::memcpy(&bits, bytes + i * 2, 2);
      out[i] = static_cast<float>(Eigen::numext::bit_cast<Eigen::bfloat16>(bits));
    }
  }
}

// product(shape) with overflow detection; returns false on a negative dim or overflow.
bool element_count(const std::vector<std::int64_t>& shape, std::uint64_t* count) {
  std::uint64_t n = 1;
  for (std::int64_t d : shape) {
    if (d < 0) return false;
    auto ud = static_cast<std::uint64_t>(d);
    if (ud != 0 && n > std::numeric_limits<std::uint64_t>::max() / ud) return false;
    n *= ud;
  }
  *count = n;
  return true;
}

std::string read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(path.string(), 0, "", std::string("cannot open safetensors file: ") + std::strerror(errno));
  std::streamoff size = in.tellg();
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (size > 0 && !in.read(bytes.data(), size)) throw DataError(path.string(), 0, "", "cannot read safetensors file");
  return bytes;
}

struct Entry {
  std::string name, dtype;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0, end = 0, count = 0;
};

}  // namespace

void save_safetensors(const std::filesystem::path& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  std::set<std::string> names;
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    if (t.name.empty() || t.name == "__metadata__")
      throw Error("save_safetensors " + path.string() + ": invalid tensor name '" + t.name + "'");
    if (!names.insert(t.name).second)
      throw Error("save_safetensors " + path.string() + ": duplicate tensor name '" + t.name + "'");
    std::uint64_t count = 0;
    if (!element_count(t.shape, &count) || count != t.data.size())
      throw Error("save_safetensors " + path.string() + ": tensor '" + t.name + "' has " +
                  std::to_string(t.data.size()) + " values, which does not match its shape");
    std::uint64_t bytes = count * sizeof(float);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;

  std::string json = header.dump();
  // Padding to 8 bytes keeps the data buffer aligned for zero-copy readers (torch.frombuffer, mmap).
  json.append((8 - json.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(8 + json.size() + offset);
  std::uint64_t header_size = json.size();
  out.append(reinterpret_cast<const char*>(&header_size), 8);
  out += json;
  for (const auto& t : tensors) out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
  write_file_atomic(path, out);
}

std::vector<NamedTensor> load_safetensors(const std::filesystem::path& path,
                                          std::map<std::string, std::string>* metadata) {
  const std::string file = path.string();
  const std::string bytes = read_whole_file(path);
  if (bytes.size() < 8)
    throw DataError(file, 0, "header size", "file is " + std::to_string(bytes.size()) +
                                                " bytes, too short for the 8-byte safetensors header length");
  std::uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data(), 8);
  if (header_size > kMaxHeaderBytes)
    throw DataError(file, 0, "header size", "header length " + std::to_string(header_size) +
                                                " is implausible (corrupt or not a safetensors file)");
  if (header_size > bytes.size() - 8)
    throw DataError(file, 0, "header size", "header length " + std::to_string(header_size) + " exceeds the " +
                                                std::to_string(bytes.size() - 8) + " bytes after it (truncated file?)");

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_size));
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError(file, 0, "header", std::string("invalid JSON header: ") + e.what());
  }
  if (!header.is_object()) throw DataError(file, 0, "header", "JSON header must be an object");

  const std::uint64_t buffer_size = bytes.size() - 8 - header_size;
  const char* buffer = bytes.data() + 8 + header_size;

  std::vector<Entry> entries;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) throw DataError(file, 0, name, "must be an object of strings");
      for (const auto& [key, value] : info.items()) {
        if (!value.is_string()) throw DataError(file, 0, "__metadata__." + key, "metadata values must be strings");
        if (metadata) (*metadata)[key] = value.get<std::string>();
      }
      continue;
    }
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets"))
      throw DataError(file, 0, name, "tensor entry needs dtype, shape and data_offsets");
    Entry e;
    e.name = name;
    try {
      e.dtype = info.at("dtype").get<std::string>();
      e.shape = info.at("shape").get<std::vector<std::int64_t>>();
      auto offsets = info.at("data_offsets").get<std::vector<std::uint64_t>>();
      if (offsets.size() != 2) throw DataError(file, 0, name, "data_offsets must be [begin, end]");
      e.begin = offsets[0];
      e.end = offsets[1];
    } catch (const nlohmann::json::exception& ex) {
      throw DataError(file, 0, name, std::string("malformed tensor entry: ") + ex.what());
    }
    std::size_t width = dtype_size(e.dtype);
    if (width == 0)
      throw DataError(file, 0, name, "unsupported dtype '" + e.dtype + "' (expected F32, F64, F16, BF16, I64 or I32)");
    if (!element_count(e.shape, &e.count)) throw DataError(file, 0, name, "invalid shape");
    if (e.begin > e.end || e.end > buffer_size)
      throw DataError(file, 0, name, "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                                         "] outside the " + std::to_string(buffer_size) +
                                         "-byte data buffer (truncated file?)");
    if (e.count > std::numeric_limits<std::uint64_t>::max() / width || e.end - e.begin != e.count * width)
      throw DataError(file, 0, name, "data_offsets span " + std::to_string(e.end - e.begin) + " bytes but shape and " +
                                         e.dtype + " need " + std::to_string(e.count * width));
    entries.push_back(std::move(e));
  }

  // Like the reference implementation: tensors must tile the buffer exactly, so
  // overlapping tensors and trailing garbage are detected rather than read silently.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t expected = 0;
  for (const auto& e : entries) {
    if (e.begin != expected)
      throw DataError(file, 0, e.name, "data_offsets begin at " + std::to_string(e.begin) + ", expected " +
                                           std::to_string(expected) + " (overlapping or gapped tensors)");
    expected = e.end;
  }
  if (expected != buffer_size)
    throw DataError(file, 0, "data", "data buffer is " + std::to_string(buffer_size) + " bytes but tensors cover " +
                                         std::to_string(expected));

  std::vector<NamedTensor> out;
  out.reserve(entries.size());
  for (const auto& e : entries) {
    NamedTensor t;
    t.name = e.name;
    t.shape = e.shape;
    t.data.resize(e.count);
    if (e.count > 0) decode(e.dtype, buffer + e.begin, e.count, t.data.data());
    out.push_back(std::move(t));
  }
  return out;
}

const NamedTensor& require_tensor(const std::vector<NamedTensor>& tensors, const std::string& name,
                                  const std::filesystem::path& file) {
  for (const auto& t : tensors)
    if (t.name == name) return t;
  throw DataError(file.string(), 0, name, "tensor missing");
}

}  // namespace hybridrec
