// Loading speed and memory of the canonical reader on a 10M-interaction file.
// Targets: < 10 s and < 64 bytes per interaction of peak memory growth.
//
//   bench_load                      # writes /tmp/hybridrec-bench/interactions.csv (10M rows) once, then loads it
//   bench_load --rows 1000000       # smaller file
//   bench_load --path DIR_OR_FILE   # any dataset load_dataset understands
//   bench_load --compare [--rounds R]  # the generic (column-mapping) reader vs the plain
//                                   # canonical reader on the same bytes, alternated in one run
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "data/readers.h"

namespace fs = std::filesystem;

namespace {

std::size_t current_rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// CPU seconds of this process: on a shared, oversubscribed machine the wall
// time mostly measures the other processes, so both are printed.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return sec(usage.ru_utime) + sec(usage.ru_stime);
}

std::size_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::size_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

// Deterministic synthetic log: ~100k users, 20k items with a Zipf-like skew,
// mostly views, some carts/purchases/ratings, increasing timestamps.
void write_interactions(const fs::path& file, std::size_t rows) {
  fs::create_directories(file.parent_path());
  std::FILE* out = std::fopen(file.c_str(), "wb");
  if (!out) throw std::runtime_error("cannot write " + file.string());
  std::string buffer;
  buffer.reserve(1 << 22);
  buffer += "user_id,item_id,event,value,timestamp\n";
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&state] {  // splitmix64: fast and reproducible everywhere
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  const std::uint64_t users = 100000, items = 20000;
  char num[24];
  auto append_number = [&](std::uint64_t v) {
    auto [end, ec] = std::to_chars(num, num + sizeof num, v);
    buffer.append(num, end);
  };
  for (std::size_t r = 0; r < rows; ++r) {
    std::uint64_t a = next(), b = next();
    double u = static_cast<double>(b >> 11) * 0x1.0p-53;
    std::uint64_t item = static_cast<std::uint64_t>(static_cast<double>(items) * u * u * u);  // skewed to low ids
    std::uint64_t kind = a % 100;
    buffer += 'u';
    append_number((a >> 8) % users);
    buffer += ",i";
    append_number(item);
    if (kind < 80) {
      buffer += ",view,,";
    } else if (kind < 90) {
      buffer += ",add_to_cart,,";
    } else if (kind < 95) {
      buffer += ",purchase,,";
    } else {
      buffer += ",rating,";
      append_number(1 + (a >> 40) % 5);
      buffer += ',';
    }
    append_number(1600000000 + r * 3 + (a >> 50) % 3);
    buffer += '\n';
    if (buffer.size() > (1 << 22) - 128) {
      std::fwrite(buffer.data(), 1, buffer.size(), out);
      buffer.clear();
    }
  }
  std::fwrite(buffer.data(), 1, buffer.size(), out);
  std::fclose(out);
}

// CPU seconds of one load (the wall time on a shared machine mostly measures the others).
double load_cpu_seconds(const fs::path& path, const std::string& format, std::size_t* rows) {
  hybridrec::LoadOptions options;
  options.format = format;
  const double cpu0 = cpu_seconds();
  hybridrec::Dataset dataset = hybridrec::load_dataset(path, options);
  const double cpu = cpu_seconds() - cpu0;
  *rows = dataset.interactions.size();
  return cpu;
}

// The generic reader (a delimited file whose columns are found by alias, as any
// user file is read) against the canonical reader of the same bytes, in turns so
// both see the same machine load; the best of each is compared.
int compare_readers(const fs::path& canonical_file, int rounds) {
  const fs::path generic_file = canonical_file.parent_path() / "generic-copy" / "shop_log.csv";
  if (!fs::exists(generic_file)) {
    fs::create_directories(generic_file.parent_path());
    fs::copy_file(canonical_file, generic_file);
  }
  double best_canonical = 1e30, best_generic = 1e30;
  std::size_t rows_canonical = 0, rows_generic = 0;
  for (int r = 0; r < rounds; ++r) {
    const double c = load_cpu_seconds(canonical_file.parent_path(), "canonical", &rows_canonical);
    const double g = load_cpu_seconds(generic_file, "generic", &rows_generic);
    std::printf("round %d: canonical %.2f s, generic %.2f s CPU (ratio %.3f)\n", r + 1, c, g, g / c);
    best_canonical = std::min(best_canonical, c);
    best_generic = std::min(best_generic, g);
  }
  if (rows_canonical != rows_generic) {
    std::printf("FAIL: the readers disagree (%zu vs %zu rows)\n", rows_canonical, rows_generic);
    return 1;
  }
  const double ratio = best_generic / best_canonical;
  std::printf("%zu rows; best CPU: canonical %.2f s (%.2f M rows/s), generic %.2f s (%.2f M rows/s)\n", rows_canonical,
              best_canonical, rows_canonical / best_canonical / 1e6, best_generic, rows_generic / best_generic / 1e6);
  std::printf("generic / canonical = %.3f   target <= 1.10: %s\n", ratio, ratio <= 1.10 ? "PASS" : "FAIL");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t rows = 10'000'000;
  fs::path path;
  bool compare = false;
  int rounds = 3;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--rows") && i + 1 < argc) rows = std::stoull(argv[++i]);
    else if (!std::strcmp(argv[i], "--path") && i + 1 < argc) path = argv[++i];
    else if (!std::strcmp(argv[i], "--compare")) compare = true;
    else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: bench_load [--rows N] [--path DATASET] [--compare [--rounds R]]\n");
      return 2;
    }
  }
  if (path.empty()) {
    path = fs::temp_directory_path() / "hybridrec-bench" / ("rows-" + std::to_string(rows)) / "interactions.csv";
    if (!fs::exists(path)) {
      auto t0 = std::chrono::steady_clock::now();
      write_interactions(path, rows);
      std::printf("wrote %s (%.0f MB) in %.1f s\n", path.c_str(), fs::file_size(path) / 1e6,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  if (compare) {
    if (fs::is_directory(path)) path /= "interactions.csv";
    if (path.filename() != "interactions.csv") {
      std::fprintf(stderr, "--compare needs a canonical interactions.csv (the default file, or --path to one)\n");
      return 2;
    }
    return compare_readers(path, rounds);
  }

  std::size_t rss_before = current_rss_bytes();
  double cpu0 = cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  hybridrec::Dataset dataset = hybridrec::load_dataset(path);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = cpu_seconds() - cpu0;
  std::size_t peak = peak_rss_bytes();
  std::size_t n = dataset.interactions.size();
  double bytes_per = n ? static_cast<double>(peak - rss_before) / static_cast<double>(n) : 0.0;

  std::printf("dataset      %s (%s)\n", path.c_str(), dataset.format.c_str());
  std::printf("interactions %zu, users %zu, items %zu\n", n, dataset.users.size(), dataset.items.size());
  std::printf("wall time    %.2f s   (%.2f M rows/s)   target < 10 s per 10M rows: %s\n", seconds, n / seconds / 1e6,
              seconds * 1e7 / std::max<std::size_t>(n, 1) < 10.0 ? "PASS" : "FAIL");
  std::printf("cpu time     %.2f s   (%.2f M rows/s of CPU)   target < 10 s per 10M rows: %s\n", cpu, n / cpu / 1e6,
              cpu * 1e7 / std::max<std::size_t>(n, 1) < 10.0 ? "PASS" : "FAIL");
  std::printf("peak memory  %.0f MB over %.0f MB before = %.1f bytes/interaction   target < 64: %s\n",
              (peak - rss_before) / 1e6, rss_before / 1e6, bytes_per, bytes_per < 64.0 ? "PASS" : "FAIL");
  return 0;
}
