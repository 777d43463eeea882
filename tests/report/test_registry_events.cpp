// Registry events as the rows `ui` shows (issue #18): time, event, version,
// from/to and the reason in words, for every event kind the registry writes, and
// never the raw JSON; the dashboard's /models page shows those rows.
#include <gtest/gtest.h>

#include "html_checks.h"
#include "report/dashboard.h"
#include "report/registry_events.h"
#include "report_fixture.h"
#include "store/workspace.h"

using namespace hybridrec;
using namespace hybridrec::report;
using namespace hybridrec::testing;
using nlohmann::json;

namespace {

json gate(bool below_baseline) {
  return {{"gate_metric", "ndcg@10"},     {"value", 0.36},          {"champion", "rec-model-v1.0.0"},
          {"champion_value", 0.34},       {"best_baseline", "popularity"}, {"baseline_value", below_baseline ? 0.4 : 0.33},
          {"below_baseline", below_baseline}, {"worse_than_champion", false}};
}

}  // namespace

TEST(RegistryEvents, EveryKindBecomesARowInWords) {
  const std::vector<store::ModelEvent> events{
      {"rec-model-v1.1.0", "registered",
       {{"bump", "minor"}, {"base_model", "rec-model-v1.0.0"}, {"source", "/w/model"}, {"gate", gate(false)}},
       "2026-12-01T23:22:21.123Z"},
      {"rec-model-v1.1.0", "promoted",
       {{"forced", true}, {"gate_metric", "ndcg@10"}, {"gate", gate(true)}, {"previous", "rec-model-v1.0.0"}},
       "2026-12-01T23:23:00.000Z"},
      {"rec-model-v1.0.0", "demoted", {{"replaced_by", "rec-model-v1.1.0"}}, "2026-12-01T23:23:00.000Z"},
      {"rec-model-v1.1.0", "deployed", {{"environment", "production"}, {"traffic_percentage", 30.0}}, "t"},
      {"rec-model-v1.1.0", "rolled_back", {{"environment", "production"}, {"restored", "rec-model-v1.0.0"}}, "t"},
      {"rec-model-v1.0.0", "restored",
       {{"environment", "production"}, {"replaced", "rec-model-v1.1.0"}, {"forced", false}, {"gate", gate(false)}}, "t"},
      {"custom-id", "archived_by_hand", {{"by", "alice"}, {"why", {{"ticket", 42}}}}, "t"},
  };
  const auto rows = registry_event_rows(events, {{"rec-model-v1.0.0", "v1.0.0"}});
  ASSERT_EQ(rows.size(), events.size());
  EXPECT_EQ(rows[0].time, "2026-12-01 23:22:21 UTC");
  EXPECT_EQ(rows[3].time, "t");  // not ISO 8601: shown as stored
  EXPECT_EQ(rows[0].version, "v1.1.0");  // from the id when the registry list does not have it
  EXPECT_EQ(rows[2].version, "v1.0.0");
  EXPECT_EQ(rows[6].version, "");
  // from -> to
  EXPECT_EQ(rows[0].from, "rec-model-v1.0.0");
  EXPECT_EQ(rows[1].from, "rec-model-v1.0.0");
  EXPECT_EQ(rows[1].to, "rec-model-v1.1.0");
  EXPECT_EQ(rows[2].from, "rec-model-v1.0.0");
  EXPECT_EQ(rows[2].to, "rec-model-v1.1.0");
  EXPECT_EQ(rows[3].to, "production");
  EXPECT_EQ(rows[4].to, "rec-model-v1.0.0");
  EXPECT_EQ(rows[5].from, "rec-model-v1.1.0");
  // reasons in words, with the gate's numbers
  EXPECT_NE(rows[0].reason.find("minor version"), std::string::npos) << rows[0].reason;
  EXPECT_NE(rows[0].reason.find("gate passed: ndcg@10 0.3600 vs champion rec-model-v1.0.0 0.3400"), std::string::npos)
      << rows[0].reason;
  EXPECT_NE(rows[1].reason.find("forced past the gate (below the best baseline)"), std::string::npos) << rows[1].reason;
  EXPECT_NE(rows[1].reason.find("best baseline popularity 0.4000"), std::string::npos) << rows[1].reason;
  EXPECT_EQ(rows[2].reason, "replaced as champion by rec-model-v1.1.0");
  EXPECT_EQ(rows[3].reason, "deployed to production with 30% of the traffic");
  EXPECT_NE(rows[5].reason.find("rollback in production"), std::string::npos) << rows[5].reason;
  EXPECT_EQ(rows[6].reason, "by alice; why.ticket 42");
  for (const auto& row : rows) {
    EXPECT_EQ(row.reason.find('{'), std::string::npos) << "raw JSON: " << row.reason;
    EXPECT_EQ(row.reason.find("\":"), std::string::npos) << "raw JSON: " << row.reason;
  }
}

TEST(RegistryEvents, TheModelsPageShowsReadableRowsNotJson) {
  const auto& t = trained_workspace();
  const auto page = dashboard_page({t.workspace, ""}, "/models");
  ASSERT_EQ(page.status, 200);
  const std::string events = section_html(page.html, "events");
  EXPECT_NE(events.find("<th>who / reason</th>"), std::string::npos) << events;
  EXPECT_NE(events.find("<th>version</th>"), std::string::npos);
  EXPECT_EQ(events.find("{&quot;"), std::string::npos) << "raw JSON in the events table: " << events;
  auto ws = store::Workspace::open(t.workspace);
  const auto champion = ws.registry().champion();
  ASSERT_TRUE(champion.has_value());
  // Its registration and promotion: the version in its own cell, the gate in words.
  EXPECT_NE(events.find("<td>" + champion->version + "</td>"), std::string::npos) << events;
  EXPECT_NE(events.find("<td>promoted</td>"), std::string::npos) << events;
  EXPECT_NE(events.find(champion->gate_metric + " "), std::string::npos) << events;
  EXPECT_TRUE(events.find("gate passed: ") != std::string::npos || events.find("forced past the gate (") != std::string::npos)
      << events;
}
