// The study report on a hand-made `tune show --json` document: objective per
// trial, the best-so-far curve, per-epoch curves, importance and the trial table.
#include <gtest/gtest.h>

#include "core/error.h"
#include "html_checks.h"
#include "report/study_report.h"

using namespace hybridrec;
using namespace hybridrec::testing;

namespace {

nlohmann::json study(const std::string& type) {
  return nlohmann::json::parse(R"({
    "study": "lr-<search>", "objective": {"metric": "val_ndcg@10", "type": ")" + type + R"("},
    "trials": [
      {"number": 0, "status": "complete", "objective": 0.12, "params": {"training.learning_rate": 0.001, "model.embedding_dim": 32}, "history": [0.08, 0.11, 0.12]},
      {"number": 1, "status": "pruned", "objective": null, "params": {"training.learning_rate": 0.1, "model.embedding_dim": 16}, "history": [0.02]},
      {"number": 2, "status": "complete", "objective": 0.15, "params": {"training.learning_rate": 0.003, "model.embedding_dim": 64}, "history": [0.10, 0.15]},
      {"number": 3, "status": "complete", "objective": 0.14, "params": {"training.learning_rate": 0.002, "model.embedding_dim": "32"}, "history": [0.09, 0.14]}
    ],
    "best": {"number": 2, "objective": 0.15},
    "importance": {"training.learning_rate": 0.8, "model.embedding_dim": 0.2}
  })");
}

}  // namespace

TEST(StudyReport, PlotsObjectivePerTrialAndTheBestSoFar) {
  const std::string html = report::render_study_report(study("maximize"));
  EXPECT_FALSE(fetches_external(html));
  for (const auto& svg : svgs_in(html)) EXPECT_EQ(unbalanced_tags(svg), "");
  const std::string objective = svgs_in(section_html(html, "objective")).at(0);
  auto per_trial = series_points(objective, "trial val_ndcg@10");
  EXPECT_EQ(per_trial, (std::vector<std::pair<double, double>>{{0, 0.12}, {2, 0.15}, {3, 0.14}}));  // pruned: no point
  auto best = series_points(objective, "best so far");
  EXPECT_EQ(best, (std::vector<std::pair<double, double>>{{0, 0.12}, {2, 0.15}, {3, 0.15}}));
  EXPECT_NE(objective.find("class=\"marker\" data-x=\"2\""), std::string::npos);
  // Per-epoch curves, the pruned trial included.
  const std::string curves = svgs_in(section_html(html, "objective")).at(1);
  EXPECT_EQ(series_points(curves, "trial 1").size(), 1u);
  EXPECT_EQ(series_points(curves, "trial 0").size(), 3u);
  EXPECT_NE(section_html(html, "importance").find("data-value=\"0.8\""), std::string::npos);
  EXPECT_NE(html.find("Study lr-&lt;search&gt;"), std::string::npos);
}

TEST(StudyReport, MinimizingTracksTheLowestAndTheTableListsEveryTrial) {
  nlohmann::json s = study("minimize");
  s.erase("best");
  const std::string html = report::render_study_report(s);
  auto best = series_points(svgs_in(section_html(html, "objective")).at(0), "best so far");
  EXPECT_EQ(best, (std::vector<std::pair<double, double>>{{0, 0.12}, {2, 0.12}, {3, 0.12}}));
  const std::string trials = section_html(html, "trials");
  auto texts = row_texts(trials, "1");
  ASSERT_EQ(texts.size(), 5u);  // trial, status, objective, two params
  EXPECT_EQ(texts[1], "pruned");
  EXPECT_EQ(texts[2], "-");
  EXPECT_EQ(texts[3], "16");
  EXPECT_EQ(texts[4], "0.1");
  EXPECT_EQ(row_values(trials, "3").at(0), 0.14);
}

TEST(StudyReport, RefusesSomethingThatIsNotAStudy) {
  EXPECT_THROW(report::render_study_report(nlohmann::json::array()), DataError);
  EXPECT_THROW(report::render_study_report({{"trials", 3}}), DataError);
  EXPECT_THROW(report::render_study_report({{"trials", {{{"status", "complete"}}}}}), DataError);
  try {
    report::render_study_report({{"objective", {{"type", "maximise"}}}, {"trials", nlohmann::json::array()}}, "show.json");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("objective.type"), std::string::npos) << e.what();
  }
}
