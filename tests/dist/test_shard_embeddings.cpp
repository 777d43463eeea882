// `train --shard-embeddings` under mpirun: the user and item tables row-sharded
// across the ranks give what replicated data parallelism gives (the same losses and
// the same saved parameters) while each rank holds about 1/P of the tables, and a
// sharded run killed mid-way resumes to the same model.
//
// Tolerance: the owners add the ranks' row gradients in rank order, exactly as
// replicated mode does, and the dense all-reduce keeps replicated mode's length, so
// the runs measured here agree bit for bit (max difference 0). The tests still
// allow 1e-5 (parameters, absolute) and 1e-6 (losses, relative): MPI does not
// promise one reduction order for all message lengths and rank counts, and a
// last-bit difference in one step may grow a little through later Adam steps.
#include <algorithm>
#include <cmath>
#include <map>

#include "model/safetensors.h"
#include "mpi_job.h"

namespace {

// Largest absolute difference over every tensor of two model files (which must
// hold the same names and shapes).
double max_parameter_difference(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::map<std::string, hybridrec::NamedTensor> left;
  for (auto& t : hybridrec::load_safetensors(a)) left[t.name] = std::move(t);
  const auto right = hybridrec::load_safetensors(b);
  EXPECT_EQ(left.size(), right.size());
  double worst = 0.0;
  for (const auto& t : right) {
    const auto it = left.find(t.name);
    if (it == left.end() || it->second.shape != t.shape) {
      ADD_FAILURE() << "tensor " << t.name << " missing or of another shape";
      return INFINITY;
    }
    for (std::size_t i = 0; i < t.data.size(); ++i)
      worst = std::max(worst, static_cast<double>(std::fabs(t.data[i] - it->second.data[i])));
  }
  return worst;
}

void expect_same_losses(const nlohmann::json& replicated, const nlohmann::json& sharded) {
  ASSERT_EQ(replicated.size(), sharded.size());
  for (std::size_t e = 0; e < replicated.size(); ++e) {
    SCOPED_TRACE("epoch " + std::to_string(e + 1));
    EXPECT_EQ(replicated[e]["samples"], sharded[e]["samples"]);
    const double a = replicated[e]["train_loss"].get<double>(), b = sharded[e]["train_loss"].get<double>();
    EXPECT_NEAR(b, a, 1e-6 * a);
    EXPECT_NEAR(sharded[e]["val_ndcg@10"].get<double>(), replicated[e]["val_ndcg@10"].get<double>(), 1e-6);
  }
}

}  // namespace

TEST(ShardEmbeddings, TwoRanksEqualReplicatedWithHalfTheTablesAndResumeAfterAKill) {
  REQUIRE_MPIRUN();
  auto dir = hybridrec::testing::scratch_dir("shard-emb");
  const std::string shop = make_shop(dir);
  const int epochs = 3;
  // The baseline is replicated in both senses: tables and data (--shard-embeddings
  // loads the whole dataset on every rank; see distributed.shard_data).
  Output replicated = shell(launcher(mpirun, 2) + kBinary + train_args(shop, dir / "rep", epochs) +
                            " --set distributed.shard_data=false");
  ASSERT_EQ(replicated.status, 0) << replicated.text;
  Output sharded = shell(launcher(mpirun, 2) + kBinary + train_args(shop, dir / "shard", epochs) + " --shard-embeddings");
  ASSERT_EQ(sharded.status, 0) << sharded.text;
  std::cout << "replicated " << replicated.seconds << " s, sharded " << sharded.seconds << " s\n";
  EXPECT_NE(sharded.text.find("id embeddings sharded by row"), std::string::npos) << sharded.text;
  EXPECT_EQ(sharded.text.find("\nmrr "), sharded.text.rfind("\nmrr ")) << "rank 0 alone reports";

  const nlohmann::json hr = history(dir / "rep"), hs = history(dir / "shard");
  expect_same_losses(hr, hs);
  EXPECT_LE(max_parameter_difference(dir / "rep" / "model.safetensors", dir / "shard" / "model.safetensors"), 1e-5);

  // Memory: each rank holds about half of the id tables and their Adam state (its
  // shard plus a working table of one local batch's rows).
  for (std::size_t e = 0; e < hs.size(); ++e) {
    const auto& dp = hs[e]["data_parallel"];
    SCOPED_TRACE("epoch " + std::to_string(e + 1));
    EXPECT_EQ(dp["shard_embeddings"], true);
    EXPECT_FALSE(hr[e]["data_parallel"]["shard_embeddings"].get<bool>());
    const double full = hr[e]["data_parallel"]["id_embedding_bytes_per_rank"][0].get<double>();
    for (const auto& bytes : dp["id_embedding_bytes_per_rank"]) {
      EXPECT_GT(bytes.get<double>(), 0.45 * full);
      EXPECT_LT(bytes.get<double>(), 0.60 * full);
    }
    EXPECT_EQ(dp["replica_checksums"][0], dp["replica_checksums"][1]);  // the replicated layers
    EXPECT_GT(dp["id_rows_fetched_per_step"].get<double>(), 0.0);
  }

  // Rank 1 dies when epoch 3 begins; the sharded job resumes from rank 0's
  // checkpoint (full tables, gathered) to the model the uninterrupted run saved.
  Output crash = shell("timeout 120 " + launcher(mpirun, 2, "HYBRIDREC_FAULT_KILL=1:3") + kBinary +
                       train_args(shop, dir / "killed", epochs) + " --shard-embeddings");
  EXPECT_NE(crash.status, 0) << crash.text;
  EXPECT_EQ(hybridrec::read_json(dir / "killed" / "checkpoint" / "trainer.json")["epoch"].get<int>(), 2);
  Output resumed = shell(launcher(mpirun, 2) + kBinary + train_args(shop, dir / "killed", epochs) +
                         " --shard-embeddings --resume");
  ASSERT_EQ(resumed.status, 0) << resumed.text;
  EXPECT_NE(resumed.text.find("resuming after epoch 2"), std::string::npos) << resumed.text;
  EXPECT_LE(max_parameter_difference(dir / "shard" / "model.safetensors", dir / "killed" / "model.safetensors"), 1e-5);
}

TEST(ShardEmbeddings, ThreeRanksWithIdDropoutEqualReplicated) {
  // Shards of unequal size (401 user rows over 3 ranks) and id dropout, which routes
  // samples to the unknown row: every rank fetches that row and returns a gradient
  // only for rows that kept a sample.
  REQUIRE_MPIRUN();
  auto dir = hybridrec::testing::scratch_dir("shard-emb3");
  const std::string shop = make_shop(dir);
  const std::string extra = " --set model.id_dropout_rate=0.2";
  Output replicated = shell(launcher(mpirun, 3) + kBinary + train_args(shop, dir / "rep", 2) + extra +
                            " --set distributed.shard_data=false");
  ASSERT_EQ(replicated.status, 0) << replicated.text;
  Output sharded = shell(launcher(mpirun, 3) + kBinary + train_args(shop, dir / "shard", 2) + extra +
                         " --set distributed.shard_embeddings=true");
  ASSERT_EQ(sharded.status, 0) << sharded.text;
  const nlohmann::json hr = history(dir / "rep"), hs = history(dir / "shard");
  expect_same_losses(hr, hs);
  EXPECT_LE(max_parameter_difference(dir / "rep" / "model.safetensors", dir / "shard" / "model.safetensors"), 1e-5);
  const double full = hr[0]["data_parallel"]["id_embedding_bytes_per_rank"][0].get<double>();
  const auto& bytes = hs[0]["data_parallel"]["id_embedding_bytes_per_rank"];
  ASSERT_EQ(bytes.size(), 3u);
  for (const auto& b : bytes) EXPECT_LT(b.get<double>(), 0.45 * full);  // a third, plus a working table
}

TEST(ShardEmbeddings, DenseEmbeddingAdamIsRefused) {
  // Dense Adam moves every row every step; sharded tables update only fetched rows.
  auto dir = hybridrec::testing::scratch_dir("shard-emb-dense");
  const std::string shop = make_shop(dir);
  Output out = shell(kBinary + train_args(shop, dir / "m", 1) +
                     " --shard-embeddings --set training.embedding_optimizer=dense");
  EXPECT_NE(out.status, 0) << out.text;
  EXPECT_NE(out.text.find("needs training.embedding_optimizer=lazy"), std::string::npos) << out.text;
  EXPECT_FALSE(std::filesystem::exists(dir / "m" / "model.safetensors"));
}
