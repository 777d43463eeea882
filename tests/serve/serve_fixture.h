#pragma once
// A small generated shop with two trained hybrid models in a workspace: v1.0.0
// champion, v1.0.1 challenger deployed to production at 30%. Built once per test
// binary (a few seconds) and copied for each test that changes it.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

// Eigen (through serve/server.h) before httplib.h: httplib pulls in <resolv.h>,
// whose `_res` macro breaks Eigen's headers when they come later.
#include "serve/server.h"
#include "serve/traffic_split.h"
#include "train/tracked_training.h"
#include <httplib.h>

namespace hybridrec::serve::testing {

// The template workspace (built on first use); do not modify it.
const std::filesystem::path& template_workspace();
// A private copy of the template for one test.
std::filesystem::path copy_workspace(const std::string& name);

// A running server on a free loopback port and a client for it.
struct RunningServer {
  explicit RunningServer(const std::filesystem::path& workspace, ServerOptions options = {});
  std::unique_ptr<RecommendationServer> server;
  std::unique_ptr<httplib::Client> client;
  int port = 0;
  nlohmann::json get_json(const std::string& path, int expected_status = 200);
  nlohmann::json post_json(const std::string& path, const std::string& body, int expected_status = 200);
};

// Sends raw bytes to the port and returns the HTTP status of the answer (0 if none).
int raw_request_status(int port, const std::string& bytes);

// The (skip+1)-th user id of the fixture's kind ("u000000", ...) that the stable
// hash sends to the champion (challenger == false) or to the 30% challenger.
inline std::string user_on(bool challenger, int skip = 0) {
  for (int i = 0;; ++i) {
    std::string id = "u" + std::string(6 - std::to_string(i).size(), '0') + std::to_string(i);
    if (assigned_to_challenger(id, 30) == challenger && skip-- == 0) return id;
  }
}

}  // namespace hybridrec::serve::testing
