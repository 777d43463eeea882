#pragma once
// One self-contained HTML page (inline CSS, no scripts or fonts from anywhere),
// readable on a laptop screen, and the small pieces pages are made of. Every
// text that comes from data goes through escape(): run names, parameters and
// metric names are user input.
#include <string>
#include <string_view>
#include <vector>

namespace hybridrec::report {

// &, <, >, " and ' as entities: safe in element text and in quoted attributes.
std::string escape(std::string_view text);

// A table cell: text shown, plus an optional exact value kept in data-value and
// an optional CSS class ("num", "better", "worse").
struct Cell {
  std::string text;
  std::string css_class;
  std::string data_value;  // empty: no attribute
  std::string href;        // non-empty: the text links here
};
Cell text_cell(std::string text);
Cell number_cell(double value, int decimals = 4);  // "-" for non-finite
Cell link_cell(std::string text, std::string href);

std::string html_table(const std::vector<std::string>& headers, const std::vector<std::vector<Cell>>& rows,
                       const std::string& css_class = "");

class HtmlPage {
 public:
  explicit HtmlPage(std::string title) : title_(std::move(title)) {}
  // A navigation line at the top (dashboard pages): (text, href) pairs.
  void set_navigation(std::vector<std::pair<std::string, std::string>> links) { nav_ = std::move(links); }
  void add_subtitle(const std::string& text) { subtitle_ = text; }
  // A section with an id (for links and tests), a heading and trusted HTML.
  void add_section(const std::string& id, const std::string& heading, const std::string& body_html);
  // Charts side by side where the screen is wide enough, stacked otherwise.
  static std::string chart_row(const std::vector<std::string>& svgs);
  // A chart with its numbers beside it (below it on a narrow screen).
  static std::string chart_beside(const std::string& svg, const std::string& side_html);
  std::string render() const;

 private:
  std::string title_, subtitle_;
  std::vector<std::pair<std::string, std::string>> nav_;
  std::string body_;
};

}  // namespace hybridrec::report
