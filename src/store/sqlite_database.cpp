// SQLite backend: one file, WAL journal so readers never block the writer,
// busy_timeout so concurrent processes wait instead of failing, and
// BEGIN IMMEDIATE so a write transaction takes the write lock before it reads
// (a deferred BEGIN could read, then fail to upgrade and deadlock).
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "core/error.h"
#include "store/sql_database.h"

namespace hybridrec::store {
namespace {

class SqliteDatabase final : public SqlDatabase {
 public:
  explicit SqliteDatabase(const std::string& path) : path_(path) {
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      throw Error("cannot open SQLite database " + path + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 30000);
    exec_plain("PRAGMA journal_mode=WAL");
    exec_plain("PRAGMA synchronous=NORMAL");  // WAL + NORMAL is durable across process crashes
    exec_plain("PRAGMA foreign_keys=ON");
  }
  ~SqliteDatabase() override { sqlite3_close(db_); }

  Backend backend() const override { return Backend::sqlite; }
  std::string location() const override { return path_; }
  std::string autoincrement_primary_key() const override { return "INTEGER PRIMARY KEY AUTOINCREMENT"; }

  std::vector<Row> query(std::string_view sql, const std::vector<SqlValue>& params) override {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) fail(rc, "prepare", sql);
    struct Finalize {
      sqlite3_stmt* s;
      ~Finalize() { sqlite3_finalize(s); }
    } guard{stmt};
    for (std::size_t i = 0; i < params.size(); ++i) {
      std::string name = fmt::format("${}", i + 1);
      int index = sqlite3_bind_parameter_index(stmt, name.c_str());
      if (index == 0) continue;  // parameter unused by this statement
      const auto& v = params[i];
      if (auto* s = std::get_if<std::string>(&v))
        rc = sqlite3_bind_text(stmt, index, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
      else if (auto* n = std::get_if<std::int64_t>(&v))
        rc = sqlite3_bind_int64(stmt, index, *n);
      else if (auto* d = std::get_if<double>(&v))
        rc = sqlite3_bind_double(stmt, index, *d);
      else
        rc = sqlite3_bind_null(stmt, index);
      if (rc != SQLITE_OK) fail(rc, "bind", sql);
    }
    std::vector<Row> rows;
    while (true) {
      rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(rc, "step", sql);
      int n = sqlite3_column_count(stmt);
      std::vector<SqlValue> values;
      values.reserve(n);
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER: values.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c))); break;
          case SQLITE_FLOAT: values.emplace_back(sqlite3_column_double(stmt, c)); break;
          case SQLITE_NULL: values.emplace_back(std::monostate{}); break;
          default: {
            auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            values.emplace_back(std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
          }
        }
      }
      rows.emplace_back(std::move(values));
    }
    return rows;
  }

  void write_transaction(const std::function<void()>& fn) override {
    for (int attempt = 0;; ++attempt) {
      try {
        exec_plain("BEGIN IMMEDIATE");
      } catch (const RetryableSqlError&) {
        if (attempt >= 50) throw Error("SQLite database " + path_ + " stayed locked; giving up");
        std::this_thread::sleep_for(std::chrono::milliseconds(20 * (attempt + 1)));
        continue;
      }
      try {
        fn();
        exec_plain("COMMIT");
        return;
      } catch (const RetryableSqlError&) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        if (attempt >= 50) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(20 * (attempt + 1)));
      } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
    }
  }

 private:
  void exec_plain(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) throw RetryableSqlError(msg);
      throw Error("SQLite " + path_ + ": " + msg + " (in: " + sql + ")");
    }
  }

  [[noreturn]] void fail(int rc, const char* what, std::string_view sql) {
    std::string msg = std::string("SQLite ") + path_ + ": " + what + " failed: " + sqlite3_errmsg(db_) +
                      " (in: " + std::string(sql.substr(0, 200)) + ")";
    int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw RetryableSqlError(msg);
    throw Error(msg);
  }

  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<SqlDatabase> open_sqlite_database(const std::string& path) {
  return std::make_unique<SqliteDatabase>(path);
}

}  // namespace hybridrec::store
