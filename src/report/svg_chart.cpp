#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "report/html.h"

namespace hybridrec::report {

namespace {

// Room around the plot: title and legend above, tick labels and the axis label
// below and to the left.
constexpr double kLeft = 70, kRight = 18, kTop = 56, kBottom = 46;

struct Frame {
  double left, right, top, bottom;
  double width() const { return right - left; }
  double height() const { return bottom - top; }
};

// extra_top: the legend's rows after the first push the plot down (the SVG grows
// by as much, so the plot keeps its size).
Frame frame_of(int width, int height, double extra_top = 0) {
  return {kLeft, width - kRight, kTop + extra_top, height + extra_top - kBottom};
}

// A linear (or log10) mapping from data to pixels.
struct Axis {
  double lo = 0, hi = 1;  // in axis units (log10 of the value on a log axis)
  bool log = false;
  double pixel_lo = 0, pixel_hi = 1;
  double unit(double value) const { return log ? std::log10(value) : value; }
  double to_pixel(double value) const {
    const double t = (unit(value) - lo) / (hi - lo);
    return pixel_lo + t * (pixel_hi - pixel_lo);
  }
};

std::string num(double v) { return fmt::format("{:.1f}", v); }

// A UTF-8 string's length in characters (continuation bytes do not count).
std::size_t char_count(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}


std::string svg_open(int width, int height, const std::string& title) {
  return fmt::format(
      "<svg viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" role=\"img\" "
      "aria-label=\"{2}\" font-family=\"system-ui, 'DejaVu Sans', sans-serif\" font-size=\"12\">\n"
      "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"#ffffff\"/>\n"
      "<text x=\"{3}\" y=\"20\" font-size=\"15\" font-weight=\"600\" fill=\"#1f2328\">{2}</text>\n",
      width, height, escape(title), kLeft);
}

struct LegendEntry {
  std::string name, shown;  // shown: cut short to fit the plot's width
  double x;
  int row;
};

constexpr double kLegendRowHeight = 16, kLegendSwatch = 18, kLegendGap = 12;
constexpr double kLegendRight = 8;  // the legend may reach past the plot's right edge, not the chart's

// One row when every entry fits; otherwise a grid of equal columns (as wide as
// the widest entry) so the rows line up, as many rows as the names need.
std::vector<LegendEntry> layout(const std::vector<std::string>& names, double left, double right) {
  std::vector<LegendEntry> out;
  const std::size_t fits = max_chars(right - left - kLegendSwatch);
  double widest = 0, total = 0;
  for (const auto& name : names) {
    out.push_back({name, truncate_label(name, fits), 0, 0});
    const double w = kLegendSwatch + text_width(out.back().shown);
    widest = std::max(widest, w);
    total += w + (out.size() > 1 ? kLegendGap : 0);
  }
  if (total <= right - left) {
    double x = left;
    for (auto& e : out) {
      e.x = x;
      x += kLegendSwatch + text_width(e.shown) + kLegendGap;
    }
    return out;
  }
  const auto columns = static_cast<std::size_t>(std::max(1.0, std::floor((right - left + kLegendGap) / (widest + kLegendGap))));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].x = left + static_cast<double>(i % columns) * (widest + kLegendGap);
    out[i].row = static_cast<int>(i / columns);
  }
  return out;
}

int rows_of(const std::vector<LegendEntry>& entries) { return entries.empty() ? 1 : entries.back().row + 1; }

// Entries under the title, row after row; a name cut short keeps the whole one as its tooltip.
std::string legend(const std::vector<LegendEntry>& entries) {
  std::string out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const double y = 40 + kLegendRowHeight * e.row;
    out += fmt::format("<g class=\"legend-entry\" data-legend=\"{}\"><title>{}</title>", escape(e.name), escape(e.name));
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"10\" fill=\"{}\"/>", num(e.x), num(y - 9),
                       series_colour(i));
    out += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#1f2328\">{}</text></g>\n", num(e.x + kLegendSwatch), num(y),
                       escape(e.shown));
  }
  return out;
}

// Horizontal grid lines with y tick labels, the y axis label, and the frame.
std::string y_axis(const Axis& axis, const std::vector<double>& ticks, const Frame& f, const std::string& label) {
  std::string out;
  for (double t : ticks) {
    const double y = axis.to_pixel(t);
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e6e9ed\"/>", num(f.left), num(y),
                       num(f.right), num(y));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#59636e\">{}</text>\n", num(f.left - 6),
                       num(y + 4), escape(tick_label(t)));
  }
  out += fmt::format("<text transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\" fill=\"#1f2328\">{}</text>\n",
                     num((f.top + f.bottom) / 2), escape(label));
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#8c959f\"/>\n",
                     num(f.left), num(f.top), num(f.width()), num(f.height()));
  return out;
}

std::string x_label_text(const std::string& label, const Frame& f, int height) {
  return fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#1f2328\">{}</text>\n",
                     num((f.left + f.right) / 2), height - 8, escape(label));
}

// Log axis ticks: the powers of ten inside [lo, hi] (exponents), plus 2 and 5
// times them when the range spans fewer than three decades.
std::vector<double> log_ticks(double lo_exp, double hi_exp) {
  std::vector<double> ticks;
  const bool dense = hi_exp - lo_exp < 3;
  for (int e = static_cast<int>(std::floor(lo_exp)); e <= static_cast<int>(std::ceil(hi_exp)); ++e)
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && !dense) continue;
      const double v = m * std::pow(10.0, e);
      if (std::log10(v) >= lo_exp - 1e-9 && std::log10(v) <= hi_exp + 1e-9) ticks.push_back(v);
    }
  return ticks;
}

std::string no_data(const Frame& f) {
  return fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#59636e\">no data</text>\n",
                     num((f.left + f.right) / 2), num((f.top + f.bottom) / 2));
}

}  // namespace

const char* series_colour(std::size_t i) {
  static const char* palette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442"};
  return palette[i % (sizeof palette / sizeof palette[0])];
}

double text_width(const std::string& text) { return kCharWidth * static_cast<double>(char_count(text)); }

std::size_t max_chars(double pixels) { return static_cast<std::size_t>(std::max(1.0, std::floor(pixels / kCharWidth))); }

std::string truncate_label(const std::string& text, std::size_t chars) {
  if (char_count(text) <= chars) return text;
  std::string out;
  std::size_t kept = 0;
  for (char c : text) {
    const bool starts_char = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (starts_char && kept++ == std::max<std::size_t>(1, chars) - 1) break;
    out += c;
  }
  return out + "\u2026";
}

std::vector<double> nice_ticks(double lo, double hi, int target_count) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0.0, 1.0};
  if (hi < lo) std::swap(lo, hi);
  if (hi - lo < 1e-12 * std::max(1.0, std::abs(hi))) {  // one value: a small band around it
    const double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, target_count - 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  std::vector<double> ticks;
  const double first = std::floor(lo / step + 1e-9) * step;
  for (double t = first; t <= hi + step * (1 - 1e-9); t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    if (t >= hi - step * 1e-9) break;
  }
  if (ticks.size() < 2) ticks.push_back(ticks.back() + step);
  return ticks;
}

std::string tick_label(double value) {
  if (value == 0) return "0";
  const double a = std::abs(value);
  if (a >= 1e5 || a < 1e-3) return fmt::format("{:.0e}", value);
  if (a >= 1e4) return fmt::format("{:g}k", value / 1000);
  return fmt::format("{:g}", value);
}

std::string render_svg(const LineChart& chart) {
  std::vector<std::string> names;
  for (const auto& s : chart.series) names.push_back(s.name);
  const auto entries = layout(names, kLeft, chart.width - kLegendRight);
  const double extra = kLegendRowHeight * (rows_of(entries) - 1);
  const Frame f = frame_of(chart.width, chart.height, extra);
  const int height = chart.height + static_cast<int>(extra);
  std::string out = svg_open(chart.width, height, chart.title);
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  auto usable = [&](double x, double y) { return std::isfinite(x) && std::isfinite(y) && (!chart.log_y || y > 0); };
  for (const auto& s : chart.series) {
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
      if (usable(s.x[i], s.y[i])) {
        xlo = std::min(xlo, s.x[i]), xhi = std::max(xhi, s.x[i]);
        ylo = std::min(ylo, s.y[i]), yhi = std::max(yhi, s.y[i]);
      }
  }
  out += legend(entries);
  if (!std::isfinite(xlo)) {
    out += y_axis(Axis{0, 1, false, f.bottom, f.top}, {}, f, chart.y_label) + no_data(f);
    return out + x_label_text(chart.x_label, f, height) + "</svg>\n";
  }
  if (chart.marker_x && std::isfinite(*chart.marker_x)) xlo = std::min(xlo, *chart.marker_x), xhi = std::max(xhi, *chart.marker_x);

  // x: whole-number ticks for epochs and trials; the data fills the width.
  std::vector<double> xticks = nice_ticks(xlo, xhi, std::min(8, std::max(2, static_cast<int>(xhi - xlo) + 1)));
  if (chart.integer_x) {
    std::vector<double> whole;
    for (double t : xticks)
      if (std::abs(t - std::round(t)) < 1e-9 && t >= xlo - 1e-9 && t <= xhi + 1e-9) whole.push_back(std::round(t));
    xticks = whole.empty() ? std::vector<double>{xlo} : whole;
  }
  const double xpad = xhi > xlo ? 0.0 : 1.0;
  Axis xa{xlo - xpad, xhi + xpad, false, f.left + 10, f.right - 10};

  Axis ya{0, 1, chart.log_y, f.bottom, f.top};
  std::vector<double> yticks;
  if (chart.log_y) {
    ya.lo = std::floor(std::log10(ylo) - 0.1);
    ya.hi = std::ceil(std::log10(yhi) + 0.1);
    yticks = log_ticks(ya.lo, ya.hi);
  } else {
    yticks = nice_ticks(ylo, yhi);
    ya.lo = yticks.front();
    ya.hi = yticks.back();
  }
  out += y_axis(ya, yticks, f, chart.y_label);
  for (double t : xticks)
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#59636e\">{}</text>\n",
                       num(xa.to_pixel(t)), num(f.bottom + 16), escape(tick_label(t)));
  out += x_label_text(chart.x_label, f, height);

  if (chart.marker_x && std::isfinite(*chart.marker_x)) {
    const double x = xa.to_pixel(*chart.marker_x);
    out += fmt::format("<g class=\"marker\" data-x=\"{}\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#cf222e\" "
                       "stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/>",
                       *chart.marker_x, num(x), num(f.top), num(x), num(f.bottom));
    const bool right_half = x > (f.left + f.right) / 2;
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" fill=\"#cf222e\">{}</text></g>\n",
                       num(right_half ? x - 4 : x + 4), num(f.top + 14), right_half ? "end" : "start",
                       escape(chart.marker_label));
  }

  for (std::size_t s = 0; s < chart.series.size(); ++s) {
    const auto& series = chart.series[s];
    std::string path, points;
    for (std::size_t i = 0; i < std::min(series.x.size(), series.y.size()); ++i) {
      if (!usable(series.x[i], series.y[i])) continue;
      const double px = xa.to_pixel(series.x[i]), py = ya.to_pixel(series.y[i]);
      path += fmt::format("{}{} {} ", path.empty() ? "M" : "L", num(px), num(py));
      points += fmt::format(
          "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\" data-x=\"{}\" data-y=\"{}\"><title>{}: {} {}, {}</title></circle>",
          num(px), num(py), series_colour(s), series.x[i], series.y[i], escape(series.name), escape(chart.x_label),
          escape(tick_label(series.x[i])), fmt::format("{:.6g}", series.y[i]));
    }
    out += fmt::format("<g class=\"series\" data-series=\"{}\">", escape(series.name));
    if (!path.empty())
      out += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>", path, series_colour(s));
    out += points + "</g>\n";
  }
  return out + "</svg>\n";
}

std::string render_svg(const BarChart& chart) {
  const auto entries = layout(chart.series_names, kLeft, chart.width - kLegendRight);
  const double extra = kLegendRowHeight * (rows_of(entries) - 1);
  const Frame f = frame_of(chart.width, chart.height, extra);
  std::string out = svg_open(chart.width, chart.height + static_cast<int>(extra), chart.title);
  out += legend(entries);
  double lo = 0, hi = -std::numeric_limits<double>::infinity();
  for (const auto& g : chart.groups)
    for (double v : g.values)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!std::isfinite(hi)) {
    out += y_axis(Axis{0, 1, false, f.bottom, f.top}, {}, f, chart.y_label) + no_data(f);
    return out + "</svg>\n";
  }
  // Headroom above the tallest bar for its value label.
  std::vector<double> ticks = nice_ticks(lo, std::max(hi + (hi - lo) * 0.08, lo + 1e-12), 7);
  Axis ya{ticks.front(), ticks.back(), false, f.bottom, f.top};
  out += y_axis(ya, ticks, f, chart.y_label);

  const double group_width = f.width() / static_cast<double>(std::max<std::size_t>(1, chart.groups.size()));
  const std::size_t per_group = std::max<std::size_t>(1, chart.series_names.size());
  const double bar_width = group_width * 0.75 / static_cast<double>(per_group);
  const double zero = ya.to_pixel(std::clamp(0.0, ya.lo, ya.hi));
  for (std::size_t g = 0; g < chart.groups.size(); ++g) {
    const auto& group = chart.groups[g];
    const double gx = f.left + group_width * static_cast<double>(g) + group_width * 0.125;
    out += fmt::format("<g class=\"bar-group\" data-group=\"{}\">", escape(group.label));
    for (std::size_t b = 0; b < group.values.size(); ++b) {
      const double v = group.values[b];
      if (!std::isfinite(v)) continue;
      const double x = gx + bar_width * static_cast<double>(b), y = ya.to_pixel(v);
      const std::string series = b < chart.series_names.size() ? chart.series_names[b] : "";
      out += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" data-series=\"{}\" data-value=\"{}\">"
          "<title>{} {}: {:.4f}</title></rect>",
          num(x), num(std::min(y, zero)), num(std::max(1.0, bar_width - 2)), num(std::max(0.5, std::abs(zero - y))),
          series_colour(b), escape(series), v, escape(group.label), escape(series), v);
      const double cx = x + bar_width / 2 - 1, ty = std::min(y, zero) - 4;
      // Narrow bars get their value written upwards so neighbours do not overlap.
      if (bar_width >= 34)
        out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#1f2328\">{:.3f}</text>",
                           num(cx), num(ty), v);
      else
        out += fmt::format("<text transform=\"translate({} {}) rotate(-90)\" font-size=\"10\" fill=\"#1f2328\" "
                           "dominant-baseline=\"middle\">{:.3f}</text>",
                           num(cx), num(ty), v);
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#1f2328\">{}</text></g>\n",
                       num(gx + group_width * 0.375), num(f.bottom + 16), escape(group.label));
  }
  return out + "</svg>\n";
}

std::vector<RankedBar> ranked(std::vector<RankedBar> bars) {
  std::stable_sort(bars.begin(), bars.end(), [](const RankedBar& a, const RankedBar& b) {
    const bool fa = std::isfinite(a.value), fb = std::isfinite(b.value);
    if (fa != fb) return fa;
    if (fa && a.value != b.value) return a.value > b.value;
    return a.label < b.label;
  });
  return bars;
}

std::string render_svg(const RankedBarChart& chart) {
  const std::vector<RankedBar> bars = ranked(chart.bars);
  // The gutter is as wide as the longest label, up to 40% of the chart.
  double longest = 0;
  for (const auto& b : bars) longest = std::max(longest, text_width(b.label));
  const double gutter = std::clamp(longest + 16, 60.0, std::floor(chart.width * 0.4));
  const double value_room = 52;  // the value written after the longest bar
  const double top = 36, bottom = 46;
  const double rows = static_cast<double>(std::max<std::size_t>(1, bars.size()));
  const Frame f{gutter, chart.width - kRight - value_room, top, top + rows * chart.row_height};
  const int height = static_cast<int>(f.bottom + bottom);
  std::string out = svg_open(chart.width, height, chart.title);

  double lo = 0, hi = 0;
  for (const auto& b : bars)
    if (std::isfinite(b.value)) lo = std::min(lo, b.value), hi = std::max(hi, b.value);
  if (hi <= lo) hi = lo + 1;
  const std::vector<double> ticks = nice_ticks(lo, hi, 5);
  const Axis xa{ticks.front(), ticks.back(), false, f.left, f.right};
  for (double t : ticks) {
    const double x = xa.to_pixel(t);
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#e6e9ed\"/>", num(x), num(f.top),
                       num(f.bottom));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#59636e\">{}</text>\n", num(x),
                       num(f.bottom + 16), escape(tick_label(t)));
  }
  out += x_label_text(chart.x_label, Frame{f.left, f.right, f.top, f.bottom}, height);
  if (bars.empty()) return out + no_data(f) + "</svg>\n";

  const std::size_t label_chars = max_chars(gutter - 16);
  const double zero = xa.to_pixel(std::clamp(0.0, xa.lo, xa.hi));
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double row_top = f.top + chart.row_height * static_cast<double>(i);
    const double mid = row_top + chart.row_height / 2.0;
    const std::string value_text = std::isfinite(b.value) ? fmt::format("{:.3f}", b.value) : "-";
    out += fmt::format("<g class=\"ranked-bar\" data-label=\"{}\" data-value=\"{}\"><title>{}: {}</title>", escape(b.label),
                       std::isfinite(b.value) ? fmt::format("{}", b.value) : std::string("-"), escape(b.label), value_text);
    out += fmt::format("<text class=\"bar-label\" x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#1f2328\">{}</text>",
                       num(gutter - 8), num(mid + 4), escape(truncate_label(b.label, label_chars)));
    double end = zero;
    if (std::isfinite(b.value)) {
      const double x = xa.to_pixel(b.value);
      end = std::max(x, zero);
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>", num(std::min(x, zero)),
                         num(row_top + 4), num(std::max(1.0, std::abs(x - zero))), num(chart.row_height - 8.0),
                         series_colour(0));
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#1f2328\">{}</text></g>\n", num(end + 4),
                       num(mid + 4), value_text);
  }
  return out + "</svg>\n";
}

}  // namespace hybridrec::report
