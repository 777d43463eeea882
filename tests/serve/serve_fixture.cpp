#include "generated_shop.h"
#include "train/config.h"
#include "train/tracked_training.h"
#include "serve_fixture.h"
#include "test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/file.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

namespace hybridrec::serve::testing {

namespace {
TrainRequest small_training(const std::filesystem::path& root, const std::string& out, std::uint64_t seed) {
  TrainRequest r;
  r.data = root / "shop";
  r.config = default_config();
  r.config["model"]["embedding_dim"] = 16;
  r.config["model"]["hidden_layers"] = {32, 16, 8};
  r.config["training"]["num_epochs"] = 2;
  r.config["training"]["early_stopping_patience"] = 0;
  r.config["training"]["seed"] = seed;
  // The tests exercise the content path for cold users and compare the candidate
  // stage with exact scoring on a fully trained two-epoch model: keep every positive
  // in every epoch and the content path whatever validation would pick.
  r.config["data"]["recency_half_life_days"] = 0;
  r.config["model"]["cold_user_path"] = "content";
  r.config["evaluation"]["baselines"] = nlohmann::json::array();
  r.out = root / out;
  r.progress = Progress::Mode::Quiet;
  return r;
}
}  // namespace

// ctest runs each test in its own process, several at once: the template is
// built once per test binary build (keyed by the executable's mtime) under a file
// lock, and every later process reuses it.
const std::filesystem::path& template_workspace() {
  static const std::filesystem::path workspace = [] {
    const auto exe = std::filesystem::read_symlink("/proc/self/exe");
    const auto stamp = std::filesystem::last_write_time(exe).time_since_epoch().count();
    const auto base = std::filesystem::temp_directory_path() / "hybridrec-tests";
    std::filesystem::create_directories(base);
    const auto root = base / ("serve-template-" + std::to_string(stamp));
    const int lock = ::open((root.string() + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    ::flock(lock, LOCK_EX);
    if (!std::filesystem::exists(root / ".complete")) {
      std::filesystem::remove_all(root);
      std::filesystem::create_directories(root);
      hybridrec::testing::write_generated_shop(root / "shop", 300, 120, 12000, 5);
      TrackingOptions t;
      t.workspace = root / "workspace";
      t.promote = true;
      t.force = true;  // a fixture's champion, whatever a short training scores against the baselines
      run_tracked_training(small_training(root, "m1", 42), t);
      t.promote = false;
      run_tracked_training(small_training(root, "m2", 7), t);
      store::Workspace::open(root / "workspace").registry().deploy("v1.0.1", "production", 30);
      std::ofstream(root / ".complete") << "ok\n";
    }
    ::flock(lock, LOCK_UN);
    ::close(lock);
    return root / "workspace";
  }();
  return workspace;
}

std::filesystem::path copy_workspace(const std::string& name) {
  const auto dir = hybridrec::testing::scratch_dir(name) / "workspace";
  std::filesystem::copy(template_workspace(), dir, std::filesystem::copy_options::recursive);
  return dir;
}

RunningServer::RunningServer(const std::filesystem::path& workspace, ServerOptions options) {
  options.service.workspace = workspace;
  options.port = 0;
  if (options.threads == 0) options.threads = 8;
  server = std::make_unique<RecommendationServer>(options);
  port = server->start();
  client = std::make_unique<httplib::Client>("127.0.0.1", port);
  client->set_read_timeout(10, 0);
}

nlohmann::json RunningServer::get_json(const std::string& path, int expected_status) {
  auto res = client->Get(path.c_str());
  EXPECT_TRUE(res) << path;
  if (!res) return {};
  EXPECT_EQ(res->status, expected_status) << path << " -> " << res->body;
  return nlohmann::json::parse(res->body, nullptr, false);
}

nlohmann::json RunningServer::post_json(const std::string& path, const std::string& body, int expected_status) {
  auto res = client->Post(path.c_str(), body, "application/json");
  EXPECT_TRUE(res) << path;
  if (!res) return {};
  EXPECT_EQ(res->status, expected_status) << path << " " << body.substr(0, 200) << " -> " << res->body;
  return nlohmann::json::parse(res->body, nullptr, false);
}

int raw_request_status(int port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return 0;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) answer.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || answer.size() < 12) return 0;
  return std::stoi(answer.substr(9, 3));
}

}  // namespace hybridrec::serve::testing
