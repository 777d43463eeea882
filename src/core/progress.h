#pragma once
// Training progress: a redrawn bar on a terminal (epoch, samples/s, loss, ETA),
// plain periodic log lines when stderr is a file or pipe, nothing with --quiet.
#include <chrono>
#include <cstddef>
#include <string>

namespace hybridrec {

class Progress {
 public:
  enum class Mode { Auto, Bar, Lines, Quiet };
  explicit Progress(Mode mode = Mode::Auto);

  void begin(const std::string& label, std::size_t total);
  // `done` units of `total`; `status` is appended (e.g. "loss 0.1234").
  void update(std::size_t done, const std::string& status);
  void end(const std::string& summary);
  // A whole line that must not be overwritten by the bar.
  void log(const std::string& line);
  bool quiet() const { return mode_ == Mode::Quiet; }

 private:
  Mode mode_;
  std::string label_;
  std::size_t total_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace hybridrec
