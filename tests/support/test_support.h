#pragma once
// Helpers shared by the test executables.
#include <gtest/gtest.h>

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

}  // namespace hybridrec::testing

// Use at the top of a test that needs MovieLens 100K.
#define REQUIRE_ML100K()                                                                        \
  do {                                                                                          \
    if (!std::filesystem::exists(::hybridrec::testing::ml100k_path() / "u.data")) {            \
      if (::hybridrec::testing::in_ci()) FAIL() << "MovieLens 100K missing at " << ::hybridrec::testing::ml100k_path(); \
      GTEST_SKIP() << "MovieLens 100K not found at " << ::hybridrec::testing::ml100k_path();   \
    }                                                                                           \
  } while (0)
