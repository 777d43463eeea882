#include "store/schema.h"
#include "store_test_support.h"

namespace hybridrec::testing {
namespace {

class SchemaTest : public StoreBackendTest {};
HYBRIDREC_INSTANTIATE_BACKENDS(SchemaTest);

TEST_P(SchemaTest, OpeningCreatesEveryMigrationOnceAndReopeningIsANoOp) {
  {
    auto ws = open();
    EXPECT_EQ(ws.schema_version(), store::latest_schema_version());
    auto rows = ws.database().query("SELECT version FROM schema_migrations ORDER BY version");
    ASSERT_EQ(rows.size(), store::schema_migrations().size());
    for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].integer(0), store::schema_migrations()[i].version);
    ws.tracking().start_run("exp", "run-1");
  }
  auto again = open();  // must not re-run CREATE TABLE or lose data
  EXPECT_EQ(again.database().query("SELECT COUNT(*) FROM schema_migrations")[0].integer(0),
            static_cast<std::int64_t>(store::schema_migrations().size()));
  EXPECT_EQ(again.tracking().list_runs().size(), 1u);
}

TEST_P(SchemaTest, StoreFromANewerHybridrecIsRefused) {
  {
    auto ws = open();
    ws.database().query("INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, 'future', 'now')",
                        {std::int64_t{store::latest_schema_version() + 1}});
  }
  try {
    open();
    FAIL() << "opened a store with an unknown schema version";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this hybridrec"), std::string::npos) << e.what();
  }
}

TEST_P(SchemaTest, DatabaseItselfRefusesASecondChampion) {
  auto ws = open();
  auto& db = ws.database();
  auto insert = [&](const std::string& id, const std::string& status) {
    db.query(
        "INSERT INTO models (model_id, version, major, minor, patch, created_at, status, artifact_path, model_type,"
        " hyperparameters, architecture, features, metrics, training_data, gate_metric)"
        " VALUES ($1, $2, 1, 0, 0, 'now', $3, 'x', 'hybrid', '{}', '{}', '[]', '{}', '{}', 'ndcg@10')",
        {id, id, status});
  };
  insert("a", "champion");
  insert("b", "challenger");
  EXPECT_THROW(insert("c", "champion"), Error);
  EXPECT_THROW(insert("d", "retired"), Error);  // status CHECK constraint
}

}  // namespace
}  // namespace hybridrec::testing
