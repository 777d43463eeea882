// The closed-form families against their numpy/scipy references, on identical data:
//   ease: fits hybridrec's ease (or --family itemknn / ials) on a MovieLens train/test pair (u1.base/u1.test,
//         tab-separated user item rating time) and prints the fit time and the
//         full-catalogue ranking metrics @10 (training items excluded) as JSON;
//         bench/ease_reference.py runs it beside its scipy EASE and compares.
//   ials: generates an ML-1M-sized shop (data/generator.h), times iALS epochs
//         (cg and cholesky) and, with --dump, writes the matrix, the initial
//         factors and the factors after one exact (cholesky) epoch as raw float32
//         / int32 files; bench/ials_reference.py runs the same epoch in numpy.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "data/generator.h"
#include "eval/ranking_metrics.h"
#include "model/closed_form_families.h"
#include "model/family_ials.h"

using namespace hybridrec;
using Clock = std::chrono::steady_clock;

namespace {

// CPU seconds of this process (all threads): on a shared machine the wall clock
// also counts time spent waiting for a core.
double cpu_seconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Rating {
  std::uint32_t user, item;
};

std::vector<Rating> read_movielens_pairs(const std::string& path, std::uint32_t& max_user, std::uint32_t& max_item) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<Rating> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::uint32_t user = 0, item = 0;
    if (!(fields >> user >> item) || user == 0 || item == 0) throw std::runtime_error(path + ": bad line '" + line + "'");
    rows.push_back({user - 1, item - 1});  // ids 1.. -> indices 0.., the reference's order
    max_user = std::max(max_user, user);
    max_item = std::max(max_item, item);
  }
  return rows;
}

int run_ranking(const std::string& family, const std::string& train_path, const std::string& test_path, double lambda,
                const std::string& settings, int threads, int k) {
  std::uint32_t users = 0, items = 0;
  const auto train = read_movielens_pairs(train_path, users, items);
  const auto test = read_movielens_pairs(test_path, users, items);
  Dataset dataset;
  for (std::uint32_t u = 1; u <= users; ++u) dataset.users.intern(std::to_string(u));
  for (std::uint32_t i = 1; i <= items; ++i) dataset.items.intern(std::to_string(i));
  Split split;
  for (const auto* part : {&train, &test})
    for (const auto& r : *part) {
      Interaction x;
      x.user = r.user;
      x.item = r.item;
      x.event = Event::Rating;
      (part == &train ? split.train : split.test).push_back(static_cast<std::uint32_t>(dataset.interactions.size()));
      dataset.interactions.push_back(x);
    }
  // Every rating is one positive of weight 1, no recency decay: the reference's binary X.
  nlohmann::json config = {{"model", {{"ease", {{"lambda", lambda}}}}},
                           {"data", {{"recency_half_life_days", 0}}}};
  if (!settings.empty()) config["model"][family] = nlohmann::json::parse(settings);
  auto model = family == "ease" ? make_ease(config) : family == "itemknn" ? make_itemknn(config) : make_ials(config);
  TrainingContext context;
  context.dataset = &dataset;
  context.split = &split;
  context.config = config;
  context.threads = threads;
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  model->fit(context);
  const double fit_seconds = seconds_since(start), fit_cpu_seconds = cpu_seconds() - cpu_start;

  std::vector<std::vector<std::uint32_t>> seen(users), relevant(users);
  for (const auto& r : train) seen[r.user].push_back(r.item);
  for (const auto& r : test) relevant[r.user].push_back(r.item);
  double ndcg = 0, precision = 0, recall = 0, map = 0;
  std::size_t evaluated = 0;
  std::vector<float> scores(items);
  for (std::uint32_t u = 0; u < users; ++u) {
    if (relevant[u].empty()) continue;
    std::sort(seen[u].begin(), seen[u].end());
    std::sort(relevant[u].begin(), relevant[u].end());
    relevant[u].erase(std::unique(relevant[u].begin(), relevant[u].end()), relevant[u].end());
    const std::uint32_t one[1] = {u};
    model->score_all(one, scores.data());
    std::vector<std::uint32_t> ranked;
    for (const auto& s : top_k(scores, static_cast<std::size_t>(k), seen[u])) ranked.push_back(s.item);
    const auto hits = relevance_hits(ranked, relevant[u]);
    ndcg += ndcg_at_k(hits, relevant[u].size(), k);
    precision += precision_at_k(hits, k);
    recall += recall_at_k(hits, relevant[u].size(), k);
    map += average_precision_at_k(hits, relevant[u].size(), k);
    ++evaluated;
  }
  const double n = static_cast<double>(std::max<std::size_t>(1, evaluated));
  nlohmann::json out = {{"implementation", "hybridrec"}, {"family", family}, {"settings", config["model"][family]}, {"threads", threads},
                        {"users", users}, {"items", items}, {"evaluated_users", evaluated},
                        {"fit_seconds", fit_seconds}, {"fit_cpu_seconds", fit_cpu_seconds},
                        {"ndcg@" + std::to_string(k), ndcg / n}, {"precision@" + std::to_string(k), precision / n},
                        {"recall@" + std::to_string(k), recall / n}, {"map@" + std::to_string(k), map / n}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

void write_raw(const std::filesystem::path& path, const void* data, std::size_t bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

void write_factors(const std::filesystem::path& path, const RowMatrix& m) {
  write_raw(path, m.data(), sizeof(float) * static_cast<std::size_t>(m.size()));
}

int run_ials(std::size_t users, std::size_t items, std::size_t interactions, int factors, int epochs, int threads,
             int cg_steps, const std::string& dump) {
  GeneratorConfig gc;
  gc.users = users;
  gc.items = items;
  gc.interactions = interactions;
  const Dataset dataset = generate_shop(gc);
  Split split;
  for (std::uint32_t i = 0; i < dataset.interactions.size(); ++i) split.train.push_back(i);
  nlohmann::json result = {{"implementation", "hybridrec"}, {"users", dataset.num_users()},
                           {"items", dataset.num_items()}, {"factors", factors}, {"threads", threads}};
  for (const std::string solver : {"cholesky", "cg"}) {
    // Every event kind weighs 1 (the default data.event_weights): confidence 1 + alpha.
    nlohmann::json config = {{"model", {{"ials", {{"factors", factors}, {"regularization", 0.01},
                                                  {"unobserved_weight", 0.1}, {"alpha", 1.0},
                                                  {"solver", solver}, {"cg_steps", cg_steps}}}}},
                             {"data", {{"recency_half_life_days", 0}}}};
    IalsRecommender model(config);
    TrainingContext context;
    context.dataset = &dataset;
    context.split = &split;
    context.config = config;
    context.threads = threads;
    context.seed = 1;
    model.initialize(context);
    const bool dumping = !dump.empty() && solver == "cholesky";
    if (dumping) {
      std::filesystem::create_directories(dump);
      // The matrix as (user, item, weight) triples in row order.
      std::vector<std::int32_t> rows, cols;
      std::vector<float> values;
      const SparseRowMatrix x = build_interaction_matrix(dataset, split, PositiveWeighting::from_config(config));
      for (std::int64_t u = 0; u < x.outerSize(); ++u)
        for (SparseRowMatrix::InnerIterator it(x, u); it; ++it) {
          rows.push_back(static_cast<std::int32_t>(u));
          cols.push_back(static_cast<std::int32_t>(it.col()));
          values.push_back(it.value());
        }
      write_raw(std::filesystem::path(dump) / "rows.i32", rows.data(), rows.size() * 4);
      write_raw(std::filesystem::path(dump) / "cols.i32", cols.data(), cols.size() * 4);
      write_raw(std::filesystem::path(dump) / "values.f32", values.data(), values.size() * 4);
      write_factors(std::filesystem::path(dump) / "user_init.f32", model.user_factors());
      write_factors(std::filesystem::path(dump) / "item_init.f32", model.item_factors());
      result["nonzeros"] = values.size();
    }
    std::vector<double> times;
    for (int e = 0; e < epochs; ++e) {
      const auto start = Clock::now();
      model.run_epoch();
      times.push_back(seconds_since(start));
      if (dumping && e == 0) {
        write_factors(std::filesystem::path(dump) / "user_epoch1.f32", model.user_factors());
        write_factors(std::filesystem::path(dump) / "item_epoch1.f32", model.item_factors());
        result["loss_epoch1"] = model.loss();
      }
    }
    std::sort(times.begin(), times.end());
    result["seconds_per_epoch_" + solver] = times[times.size() / 2];  // the median epoch
  }
  result["config"] = {{"regularization", 0.01}, {"unobserved_weight", 0.1}, {"alpha", 1.0}};
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"closed-form families beside their numpy references"};
  app.require_subcommand(1);
  auto* ease = app.add_subcommand("ease", "fit a family (ease by default) on a MovieLens train/test pair, print metrics @k as JSON");
  std::string train, test, family = "ease", settings;
  double lambda = 100.0;
  int threads = 2, k = 10;
  ease->add_option("--train", train, "u1.base (user item rating time, tab-separated)")->required();
  ease->add_option("--test", test, "u1.test")->required();
  ease->add_option("--lambda", lambda);
  ease->add_option("--family", family, "ease | itemknn | ials")->check(CLI::IsMember({"ease", "itemknn", "ials"}));
  ease->add_option("--settings", settings, "the family's model.<family> settings as JSON, e.g. '{\"neighbors\": 50}'");
  ease->add_option("--threads", threads);
  ease->add_option("--k", k);
  auto* ials = app.add_subcommand("ials", "time iALS epochs on a generated ML-1M-sized shop");
  std::size_t users = 6040, items = 3706, interactions = 1000000;
  int factors = 64, epochs = 3, cg_steps = 3;
  std::string dump;
  ials->add_option("--users", users);
  ials->add_option("--items", items);
  ials->add_option("--interactions", interactions);
  ials->add_option("--factors", factors);
  ials->add_option("--epochs", epochs);
  ials->add_option("--cg-steps", cg_steps);
  ials->add_option("--threads", threads);
  ials->add_option("--dump", dump, "folder for the matrix and factors the numpy reference reads");
  CLI11_PARSE(app, argc, argv);
  if (*ease) return run_ranking(family, train, test, lambda, settings, threads, k);
  return run_ials(users, items, interactions, factors, epochs, threads, cg_steps, dump);
}
