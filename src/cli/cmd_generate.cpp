// `hybridrec generate --out DIR [--users N --items M --interactions K --seed S]`:
// writes the synthetic sample shop as a canonical dataset folder.
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "core/atomic_file.h"
#include "data/generator.h"
#include "data/stats.h"

namespace hybridrec::cli {

void register_generate(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Generate the synthetic sample shop (canonical CSV folder)");
  struct Args {
    std::string out;
    GeneratorConfig config;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--out", args->out, "Output folder (interactions.csv, users.csv, items.csv)")->required();
  cmd->add_option("--users", args->config.users, "Number of users")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--items", args->config.items, "Number of items")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--interactions", args->config.interactions, "Number of interactions")->capture_default_str();
  cmd->add_option("--seed", args->config.seed, "Random seed (same seed -> identical files)")->capture_default_str();
  cmd->add_option("--categories", args->config.categories, "Item categories")->capture_default_str();
  cmd->add_option("--brands", args->config.brands, "Brands")->capture_default_str();
  cmd->callback([args] {
    auto t0 = std::chrono::steady_clock::now();
    refuse_special_file(args->out, "--out");
    Dataset ds = generate_shop(args->config);
    write_shop(ds, args->out);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::array<std::size_t, kNumEvents> events{};
    std::int64_t t_min = ds.interactions.empty() ? 0 : ds.interactions.front().timestamp;
    std::int64_t t_max = ds.interactions.empty() ? 0 : ds.interactions.back().timestamp;
    for (const auto& x : ds.interactions) ++events[static_cast<int>(x.event)];
    std::cout << fmt::format("wrote {} in {:.1f} s: {} users, {} items, {} interactions (seed {})\n", args->out,
                             seconds, ds.num_users(), ds.num_items(), ds.interactions.size(), args->config.seed);
    std::cout << fmt::format("  events: view {}, add_to_cart {}, purchase {}, rating {}\n", events[0], events[1],
                             events[2], events[3]);
    std::cout << fmt::format("  time: {} .. {}\n", iso_utc(t_min), iso_utc(t_max));
  });
}

}  // namespace hybridrec::cli
