// safetensors I/O: round trip, files written by PyTorch (python/hybridrec/safetensors_io.py),
// and clear DataErrors on truncated or corrupt files.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "model/safetensors.h"
#include "test_support.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;

const fs::path kFixtures = fs::path(HYBRIDREC_TEST_DATA) / "engine";

const NamedTensor& find(const std::vector<NamedTensor>& tensors, const std::string& name) {
  for (const auto& t : tensors)
    if (t.name == name) return t;
  throw std::runtime_error("no tensor " + name);
}

std::vector<NamedTensor> sample_tensors() {
  NamedTensor a{"user_embedding.weight", {3, 4}, {}};
  for (int i = 0; i < 12; ++i) a.data.push_back(0.1f * static_cast<float>(i) - 0.55f);
  NamedTensor b{"mlp.0.bias", {5}, {1.5f, -2.0f, 3.25e-7f, 1e20f, -0.0f}};
  NamedTensor scalar{"scalar", {}, {42.0f}};
  NamedTensor empty{"empty", {0, 7}, {}};
  return {a, b, scalar, empty};
}

// Writes a file from a raw header string and data buffer, for corruption tests.
void write_raw(const fs::path& path, const std::string& header, const std::string& data, std::uint64_t size_field) {
  std::string bytes(reinterpret_cast<const char*>(&size_field), 8);
  bytes += header + data;
  write_file_atomic(path, bytes);
}
void write_raw(const fs::path& path, const std::string& header, const std::string& data) {
  write_raw(path, header, data, header.size());
}

// Expects load_safetensors to throw a DataError whose message names the file and `needle`.
void expect_data_error(const fs::path& path, const std::string& needle) {
  try {
    load_safetensors(path);
    FAIL() << "no error for " << path;
  } catch (const DataError& e) {
    EXPECT_EQ(e.file(), path.string());
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "expected '" << needle << "' in: " << e.what();
  }
}

TEST(Safetensors, RoundTripKeepsNamesShapesValuesAndMetadata) {
  auto dir = testing::scratch_dir("st");
  auto path = dir / "model.safetensors";
  auto tensors = sample_tensors();
  save_safetensors(path, tensors, {{"format", "pt"}, {"num_users", "3"}});

  std::map<std::string, std::string> meta;
  auto loaded = load_safetensors(path, &meta);
  ASSERT_EQ(loaded.size(), tensors.size());
  for (const auto& t : tensors) {
    const auto& l = find(loaded, t.name);
    EXPECT_EQ(l.shape, t.shape) << t.name;
    ASSERT_EQ(l.data.size(), t.data.size()) << t.name;
    // Bit-exact: F32 is stored raw (this also keeps the sign of -0.0).
    EXPECT_EQ(std::memcmp(l.data.data(), t.data.data(), t.data.size() * sizeof(float)), 0) << t.name;
  }
  EXPECT_EQ(meta.at("format"), "pt");
  EXPECT_EQ(meta.at("num_users"), "3");

  // Nothing but the target is left behind (the write goes through a renamed temporary).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST(Safetensors, HeaderIsPaddedTo8BytesAndDeclaresF32) {
  auto path = testing::scratch_dir("st") / "m.safetensors";
  save_safetensors(path, sample_tensors());
  std::string bytes = read_file(path);
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  auto header = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(header["mlp.0.bias"]["dtype"], "F32");
  EXPECT_EQ(header["mlp.0.bias"]["shape"], nlohmann::json::array({5}));
  EXPECT_FALSE(header.contains("__metadata__"));  // none given, none written
  // The data section is exactly the tensors' bytes.
  std::size_t floats = 12 + 5 + 1 + 0;
  EXPECT_EQ(bytes.size(), 8 + n + floats * sizeof(float));
}

TEST(Safetensors, SaveRejectsInconsistentTensors) {
  auto dir = testing::scratch_dir("st");
  EXPECT_THROW(save_safetensors(dir / "a.safetensors", {{"w", {2, 3}, {1, 2, 3}}}), Error);
  EXPECT_THROW(save_safetensors(dir / "b.safetensors", {{"w", {1}, {1}}, {"w", {1}, {2}}}), Error);
  EXPECT_THROW(save_safetensors(dir / "c.safetensors", {{"__metadata__", {1}, {1}}}), Error);
  EXPECT_FALSE(fs::exists(dir / "a.safetensors"));
}

TEST(Safetensors, ReadsEveryDtypeWrittenByPyTorch) {
  std::map<std::string, std::string> meta;
  auto t = load_safetensors(kFixtures / "dtypes.safetensors", &meta);
  EXPECT_EQ(meta.at("generator"), "python/tools/make_engine_fixtures.py");
  // The script stores k/4 - 1 for k = 0..5 in shape [2, 3] (and 4x that as integers).
  for (const char* name : {"f64", "f32", "f16", "bf16"}) {
    const auto& x = find(t, name);
    EXPECT_EQ(x.shape, (std::vector<std::int64_t>{2, 3})) << name;
    for (int k = 0; k < 6; ++k) EXPECT_EQ(x.data[k], static_cast<float>(k) / 4.0f - 1.0f) << name << "[" << k << "]";
  }
  for (const char* name : {"i64", "i32"}) {
    const auto& x = find(t, name);
    for (int k = 0; k < 6; ++k) EXPECT_EQ(x.data[k], static_cast<float>(k - 4)) << name;
  }
  for (const char* name : {"big_i64", "big_f32", "big_bf16"}) {
    const auto& x = find(t, name);
    EXPECT_EQ(x.data, (std::vector<float>{-1048576.0f, 3.0f})) << name;
  }
  EXPECT_TRUE(find(t, "scalar").shape.empty());
  EXPECT_EQ(find(t, "scalar").data, std::vector<float>{2.5f});
  EXPECT_EQ(find(t, "empty").shape, (std::vector<std::int64_t>{0, 4}));
  EXPECT_TRUE(find(t, "empty").data.empty());
}

TEST(Safetensors, TruncatedFilesAreDataErrors) {
  auto dir = testing::scratch_dir("st");
  auto good = dir / "good.safetensors";
  save_safetensors(good, sample_tensors());
  std::string bytes = read_file(good);

  write_file_atomic(dir / "tiny.safetensors", bytes.substr(0, 5));
  expect_data_error(dir / "tiny.safetensors", "too short");

  write_file_atomic(dir / "header_cut.safetensors", bytes.substr(0, 20));
  expect_data_error(dir / "header_cut.safetensors", "truncated");

  // Cut inside the data: the last non-empty tensor no longer fits.
  write_file_atomic(dir / "data_cut.safetensors", bytes.substr(0, bytes.size() - 3));
  expect_data_error(dir / "data_cut.safetensors", "truncated");

  write_file_atomic(dir / "empty.safetensors", "");
  expect_data_error(dir / "empty.safetensors", "too short");

  expect_data_error(dir / "missing.safetensors", "cannot open");
}

TEST(Safetensors, CorruptHeadersNameTheOffendingTensor) {
  auto dir = testing::scratch_dir("st");
  const std::string four_floats(16, '\0');

  write_raw(dir / "json.safetensors", "{\"w\": {\"dtype\": ", four_floats);
  expect_data_error(dir / "json.safetensors", "invalid JSON");

  write_raw(dir / "array.safetensors", "[1, 2]  ", "");
  expect_data_error(dir / "array.safetensors", "must be an object");

  write_raw(dir / "huge.safetensors", "{}      ", "", 1ull << 40);
  expect_data_error(dir / "huge.safetensors", "implausible");

  write_raw(dir / "dtype.safetensors", R"({"w":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}})", four_floats);
  expect_data_error(dir / "dtype.safetensors", "field 'w': unsupported dtype 'U8'");

  write_raw(dir / "shape.safetensors", R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}})", four_floats);
  expect_data_error(dir / "shape.safetensors", "field 'w': data_offsets span 16 bytes");

  write_raw(dir / "neg.safetensors", R"({"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", four_floats);
  expect_data_error(dir / "neg.safetensors", "field 'w': invalid shape");

  write_raw(dir / "beyond.safetensors", R"({"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})", four_floats);
  expect_data_error(dir / "beyond.safetensors", "field 'w': data_offsets [0, 32] outside");

  write_raw(dir / "overlap.safetensors",
            R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
            four_floats);
  expect_data_error(dir / "overlap.safetensors", "overlapping");

  write_raw(dir / "trailing.safetensors", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", four_floats);
  expect_data_error(dir / "trailing.safetensors", "cover 8");

  write_raw(dir / "missing_key.safetensors", R"({"w":{"dtype":"F32","shape":[4]}})", four_floats);
  expect_data_error(dir / "missing_key.safetensors", "field 'w': tensor entry needs");

  write_raw(dir / "offsets3.safetensors", R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8,16]}})",
            four_floats);
  expect_data_error(dir / "offsets3.safetensors", "[begin, end]");

  write_raw(dir / "meta.safetensors", R"({"__metadata__":{"n":3}})", "");
  expect_data_error(dir / "meta.safetensors", "metadata values must be strings");
}

}  // namespace
}  // namespace hybridrec
