#pragma once
// Running the real binary under `mpirun -np N --oversubscribe` on loopback, for the
// tests of tests/dist: the shell, the launcher line, the 400-user test shop and the
// training arguments they share.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include "core/atomic_file.h"
#include "test_support.h"

namespace {

struct Output {
  int status;
  std::string text;
  double seconds;
};

Output shell(const std::string& cmd) {
  const auto t0 = std::chrono::steady_clock::now();
  Output out{0, "", 0.0};
  // One OpenMP thread per process: mpirun binds each rank to a core, and on a busy
  // machine an unbound plain run would otherwise wake idle worker threads.
  FILE* pipe = popen(("OMP_NUM_THREADS=1 " + cmd + " 2>&1").c_str(), "r");
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) out.text.append(buf.data(), n);
  out.status = pclose(pipe);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

// mpirun from PATH (scripts/setup.sh installs openmpi-bin), or "" when absent.
std::string find_mpirun() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && access((dir + "/mpirun").c_str(), X_OK) == 0) return dir + "/mpirun";
  return "";
}

#define REQUIRE_MPIRUN()                                                               \
  const std::string mpirun = find_mpirun();                                            \
  if (mpirun.empty()) {                                                                \
    if (hybridrec::testing::in_ci()) FAIL() << "mpirun not on PATH (openmpi-bin)";     \
    GTEST_SKIP() << "mpirun not on PATH";                                              \
  }

std::string launcher(const std::string& mpirun, int ranks, const std::string& env = "") {
  std::string cmd = mpirun + " -np " + std::to_string(ranks) + " --oversubscribe";
  if (geteuid() == 0) cmd += " --allow-run-as-root";
  if (!env.empty()) cmd += " -x " + env;
  return cmd + " ";
}

const std::string kBinary = HYBRIDREC_BINARY;

// Small enough for seconds per run, big enough that NDCG@10 is not noise alone.
std::string make_shop(const std::filesystem::path& dir) {
  auto shop = (dir / "shop").string();
  Output g = shell(kBinary + " generate --out " + shop + " --users 400 --items 120 --interactions 16000 --seed 5");
  EXPECT_EQ(g.status, 0) << g.text;
  return shop;
}

std::string train_args(const std::string& shop, const std::filesystem::path& out, int epochs) {
  return " train --data " + shop + " --out " + out.string() + " --no-track --model hybrid" +
         " --set training.threads=1 --set training.num_epochs=" + std::to_string(epochs) +
         " --set training.early_stopping_patience=100 --set evaluation.baselines=[popularity]";
}

nlohmann::json history(const std::filesystem::path& out) { return hybridrec::read_json(out / "training_history.json"); }

}  // namespace
