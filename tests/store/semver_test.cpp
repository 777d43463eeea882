#include "store/semver.h"

#include "store/model_dir.h"
#include "store_test_support.h"

namespace hybridrec::testing {
namespace {

using store::SemVer;
using store::VersionBump;

TEST(SemVer, ParsesOnlyVMajorMinorPatch) {
  EXPECT_EQ(SemVer::parse("v2.3.1"), (SemVer{2, 3, 1}));
  EXPECT_EQ(SemVer::parse("v2.3.1").str(), "v2.3.1");
  for (const char* bad : {"2.3.1", "v2.3", "v2.3.1.4", "v02.3.1", "v-1.0.0", "v1.0.0 ", "v1.0.0-rc1", "", "v../1.0"})
    EXPECT_THROW(SemVer::parse(bad), Error) << bad;
}

TEST(SemVer, ArchitectureChangeIsMajorFeaturesMinorElsePatch) {
  json arch = {{"type", "hybrid"}, {"embedding_dim", 50}};
  json wider = {{"type", "hybrid"}, {"embedding_dim", 64}};
  json feats = {"user_id", "item_id"};
  json more = {"user_id", "item_id", "brand"};
  EXPECT_EQ(store::classify_change(arch, feats, wider, feats), VersionBump::major);
  EXPECT_EQ(store::classify_change(arch, feats, wider, more), VersionBump::major);
  EXPECT_EQ(store::classify_change(arch, feats, arch, more), VersionBump::minor);
  EXPECT_EQ(store::classify_change(arch, feats, arch, feats), VersionBump::patch);
}

TEST(SemVer, NextVersionSkipsEveryTakenVersion) {
  SemVer base{2, 3, 1};
  std::vector<SemVer> taken{{2, 3, 1}, {2, 3, 2}, {2, 4, 0}, {3, 0, 0}, {1, 9, 9}};
  EXPECT_EQ(store::next_version(base, VersionBump::patch, taken), (SemVer{2, 3, 3}));
  EXPECT_EQ(store::next_version(base, VersionBump::minor, taken), (SemVer{2, 5, 0}));
  EXPECT_EQ(store::next_version(base, VersionBump::major, taken), (SemVer{4, 0, 0}));
  EXPECT_EQ(store::next_version(base, VersionBump::patch, {base}), (SemVer{2, 3, 2}));
}

class VersioningTest : public StoreBackendTest {};
HYBRIDREC_INSTANTIATE_BACKENDS(VersioningTest);

TEST_P(VersioningTest, RegistryProposesVersionsAgainstTheChampion) {
  auto ws = open();
  auto& reg = ws.registry();
  auto reg_dir = [&](const std::string& name, FixtureModel m) {
    return reg.register_model(store::register_request_from_model_dir(write_model_dir(dir() / name, m)));
  };
  EXPECT_EQ(reg.propose_version({}, {}).version, "v1.0.0");
  auto first = reg_dir("m1", {});
  EXPECT_EQ(first.version, "v1.0.0");
  EXPECT_EQ(first.model_id, "rec-model-v1.0.0");
  EXPECT_EQ(first.status, store::ModelStatus::challenger);
  reg.promote(first.model_id);

  FixtureModel retuned;
  retuned.learning_rate = 0.01;
  retuned.dropout = 0.3;  // regularisation is not architecture
  EXPECT_EQ(reg_dir("m2", retuned).version, "v1.0.1");
  EXPECT_EQ(reg_dir("m3", retuned).version, "v1.0.2");  // second challenger of the same champion
  FixtureModel more_features;
  more_features.features = {"user_id", "item_id", "category", "brand"};
  EXPECT_EQ(reg_dir("m4", more_features).version, "v1.1.0");
  FixtureModel wider;
  wider.embedding_dim = 64;
  EXPECT_EQ(reg_dir("m5", wider).version, "v2.0.0");
  FixtureModel deeper;
  deeper.hidden_layers = {256, 128, 64, 32};
  EXPECT_EQ(reg_dir("m6", deeper).version, "v3.0.0");

  auto req = store::register_request_from_model_dir(dir() / "m2");
  req.version = "v7.1.2";
  EXPECT_EQ(reg.register_model(req).model_id, "rec-model-v7.1.2");
  req.version = "v7.1.2";
  EXPECT_THROW(reg.register_model(req), Error);  // unique
  req.version = "7.1.3";
  EXPECT_THROW(reg.register_model(req), Error);  // malformed
  EXPECT_EQ(reg.list().size(), 7u);
}

}  // namespace
}  // namespace hybridrec::testing
