// Times the sample-shop generator against the target "10M interactions in under
// a minute": generation in memory, then (optionally) writing the canonical CSVs.
// Usage: bench_generate [interactions=10000000] [users=100000] [items=20000] [out_dir]
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "data/generator.h"

int main(int argc, char** argv) {
  hybridrec::GeneratorConfig cfg;
  cfg.interactions = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  cfg.users = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100'000;
  cfg.items = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 20'000;
  std::filesystem::path out = argc > 4 ? argv[4] : "";
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  hybridrec::Dataset ds = hybridrec::generate_shop(cfg);
  double gen_s = std::chrono::duration<double>(clock::now() - t0).count();
  std::printf("threads %d: generated %zu interactions (%zu users, %zu items) in %.2f s = %.2f M/s\n",
              omp_get_max_threads(), ds.interactions.size(), ds.num_users(), ds.num_items(), gen_s,
              ds.interactions.size() / gen_s / 1e6);
  double write_s = 0;
  if (!out.empty()) {
    auto t1 = clock::now();
    hybridrec::write_shop(ds, out);
    write_s = std::chrono::duration<double>(clock::now() - t1).count();
    std::printf("wrote %s in %.2f s (%.1f MB interactions.csv)\n", out.c_str(), write_s,
                std::filesystem::file_size(out / "interactions.csv") / 1e6);
  }
  const double total = gen_s + write_s;
  std::printf("total %.2f s vs target 60 s: %s\n", total, total < 60 ? "OK" : "TOO SLOW");
  return total < 60 ? 0 : 1;
}
