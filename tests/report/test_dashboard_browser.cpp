// End to end: `hybridrec ui` on a free loopback port, driven by headless Chromium
// (Debian's chromium + chromedriver, no network) through the WebDriver HTTP API:
// open the run list, click the trained run, and check the report that opens
// shows no error and non-empty charts. Screenshots go to build/test-output/.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <openssl/evp.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <netinet/in.h>
#include <sys/socket.h>

#include "child_process.h"
#include "report_fixture.h"  // Eigen before httplib: <resolv.h> defines _res, an Eigen parameter name
#include <httplib.h>

using namespace hybridrec::testing;
using nlohmann::json;

namespace {

const char* kChromium = "/usr/bin/chromium";
const char* kChromedriver = "/usr/bin/chromedriver";

int free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string base64_decode(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return "";
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

// A WebDriver session on chromedriver (W3C protocol over loopback HTTP).
class Browser {
 public:
  Browser(int port, const std::filesystem::path& profile) : http_("127.0.0.1", port) {
    http_.set_read_timeout(60, 0);
    json caps = {{"capabilities",
                  {{"alwaysMatch",
                    {{"browserName", "chrome"},
                     {"goog:chromeOptions",
                      {{"binary", kChromium},
                       {"args",
                        {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                         "--window-size=1440,900", "--user-data-dir=" + profile.string(),
                         // no network: nothing resolves but loopback
                         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"}}}}}}}}};
    json r = call("POST", "/session", caps);
    session_ = r["value"].value("sessionId", "");
  }
  ~Browser() {
    if (!session_.empty()) http_.Delete("/session/" + session_);
  }
  bool ok() const { return !session_.empty(); }
  const std::string& last_error() const { return error_; }

  json call(const std::string& method, const std::string& path, const json& body = json::object()) {
    httplib::Result res = method == "GET" ? http_.Get(path) : http_.Post(path, body.dump(), "application/json");
    if (!res) {
      error_ = "no answer from chromedriver for " + path;
      return json::object();
    }
    json out = json::parse(res->body, nullptr, false);
    if (res->status != 200) error_ = res->body;
    return out.is_discarded() ? json::object() : out;
  }
  json session(const std::string& method, const std::string& path, const json& body = json::object()) {
    return call(method, "/session/" + session_ + path, body);
  }
  json script(const std::string& source) {
    return session("POST", "/execute/sync", {{"script", source}, {"args", json::array()}})["value"];
  }
  void screenshot(const std::filesystem::path& file) {
    const std::string png = base64_decode(session("GET", "/screenshot")["value"].get<std::string>());
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << png;
  }

 private:
  httplib::Client http_;
  std::string session_, error_;
};

bool wait_ready(int port) {
  httplib::Client c("127.0.0.1", port);
  for (int i = 0; i < 100; ++i) {
    if (auto r = c.Get("/status"); r && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace

TEST(DashboardBrowser, NavigatesFromTheRunListToAReportWithCharts) {
  if (!std::filesystem::exists(kChromium) || !std::filesystem::exists(kChromedriver)) {
    if (in_ci()) FAIL() << "chromium or chromedriver missing (apt-get install chromium chromium-driver)";
    GTEST_SKIP() << "chromium or chromedriver not installed";
  }
  const auto& t = trained_workspace();
  ChildProcess ui({HYBRIDREC_BINARY, "ui", "--workspace", t.workspace.string(), "--port", "0"});
  ASSERT_TRUE(ui.started());
  std::smatch m;
  const std::string banner = ui.read_output(20000, "/ (Ctrl-C");
  ASSERT_TRUE(std::regex_search(banner, m, std::regex(R"(http://127\.0\.0\.1:(\d+)/)"))) << banner;
  const std::string base = "http://127.0.0.1:" + m[1].str();

  const int driver_port = free_loopback_port();
  ChildProcess driver({kChromedriver, "--port=" + std::to_string(driver_port), "--allowed-ips=127.0.0.1"});
  ASSERT_TRUE(wait_ready(driver_port)) << driver.read_output(100);
  const auto profile = scratch_dir("chromium-profile");
  Browser browser(driver_port, profile);
  ASSERT_TRUE(browser.ok()) << browser.last_error();

  // The run list, then a click on the trained run's link (not a typed URL).
  browser.session("POST", "/url", {{"url", base + "/runs"}});
  EXPECT_EQ(browser.script("return document.title").get<std::string>(), "Runs");
  const std::string short_id = t.hybrid_run.substr(0, 12);
  json found = browser.session("POST", "/element",
                               {{"using", "xpath"}, {"value", "//table[contains(@class,'runs')]//a[text()='" + short_id + "']"}});
  ASSERT_TRUE(found["value"].is_object() && !found["value"].empty()) << found.dump();
  const std::string element = found["value"].begin().value().get<std::string>();
  // On a loaded CI machine a click can land before the page is ready to act on
  // it: allow a few clicks, each with up to 10 s for the report to load.
  const auto on_report = [&] {
    return browser.session("GET", "/url")["value"].get<std::string>().find("/runs/" + t.hybrid_run) != std::string::npos;
  };
  for (int attempt = 0; attempt < 3 && !on_report(); ++attempt) {
    browser.session("POST", "/element/" + element + "/click");
    for (int i = 0; i < 100 && !on_report(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(browser.session("GET", "/url")["value"].get<std::string>(), base + "/runs/" + t.hybrid_run);

  const auto out_dir = std::filesystem::path(HYBRIDREC_BINARY).parent_path() / "test-output";
  browser.screenshot(out_dir / "dashboard-run-report.png");  // a 1440x900 laptop screen
  browser.session("POST", "/window/rect", {{"width", 1440}, {"height", 4200}});
  browser.screenshot(out_dir / "dashboard-run-report-full.png");
  EXPECT_GT(std::filesystem::file_size(out_dir / "dashboard-run-report.png"), 20000u);

  // No error page, and every chart drew its data.
  const std::string title = browser.script("return document.title").get<std::string>();
  EXPECT_EQ(title.rfind("Run ", 0), 0u) << title;
  EXPECT_EQ(browser.script("return document.querySelectorAll('#error').length").get<int>(), 0);
  for (const char* section : {"loss", "validation"}) {
    const std::string js = fmt::format(
        "return Array.from(document.querySelectorAll('#{} svg')).map(s => Array.from(s.querySelectorAll('g.series path'))"
        ".filter(p => (p.getAttribute('d').match(/[ML]/g) || []).length >= 2).length)",
        section);
    json per_chart = browser.script(js);
    ASSERT_FALSE(per_chart.empty()) << section;
    for (const auto& lines : per_chart) EXPECT_GE(lines.get<int>(), 1) << section << ": a chart without a line";
  }
  for (const char* section : {"metrics", "segments", "fairness", "business"}) {
    const int bars = browser.script(fmt::format("return document.querySelectorAll('#{} svg rect[data-value]').length", section)).get<int>();
    EXPECT_GT(bars, 0) << section << ": a bar chart without bars";
  }
  // Charts are laid out at a readable size on a laptop screen, not squeezed.
  const double chart_width = browser.script("return document.querySelector('#loss svg').getBoundingClientRect().width").get<double>();
  EXPECT_GT(chart_width, 500);
  EXPECT_NE(browser.script("return document.body.innerText").get<std::string>().find("kept epoch"), std::string::npos);
}
