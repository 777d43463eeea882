#pragma once
// Charts drawn by the project as inline SVG (no chart library, no network):
// line charts with several series, axis ticks, axis labels with units, an
// optional marked x position (the early-stopping epoch) and a log-scale y axis
// (learning rate); grouped bar charts with value labels; ranked horizontal bars.
// Legends name every series, wrapping onto as many rows as they need. Every text is escaped
// and non-finite values are skipped, so the output is always well-formed SVG.
//
// Each plotted point carries data-x/data-y attributes with the exact value, and a
// <title> tooltip, so the numbers can be read back out of the page (tests do).
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace hybridrec::report {

struct Series {
  std::string name;
  std::vector<double> x, y;  // same length; non-finite points are skipped
};

struct LineChart {
  std::string title;
  std::string x_label;  // with the unit: "epoch", "trial"
  std::string y_label;  // with the unit: "loss (MSE)", "learning rate (log scale)"
  std::vector<Series> series;
  bool log_y = false;             // values <= 0 are skipped on a log axis
  bool integer_x = true;          // ticks at whole numbers (epochs, trials)
  std::optional<double> marker_x{};  // vertical line, e.g. the best (kept) epoch
  std::string marker_label{};
  int width = 560, height = 300;
};

struct BarGroup {
  std::string label;           // "18-24", "new_users"
  std::vector<double> values;  // one per bar series; non-finite draws no bar
};

struct BarChart {
  std::string title;
  std::string y_label;
  std::vector<std::string> series_names;  // legend, one per value in each group
  std::vector<BarGroup> groups;
  int width = 560, height = 300;
};

// One bar per label, horizontal and largest first whatever the order given
// (parameter importance): labels sit in a left gutter, one row each so they
// never overlap, and a label too long for the gutter is cut short with the whole
// label as its tooltip. The height grows with the number of bars.
struct RankedBar {
  std::string label;
  double value;  // non-finite: listed last, with no bar
};

struct RankedBarChart {
  std::string title;
  std::string x_label;  // with the unit: "share of the objective's variance"
  std::vector<RankedBar> bars;
  int width = 560;
  int row_height = 24;
};

std::string render_svg(const LineChart& chart);
std::string render_svg(const BarChart& chart);
std::string render_svg(const RankedBarChart& chart);

// The bars in drawing order: descending value, ties by label, non-finite last.
std::vector<RankedBar> ranked(std::vector<RankedBar> bars);

// Text widths are estimated, not measured (no fonts at render time): a 12 px
// sans-serif character is at most about this wide on average.
inline constexpr double kCharWidth = 7.2;
double text_width(const std::string& text);  // estimated, in pixels
std::size_t max_chars(double pixels);        // characters that fit, at least 1
// The text cut to `chars` characters (UTF-8 aware), ending in an ellipsis when cut.
std::string truncate_label(const std::string& text, std::size_t chars);

// Round axis ticks ("nice numbers": 1, 2, 5 x 10^n) covering [lo, hi]; at least two.
std::vector<double> nice_ticks(double lo, double hi, int target_count = 5);
// Tick label: "0.25", "1e-03", "120k" style, short and without trailing zeros.
std::string tick_label(double value);

// The colour of series i (a palette readable by colour-blind people, Okabe-Ito).
const char* series_colour(std::size_t i);

}  // namespace hybridrec::report
