#pragma once
// Shared fixture of the store tests: every backend test runs twice, on SQLite
// and on PostgreSQL (HYBRIDREC_TEST_PG_URL; skipped when unset outside CI, a
// failure in CI). Each PostgreSQL test gets its own fresh database so ctest can
// run the cases in parallel.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "store/process_info.h"
#include "store/sql_database.h"
#include "store/workspace.h"
#include "test_support.h"

namespace hybridrec::testing {

namespace fs = std::filesystem;
using nlohmann::json;

// Replaces the database name in a postgresql:// URL.
inline std::string with_database(const std::string& url, const std::string& db) {
  auto scheme_end = url.find("://");
  auto path = url.find('/', scheme_end + 3);
  auto query = url.find('?', scheme_end + 3);
  std::string head = url.substr(0, path == std::string::npos ? std::min(query, url.size()) : path);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return head + "/" + db + tail;
}

class StoreBackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = scratch_dir("ws");
    if (GetParam() == "postgresql") {
      const char* base = std::getenv("HYBRIDREC_TEST_PG_URL");
      if (!base || !*base) {
        if (in_ci()) FAIL() << "HYBRIDREC_TEST_PG_URL is not set (run scripts/pg-test-server.sh start)";
        GTEST_SKIP() << "HYBRIDREC_TEST_PG_URL not set; PostgreSQL tests skipped";
      }
      base_url_ = base;
      db_name_ = "hr_test_" + store::random_id().substr(0, 16);
      auto admin = store::open_database(base_url_);
      admin->query("CREATE DATABASE " + db_name_);  // name is ours (hex), not user input
      url_ = with_database(base_url_, db_name_);
    }
  }
  void TearDown() override {
    if (!db_name_.empty()) {
      try {
        store::open_database(base_url_)->query("DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
      } catch (...) {
      }
    }
  }
  store::Workspace open() { return store::Workspace::open(dir_, url_); }
  const fs::path& dir() const { return dir_; }
  const std::string& url() const { return url_; }

 private:
  fs::path dir_;
  std::string url_, base_url_, db_name_;
};

#define HYBRIDREC_INSTANTIATE_BACKENDS(Suite) \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::Values("sqlite", "postgresql"), \
                           [](const auto& info) { return info.param; })

struct FixtureModel {
  double ndcg = 0.40;
  int embedding_dim = 50;
  json hidden_layers = {128, 64, 32};
  json features = {"user_id", "item_id", "category"};
  double dropout = 0.2;
  double learning_rate = 0.001;
};

// A model directory as `hybridrec train` writes it (config/metrics/history + weights).
inline fs::path write_model_dir(const fs::path& dir, const FixtureModel& m = {}) {
  fs::create_directories(dir / "maps");
  write_json_atomic(dir / "config.json",
                    {{"model", {{"type", "hybrid"}, {"embedding_dim", m.embedding_dim}, {"hidden_layers", m.hidden_layers},
                                {"dropout_rate", m.dropout}}},
                     {"training", {{"learning_rate", m.learning_rate}, {"batch_size", 256}, {"num_epochs", 50}}},
                     {"features", m.features},
                     {"training_data", {{"start_date", "1997-09-20"}, {"end_date", "1998-04-22"}, {"num_samples", 100000}}}});
  write_json_atomic(dir / "metrics.json",
                    {{"model_version", ""},
                     {"metrics", {{"ranking", {{"ndcg@10", m.ndcg}, {"precision@10", m.ndcg * 0.8}}},
                                  {"prediction", {{"rmse", 0.9}}}}}});
  write_json_atomic(dir / "training_history.json", json::array({{{"epoch", 1}, {"train_loss", 0.5}}}));
  write_file_atomic(dir / "model.safetensors", "weights:" + std::to_string(m.ndcg) + ":" + std::to_string(m.embedding_dim));
  write_file_atomic(dir / "maps" / "user_id_map.json", "{\"1\": 0, \"2\": 1}");
  return dir;
}

}  // namespace hybridrec::testing
