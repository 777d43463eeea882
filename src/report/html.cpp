#include "report/html.h"

#include <cmath>

#include <fmt/format.h>

namespace hybridrec::report {

namespace {

// Sized for a 1280-1920 px laptop screen: a readable line length, tables that
// scroll sideways instead of squeezing, system fonts only (nothing to fetch).
constexpr const char* kStyle = R"css(
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --panel: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 18px 32px 10px; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; color: var(--muted); }
nav { margin-bottom: 6px; font-size: 14px; }
nav a { margin-right: 14px; }
main { padding: 8px 32px 40px; max-width: 1500px; }
section { margin-top: 22px; }
h2 { font-size: 18px; margin: 0 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.chart { flex: 1 1 520px; max-width: 760px; border: 1px solid var(--line); border-radius: 6px; padding: 6px; background: #fff; }
.chart svg { width: 100%; height: auto; display: block; }
.side { flex: 1 1 380px; min-width: 0; }
.scroll { overflow-x: auto; }
.tall { max-height: 300px; overflow-y: auto; }
table { border-collapse: collapse; font-size: 14px; margin: 4px 0 8px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { background: var(--panel); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.better { color: #1a7f37; font-weight: 600; text-align: right; }
td.worse { color: #cf222e; font-weight: 600; text-align: right; }
.note { color: var(--muted); font-size: 14px; }
.status-champion { color: #1a7f37; font-weight: 600; }
.status-challenger { color: #9a6700; font-weight: 600; }
.status-failed, .status-killed { color: #cf222e; }
.kv td:first-child { color: var(--muted); }
table.events td:last-child { white-space: normal; min-width: 24em; }  /* the reason wraps */
)css";

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Cell text_cell(std::string text) { return Cell{std::move(text), "", "", ""}; }

Cell number_cell(double value, int decimals) {
  if (!std::isfinite(value)) return Cell{"-", "num", "", ""};
  return Cell{fmt::format("{:.{}f}", value, decimals), "num", fmt::format("{}", value), ""};
}

Cell link_cell(std::string text, std::string href) { return Cell{std::move(text), "", "", std::move(href)}; }

std::string html_table(const std::vector<std::string>& headers, const std::vector<std::vector<Cell>>& rows,
                       const std::string& css_class) {
  std::string out = "<div class=\"scroll\"><table";
  if (!css_class.empty()) out += " class=\"" + escape(css_class) + "\"";
  out += "><thead><tr>";
  for (const auto& h : headers) out += "<th>" + escape(h) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const auto& cell : row) {
      out += "<td";
      if (!cell.css_class.empty()) out += " class=\"" + escape(cell.css_class) + "\"";
      if (!cell.data_value.empty()) out += " data-value=\"" + escape(cell.data_value) + "\"";
      out += ">";
      out += cell.href.empty() ? escape(cell.text)
                               : "<a href=\"" + escape(cell.href) + "\">" + escape(cell.text) + "</a>";
      out += "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table></div>\n";
  return out;
}

void HtmlPage::add_section(const std::string& id, const std::string& heading, const std::string& body_html) {
  body_ += "<section id=\"" + escape(id) + "\">\n<h2>" + escape(heading) + "</h2>\n" + body_html + "</section>\n";
}

std::string HtmlPage::chart_row(const std::vector<std::string>& svgs) {
  std::string out = "<div class=\"charts\">\n";
  for (const auto& svg : svgs) out += "<div class=\"chart\">" + svg + "</div>\n";
  return out + "</div>\n";
}

std::string HtmlPage::chart_beside(const std::string& svg, const std::string& side_html) {
  return "<div class=\"charts\">\n<div class=\"chart\">" + svg + "</div>\n<div class=\"side\">" + side_html + "</div>\n</div>\n";
}

std::string HtmlPage::render() const {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
                    escape(title_) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<header>\n";
  if (!nav_.empty()) {
    out += "<nav>";
    for (const auto& [text, href] : nav_) out += "<a href=\"" + escape(href) + "\">" + escape(text) + "</a>";
    out += "</nav>\n";
  }
  out += "<h1>" + escape(title_) + "</h1>\n";
  if (!subtitle_.empty()) out += "<p>" + escape(subtitle_) + "</p>\n";
  out += "</header>\n<main>\n" + body_ + "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace hybridrec::report
