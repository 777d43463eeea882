// Names and paths from users must not escape the workspace or reach SQL as code.
#include "store/model_dir.h"
#include "store/safe_names.h"
#include "store_test_support.h"

namespace hybridrec::testing {
namespace {

const std::vector<std::string> kHostileNames = {
    "../../etc", "/etc/passwd", "a/b", "..", ".", std::string("run\0x", 5), "tab\there", "", std::string(201, 'a'),
    "back\\slash"};

TEST(SafeNames, HostileNamesAreRefusedWithTheFieldNamed) {
  for (const auto& name : kHostileNames) {
    try {
      store::validate_name("experiment name", name);
      FAIL() << "accepted hostile name '" << name << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("experiment name"), std::string::npos);
      EXPECT_EQ(std::string(e.what()).find('\0'), std::string::npos);  // NUL is escaped in the message
    }
  }
  store::validate_name("experiment name", "recommendation-model v2 (ML-100K)");
}

TEST(SafeNames, RelativePathsCannotLeaveTheirRoot) {
  fs::path root = "/tmp/root";
  EXPECT_EQ(store::resolve_inside(root, "maps/users.json"), root / "maps" / "users.json");
  for (const std::string& bad : std::vector<std::string>{"../x", "a/../../x", "/etc/passwd", "", "a//b/", "./a", std::string("a\0b", 3)})
    EXPECT_THROW(store::resolve_inside(root, bad), Error) << bad;
}

class SecurityTest : public StoreBackendTest {};
HYBRIDREC_INSTANTIATE_BACKENDS(SecurityTest);

TEST_P(SecurityTest, HostileRunExperimentAndEnvironmentNamesAreRefused) {
  auto ws = open();
  for (const auto& name : kHostileNames) {
    EXPECT_THROW(ws.tracking().start_run(name, "ok"), Error) << name;
    EXPECT_THROW(ws.tracking().start_run("ok", name), Error) << name;
  }
  EXPECT_TRUE(ws.tracking().list_runs().empty());  // nothing half-written
  auto m = ws.registry().register_model(store::register_request_from_model_dir(write_model_dir(dir() / "m", {})));
  EXPECT_THROW(ws.registry().deploy(m.model_id, "../../etc", 10), Error);
  EXPECT_THROW(ws.registry().deploy(m.model_id, std::string("prod\0uction", 11), 10), Error);
  EXPECT_THROW(ws.registry().get("../../etc/passwd"), Error);  // just an unknown id
  auto req = store::register_request_from_model_dir(dir() / "m");
  req.version = "v1.0.0/../../../etc";
  EXPECT_THROW(ws.registry().register_model(req), Error);
  for (const auto& entry : fs::recursive_directory_iterator(ws.root()))
    EXPECT_EQ(entry.path().string().rfind(ws.root().string(), 0), 0u);
}

TEST_P(SecurityTest, SqlInTheValuesIsStoredAsText) {
  auto ws = open();
  std::string evil = "x'); DROP TABLE runs; --";
  auto id = ws.tracking().start_run("exp", "r", {{"note", evil}}, {{evil, evil}});
  ws.tracking().log_metric(id, evil, 1.0, 0);
  auto r = ws.tracking().get_run(id);
  EXPECT_EQ(r.params.at("note"), evil);
  EXPECT_EQ(r.tags.at(evil), evil);
  EXPECT_EQ(r.latest_metrics.at(evil), 1.0);
  EXPECT_EQ(ws.tracking().list_runs().size(), 1u);
}

TEST_P(SecurityTest, TamperedManifestCannotWriteOutsideTheCheckoutDirectory) {
  auto ws = open();
  auto m = ws.registry().register_model(store::register_request_from_model_dir(write_model_dir(dir() / "m", {})));
  ws.database().query("UPDATE model_files SET path = '../escaped.json' WHERE model_id = $1 AND path = 'config.json'",
                      {m.model_id});
  EXPECT_THROW(ws.registry().checkout(m.model_id, dir() / "out"), Error);
  EXPECT_FALSE(fs::exists(dir() / "escaped.json"));
}

}  // namespace
}  // namespace hybridrec::testing
