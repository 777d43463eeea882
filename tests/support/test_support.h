#pragma once
// Helpers shared by the test executables.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace hybridrec::testing {

// MovieLens 100K lives in ../shared/data/ml-100k (never committed: licence).
// HYBRIDREC_ML100K overrides. In CI (CI=true) missing data is a failure, not a skip.
inline std::filesystem::path ml100k_path() {
  if (const char* env = std::getenv("HYBRIDREC_ML100K")) return env;
  return std::filesystem::path(HYBRIDREC_SHARED_DATA) / "ml-100k";
}

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

// A fresh empty directory under the system temp dir, unique per test.
inline std::filesystem::path scratch_dir(const std::string& name) {
  auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string unique = std::string(info ? info->test_suite_name() : "x") + "_" + (info ? info->name() : "y") + "_" + name;
  auto dir = std::filesystem::temp_directory_path() / "hybridrec-tests" / unique;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// The hybridrec binary run with `args` (stderr folded into text), as a user runs it.
struct CliOutput {
  int status;  // pclose's status: 0 = exit code 0
  std::string text;
};

inline CliOutput run_hybridrec(const std::string& args) {
  const std::string command = std::string(HYBRIDREC_BINARY) + " " + args + " 2>&1";
  CliOutput out{0, ""};
  FILE* pipe = popen(command.c_str(), "r");
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.text.append(buffer.data(), n);
  out.status = pclose(pipe);
  return out;
}

}  // namespace hybridrec::testing

// Use at the top of a test that needs MovieLens 100K.
#define REQUIRE_ML100K()                                                                        \
  do {                                                                                          \
    if (!std::filesystem::exists(::hybridrec::testing::ml100k_path() / "u.data")) {            \
      if (::hybridrec::testing::in_ci()) FAIL() << "MovieLens 100K missing at " << ::hybridrec::testing::ml100k_path(); \
      GTEST_SKIP() << "MovieLens 100K not found at " << ::hybridrec::testing::ml100k_path();   \
    }                                                                                           \
  } while (0)
