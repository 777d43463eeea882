#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "store/model_dir.h"
#include "store/sha256.h"
#include "store_test_support.h"

namespace hybridrec::testing {
namespace {

TEST(Sha256, MatchesKnownDigests) {
  EXPECT_EQ(store::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(store::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

class ArtifactTest : public StoreBackendTest {};
HYBRIDREC_INSTANTIATE_BACKENDS(ArtifactTest);

TEST_P(ArtifactTest, FilesAreStoredByContentAndCheckedOutIntact) {
  auto ws = open();
  auto src = write_model_dir(dir() / "model", {});
  auto m = ws.registry().register_model(store::register_request_from_model_dir(src));
  for (const auto& f : m.files) {
    auto object = ws.artifacts().object_path(f.sha256);
    EXPECT_EQ(object.parent_path().filename().string(), f.sha256.substr(0, 2));
    EXPECT_EQ(read_file(object), read_file(src / f.path)) << f.path;
  }
  // Same content registered again shares the objects.
  auto again = ws.registry().register_model(store::register_request_from_model_dir(src));
  EXPECT_EQ(again.files.front().sha256, m.files.front().sha256);

  ws.registry().verify_artifacts(m.model_id);
  auto out = ws.registry().checkout(m.model_id, dir() / "checkout");
  EXPECT_EQ(read_file(out / "maps" / "user_id_map.json"), read_file(src / "maps" / "user_id_map.json"));
  EXPECT_EQ(read_file(out / "model.safetensors"), read_file(src / "model.safetensors"));
}

// Issue #17, item 7: an object a killed registration was writing is removed the
// next time the workspace is opened; a live writer's temporary is left alone.
TEST_P(ArtifactTest, TemporariesOfAKilledWriterAreRemovedAtTheNextOpen) {
  auto ws = open();
  auto m = ws.registry().register_model(store::register_request_from_model_dir(write_model_dir(dir() / "model", {})));
  const auto object = ws.artifacts().object_path(m.files.front().sha256);
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  const auto stale = object.parent_path() / (object.filename().string() + ".tmp" + std::to_string(child) + "_7");
  const auto live = object.parent_path() / (object.filename().string() + ".tmp" + std::to_string(::getpid()) + "_8");
  std::ofstream(stale) << "half an object";
  std::ofstream(live) << "being written";
  auto reopened = open();
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(object)) << "a finished object stays";
  reopened.registry().verify_artifacts(m.model_id);
}

TEST_P(ArtifactTest, CorruptedOrMissingFileIsReportedByName) {
  auto ws = open();
  auto m = ws.registry().register_model(store::register_request_from_model_dir(write_model_dir(dir() / "model", {})));
  const store::ArtifactFile* weights = nullptr;
  for (const auto& f : m.files)
    if (f.path == "model.safetensors") weights = &f;
  ASSERT_NE(weights, nullptr);
  auto object = ws.artifacts().object_path(weights->sha256);
  auto original = read_file(object);
  std::string flipped = original;
  flipped[0] ^= 0x01;  // same size, different bytes: only the hash catches it
  write_file_atomic(object, flipped);
  try {
    ws.registry().verify_artifacts(m.model_id);
    FAIL() << "corruption not detected";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << msg;
    EXPECT_NE(msg.find("corrupt"), std::string::npos) << msg;
    EXPECT_NE(msg.find(m.model_id), std::string::npos) << msg;
  }
  EXPECT_THROW(ws.registry().checkout(m.model_id, dir() / "out"), Error);
  EXPECT_FALSE(fs::exists(dir() / "out" / "config.json"));  // nothing half-checked-out
  EXPECT_THROW(ws.registry().promote(m.model_id), Error);    // never promote a broken model

  write_file_atomic(object, original);
  ws.registry().verify_artifacts(m.model_id);
  fs::remove(object);
  try {
    ws.registry().verify_artifacts(m.model_id);
    FAIL() << "missing file not detected";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << msg;
    EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
  }
}

TEST_P(ArtifactTest, RunArtifactsOfADirectoryKeepTheirRelativeNames) {
  auto ws = open();
  auto id = ws.tracking().start_run("exp", "r");
  auto files = ws.tracking().log_artifact(id, write_model_dir(dir() / "ckpt", {}));
  std::set<std::string> names;
  for (const auto& f : files) names.insert(f.path);
  EXPECT_TRUE(names.count("ckpt/maps/user_id_map.json"));
  EXPECT_TRUE(names.count("ckpt/config.json"));
  EXPECT_EQ(ws.tracking().get_run(id).artifacts.size(), files.size());
}

}  // namespace
}  // namespace hybridrec::testing
