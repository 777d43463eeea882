#pragma once
// A small generated shop written to a folder, the fixture data of most tests.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "data/generator.h"

namespace hybridrec::testing {

inline void write_generated_shop(const std::filesystem::path& dir, std::size_t users, std::size_t items,
                                 std::size_t interactions, std::uint64_t seed) {
  GeneratorConfig g;
  g.users = users;
  g.items = items;
  g.interactions = interactions;
  g.seed = seed;
  write_shop(generate_shop(g), dir);
}

}  // namespace hybridrec::testing
