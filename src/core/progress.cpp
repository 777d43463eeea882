#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace hybridrec {

Progress::Progress(Mode mode) : mode_(mode) {
  if (mode_ == Mode::Auto) mode_ = ::isatty(STDERR_FILENO) ? Mode::Bar : Mode::Lines;
}

void Progress::begin(const std::string& label, std::size_t total) {
  label_ = label;
  total_ = total;
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

void Progress::update(std::size_t done, const std::string& status) {
  if (mode_ == Mode::Quiet) return;
  auto now = std::chrono::steady_clock::now();
  // Redraw a bar at most 10x/s; plain lines every 10 s so logs stay short.
  auto min_gap = mode_ == Mode::Bar ? std::chrono::milliseconds(100) : std::chrono::milliseconds(10000);
  if (now - last_draw_ < min_gap && done < total_) return;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  double eta = rate > 0 && total_ > done ? static_cast<double>(total_ - done) / rate : 0.0;
  double frac = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  if (mode_ == Mode::Bar) {
    constexpr int kWidth = 28;
    int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%s [%s] %3.0f%% %9.0f samples/s %s ETA %4.0fs \033[K", label_.c_str(), bar.c_str(),
                 frac * 100, rate, status.c_str(), eta);
  } else {
    std::fprintf(stderr, "%s %3.0f%% %.0f samples/s %s ETA %.0fs\n", label_.c_str(), frac * 100, rate, status.c_str(),
                 eta);
  }
  std::fflush(stderr);
}

void Progress::end(const std::string& summary) {
  if (mode_ == Mode::Quiet) return;
  if (mode_ == Mode::Bar) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", summary.c_str());
  std::fflush(stderr);
}

void Progress::log(const std::string& line) {
  if (mode_ == Mode::Quiet) return;
  if (mode_ == Mode::Bar) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace hybridrec
