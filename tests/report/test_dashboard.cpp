// The dashboard's pages and HTTP server without a browser: every page of a real
// workspace renders, unknown or hostile ids are a 404 page, online metrics come
// only from the server's event log.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <thread>

#include <fmt/format.h>


#include "html_checks.h"
#include "report/dashboard.h"
#include "report/dashboard_server.h"
#include "report/online_events.h"
#include "report_fixture.h"  // Eigen before httplib: <resolv.h> defines _res, an Eigen parameter name
#include <httplib.h>
#include "store/workspace.h"

using namespace hybridrec;
using namespace hybridrec::testing;

namespace {
report::DashboardOptions options() { return {trained_workspace().workspace, ""}; }
}  // namespace

TEST(Dashboard, ExperimentsLeadToRunsAndRunsToTheirReports) {
  const auto& t = trained_workspace();
  auto home = report::dashboard_page(options(), "/");
  ASSERT_EQ(home.status, 200);
  EXPECT_NE(home.html.find("href=\"/experiments/recommendation-model\""), std::string::npos);
  EXPECT_NE(home.html.find("href=\"/runs/" + t.hybrid_run + "\""), std::string::npos);
  auto experiment = report::dashboard_page(options(), "/experiments/recommendation-model");
  ASSERT_EQ(experiment.status, 200);
  EXPECT_NE(experiment.html.find("href=\"/runs/" + t.popularity_run + "\""), std::string::npos);
  // Key metrics in the run list are the store's latest values.
  auto ws = store::Workspace::open(t.workspace);
  const double ndcg = ws.tracking().get_run(t.hybrid_run).latest_metrics.at("test_ndcg@10");
  EXPECT_NE(experiment.html.find(fmt::format("data-value=\"{}\"", ndcg)), std::string::npos);
  auto run = report::dashboard_page(options(), "/runs/" + t.hybrid_run.substr(0, 6));
  ASSERT_EQ(run.status, 200);
  EXPECT_FALSE(section_html(run.html, "loss").empty());
  EXPECT_NE(run.html.find("<nav><a href=\"/\">Experiments</a>"), std::string::npos);
  for (const auto& page : {home.html, experiment.html, run.html}) EXPECT_FALSE(fetches_external(page));
}

TEST(Dashboard, ModelsShowStatusMetricsAndEvents) {
  auto ws = store::Workspace::open(trained_workspace().workspace);
  const auto champion = ws.registry().champion();
  ASSERT_TRUE(champion.has_value());
  auto models = report::dashboard_page(options(), "/models");
  ASSERT_EQ(models.status, 200);
  EXPECT_NE(models.html.find("<td class=\"status-champion\">champion</td>"), std::string::npos);
  EXPECT_NE(models.html.find("<td>promoted</td>"), std::string::npos);
  auto model = report::dashboard_page(options(), "/models/" + champion->version);
  ASSERT_EQ(model.status, 200);
  auto values = row_values(section_html(model.html, "metrics"), "ndcg@10");
  ASSERT_FALSE(values.empty());
  EXPECT_DOUBLE_EQ(values[0], *store::find_metric(champion->metrics, "ndcg@10"));
  EXPECT_NE(section_html(model.html, "events").find("registered"), std::string::npos);
}

TEST(Dashboard, UnknownOrHostileIdsAreA404PageNeverACrash) {
  for (const std::string path : {"/runs/ffffffffffff", "/runs/<script>alert(1)</script>", "/runs/a", "/models/v9.9.9",
                                 "/models/../../etc/passwd", "/experiments/none", "/nothing/here", "/runs/x/y"}) {
    auto page = report::dashboard_page(options(), path);
    EXPECT_EQ(page.status, 404) << path;
    EXPECT_EQ(page.html.find("<script>"), std::string::npos) << path;
    EXPECT_FALSE(section_html(page.html, "error").empty()) << path;
  }
}

TEST(Dashboard, OnlineMetricsComeOnlyFromTheServersEventLog) {
  const auto file = report::online_events_path(trained_workspace().workspace);
  std::filesystem::remove(file);
  auto empty = report::dashboard_page(options(), "/online");
  ASSERT_EQ(empty.status, 200);
  EXPECT_NE(empty.html.find("no online events yet"), std::string::npos);

  auto ws = store::Workspace::open(trained_workspace().workspace);
  const std::string champion = ws.registry().champion()->model_id;
  std::filesystem::create_directories(file.parent_path());
  {
    std::ofstream out(file);
    // 4 responses: r1 clicked twice and bought, r2 clicked, r3 and r4 only shown; a torn last line.
    for (const char* line : {R"({"type":"impression","request_id":"r1","model_id":"M"})",
                             R"({"type":"click","request_id":"r1","model_id":"M"})",
                             R"({"type":"click","request_id":"r1","model_id":"M"})",
                             R"({"type":"purchase","request_id":"r1","model_id":"M"})",
                             R"({"type":"click","request_id":"r2","model_id":"M"})",
                             R"({"type":"impression","request_id":"r3","model_id":"M"})",
                             R"({"type":"impression","request_id":"r4","model_id":"M"})", R"({"type":"cli)"})
      out << std::regex_replace(line, std::regex("\"M\""), "\"" + champion + "\"") << "\n";
  }
  auto counts = report::read_online_events(file);
  ASSERT_EQ(counts.by_model.count(champion), 1u);
  EXPECT_EQ(counts.by_model[champion].responses, 4u);
  EXPECT_EQ(counts.by_model[champion].clicked, 2u);
  EXPECT_EQ(counts.by_model[champion].converted, 1u);
  EXPECT_EQ(counts.skipped_lines, 1u);
  auto page = report::dashboard_page(options(), "/online");
  std::filesystem::remove(file);
  auto values = row_values(page.html, "<a href=\"/models/" + champion + "\">" + champion + "</a>");
  ASSERT_EQ(values.size(), 2u) << page.html;
  EXPECT_DOUBLE_EQ(values[0], 0.5);   // CTR
  EXPECT_DOUBLE_EQ(values[1], 0.25);  // conversion rate
  EXPECT_NE(page.html.find("status-champion"), std::string::npos);
}

TEST(DashboardServer, AnswersOnLoopbackWith404ForBadIds) {
  report::DashboardServer server(options());
  const int port = server.bind("127.0.0.1", 0);
  std::thread serving([&] { server.serve(); });
  httplib::Client client("127.0.0.1", port);
  for (int i = 0; i < 100 && !client.Get("/runs"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto ok = client.Get("/runs");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_NE(ok->get_header_value("Content-Type").find("text/html"), std::string::npos);
  auto missing = client.Get("/runs/0000000000000000");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto encoded = client.Get("/runs/%3Cb%3E");
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->status, 404);
  EXPECT_EQ(encoded->body.find("<b>"), std::string::npos);
  server.stop();
  serving.join();
}
