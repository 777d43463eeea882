// Several processes (each with its own connection, as separate `hybridrec`
// invocations would have) register and promote at the same moment. The registry
// must end with exactly one champion, no lost or duplicated version, and an
// event trail that matches.
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "store/model_dir.h"
#include "store_test_support.h"

namespace hybridrec::testing {
namespace {

class ConcurrencyTest : public StoreBackendTest {};
HYBRIDREC_INSTANTIATE_BACKENDS(ConcurrencyTest);

TEST_P(ConcurrencyTest, ConcurrentRegisterAndPromoteLeaveOneChampionAndUniqueVersions) {
  constexpr int kProcesses = 6;
  constexpr int kModelsEach = 3;
  {
    auto ws = open();  // schema exists before the race, as after `hybridrec train`
    for (int p = 0; p < kProcesses; ++p) {
      FixtureModel m;
      m.ndcg = 0.30 + 0.01 * p;
      write_model_dir(dir() / ("src" + std::to_string(p)), m);
    }
  }  // no connection crosses fork()
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(go[1]);
      int code = 0;
      try {
        auto ws = open();
        char byte;
        (void)!::read(go[0], &byte, 1);  // start line: every child connected, then all race
        for (int i = 0; i < kModelsEach; ++i) {
          auto m = ws.registry().register_model(
              store::register_request_from_model_dir(dir() / ("src" + std::to_string(p))));
          ws.registry().promote(m.model_id, /*force=*/true);
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "child %d: %s\n", p, e.what());
        code = 1;
      }
      ::_exit(code);  // skip destructors and gtest teardown in the child
    }
    children.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);  // EOF releases every child at once
  for (auto pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a child failed, status " << status;
  }

  auto ws = open();
  auto models = ws.registry().list();
  ASSERT_EQ(models.size(), static_cast<std::size_t>(kProcesses * kModelsEach));
  std::set<std::string> versions;
  int champions = 0;
  for (const auto& m : models) {
    versions.insert(m.version);
    champions += m.status == store::ModelStatus::champion;
  }
  EXPECT_EQ(versions.size(), models.size()) << "two registrations got the same version";
  EXPECT_EQ(champions, 1);
  // The last "promoted" event names the champion; every promotion but the first demoted one.
  std::string last_promoted;
  int promoted = 0, demoted = 0;
  for (const auto& e : ws.registry().events()) {
    if (e.event == "promoted") {
      last_promoted = e.model_id;
      ++promoted;
    }
    demoted += e.event == "demoted";
  }
  EXPECT_EQ(promoted, kProcesses * kModelsEach);
  EXPECT_EQ(demoted, promoted - 1);
  EXPECT_EQ(ws.registry().champion()->model_id, last_promoted);
}

}  // namespace
}  // namespace hybridrec::testing
