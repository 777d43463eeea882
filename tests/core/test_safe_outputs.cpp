// Safe outputs (issue #17): a written path that is a device, FIFO or socket (or a
// symlink to one) is refused, never replaced; temporaries of a killed writer are
// removed at the next start; one training at a time writes into a folder.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/folder_lock.h"
#include "test_support.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run(const std::string& args, const fs::path& log, std::string& output) {
  const std::string cmd = std::string(HYBRIDREC_BINARY) + " " + args + " > '" + log.string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  output = slurp(log);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

fs::path make_fifo(const fs::path& path) {
  EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0) << path;
  return path;
}

// A process id that is not running: a child that has exited and been reaped.
long dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

TEST(SafeOutputs, AtomicWriteRefusesAFifoAndASymlinkToOneAndLeavesThemAlone) {
  const auto dir = testing::scratch_dir("fifo");
  const fs::path fifo = make_fifo(dir / "out.json");
  try {
    write_file_atomic(fifo, "{}");
    ADD_FAILURE() << "wrote over a FIFO";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("FIFO"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_fifo(fifo));  // still the FIFO, not replaced by a regular file
  fs::create_symlink(fifo, dir / "link.json");
  try {
    write_file_atomic(dir / "link.json", "{}");
    ADD_FAILURE() << "wrote through a symlink to a FIFO";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("symlink to a FIFO"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_symlink(dir / "link.json"));
  // A regular file is replaced whole, and no temporary is left beside it.
  write_file_atomic(dir / "plain.json", "{\"a\": 1}");
  write_file_atomic(dir / "plain.json", "{\"a\": 2}");
  EXPECT_EQ(slurp(dir / "plain.json"), "{\"a\": 2}");
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 3u);  // fifo, link, plain.json
  EXPECT_THROW(write_file_atomic(dir, "x"), Error);  // a folder is not a file to replace
}

TEST(SafeOutputs, StaleTemporariesOfDeadWritersAreRemovedOthersKept) {
  const auto dir = testing::scratch_dir("stale");
  fs::create_directories(dir / "sub");
  const std::string dead = std::to_string(dead_pid()), alive = std::to_string(::getpid());
  for (const fs::path& p : {dir / ("config.json.tmp" + dead + "_12345"), dir / "sub" / ("model.safetensors.tmp" + dead + "_9"),
                            dir / ("metrics.json.tmp" + alive + "_7"), dir / "config.json", dir / "notes.tmp"})
    std::ofstream(p) << "x";
  EXPECT_EQ(remove_stale_temp_files(dir), 2u);
  EXPECT_FALSE(fs::exists(dir / ("config.json.tmp" + dead + "_12345")));
  EXPECT_FALSE(fs::exists(dir / "sub" / ("model.safetensors.tmp" + dead + "_9")));
  EXPECT_TRUE(fs::exists(dir / ("metrics.json.tmp" + alive + "_7")));  // a live writer's
  EXPECT_TRUE(fs::exists(dir / "config.json"));
  EXPECT_TRUE(fs::exists(dir / "notes.tmp"));  // not a temporary of ours
  EXPECT_EQ(remove_stale_temp_files(dir / "missing"), 0u);
}

TEST(SafeOutputs, FolderLockIsExclusiveAndReleasedWithItsHolder) {
  const auto dir = testing::scratch_dir("lock");
  {
    FolderLock first(dir / "out", "training");
    try {
      FolderLock second(dir / "out", "training");
      ADD_FAILURE() << "two locks on one folder";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("another training is writing into"), std::string::npos) << e.what();
    }
  }
  FolderLock again(dir / "out", "training");  // released when the first went away
  EXPECT_THROW(FolderLock(make_fifo(dir / "pipe"), "training"), Error);
}

// A small shop to train on from the CLI.
fs::path shop(const fs::path& dir, int users) {
  fs::create_directories(dir);
  std::ofstream out(dir / "interactions.csv");
  out << "user_id,item_id,event,value,timestamp\n";
  for (int u = 0; u < users; ++u)
    for (int i = 0; i < 8; ++i) out << "u" << u << ",i" << (u * 3 + i) % 40 << ",view,," << 1580000000 + u * 100 + i << "\n";
  return dir;
}

TEST(SafeOutputs, CliRefusesAFifoOutForTrainEvaluateAndGenerate) {
  const auto dir = testing::scratch_dir("cli-fifo");
  const fs::path data = shop(dir / "data", 20);
  const fs::path fifo = make_fifo(dir / "fifo");
  std::string out;
  const std::string train = "train --data '" + data.string() + "' --model popularity --no-track --quiet --out ";
  EXPECT_EQ(run(train + "'" + fifo.string() + "'", dir / "log", out), 1) << out;
  EXPECT_NE(out.find("FIFO"), std::string::npos) << out;
  EXPECT_EQ(run("generate --users 5 --items 5 --interactions 20 --out '" + fifo.string() + "'", dir / "log", out), 1) << out;
  EXPECT_NE(out.find("FIFO"), std::string::npos) << out;
  ASSERT_EQ(run(train + "'" + (dir / "model").string() + "'", dir / "log", out), 0) << out;
  EXPECT_EQ(run("evaluate --model '" + (dir / "model").string() + "' --out '" + fifo.string() + "'", dir / "log", out), 1)
      << out;
  EXPECT_NE(out.find("FIFO"), std::string::npos) << out;
  EXPECT_TRUE(fs::is_fifo(fifo));
}

TEST(SafeOutputs, SecondTrainingIntoTheSameOutIsRefusedWhileTheFirstRuns) {
  const auto dir = testing::scratch_dir("two-trainings");
  const fs::path data = shop(dir / "data", 400);
  const fs::path model = dir / "model";
  // A stale temporary from a killed run: removed when the next training starts.
  fs::create_directories(model);
  const fs::path stale = model / ("config.json.tmp" + std::to_string(dead_pid()) + "_1");
  std::ofstream(stale) << "half";
  const std::string train = std::string(HYBRIDREC_BINARY) + " train --data '" + data.string() +
                            "' --model hybrid --no-track --set training.num_epochs=200 --set training.early_stopping_patience=1000"
                            " --set model.embedding_dim=8 --out '" + model.string() + "'";
  // The first training in the background; it locks the folder before it loads the
  // data, so once it reports the data loaded it holds the lock (probing the lock from here
  // would race with it).
  const std::string first = train + " > '" + (dir / "first.log").string() + "' 2>&1 & echo $! > '" +
                            (dir / "first.pid").string() + "'";
  ASSERT_EQ(std::system(first.c_str()), 0);
  bool training = false;
  for (int k = 0; k < 1500 && !training; ++k) {
    training = slurp(dir / "first.log").find("loaded") != std::string::npos;
    if (!training) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(training) << "the first training did not start: " << slurp(dir / "first.log");
  std::string out;
  EXPECT_EQ(run("train --data '" + data.string() + "' --model popularity --no-track --quiet --out '" + model.string() + "'",
                dir / "second.log", out),
            1)
      << out;
  EXPECT_NE(out.find("another training is writing into"), std::string::npos) << out;
  // Stop the first (it has shown what it must) and wait for it to go.
  const long pid = std::stol(slurp(dir / "first.pid"));
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  for (int k = 0; k < 250 && ::kill(static_cast<pid_t>(pid), 0) == 0; ++k)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(fs::exists(stale)) << "the first training should have removed the stale temporary";
  // Once it is gone, the folder is free again.
  EXPECT_EQ(run("train --data '" + data.string() + "' --model popularity --no-track --quiet --out '" + model.string() + "'",
                dir / "third.log", out),
            0)
      << out;
}

}  // namespace
}  // namespace hybridrec
