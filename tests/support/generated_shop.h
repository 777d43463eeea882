#pragma once
// A small generated shop, in memory or written to a folder: the fixture data of most tests.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "data/generator.h"

namespace hybridrec::testing {

inline Dataset generated_shop(std::size_t users, std::size_t items, std::size_t interactions, std::uint64_t seed) {
  GeneratorConfig g;
  g.users = users;
  g.items = items;
  g.interactions = interactions;
  g.seed = seed;
  return generate_shop(g);
}

inline void write_generated_shop(const std::filesystem::path& dir, std::size_t users, std::size_t items,
                                 std::size_t interactions, std::uint64_t seed) {
  write_shop(generated_shop(users, items, interactions, seed), dir);
}

}  // namespace hybridrec::testing
