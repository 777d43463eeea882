// Chart layout read back out of the SVG (issue #18): a legend names every series,
// wrapping onto more rows instead of dropping names; ranked bars are largest
// first, one row per label, labels inside their gutter and never on top of each
// other; the study report and the compare report use them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <regex>
#include <set>

#include "html_checks.h"
#include "report/html.h"
#include "report/study_report.h"
#include "report/svg_chart.h"

using namespace hybridrec::report;
using namespace hybridrec::testing;

namespace {

double svg_attribute(const std::string& svg, const std::string& name) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(svg, m, std::regex("<svg[^>]* " + name + "=\"([0-9.]+)\""))) << name;
  return m.empty() ? 0 : std::stod(m[1]);
}

// Entries on one row do not overlap (by the renderer's text-width estimate) and stay inside the chart.
void expect_no_overlap(const std::vector<LegendItem>& items, double width) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_LE(items[i].x + text_width(unescaped(items[i].shown)), width) << items[i].name;
    if (i + 1 < items.size() && items[i + 1].y == items[i].y)
      EXPECT_LT(items[i].x + text_width(unescaped(items[i].shown)), items[i + 1].x - 18) << items[i].name;
  }
}

struct RankedRow {
  std::string label, shown;
  double value, label_x, label_y, bar_x;
};

std::vector<RankedRow> ranked_rows(const std::string& svg) {
  std::vector<RankedRow> out;
  std::regex row(
      R"re(<g class="ranked-bar" data-label="([^"]*)" data-value="([^"]*)"><title>[^<]*</title><text class="bar-label" x="([^"]+)" y="([^"]+)"[^>]*>([^<]*)</text>(?:<rect x="([^"]+)")?)re");
  for (std::sregex_iterator it(svg.begin(), svg.end(), row), end; it != end; ++it) {
    const std::string value = (*it)[2];
    out.push_back({(*it)[1], (*it)[5], value == "-" ? std::numeric_limits<double>::quiet_NaN() : std::stod(value),
                   std::stod((*it)[3]), std::stod((*it)[4]),
                   (*it)[6].matched ? std::stod((*it)[6]) : std::numeric_limits<double>::quiet_NaN()});
  }
  return out;
}

}  // namespace

TEST(ChartLegend, NamesEverySeriesOfACompareChartWrappingOntoRows) {
  LineChart c{"Training and validation loss", "epoch", "loss (BCE, mean per sample)", {}};
  for (const std::string run : {"hybrid-seed42 0bc5a1", "hybrid-seed7 9f3e22"})
    for (const std::string part : {"training", "validation"}) c.series.push_back({run + " " + part, {1, 2, 3}, {0.6, 0.5, 0.45}});
  const std::string svg = render_svg(c);
  EXPECT_EQ(unbalanced_tags(svg), "");
  const auto items = legend_items(svg);
  ASSERT_EQ(items.size(), c.series.size()) << svg;
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i].name, c.series[i].name);
    EXPECT_EQ(items[i].shown, c.series[i].name);  // short enough: not cut
  }
  std::set<double> rows;
  for (const auto& item : items) rows.insert(item.y);
  EXPECT_GT(rows.size(), 1u) << "four long names do not fit on one 560 px row";
  expect_no_overlap(items, c.width);
  // The plot keeps its size: the SVG grows by the extra legend rows.
  EXPECT_DOUBLE_EQ(svg_attribute(svg, "height"), c.height + 16.0 * static_cast<double>(rows.size() - 1));
  // Every legend row sits above the plot frame (its top edge is the first grid line's top).
  std::smatch frame;
  ASSERT_TRUE(std::regex_search(svg, frame, std::regex(R"re(<rect x="70.0" y="([0-9.]+)"[^>]*fill="none")re")));
  for (const auto& item : items) EXPECT_LT(item.y, std::stod(frame[1])) << item.name;
}

TEST(ChartLegend, ANameTooLongForTheChartIsCutWithTheWholeNameAsTooltip) {
  const std::string longest(200, 'x');
  LineChart c{"t", "epoch", "loss", {{longest, {1, 2}, {1, 2}}, {"short", {1, 2}, {2, 1}}}};
  const std::string svg = render_svg(c);
  const auto items = legend_items(svg);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].name, longest);
  EXPECT_LT(items[0].shown.size(), longest.size());
  EXPECT_NE(items[0].shown.find("\u2026"), std::string::npos);
  EXPECT_NE(svg.find("<title>" + longest + "</title>"), std::string::npos);
  expect_no_overlap(items, c.width);
  // A bar chart's legend wraps the same way.
  BarChart bars{"b", "value", {"new users (fewer than 5 interactions)", "active users", "cold-start items", "all users"}, {}};
  bars.groups.push_back({"ndcg@10", {0.1, 0.2, 0.3, 0.4}});
  EXPECT_EQ(legend_items(render_svg(bars)).size(), 4u);
}

TEST(TruncateLabel, CountsCharactersNotBytes) {
  EXPECT_EQ(truncate_label("learning_rate", 20), "learning_rate");
  EXPECT_EQ(truncate_label("learning_rate", 6), "learn\u2026");
  EXPECT_EQ(truncate_label("\u00e9\u00e9\u00e9\u00e9", 3), "\u00e9\u00e9\u2026");  // never cuts inside a character
  EXPECT_DOUBLE_EQ(text_width("\u00e9\u00e9"), 2 * kCharWidth);
}

TEST(RankedBars, AreLargestFirstOneRowPerLabelInsideTheGutter) {
  RankedBarChart c{"Parameter importance", "share of the objective's variance", {}};
  c.bars = {{"model.embedding_dim", 0.05},
            {"training.learning_rate", 0.61},
            {"model.user_tower.categorical_embedding_dims.location_and_more", 0.2},
            {"broken", std::nan("")},
            {"training.negative_sampling_ratio", 0.14}};
  const std::string svg = render_svg(c);
  EXPECT_EQ(unbalanced_tags(svg), "");
  EXPECT_FALSE(has_non_finite(svg));
  const auto rows = ranked_rows(svg);
  ASSERT_EQ(rows.size(), c.bars.size()) << svg;
  for (std::size_t i = 0; i + 1 < rows.size(); ++i) {
    if (std::isfinite(rows[i + 1].value)) EXPECT_GE(rows[i].value, rows[i + 1].value) << rows[i].label;
    EXPECT_GE(rows[i + 1].label_y - rows[i].label_y, 12.0 + 4) << "labels closer than a 12 px line";
  }
  EXPECT_EQ(rows.front().label, "training.learning_rate");
  EXPECT_EQ(rows.back().label, "broken");  // no value: last, and no bar
  EXPECT_TRUE(std::isnan(rows.back().bar_x));
  for (const auto& r : rows) {
    // Right-aligned at label_x, so the text spans [label_x - width, label_x]: inside the chart, left of every bar.
    EXPECT_GE(r.label_x - text_width(unescaped(r.shown)), 0.0) << r.label;
    if (std::isfinite(r.bar_x)) EXPECT_LT(r.label_x, r.bar_x) << r.label;
    if (r.shown != r.label) {
      EXPECT_NE(r.shown.find("\u2026"), std::string::npos);
      EXPECT_NE(svg.find("<title>" + r.label + ": "), std::string::npos) << "a cut label keeps the whole one as tooltip";
    }
  }
  EXPECT_NE(std::find_if(rows.begin(), rows.end(), [](const RankedRow& r) { return r.shown != r.label; }), rows.end())
      << "the 61-character label should not fit a 40% gutter";
  // More bars make a taller chart instead of thinner rows.
  RankedBarChart more = c;
  for (int i = 0; i < 10; ++i) more.bars.push_back({"p" + std::to_string(i), 0.01 * i});
  EXPECT_DOUBLE_EQ(svg_attribute(render_svg(more), "height") - svg_attribute(svg, "height"), 10.0 * c.row_height);
}

TEST(RankedBars, StudyReportImportanceIsSortedAndHorizontal) {
  const auto study = nlohmann::json::parse(R"({
    "study": "s", "objective": {"metric": "ndcg@10", "type": "maximize"},
    "trials": [{"number": 0, "objective": 0.3, "params": {"training.learning_rate": 0.001}}],
    "importance": {"a.first_alphabetically": 0.1, "m.middle": 0.7, "z.last_alphabetically": 0.2}
  })");
  const std::string section = section_html(render_study_report(study, "study.json"), "importance");
  const auto rows = ranked_rows(section);
  ASSERT_EQ(rows.size(), 3u) << section;
  EXPECT_EQ(rows[0].label, "m.middle");
  EXPECT_EQ(rows[1].label, "z.last_alphabetically");
  EXPECT_EQ(rows[2].label, "a.first_alphabetically");
}
