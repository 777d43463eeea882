#pragma once
// Reading a rendered report back: its sections, SVG charts, plotted points and
// table cells, and checks that the markup is well-formed and fetches nothing.
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace hybridrec::testing {

// The HTML of <section id="ID"> ... </section> (sections do not nest); "" if absent.
inline std::string section_html(const std::string& html, const std::string& id) {
  const auto start = html.find("<section id=\"" + id + "\">");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</section>", start) - start);
}

inline std::vector<std::string> svgs_in(const std::string& html) {
  std::vector<std::string> out;
  for (std::size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1))
    out.push_back(html.substr(at, html.find("</svg>", at) + 6 - at));
  return out;
}

// Every element opened is closed in order (self-closing ones count as both). Returns "" or the problem.
inline std::string unbalanced_tags(const std::string& markup) {
  std::vector<std::string> stack;
  std::regex tag(R"(<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*?(/?)>)");
  for (std::sregex_iterator it(markup.begin(), markup.end(), tag), end; it != end; ++it) {
    const std::string name = (*it)[2];
    if ((*it)[3] == "/") continue;
    if ((*it)[1] == "/") {
      if (stack.empty() || stack.back() != name) return "unexpected </" + name + ">";
      stack.pop_back();
    } else {
      stack.push_back(name);
    }
  }
  return stack.empty() ? "" : "unclosed <" + stack.back() + ">";
}

// (x, y) of every point of the named series in an SVG, from data-x/data-y.
inline std::vector<std::pair<double, double>> series_points(const std::string& svg, const std::string& series) {
  std::vector<std::pair<double, double>> out;
  const auto start = svg.find("data-series=\"" + series + "\">");
  if (start == std::string::npos) return out;
  const std::string group = svg.substr(start, svg.find("</g>", start) - start);
  std::regex point(R"re(data-x="([^"]+)" data-y="([^"]+)")re");
  for (std::sregex_iterator it(group.begin(), group.end(), point), end; it != end; ++it)
    out.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
  return out;
}

// The exact values (data-value) of the table row whose first cell is `label`.
inline std::vector<double> row_values(const std::string& html, const std::string& label) {
  std::vector<double> out;
  const auto start = html.find("<tr><td>" + label + "</td>");
  if (start == std::string::npos) return out;
  const std::string row = html.substr(start, html.find("</tr>", start) - start);
  std::regex value(R"re(data-value="([^"]+)")re");
  for (std::sregex_iterator it(row.begin(), row.end(), value), end; it != end; ++it) out.push_back(std::stod((*it)[1]));
  return out;
}

// The visible texts of the cells of that row.
inline std::vector<std::string> row_texts(const std::string& html, const std::string& label) {
  std::vector<std::string> out;
  const auto start = html.find("<tr><td>" + label + "</td>");
  if (start == std::string::npos) return out;
  const std::string row = html.substr(start, html.find("</tr>", start) - start);
  std::regex cell(R"re(<td[^>]*>(?:<a [^>]*>)?([^<]*))re");
  for (std::sregex_iterator it(row.begin(), row.end(), cell), end; it != end; ++it) out.push_back((*it)[1]);
  return out;
}

// "nan"/"inf" as a word (a number that failed), not inside "dominant-baseline".
inline bool has_non_finite(const std::string& markup) {
  static const std::regex word(R"re((^|[^a-zA-Z])(nan|-?inf)([^a-zA-Z]|$))re", std::regex::icase);
  return std::regex_search(markup, word);
}

// A src= or href= that would leave the page (http(s)://, protocol-relative //).
inline bool fetches_external(const std::string& html) {
  static const std::regex external(R"re((src|href)\s*=\s*["']?\s*(https?:|//))re", std::regex::icase);
  return std::regex_search(html, external) || html.find("http://") != std::string::npos ||
         html.find("https://") != std::string::npos;
}

// escape() undone: the text as the reader sees it.
inline std::string unescaped(std::string text) {
  for (const auto& [entity, plain] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}})
    for (auto at = text.find(entity); at != std::string::npos; at = text.find(entity, at + plain.size()))
      text.replace(at, entity.size(), plain);
  return text;
}

// The legend of an SVG chart: each entry's series name, the text shown (cut
// short when too long) and the text's position.
struct LegendItem {
  std::string name, shown;
  double x = 0, y = 0;
};

inline std::vector<LegendItem> legend_items(const std::string& svg) {
  std::vector<LegendItem> out;
  static const std::regex entry(
      R"re(<g class="legend-entry" data-legend="([^"]*)"><title>[^<]*</title><rect x="[^"]+" y="[^"]+"[^>]*/><text x="([^"]+)" y="([^"]+)"[^>]*>([^<]*)</text></g>)re");
  for (std::sregex_iterator it(svg.begin(), svg.end(), entry), end; it != end; ++it)
    out.push_back({(*it)[1], (*it)[4], std::stod((*it)[2]), std::stod((*it)[3])});
  return out;
}

}  // namespace hybridrec::testing
