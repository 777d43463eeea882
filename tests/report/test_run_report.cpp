// The report of a real (tiny) training run: every section is there and shows the
// run's own numbers, read back out of the HTML and compared with the tracking
// store and the run's metrics.json.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <regex>
#include <fmt/format.h>

#include "core/atomic_file.h"
#include "html_checks.h"
#include "report/html.h"
#include "report/run_report.h"
#include "report_fixture.h"
#include "store/workspace.h"

using namespace hybridrec;
using namespace hybridrec::testing;

namespace {

struct Rendered {
  report::RunData data;
  std::string html;
};

const Rendered& hybrid_report() {
  static const Rendered r = [] {
    auto ws = store::Workspace::open(trained_workspace().workspace);
    Rendered out;
    out.data = report::load_run(ws, trained_workspace().hybrid_run.substr(0, 8));  // a prefix resolves
    out.html = report::render_run_report({out.data});
    return out;
  }();
  return r;
}

void expect_series_matches_store(const std::string& svg, const std::string& series,
                                 const std::vector<store::MetricPoint>& history) {
  auto points = series_points(svg, series);
  ASSERT_EQ(points.size(), history.size()) << series;
  for (std::size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(points[i].first, static_cast<double>(history[i].step)) << series;
    EXPECT_DOUBLE_EQ(points[i].second, history[i].value) << series << " epoch " << history[i].step;
  }
}

}  // namespace

TEST(RunReport, HasEverySectionAndIsSelfContainedWellFormedSvg) {
  const std::string& html = hybrid_report().html;
  for (const char* id : {"summary", "loss", "validation", "metrics", "segments", "fairness", "business", "parameters"})
    EXPECT_FALSE(section_html(html, id).empty()) << "missing section " << id;
  EXPECT_FALSE(fetches_external(html));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  const auto svgs = svgs_in(html);
  EXPECT_GE(svgs.size(), 7u);  // loss, ndcg, lr, ranking bars, segments, fairness, business
  for (const auto& svg : svgs) {
    EXPECT_EQ(unbalanced_tags(svg), "") << svg.substr(0, 200);
    EXPECT_FALSE(has_non_finite(svg)) << svg.substr(0, 200);
    EXPECT_EQ(svg.find("no data"), std::string::npos) << svg.substr(0, 200);
  }
  EXPECT_TRUE(hybrid_report().data.notes.empty());
}

TEST(RunReport, CurvesAreTheRunsPerEpochNumbers) {
  const auto& run = hybrid_report().data.run;
  const std::string loss_svg = svgs_in(section_html(hybrid_report().html, "loss")).at(0);
  ASSERT_EQ(run.metrics.at("train_loss").size(), 2u);
  expect_series_matches_store(loss_svg, "training", run.metrics.at("train_loss"));
  ASSERT_TRUE(run.metrics.count("val_loss")) << "the pipeline records a validation loss";
  expect_series_matches_store(loss_svg, "validation", run.metrics.at("val_loss"));
  for (const auto& p : run.metrics.at("val_loss")) EXPECT_TRUE(std::isfinite(p.value) && p.value > 0);

  const auto val_svgs = svgs_in(section_html(hybrid_report().html, "validation"));
  ASSERT_EQ(val_svgs.size(), 2u);
  expect_series_matches_store(val_svgs[0], "validation ndcg@10", run.metrics.at("val_ndcg@10"));
  expect_series_matches_store(val_svgs[1], "learning rate", run.metrics.at("lr"));
  // The kept epoch is marked on the curves, and it is the one training kept.
  const int best = report::best_epoch(hybrid_report().data);
  EXPECT_EQ(best, hybrid_report().data.result["training"]["best_epoch"].get<int>());
  EXPECT_GE(best, 1);
  for (const auto& svg : {loss_svg, val_svgs[0], val_svgs[1]})
    EXPECT_NE(svg.find(fmt::format("class=\"marker\" data-x=\"{}\"", best)), std::string::npos);
  EXPECT_NE(val_svgs[1].find("learning rate (log scale)"), std::string::npos);
}

TEST(RunReport, MetricTableIsMetricsJsonWithTheImprovementsOverTheBestBaseline) {
  const auto& result = hybrid_report().data.result;
  const std::string table = section_html(hybrid_report().html, "metrics");
  const auto& baselines = result["baselines"];
  for (const auto& [section, key] : std::vector<std::pair<std::string, std::string>>{
           {"ranking", "ndcg@10"}, {"ranking", "precision@10"}, {"ranking", "recall@10"}, {"ranking", "map"},
           {"prediction", "rmse"}, {"business", "coverage"}, {"fairness", "demographic_parity"}}) {
    auto values = row_values(table, key);
    ASSERT_EQ(values.size(), 1 + baselines.size()) << key;
    EXPECT_DOUBLE_EQ(values[0], result["metrics"][section][key].get<double>()) << key;
    std::size_t i = 1;
    for (const auto& [name, m] : baselines.items()) EXPECT_DOUBLE_EQ(values[i++], m[section][key].get<double>()) << name << " " << key;
  }
  // The improvement column says what metrics.json's comparison_to_baseline says.
  for (const auto& metric : {"ndcg@10", "precision@10", "recall@10", "map"}) {
    auto texts = row_texts(table, metric);
    ASSERT_FALSE(texts.empty()) << metric;
    EXPECT_EQ(texts.back(), result["comparison_to_baseline"][std::string(metric) + "_improvement"].get<std::string>()) << metric;
  }
  // The tracking store holds the same test metric the table shows.
  EXPECT_DOUBLE_EQ(row_values(table, "ndcg@10")[0], hybrid_report().data.run.latest_metrics.at("test_ndcg@10"));
}

TEST(RunReport, SegmentFairnessAndBusinessSectionsShowTheRunsValues) {
  const auto& result = hybrid_report().data.result;
  const std::string& html = hybrid_report().html;
  const std::string segments = section_html(html, "segments");
  ASSERT_FALSE(result["segments"].empty());
  for (const auto& [name, m] : result["segments"].items()) {
    auto texts = row_texts(segments, name);
    ASSERT_GE(texts.size(), 3u) << name;
    EXPECT_EQ(texts[1], std::to_string(m["users"].get<int>()));
    EXPECT_DOUBLE_EQ(row_values(segments, name).at(0), m["hit_rate@10"].get<double>()) << name;
  }
  const std::string fairness = section_html(html, "fairness");
  const auto& f = result["metrics"]["fairness"];
  ASSERT_FALSE(f["groups"].empty());
  for (const auto& [group, g] : f["groups"].items()) {
    auto values = row_values(fairness, group);
    ASSERT_EQ(values.size(), 2u) << group;
    EXPECT_DOUBLE_EQ(values[0], g[f["dp_metric"].get<std::string>()].get<double>());
    EXPECT_DOUBLE_EQ(values[1], g[f["eo_metric"].get<std::string>()].get<double>());
  }
  EXPECT_NE(fairness.find("data-series=\"hit_rate@10\""), std::string::npos);  // the bars are drawn
  const std::string business = section_html(html, "business");
  for (const char* metric : {"coverage", "diversity", "novelty"}) {
    auto values = row_values(business, metric);
    ASSERT_FALSE(values.empty()) << metric;
    EXPECT_DOUBLE_EQ(values[0], result["metrics"]["business"][metric].get<double>()) << metric;
  }
}

TEST(RunReport, ParametersAreTheRunsParameters) {
  const std::string params = section_html(hybrid_report().html, "parameters");
  const auto& run = hybrid_report().data.run;
  ASSERT_GT(run.params.size(), 10u);
  for (const auto& [key, value] : run.params) {
    auto texts = row_texts(params, key);
    ASSERT_EQ(texts.size(), 2u) << key;
    EXPECT_EQ(texts[1], report::escape(value)) << key;
  }
  EXPECT_EQ(row_texts(params, "training.num_epochs").at(1), "2");
}

TEST(RunReport, CompareOverlaysBothRunsCurvesAndTables) {
  auto ws = store::Workspace::open(trained_workspace().workspace);
  auto hybrid = report::load_run(ws, trained_workspace().hybrid_run);
  auto popularity = report::load_run(ws, trained_workspace().popularity_run);
  const std::string html = report::render_run_report({hybrid, popularity});
  const std::string compare = section_html(html, "metrics");
  ASSERT_NE(compare.find("Runs compared"), std::string::npos);
  auto values = row_values(compare.substr(compare.find("Runs compared")), "ndcg@10");
  ASSERT_EQ(values.size(), 2u);
  EXPECT_DOUBLE_EQ(values[0], hybrid.result["metrics"]["ranking"]["ndcg@10"].get<double>());
  EXPECT_DOUBLE_EQ(values[1], popularity.result["metrics"]["ranking"]["ndcg@10"].get<double>());
  const std::string loss_svg = svgs_in(section_html(html, "loss")).at(0);
  EXPECT_EQ(series_points(loss_svg, hybrid.run.name + " " + hybrid.run.run_id.substr(0, 6) + " training").size(), 2u);
  // The legend names every line of every run (it used to name the first only).
  std::vector<std::string> legend;
  for (const auto& item : legend_items(loss_svg)) legend.push_back(unescaped(item.name));
  std::vector<std::string> series;
  std::regex named(R"re(<g class="series" data-series="([^"]*)">)re");
  for (std::sregex_iterator it(loss_svg.begin(), loss_svg.end(), named), end; it != end; ++it) series.push_back(unescaped((*it)[1]));
  EXPECT_GE(series.size(), 3u);  // hybrid training + validation, popularity training
  EXPECT_EQ(legend, series);
  for (const auto& svg : svgs_in(html)) EXPECT_EQ(unbalanced_tags(svg), "");
}

TEST(RunReport, CliWritesTheFileAtomicallyAndRefusesAnUnknownRun) {
  const auto& t = trained_workspace();
  const auto out = scratch_dir("cli") / "report.html";
  const std::string cmd = fmt::format("{} report {} --workspace {} --out {} --compare {} > {} 2>&1", HYBRIDREC_BINARY,
                                      t.hybrid_run.substr(0, 10), t.workspace.string(), out.string(),
                                      t.popularity_run.substr(0, 10), (out.parent_path() / "log").string());
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(out.parent_path() / "log");
  const std::string html = read_file(out);
  EXPECT_NE(html.find("Runs compared"), std::string::npos);
  EXPECT_NE(read_file(out.parent_path() / "log").find("wrote " + out.string()), std::string::npos);
  int temporaries = 0;
  for (const auto& e : std::filesystem::directory_iterator(out.parent_path())) temporaries += e.path().filename() != "report.html" && e.path().filename() != "log";
  EXPECT_EQ(temporaries, 0);
  const std::string bad = fmt::format("{} report ffffffffff --workspace {} --out {} > {} 2>&1", HYBRIDREC_BINARY,
                                      t.workspace.string(), (out.parent_path() / "x.html").string(),
                                      (out.parent_path() / "log2").string());
  EXPECT_NE(std::system(bad.c_str()), 0);
  EXPECT_NE(read_file(out.parent_path() / "log2").find("error:"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out.parent_path() / "x.html"));
}
