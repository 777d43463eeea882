#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/progress.h"
#include "data/item_names.h"
#include "data/load_config.h"
#include "train/batch_recommend.h"
#include "train/model_bundle.h"

namespace hybridrec::cli {

namespace {
struct RecommendArgs {
  std::string model_dir;
  std::vector<std::string> users;
  std::vector<std::string> attributes;
  std::size_t k = 10;
  bool json = false;
  // Batch output.
  bool all_users = false;
  std::string users_file;
  std::string out;
  std::string names_data;  // where item names come from; default: the data the model was trained on
  int threads = 0;         // 0: training.threads of the model
  bool quiet = false;
};

RawAttributes parse_attributes(const std::vector<std::string>& pairs) {
  RawAttributes out;
  for (const auto& p : pairs) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("--attr expects name=value, got '" + p + "'");
    out[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return out;
}

// One user id per line; a first line "user_id" (or "user") is a header.
std::vector<std::string> read_user_ids(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("--users-file: cannot open " + path);
  std::vector<std::string> ids;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) continue;
    if (n == 1 && (line == "user_id" || line == "user")) continue;
    ids.push_back(line);
  }
  if (ids.empty()) throw Error("--users-file " + path + ": no user ids");
  return ids;
}

// Item names from the data the model was trained on (as training read it), or
// from `names_data`; none when that data is not there any more.
std::unordered_map<std::string, std::string> item_names(const ModelBundle& bundle, const std::string& names_data,
                                                        bool quiet) {
  const auto& td = bundle.config.value("training_data", nlohmann::json::object());
  const std::string path = names_data.empty() ? td.value("path", std::string()) : names_data;
  LoadOptions load;
  if (bundle.config.contains("data")) apply_data_config(bundle.config["data"], load);
  if (names_data.empty()) load.format = td.value("format", std::string("auto"));
  else load.format = "auto";
  try {
    if (!path.empty() && std::filesystem::exists(path)) return read_item_names(path, load);
  } catch (const Error& e) {
    if (!quiet) std::cerr << "note: no item names (" << e.what() << ")\n";
    return {};
  }
  if (!quiet) std::cerr << "note: no item names (the training data " << path << " is not there; --names-from DATA)\n";
  return {};
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

struct UserList {
  std::string user;
  bool known = false;
  std::string served_by;
  std::vector<ScoredItem> items;
};

// CSV: one row per recommended item; JSON lines: one object per user.
std::string format_batch(const std::vector<UserList>& lists, const ModelBundle& bundle,
                         const std::unordered_map<std::string, std::string>& names, bool jsonl) {
  std::string out;
  if (!jsonl) out = names.empty() ? "user_id,rank,item_id,score,served_by\n" : "user_id,rank,item_id,item_name,score,served_by\n";
  for (const auto& list : lists) {
    if (jsonl) {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& s : list.items) {
        const std::string& id = bundle.items.id(s.item);
        nlohmann::json row{{"item_id", id}, {"score", s.score}};
        if (auto it = names.find(id); it != names.end()) row["item_name"] = it->second;
        items.push_back(std::move(row));
      }
      out += nlohmann::json{{"user_id", list.user}, {"known_user", list.known}, {"served_by", list.served_by},
                            {"items", items}}.dump() + "\n";
      continue;
    }
    int rank = 1;
    for (const auto& s : list.items) {
      const std::string& id = bundle.items.id(s.item);
      out += csv_field(list.user) + fmt::format(",{},", rank++) + csv_field(id);
      if (!names.empty()) {
        auto it = names.find(id);
        out += "," + csv_field(it == names.end() ? std::string_view() : std::string_view(it->second));
      }
      out += fmt::format(",{:.6f},{}\n", s.score, list.served_by);
    }
  }
  return out;
}

// --all-users / --users-file: every list computed in parallel blocks, written at once.
void recommend_batch_to_file(const RecommendArgs& args, const ModelBundle& bundle) {
  std::vector<std::string> ids = args.all_users ? bundle.users.ids() : read_user_ids(args.users_file);
  std::vector<UserList> lists(ids.size());
  std::vector<std::uint32_t> known;
  std::vector<std::size_t> known_at;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    lists[i].user = ids[i];
    if (auto index = bundle.users.find(ids[i])) {
      known.push_back(*index);
      known_at.push_back(i);
      lists[i].known = true;
    }
  }
  Progress progress(args.quiet ? Progress::Mode::Quiet : Progress::Mode::Auto);
  progress.begin("recommend", known.size());
  BatchRecommendOptions options;
  options.k = args.k;
  options.threads = args.threads > 0 ? args.threads : bundle.config.value("training", nlohmann::json::object()).value("threads", 2);
  options.on_progress = [&](std::size_t done) { progress.update(done, "users"); };
  const auto start = std::chrono::steady_clock::now();
  std::vector<Route> routes;
  auto top = recommend_batch(bundle, known, options, &routes);
  for (std::size_t j = 0; j < known.size(); ++j) {
    lists[known_at[j]].items = std::move(top[j]);
    lists[known_at[j]].served_by = route_name(routes[j]);
  }
  for (auto& list : lists)  // users the model does not know: no attributes here, so popularity
    if (!list.known) list.items = bundle.recommend_new_user({}, args.k, &list.served_by);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.end(fmt::format("recommended {} items for {} users in {:.2f} s ({:.0f} users/s, {} threads)",
                           args.k, ids.size(), seconds, seconds > 0 ? static_cast<double>(ids.size()) / seconds : 0.0,
                           options.threads));

  const auto names = item_names(bundle, args.names_data, args.quiet);
  const bool jsonl = args.json || args.out.ends_with(".jsonl") || args.out.ends_with(".json");
  const std::string text = format_batch(lists, bundle, names, jsonl);
  if (args.out.empty() || args.out == "-") {
    std::cout << text;
  } else {
    write_file_atomic(args.out, text);
    if (!args.quiet) std::cerr << "written to " << args.out << "\n";
  }
}
}  // namespace

void register_recommend(CLI::App& app) {
  auto args = std::make_shared<RecommendArgs>();
  auto* cmd = app.add_subcommand("recommend", "print the top-K items for users, excluding items they already have");
  cmd->add_option("--model", args->model_dir, "model folder written by 'hybridrec train'")->required();
  auto* user = cmd->add_option("--user", args->users, "user id (repeatable)");
  auto* all = cmd->add_flag("--all-users", args->all_users, "every user the model knows, in parallel (use with --out)");
  auto* file = cmd->add_option("--users-file", args->users_file, "user ids, one per line (batch, like --all-users)")
                   ->check(CLI::ExistingFile);
  user->excludes(all)->excludes(file);
  all->excludes(file);
  cmd->add_option("--k", args->k, "number of items")->capture_default_str()->check(CLI::Range(1, 10000));
  cmd->add_option("--attr", args->attributes,
                  "attribute of a new user, e.g. --attr age_group=25-34 (cold start through the content branch)");
  cmd->add_flag("--json", args->json, "machine-readable output (batch: JSON lines)");
  cmd->add_option("--out", args->out,
                  "batch: write to this file, recs.csv (one row per item) or recs.jsonl (one line per user); "
                  "default: CSV on stdout");
  cmd->add_option("--names-from", args->names_data,
                  "batch: data to take item names from (default: the data the model was trained on)");
  cmd->add_option("--threads", args->threads, "batch: threads (default: the model's training.threads)")
      ->check(CLI::Range(1, 1024));
  cmd->add_flag("--quiet", args->quiet, "batch: no progress bar or notes");
  cmd->callback([args] {
    ModelBundle bundle = ModelBundle::load(args->model_dir);
    if (args->all_users || !args->users_file.empty()) return recommend_batch_to_file(*args, bundle);
    if (args->users.empty()) throw Error("recommend: give --user ID (repeatable), --all-users or --users-file F");
    RawAttributes attrs = parse_attributes(args->attributes);
    nlohmann::json all = nlohmann::json::array();
    for (const auto& user : args->users) {
      std::string path;
      std::vector<ScoredItem> top;
      auto index = bundle.users.find(user);
      if (index)
        top = bundle.recommend(*index, args->k, &path);
      else
        top = bundle.recommend_new_user(attrs, args->k, &path);
      nlohmann::json items = nlohmann::json::array();
      for (const auto& s : top) items.push_back({{"item_id", bundle.items.id(s.item)}, {"score", s.score}});
      all.push_back({{"user_id", user}, {"known_user", index.has_value()}, {"served_by", path}, {"items", items}});
      if (!args->json) {
        std::cout << fmt::format("user {} ({}; served by {}, model {}):\n", user, index ? "known" : "new", path,
                                 bundle.type());
        int rank = 1;
        for (const auto& s : top) std::cout << fmt::format("  {:>3}. {:<16} {:.4f}\n", rank++, bundle.items.id(s.item), s.score);
      }
    }
    if (args->json) std::cout << all.dump(2) << "\n";
  });
}

}  // namespace hybridrec::cli
