#include <fmt/format.h>

#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "train/model_bundle.h"

namespace hybridrec::cli {

namespace {
struct RecommendArgs {
  std::string model_dir;
  std::vector<std::string> users;
  std::vector<std::string> attributes;
  std::size_t k = 10;
  bool json = false;
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
}  // namespace

void register_recommend(CLI::App& app) {
  auto args = std::make_shared<RecommendArgs>();
  auto* cmd = app.add_subcommand("recommend", "print the top-K items for users, excluding items they already have");
  cmd->add_option("--model", args->model_dir, "model folder written by 'hybridrec train'")->required();
  cmd->add_option("--user", args->users, "user id (repeatable)")->required();
  cmd->add_option("--k", args->k, "number of items")->capture_default_str()->check(CLI::Range(1, 10000));
  cmd->add_option("--attr", args->attributes,
                  "attribute of a new user, e.g. --attr age_group=25-34 (cold start through the content branch)");
  cmd->add_flag("--json", args->json, "machine-readable output");
  cmd->callback([args] {
    ModelBundle bundle = ModelBundle::load(args->model_dir);
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
