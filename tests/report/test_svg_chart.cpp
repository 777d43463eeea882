// The chart writer: axis ticks, escaping, log scale, markers, and markup that
// stays well-formed whatever the data (NaN, inf, empty, hostile names).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <regex>

#include "html_checks.h"
#include "report/html.h"
#include "report/svg_chart.h"

using namespace hybridrec::report;
using namespace hybridrec::testing;

TEST(NiceTicks, AreRoundAndCoverTheRange) {
  auto t = nice_ticks(0.083, 0.187);
  ASSERT_GE(t.size(), 2u);
  EXPECT_LE(t.front(), 0.083);
  EXPECT_GE(t.back(), 0.187);
  const double step = t[1] - t[0];
  for (std::size_t i = 1; i < t.size(); ++i) EXPECT_NEAR(t[i] - t[i - 1], step, 1e-12);
  EXPECT_NEAR(step, 0.05, 1e-12);  // 0.104 / 4 = 0.026 rounds up to the next nice step
  EXPECT_EQ(nice_ticks(5, 5).size() >= 2, true);  // a single value still gets an axis
  EXPECT_EQ(tick_label(0.25), "0.25");
  EXPECT_EQ(tick_label(0.001), "0.001");
  EXPECT_EQ(tick_label(0.0005), "5e-04");
  EXPECT_EQ(tick_label(0), "0");
}

TEST(HasNonFinite, FindsTheWordsOnly) {
  EXPECT_TRUE(has_non_finite("data-y=\"nan\""));
  EXPECT_TRUE(has_non_finite(">-inf<"));
  EXPECT_FALSE(has_non_finite("dominant-baseline=\"middle\" info"));
}

TEST(Escape, NeutralisesMarkup) {
  EXPECT_EQ(escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
}

TEST(LineChart, PlotsEveryFinitePointWithExactValuesAndMarksTheEpoch) {
  LineChart c{"Loss <per> epoch", "epoch", "loss (MSE)", {}};
  c.series.push_back({"training", {1, 2, 3, 4}, {0.5, 0.25, std::nan(""), 0.125}});
  c.series.push_back({"valid\"ation", {1, 2, 3, 4}, {0.6, std::numeric_limits<double>::infinity(), 0.3, 0.2}});
  c.marker_x = 3;
  c.marker_label = "kept epoch 3";
  const std::string svg = render_svg(c);
  EXPECT_EQ(unbalanced_tags(svg), "") << svg;
  EXPECT_FALSE(has_non_finite(svg));
  EXPECT_NE(svg.find("Loss &lt;per&gt; epoch"), std::string::npos);
  EXPECT_NE(svg.find("loss (MSE)"), std::string::npos);
  auto points = series_points(svg, "training");
  ASSERT_EQ(points.size(), 3u);  // the NaN is skipped
  EXPECT_EQ(points[0], std::make_pair(1.0, 0.5));
  EXPECT_EQ(points[2], std::make_pair(4.0, 0.125));
  EXPECT_EQ(series_points(svg, "valid&quot;ation").size(), 3u);
  EXPECT_NE(svg.find("class=\"marker\" data-x=\"3\""), std::string::npos);
  EXPECT_NE(svg.find("kept epoch 3"), std::string::npos);
  EXPECT_FALSE(fetches_external(svg));
}

TEST(LineChart, LogScaleTicksArePowersOfTenAndSkipNonPositive) {
  LineChart c{"Learning rate", "epoch", "learning rate (log scale)", {{"lr", {1, 2, 3, 4}, {1e-3, 1e-3, 5e-4, 0}}}};
  c.log_y = true;
  const std::string svg = render_svg(c);
  EXPECT_EQ(unbalanced_tags(svg), "");
  EXPECT_EQ(series_points(svg, "lr").size(), 3u);  // 0 has no place on a log axis
  EXPECT_NE(svg.find(">0.001</text>"), std::string::npos);
  EXPECT_NE(svg.find(">1e-04</text>"), std::string::npos);
  // The two equal values sit at the same height; the halved one lower.
  std::regex cy(R"re(<circle cx="[^"]+" cy="([^"]+)")re");
  std::vector<double> ys;
  for (std::sregex_iterator it(svg.begin(), svg.end(), cy), end; it != end; ++it) ys.push_back(std::stod((*it)[1]));
  ASSERT_EQ(ys.size(), 3u);
  EXPECT_DOUBLE_EQ(ys[0], ys[1]);
  EXPECT_GT(ys[2], ys[1]);
}

TEST(LineChart, WithoutDataSaysSoAndStaysWellFormed) {
  LineChart c{"Empty", "epoch", "loss", {{"training", {}, {}}}};
  const std::string svg = render_svg(c);
  EXPECT_NE(svg.find("no data"), std::string::npos);
  EXPECT_EQ(unbalanced_tags(svg), "");
}

TEST(BarChart, DrawsALabelledBarPerFiniteValue) {
  BarChart c{"Per group", "value (0-1)", {"hit_rate@10", "recall@10"}, {}};
  c.groups.push_back({"18-24", {0.31, 0.19}});
  c.groups.push_back({"<55+>", {0.46, std::nan("")}});
  const std::string svg = render_svg(c);
  EXPECT_EQ(unbalanced_tags(svg), "");
  EXPECT_FALSE(has_non_finite(svg));
  std::regex bar(R"re(<rect [^>]*data-value="([^"]+)")re");
  std::vector<double> values;
  for (std::sregex_iterator it(svg.begin(), svg.end(), bar), end; it != end; ++it) values.push_back(std::stod((*it)[1]));
  EXPECT_EQ(values, (std::vector<double>{0.31, 0.19, 0.46}));
  EXPECT_NE(svg.find("&lt;55+&gt;"), std::string::npos);
  EXPECT_NE(svg.find(">0.310<"), std::string::npos);  // value label on the bar
}

TEST(HtmlPage, IsOneSelfContainedDocument) {
  HtmlPage page("Run <x>");
  page.add_section("loss", "Loss", HtmlPage::chart_row({"<svg viewBox=\"0 0 1 1\"></svg>"}));
  page.add_section("table", "T", html_table({"a", "b"}, {{text_cell("<b>"), number_cell(0.123456)}}));
  const std::string html = page.render();
  EXPECT_NE(html.find("<title>Run &lt;x&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_FALSE(fetches_external(html));
  EXPECT_NE(html.find("<td>&lt;b&gt;</td><td class=\"num\" data-value=\"0.123456\">0.1235</td>"), std::string::npos);
}
