// Timing counters for the fresh-recommendation paths (issue #19), in process and
// one request at a time, so the machine's scheduling noise (which dominates the
// concurrent p99s of run_serve_bench.sh on 2 shared cores) stays out: each path of
// ServedModel::recommend with the ranking cache off, for users of the training data
// and new users, without and with an online history of --events events, and for a
// family with behaviour features (hybrid) the parts of its fold-in: recomputing the
// behaviour features and scoring the catalogue from them.
//
// Usage: bench_fresh_paths --model DIR [--events 40] [--users 200] [--repeats 3]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "model/abilities.h"
#include "serve/served_model.h"

using namespace hybridrec;
using namespace hybridrec::serve;

namespace {

using Clock = std::chrono::steady_clock;

struct Timings {
  std::vector<double> us;
  void add(Clock::time_point start) { us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count()); }
  void print(const char* name, const std::string& served_by = "") {
    if (us.empty()) return;
    std::sort(us.begin(), us.end());
    auto pct = [&](double p) { return us[std::min(us.size() - 1, static_cast<std::size_t>(p * us.size()))]; };
    std::printf("%-44s median %8.1f us   p90 %8.1f us   p99 %8.1f us   %s\n", name, pct(0.5), pct(0.9), pct(0.99),
                served_by.c_str());
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string model;
  std::size_t events = 40, users = 200;
  int repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--model") model = value;
    else if (flag == "--events") events = std::stoul(value);
    else if (flag == "--users") users = std::stoul(value);
    else if (flag == "--repeats") repeats = std::stoi(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (model.empty()) {
    std::fprintf(stderr, "usage: bench_fresh_paths --model DIR [--events 40] [--users 200] [--repeats 3]\n");
    return 2;
  }
  ServingOptions options;
  options.cache_bytes = 0;  // every request scores, as run_serve_bench.sh's fresh case
  const ServedModel served("bench", "v0", model, options);
  const ModelBundle& bundle = served.bundle();
  std::mt19937_64 rng(7);
  std::vector<std::string> known;
  for (std::uint32_t u = 0; u < bundle.users.size() && known.size() < users; ++u)
    if (!bundle.seen[u].empty()) known.push_back(bundle.users.id(u));
  auto history = [&] {
    OnlineHistory::Snapshot s;
    for (std::size_t e = 0; e < events; ++e)
      s.events.push_back({bundle.items.id(static_cast<std::uint32_t>(rng() % bundle.items.size())),
                          e % 2 ? FeedbackType::purchase : FeedbackType::click, 1700000000 + static_cast<std::int64_t>(e) * 600});
    s.version = events;
    return s;
  };
  std::printf("%s: %s, %zu users, %zu items; %zu online events per user, cache off, one request at a time\n",
              model.c_str(), bundle.type().c_str(), bundle.users.size(), bundle.items.size(), events);
  Timings known_static, known_fresh, new_static, new_fresh, features, scoring, score_all;
  std::string by[4];
  // One request timed into `into`; the path that answered it goes to by[slot].
  auto timed = [&](const RecommendQuery& q, Timings& into, int slot) {
    const auto start = Clock::now();
    by[slot] = served.recommend(q).served_by;
    into.add(start);
  };
  for (int r = 0; r < repeats; ++r)
    for (std::size_t k = 0; k < known.size(); ++k) {
      RecommendQuery q;
      q.k = 10;
      q.user_id = known[k];
      timed(q, known_static, 0);
      q.online = history();
      timed(q, known_fresh, 1);
      q.user_id = "new-" + std::to_string(k);
      q.online = {};
      timed(q, new_static, 2);
      q.online = history();
      timed(q, new_fresh, 3);

      // The parts of a feature fold-in, for a family with behaviour features.
      const FeatureFoldIn* fold_in = bundle.recommender->feature_fold_in();
      if (!fold_in || !bundle.training_behaviour || !bundle.feature_builder) continue;
      const std::uint32_t u = *bundle.users.find(known[k]);
      const EntityFeatures& f = bundle.features.users;
      std::vector<HistoryEvent> behaviour;
      for (const auto& e : history().events)
        behaviour.push_back({*bundle.items.find(e.item_id), e.type == FeedbackType::purchase ? Event::Purchase : Event::View, e.timestamp});
      std::vector<float> dense(f.dense.row(u).data(), f.dense.row(u).data() + f.dense_dim());
      std::vector<std::int32_t> cats(f.num_categorical());
      for (std::size_t j = 0; j < cats.size(); ++j) cats[j] = f.categorical[j][u];
      auto start = Clock::now();
      bundle.feature_builder->fold_in_user_behaviour(*bundle.training_behaviour, u, behaviour, dense.data(), cats.data());
      features.add(start);
      std::vector<float> out(bundle.items.size());
      start = Clock::now();
      fold_in->score_with_user_features(u, dense.data(), cats.data(), out.data());
      scoring.add(start);
      start = Clock::now();
      bundle.recommender->score_all(std::span<const std::uint32_t>(&u, 1), out.data());
      score_all.add(start);
    }
  known_static.print("trained user, no online history", by[0]);
  known_fresh.print("trained user, online history", by[1]);
  new_static.print("new user, no online history", by[2]);
  new_fresh.print("new user, online history", by[3]);
  features.print("  behaviour features recomputed (fold-in)");
  scoring.print("  catalogue scored from those features");
  score_all.print("  catalogue scored by score_all (static)");
  return 0;
}
