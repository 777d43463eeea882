// Behaviour of the training engine: Adam modes, learning a planted problem,
// scoring paths that must agree, determinism across runs and thread counts, and
// cold-start routing to the unknown rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "core/error.h"
#include "model/network.h"

namespace hybridrec {
namespace {

constexpr std::size_t kUsers = 40, kItems = 30, kGroups = 4;

// Users and items fall into groups; a user likes exactly the items of its group.
bool likes(std::uint32_t u, std::uint32_t i) { return u % kGroups == i % kGroups; }

FeatureSet group_features() {
  FeatureSet f;
  f.users.dense = RowMatrix::Zero(kUsers, 2);
  f.users.categorical_names = {"favourite_category"};
  f.users.categorical_cardinality = {static_cast<std::int32_t>(kGroups + 1)};
  f.users.categorical = {std::vector<std::int32_t>(kUsers)};
  for (std::size_t u = 0; u < kUsers; ++u) {
    f.users.dense(static_cast<Eigen::Index>(u), 0) = static_cast<float>(u) / kUsers;
    f.users.categorical[0][u] = static_cast<std::int32_t>(u % kGroups + 1);
  }
  f.items.dense = RowMatrix::Zero(kItems, 3);
  f.items.categorical_names = {"category"};
  f.items.categorical_cardinality = {static_cast<std::int32_t>(kGroups + 1)};
  f.items.categorical = {std::vector<std::int32_t>(kItems)};
  for (std::size_t i = 0; i < kItems; ++i) {
    f.items.dense(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(i % 3)) = 1.0f;
    f.items.categorical[0][i] = static_cast<std::int32_t>(i % kGroups + 1);
  }
  return f;
}

// "neumf" and "hybrid_gmf": ncf and hybrid with the GMF branch.
ModelConfig config(const std::string& type, float dropout = 0.2f) {
  ModelConfig c;
  c.type = type == "neumf" ? "ncf" : type == "hybrid_gmf" ? "hybrid" : type;
  c.gmf_dim = type == "neumf" ? 8 : type == "hybrid_gmf" ? 5 : 0;
  c.embedding_dim = 8;
  c.hidden_layers = {16, 8, 4};
  c.dropout_rate = dropout;
  c.content_dim = 6;
  c.feature_embedding_dim = 3;
  return c;
}

Batch random_batch(std::mt19937& rng, std::size_t n) {
  Batch b;
  for (std::size_t k = 0; k < n; ++k) {
    const auto u = static_cast<std::uint32_t>(rng() % kUsers);
    auto i = static_cast<std::uint32_t>(rng() % kItems);
    if (k % 2 == 0)  // half positives so both classes are present
      while (!likes(u, i)) i = static_cast<std::uint32_t>(rng() % kItems);
    b.users.push_back(u);
    b.items.push_back(i);
    b.labels.push_back(likes(u, i) ? 1.0f : 0.0f);
  }
  return b;
}

// Fraction of (positive, negative) pairs of each user ranked correctly.
double auc(const Network& net) {
  std::vector<float> scores(kUsers * kItems);
  std::vector<std::uint32_t> users(kUsers);
  for (std::size_t u = 0; u < kUsers; ++u) users[u] = static_cast<std::uint32_t>(u);
  net.score_all(users, scores.data());
  double right = 0, pairs = 0;
  for (std::uint32_t u = 0; u < kUsers; ++u)
    for (std::uint32_t p = 0; p < kItems; ++p)
      for (std::uint32_t q = 0; q < kItems; ++q)
        if (likes(u, p) && !likes(u, q)) {
          right += scores[u * kItems + p] > scores[u * kItems + q];
          pairs += 1;
        }
  return right / pairs;
}

std::unique_ptr<Network> make(const std::string& type, const FeatureSet& f, float dropout = 0.2f, int threads = 1,
                              std::uint64_t seed = 5) {
  auto net = Network::create(config(type, dropout), kUsers, kItems, &f, seed);
  OptimizerConfig opt;
  opt.learning_rate = 0.01f;
  net->set_optimizer(opt);
  net->set_threads(threads);
  return net;
}

void train(Network& net, int steps, std::uint64_t seed, Loss loss = Loss::MSE, std::vector<float>* losses = nullptr) {
  std::mt19937 rng(static_cast<std::uint32_t>(seed));
  for (int s = 0; s < steps; ++s) {
    const float l = net.train_step(random_batch(rng, 64), loss, seed * 1000 + static_cast<std::uint64_t>(s));
    if (losses) losses->push_back(l);
  }
}

double mean(const std::vector<float>& v, std::size_t from, std::size_t to) {
  double s = 0;
  for (std::size_t i = from; i < to; ++i) s += v[i];
  return s / static_cast<double>(to - from);
}

class PlantedProblem : public ::testing::TestWithParam<std::string> {};

TEST_P(PlantedProblem, TrainingLowersLossAndRanksPositivesFirst) {
  const FeatureSet f = group_features();
  auto net = make(GetParam(), f);
  const double before = auc(*net);
  std::vector<float> losses;
  train(*net, 300, 1, Loss::MSE, &losses);
  EXPECT_LT(mean(losses, 280, 300), 0.5 * mean(losses, 0, 20));
  const double after = auc(*net);
  EXPECT_GT(after, 0.95) << "AUC before training " << before;
}

TEST_P(PlantedProblem, BprAndBceAlsoLearn) {
  const FeatureSet f = group_features();
  for (Loss loss : {Loss::BCE, Loss::BPR}) {
    auto net = make(GetParam(), f);
    std::mt19937 rng(3);
    // BPR learns only from score differences within a user: it needs more steps.
    const int steps = loss == Loss::BPR ? 800 : 300;
    for (int s = 0; s < steps; ++s) {
      Batch b;
      if (loss == Loss::BPR) {
        b.group_size = 3;  // positive first, then two negatives of the same user
        for (int g = 0; g < 20; ++g) {
          const auto u = static_cast<std::uint32_t>(rng() % kUsers);
          std::uint32_t i;
          do i = static_cast<std::uint32_t>(rng() % kItems); while (!likes(u, i));
          b.users.push_back(u);
          b.items.push_back(i);
          for (int k = 0; k < 2; ++k) {
            do i = static_cast<std::uint32_t>(rng() % kItems); while (likes(u, i));
            b.users.push_back(u);
            b.items.push_back(i);
          }
        }
      } else {
        b = random_batch(rng, 64);
      }
      net->train_step(b, loss, static_cast<std::uint64_t>(s));
    }
    // Chance is 0.5; BPR's pairwise signal is slower to separate the groups.
    EXPECT_GT(auc(*net), loss == Loss::BPR ? 0.85 : 0.95) << (loss == Loss::BPR ? "BPR" : "BCE");
  }
}

TEST_P(PlantedProblem, PredictEqualsScoreAll) {
  const FeatureSet f = group_features();
  auto net = make(GetParam(), f);
  train(*net, 20, 2);
  std::vector<bool> users_seen(kUsers, true), items_seen(kItems, true);
  users_seen[3] = users_seen[17] = false;
  items_seen[5] = false;
  net->set_seen(users_seen, items_seen);
  std::vector<std::uint32_t> users = {0, 3, 17, 39};
  std::vector<float> all(users.size() * kItems);
  net->score_all(users, all.data());
  std::vector<std::uint32_t> pu, pi;
  for (auto u : users)
    for (std::uint32_t i = 0; i < kItems; ++i) {
      pu.push_back(u);
      pi.push_back(i);
    }
  std::vector<float> pairs(pu.size());
  net->predict(pu, pi, pairs.data());
  for (std::size_t k = 0; k < pairs.size(); ++k) EXPECT_NEAR(pairs[k], all[k], 2e-6f) << "pair " << k;
  // The cached item half of layer 1 must follow parameter changes.
  train(*net, 1, 9);
  net->score_all(users, all.data());
  net->predict(pu, pi, pairs.data());
  for (std::size_t k = 0; k < pairs.size(); ++k) EXPECT_NEAR(pairs[k], all[k], 2e-6f) << "after a step, pair " << k;
}

TEST_P(PlantedProblem, SameSeedAndThreadsGiveBitIdenticalParameters) {
  const FeatureSet f = group_features();
  auto a = make(GetParam(), f, 0.2f, 2), b = make(GetParam(), f, 0.2f, 2);
  train(*a, 40, 4);
  train(*b, 40, 4);
  auto sa = a->state_dict(), sb = b->state_dict();
  for (std::size_t p = 0; p < sa.size(); ++p) EXPECT_EQ(sa[p].data, sb[p].data) << sa[p].name;
}

TEST_P(PlantedProblem, OneAndTwoThreadsAgree) {
  const FeatureSet f = group_features();
  auto one = make(GetParam(), f, 0.2f, 1), two = make(GetParam(), f, 0.2f, 2);
  train(*one, 10, 4);
  train(*two, 10, 4);
  auto s1 = one->state_dict(), s2 = two->state_dict();
  for (std::size_t p = 0; p < s1.size(); ++p)
    for (std::size_t i = 0; i < s1[p].data.size(); ++i)
      ASSERT_NEAR(s1[p].data[i], s2[p].data[i], 1e-5f) << s1[p].name << "[" << i << "]";
}

TEST_P(PlantedProblem, CheckpointResumesExactly) {
  const FeatureSet f = group_features();
  auto a = make(GetParam(), f), b = make(GetParam(), f, 0.2f, 1, 99);
  train(*a, 10, 6);
  b->load_state_dict(a->state_dict());
  b->load_optimizer_state(a->optimizer_state());
  train(*a, 10, 7);
  train(*b, 10, 7);
  auto sa = a->state_dict(), sb = b->state_dict();
  for (std::size_t p = 0; p < sa.size(); ++p) EXPECT_EQ(sa[p].data, sb[p].data) << sa[p].name;
}

TEST_P(PlantedProblem, CandidateStagePartsScoreAsScoreAll) {
  // Serving's split first layer (with the GMF branch: its item rows and user query
  // appended) must rescore items exactly as score_all does.
  const FeatureSet f = group_features();
  auto net = make(GetParam(), f);
  train(*net, 20, 3);
  const RowMatrix parts = net->first_layer_item_parts();
  const auto user_part = net->first_layer_user_part(5);
  EXPECT_EQ(static_cast<std::size_t>(parts.cols()), user_part.size());
  EXPECT_EQ(user_part.size(), static_cast<std::size_t>(16 + net->config().gmf_dim));
  std::vector<std::uint32_t> items = {0, 7, 29, 3};
  std::vector<float> some(items.size()), all(kItems);
  net->score_items_from_user_part(user_part.data(), items, some.data());
  const std::uint32_t user = 5;
  net->score_all(std::span<const std::uint32_t>(&user, 1), all.data());
  for (std::size_t k = 0; k < items.size(); ++k) EXPECT_NEAR(some[k], all[items[k]], 1e-6f) << "item " << items[k];
}

INSTANTIATE_TEST_SUITE_P(Models, PlantedProblem, ::testing::Values("ncf", "hybrid", "neumf", "hybrid_gmf"));

TEST(GmfBranch, TablesStartSmallAsInNeuMF) {
  // N(0, 0.01) for the GMF tables (an untrained item must not get a large random
  // GMF score); the MLP's id tables keep PyTorch's N(0, 1).
  const FeatureSet f = group_features();
  auto net = make("neumf", f);
  for (const auto& t : net->state_dict()) {
    if (t.name != "mf_item_embedding.weight" && t.name != "item_embedding.weight") continue;
    double sum2 = 0;
    for (float x : t.data) sum2 += static_cast<double>(x) * x;
    const double std = std::sqrt(sum2 / static_cast<double>(t.data.size()));
    if (t.name == "mf_item_embedding.weight")
      EXPECT_NEAR(std, 0.01, 0.002) << t.name;
    else
      EXPECT_NEAR(std, 1.0, 0.2) << t.name;
  }
}

TEST(GmfBranch, UnknownRowsAreTheMeanAndShardingIsRefused) {
  const FeatureSet f = group_features();
  auto net = make("hybrid_gmf", f);
  train(*net, 30, 8);
  std::vector<bool> users_seen(kUsers, true), items_seen(kItems, true);
  users_seen[6] = false;
  net->set_seen(users_seen, items_seen);
  auto state = net->state_dict();
  const NamedTensor* mf = nullptr;
  for (auto& t : state)
    if (t.name == "mf_user_embedding.weight") mf = &t;
  ASSERT_NE(mf, nullptr);
  double mean0 = 0;
  for (std::size_t u = 0; u < kUsers; ++u)
    if (users_seen[u]) mean0 += mf->data[u * 5];
  EXPECT_NEAR(mf->data[kUsers * 5], mean0 / (kUsers - 1), 1e-5);
  // The unseen user is scored through the unknown rows: its own GMF row is unused.
  const std::uint32_t user = 6;
  std::vector<float> before(kItems), after(kItems);
  net->score_all(std::span<const std::uint32_t>(&user, 1), before.data());
  for (auto& t : state)
    if (t.name == "mf_user_embedding.weight")
      for (std::size_t j = 0; j < 5; ++j) t.data[6 * 5 + j] += 3.0f;
  net->load_state_dict(state);
  net->score_all(std::span<const std::uint32_t>(&user, 1), after.data());
  EXPECT_EQ(before, after);
  // Row-sharded id tables do not cover the GMF tables yet: refused, not half-done.
  EXPECT_THROW(net->use_working_rows(0, {1, 2}), ConfigError);
}

std::map<std::string, NamedTensor> by_name(const std::vector<NamedTensor>& v) {
  std::map<std::string, NamedTensor> m;
  for (auto& t : v) m[t.name] = t;
  return m;
}

TEST(AdamModes, LazyLeavesAbsentRowsAloneDenseMovesThem) {
  const FeatureSet f = group_features();
  auto lazy = make("ncf", f, 0.0f), dense = make("ncf", f, 0.0f);
  OptimizerConfig opt;
  opt.learning_rate = 0.01f;
  opt.weight_decay = 1e-2f;
  opt.lazy_embeddings = false;
  dense->set_optimizer(opt);
  opt.lazy_embeddings = true;
  lazy->set_optimizer(opt);
  const auto before = by_name(lazy->state_dict());
  Batch b;
  b.users = {1, 2, 2};
  b.items = {4, 4, 7};
  b.labels = {1, 0, 1};
  lazy->train_step(b, Loss::MSE, 0);
  dense->train_step(b, Loss::MSE, 0);
  const auto l = by_name(lazy->state_dict()), d = by_name(dense->state_dict());
  const auto grads = by_name(dense->last_gradients());
  const std::size_t E = 8;
  for (const char* table : {"user_embedding.weight", "item_embedding.weight"}) {
    const std::vector<std::uint32_t>& present = std::string(table) == "user_embedding.weight" ? b.users : b.items;
    const std::size_t rows = before.at(table).data.size() / E;
    for (std::size_t r = 0; r < rows; ++r) {
      const bool in_batch = std::find(present.begin(), present.end(), r) != present.end();
      for (std::size_t j = 0; j < E; ++j) {
        const std::size_t k = r * E + j;
        if (in_batch) {
          // First step of either mode: same update.
          EXPECT_EQ(l.at(table).data[k], d.at(table).data[k]) << table << " row " << r;
          EXPECT_NE(l.at(table).data[k], before.at(table).data[k]);
        } else {
          EXPECT_EQ(l.at(table).data[k], before.at(table).data[k]) << table << " row " << r;
          // Dense Adam's first step on a zero gradient plus weight decay: g = wd p,
          // so the update is -lr * g / (|g| + eps), about -lr * sign(p).
          const double p = before.at(table).data[k], g = 1e-2 * p;
          EXPECT_EQ(grads.at(table).data[k], 0.0f);
          EXPECT_NEAR(d.at(table).data[k], p - 0.01 * g / (std::abs(g) + 1e-8), 1e-7) << table << " row " << r;
        }
      }
    }
  }
  // Non-embedding tensors are updated identically by both modes.
  EXPECT_EQ(l.at("mlp.0.weight").data, d.at("mlp.0.weight").data);
  // One optimizer step, checked against Adam's formula: p1 = p0 - lr * g' / (|g'| + eps), g' = g + wd p0.
  const auto& g = grads.at("mlp.3.weight").data;
  for (std::size_t k = 0; k < g.size(); k += 7) {
    const double p0 = before.at("mlp.3.weight").data[k], gw = g[k] + 1e-2 * p0;
    EXPECT_NEAR(l.at("mlp.3.weight").data[k], p0 - 0.01 * gw / (std::abs(gw) + 1e-8), 1e-6);
  }
}

TEST(ColdStart, UnseenUsersUseTheUnknownRowAndTheirFeatures) {
  const FeatureSet f = group_features();
  auto net = make("hybrid", f);
  train(*net, 50, 8);
  std::vector<bool> users_seen(kUsers, true), items_seen(kItems, true);
  users_seen[6] = false;
  net->set_seen(users_seen, items_seen);
  auto state = by_name(net->state_dict());
  // The unknown row (index kUsers) is the mean of the seen rows.
  const auto& emb = state.at("user_embedding.weight").data;
  double mean0 = 0;
  for (std::size_t u = 0; u < kUsers; ++u)
    if (users_seen[u]) mean0 += emb[u * 8];
  EXPECT_NEAR(emb[kUsers * 8], mean0 / (kUsers - 1), 1e-5);

  std::vector<std::uint32_t> users = {6, 7};
  std::vector<float> before(2 * kItems), after(2 * kItems), fresh(kItems);
  net->score_all(users, before.data());
  // Scoring user 6 from its features alone must equal its score_all row.
  net->score_new_user(f.users.dense.row(6).data(), &f.users.categorical[0][6], fresh.data());
  for (std::size_t i = 0; i < kItems; ++i) EXPECT_NEAR(fresh[i], before[i], 1e-6f);
  // Scrambling user 6's own (untrained-for-serving) row changes nothing for it,
  // but scrambling seen user 7's row does.
  auto moved = net->state_dict();
  for (auto& t : moved)
    if (t.name == "user_embedding.weight")
      for (std::size_t j = 0; j < 8; ++j) {
        t.data[6 * 8 + j] += 3.0f;
        t.data[7 * 8 + j] += 3.0f;
      }
  net->load_state_dict(moved);
  net->score_all(users, after.data());
  double change6 = 0, change7 = 0;
  for (std::size_t i = 0; i < kItems; ++i) {
    change6 += std::abs(after[i] - before[i]);
    change7 += std::abs(after[kItems + i] - before[kItems + i]);
  }
  EXPECT_EQ(change6, 0.0);
  EXPECT_GT(change7, 1e-3);
  EXPECT_TRUE(net->serves_cold_users());
}

// With id dropout the unknown rows are trained (DropoutNet): a user never seen in
// training is ranked from its features alone, and set_seen keeps the learned row.
TEST(ColdStart, IdDropoutLearnsTheUnknownRowsForContentOnlyScoring) {
  const FeatureSet f = group_features();
  ModelConfig c = config("hybrid");
  c.id_dropout_rate = 0.5f;
  auto net = Network::create(c, kUsers, kItems, &f, 5);
  OptimizerConfig opt;
  opt.learning_rate = 0.01f;
  net->set_optimizer(opt);
  const auto unknown_row = [&] {
    for (const auto& t : net->state_dict())
      if (t.name == "user_embedding.weight")
        return std::vector<float>(t.data.begin() + kUsers * 8, t.data.begin() + (kUsers + 1) * 8);
    return std::vector<float>();
  };
  const std::vector<float> initial = unknown_row();
  train(*net, 400, 11);
  const std::vector<float> learned = unknown_row();
  EXPECT_NE(initial, learned) << "the unknown row must receive gradients";

  std::vector<bool> users_seen(kUsers, true), items_seen(kItems, true);
  for (std::uint32_t u : {1u, 2u, 3u, 4u}) users_seen[u] = false;
  net->set_seen(users_seen, items_seen);
  EXPECT_EQ(unknown_row(), learned) << "set_seen must not overwrite a learned unknown row";

  // Cold users (routed to the unknown row) still rank their group's items first,
  // which only their favourite-category feature can tell.
  std::vector<std::uint32_t> cold = {1, 2, 3, 4};
  std::vector<float> scores(cold.size() * kItems);
  net->score_all(cold, scores.data());
  double right = 0, pairs = 0;
  for (std::size_t k = 0; k < cold.size(); ++k)
    for (std::uint32_t p = 0; p < kItems; ++p)
      for (std::uint32_t q = 0; q < kItems; ++q)
        if (likes(cold[k], p) && !likes(cold[k], q)) {
          right += scores[k * kItems + p] > scores[k * kItems + q];
          pairs += 1;
        }
  EXPECT_GT(right / pairs, 0.9);
}

// Cold twins: with id dropout a dropped-out sample reads its entity's cold-twin
// features (FeatureSet::cold_users/cold_items), so it looks like a new user. Twins
// equal to the features change nothing; different twins change the loss.
TEST(ColdStart, IdDropoutReadsTheColdTwinFeatures) {
  FeatureSet plain = group_features();
  ModelConfig c = config("hybrid", 0.0f);
  c.id_dropout_rate = 0.5f;
  FeatureSet same = plain;
  same.cold_users = plain.users;
  same.cold_items = plain.items;
  FeatureSet cold = same;
  cold.cold_users.dense.setConstant(1.0f);  // "no history" values unlike the real ones
  for (auto& codes : cold.cold_users.categorical) std::fill(codes.begin(), codes.end(), 0);
  std::mt19937 rng(3);
  const Batch batch = random_batch(rng, 64);
  auto loss_of = [&](const FeatureSet& f, float dropout) {
    ModelConfig m = c;
    m.id_dropout_rate = dropout;
    return Network::create(m, kUsers, kItems, &f, 9)->compute_gradients(batch, Loss::MSE, 17);
  };
  EXPECT_EQ(loss_of(plain, 0.5f), loss_of(same, 0.5f));
  EXPECT_NE(loss_of(plain, 0.5f), loss_of(cold, 0.5f));
  EXPECT_EQ(loss_of(plain, 0.0f), loss_of(cold, 0.0f)) << "without id dropout the twins are never read";
}

TEST(NetworkErrors, BadInputsAreRejectedWithReasons) {
  const FeatureSet f = group_features();
  auto net = make("ncf", f);
  Batch b;
  b.users = {0, static_cast<std::uint32_t>(kUsers)};
  b.items = {0, 1};
  b.labels = {1, 0};
  EXPECT_THROW(net->train_step(b, Loss::MSE, 0), Error);
  b.users[1] = 1;
  b.group_size = 3;
  EXPECT_THROW(net->train_step(b, Loss::BPR, 0), Error);
  auto state = net->state_dict();
  state[0].shape[1] += 1;
  EXPECT_THROW(net->load_state_dict(state), Error);
  state.erase(state.begin());
  EXPECT_THROW(net->load_state_dict(state), Error);
  EXPECT_THROW(Network::create(config("hybrid"), kUsers, kItems, nullptr, 1), Error);
  EXPECT_FALSE(net->serves_cold_users());
}

// Row-sharded training (dist/sharded_embeddings.h) runs a step on working tables of
// just the batch's rows: the gradients must be the full table's, row for row, and
// nothing that needs every row may run on a working table.
TEST(WorkingTables, StepOnTheBatchRowsGivesTheFullTablesGradients) {
  const FeatureSet f = group_features();
  auto full = make("hybrid", f);
  auto working = make("hybrid", f);
  std::mt19937 rng(3);
  const Batch batch = random_batch(rng, 32);
  const float full_loss = full->compute_gradients(batch, Loss::MSE, 9);

  for (int s = 0; s < 2; ++s) {
    const IdTableView table = working->id_table(s);
    const std::vector<float> values(table.value, table.value + table.rows * table.dim);
    std::vector<std::uint32_t> rows(s == 0 ? batch.users : batch.items);
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    const std::size_t full_bytes = working->id_table_bytes();
    working->use_working_rows(s, rows);
    EXPECT_LT(working->id_table_bytes(), full_bytes);
    EXPECT_FALSE(working->has_full_id_tables());
    const IdTableView compact = working->id_table(s);
    ASSERT_EQ(compact.rows, rows.size());
    EXPECT_EQ(compact.exp_avg, nullptr);
    for (std::size_t k = 0; k < rows.size(); ++k)
      std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(rows[k] * table.dim), table.dim,
                  compact.value + k * table.dim);
  }
  EXPECT_EQ(working->compute_gradients(batch, Loss::MSE, 9), full_loss);
  const GradientRefs a = full->gradients(), b = working->gradients();
  for (int s = 0; s < 2; ++s) {
    const RowGradient& g = *a.embeddings[static_cast<std::size_t>(s)];
    const RowGradient& w = *b.embeddings[static_cast<std::size_t>(s)];
    ASSERT_EQ(g.count(), w.count());
    std::vector<std::uint32_t> rows(s == 0 ? batch.users : batch.items);
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    for (std::size_t k = 0; k < w.count(); ++k) {
      const std::uint32_t global = rows[w.rows()[k]];
      const std::int32_t slot = g.slot_of(global);
      ASSERT_GE(slot, 0);
      for (std::size_t j = 0; j < g.dim(); ++j) EXPECT_EQ(w.grad(k)[j], g.grad(static_cast<std::size_t>(slot))[j]);
    }
  }
  for (std::size_t t = 0; t < a.dense.size(); ++t)
    for (std::size_t i = 0; i < a.dense[t].size(); ++i) ASSERT_EQ(a.dense[t][i], b.dense[t][i]);

  // The working tables stay out of state_dict and of scoring; a row not fetched is an error.
  EXPECT_EQ(working->state_dict().size() + 2, full->state_dict().size());
  std::vector<float> scores(kItems);
  const std::uint32_t user = 0;
  EXPECT_THROW(working->score_all({&user, 1}, scores.data()), Error);
  EXPECT_THROW(working->optimizer_state(), Error);
  working->use_working_rows(0, {1});
  EXPECT_THROW(working->compute_gradients(batch, Loss::MSE, 9), Error);
  // Back to full tables: zeroed, ready to be filled, and scoring works again.
  working->use_full_table(0);
  working->use_full_table(1);
  EXPECT_TRUE(working->has_full_id_tables());
  EXPECT_EQ(working->id_table_bytes(), full->id_table_bytes());
  EXPECT_NO_THROW(working->score_all({&user, 1}, scores.data()));
}

}  // namespace
}  // namespace hybridrec
