// Pictures of the report charts for docs/ (issue #18), taken by the test suite:
// a compare report of two real (small) training runs, a study report, and the
// dashboard's /models page with a registry trail (register, promote, deploy,
// roll back) are rendered to HTML and photographed by headless Chromium
// (`chromium --headless --screenshot`, no network). The PNGs land in
// build/test-output/; scripts/update-docs-screenshots.sh copies them into docs/.
// Without Chromium the tests skip, and fail when CI=true.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "core/atomic_file.h"
#include "generated_shop.h"
#include "html_checks.h"
#include "report/dashboard.h"
#include "report/run_report.h"
#include "report/study_report.h"
#include "store/workspace.h"
#include "test_support.h"
#include "train/config.h"
#include "train/tracked_training.h"

using namespace hybridrec;
using namespace hybridrec::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kChromium = "/usr/bin/chromium";

fs::path output_dir() {
  const fs::path dir = fs::path(HYBRIDREC_BINARY).parent_path() / "test-output";
  fs::create_directories(dir);
  return dir;
}

struct PngSize {
  std::uint32_t width = 0, height = 0;
};

// Width and height from the PNG header (signature, then the IHDR chunk); nullopt if not a PNG.
std::optional<PngSize> png_size(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  unsigned char h[24] = {};
  if (!in.read(reinterpret_cast<char*>(h), sizeof h)) return std::nullopt;
  const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (!std::equal(signature, signature + 8, h) || std::string(reinterpret_cast<char*>(h + 12), 4) != "IHDR")
    return std::nullopt;
  auto be32 = [&](int at) {
    return std::uint32_t{h[at]} << 24 | std::uint32_t{h[at + 1]} << 16 | std::uint32_t{h[at + 2]} << 8 | h[at + 3];
  };
  return PngSize{be32(16), be32(20)};
}

class ReportScreenshots : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kChromium)) {
      if (in_ci()) FAIL() << "chromium missing (apt-get install chromium)";
      GTEST_SKIP() << "chromium not installed";
    }
  }

  // Writes the page next to its picture, photographs it at width x height and
  // checks the PNG: there, that size, and more than a blank page's few kilobytes.
  void photograph(const std::string& html, const std::string& name, int width, int height) {
    const fs::path page = output_dir() / (name + ".html"), png = output_dir() / (name + ".png");
    write_file_atomic(page, html);
    fs::remove(png);
    const fs::path profile = scratch_dir("chromium-profile-" + name);
    ChildProcess chromium({kChromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--hide-scrollbars", "--force-device-scale-factor=1", "--user-data-dir=" + profile.string(),
                           // nothing resolves: a page that tried to fetch something would show it missing
                           "--host-resolver-rules=MAP * ~NOTFOUND", "--screenshot=" + png.string(),
                           fmt::format("--window-size={},{}", width, height), "file://" + page.string()});
    ASSERT_TRUE(chromium.started());
    const std::string output = chromium.read_output(120000, "bytes written to file");
    ASSERT_TRUE(fs::exists(png)) << output;
    const auto size = png_size(png);
    ASSERT_TRUE(size.has_value()) << png << " is not a PNG";
    EXPECT_EQ(size->width, static_cast<std::uint32_t>(width));
    EXPECT_EQ(size->height, static_cast<std::uint32_t>(height));
    EXPECT_GT(fs::file_size(png), 30000u) << png << ": too small for a page of charts and tables";
  }
};

// Two hybrid runs (different seeds) trained, registered and promoted in turn,
// the second deployed at 30% and rolled back: the registry writes every kind of event.
struct TwoRuns {
  fs::path workspace;
  std::vector<std::string> run_ids;
};

const TwoRuns& two_runs() {
  static const TwoRuns runs = [] {
    TwoRuns r;
    const fs::path root = fs::temp_directory_path() / "hybridrec-tests" / ("screenshots-" + std::to_string(::getpid()));
    fs::remove_all(root);
    write_generated_shop(root / "shop", 300, 120, 8000, 3);
    r.workspace = root / "workspace";
    TrackingOptions tracking;
    tracking.workspace = r.workspace;
    tracking.promote = true;
    tracking.force = true;  // the pictures need a champion whatever 8 epochs score
    for (int seed : {42, 7}) {
      TrainRequest request;
      request.data = root / "shop";
      request.config = default_config();
      request.config["model"]["type"] = "hybrid";
      request.config["model"]["embedding_dim"] = 16;
      request.config["model"]["hidden_layers"] = {32, 16, 8};
      request.config["training"]["num_epochs"] = 8;
      request.config["training"]["seed"] = seed;
      request.out = root / ("model-" + std::to_string(seed));
      request.progress = Progress::Mode::Quiet;
      r.run_ids.push_back(run_tracked_training(request, tracking).run_id);
    }
    auto ws = store::Workspace::open(r.workspace);
    const auto champion = ws.registry().champion();
    ws.registry().deploy(champion->model_id, "production", 30);
    ws.registry().rollback("production", true);
    return r;
  }();
  return runs;
}

// A study of 12 trials over six config keys, one far longer than the others.
json generated_study() {
  json study = {{"study", "hybrid-shop"}, {"objective", {{"metric", "ndcg@10"}, {"type", "maximize"}}}};
  json trials = json::array();
  for (int i = 0; i < 12; ++i) {
    // Rounded as a person would type them, so the trial table reads cleanly.
    const double lr = std::round(std::pow(10.0, -3.5 + 0.15 * i) * 1e5) / 1e5;
    const int dim = 16 << (i % 3);
    const double objective = 0.30 + 0.05 * std::exp(-std::pow(std::log10(lr) + 2.3, 2)) + 0.004 * (i % 3);
    json history = json::array();
    for (int e = 1; e <= 6; ++e) history.push_back(objective * (1 - 0.35 * std::exp(-0.7 * e)));
    trials.push_back({{"number", i},
                      {"status", "complete"},
                      {"objective", objective},
                      {"history", history},
                      {"params",
                       {{"training.learning_rate", lr},
                        {"model.embedding_dim", dim},
                        {"training.negative_sampling_ratio", 2 + i % 4},
                        {"model.dropout_rate", (i % 4) / 10.0},
                        {"training.weight_decay", (1 + i % 5) / 1e5},
                        {"model.user_tower.categorical_embedding_dims.location", 4 + 2 * (i % 3)}}}});
  }
  study["trials"] = trials;
  study["importance"] = {{"training.learning_rate", 0.46},
                         {"model.embedding_dim", 0.07},
                         {"training.negative_sampling_ratio", 0.18},
                         {"model.dropout_rate", 0.03},
                         {"training.weight_decay", 0.11},
                         {"model.user_tower.categorical_embedding_dims.location", 0.15}};
  return study;
}

}  // namespace

TEST_F(ReportScreenshots, CompareReportLossLegendNamesEveryLine) {
  const auto& runs = two_runs();
  auto ws = store::Workspace::open(runs.workspace);
  std::vector<report::RunData> data;
  for (const auto& id : runs.run_ids) data.push_back(report::load_run(ws, id));
  const std::string html = report::render_run_report(data);
  const std::string loss = svgs_in(section_html(html, "loss")).at(0);
  EXPECT_EQ(legend_items(loss).size(), 4u) << "two runs x (training, validation)";
  photograph(html, "report-compare", 1280, 1000);
}

TEST_F(ReportScreenshots, StudyReportImportanceBarsSorted) {
  photograph(report::render_study_report(generated_study(), "generated study"), "report-study", 1280, 1250);
}

TEST_F(ReportScreenshots, DashboardShowsRegistryEventsAsRows) {
  const auto page = report::dashboard_page({two_runs().workspace, ""}, "/models");
  ASSERT_EQ(page.status, 200);
  for (const char* event : {"registered", "promoted", "demoted", "deployed", "rolled_back", "restored"})
    EXPECT_NE(section_html(page.html, "events").find(std::string("<td>") + event + "</td>"), std::string::npos) << event;
  photograph(page.html, "ui-events", 1280, 960);
}
