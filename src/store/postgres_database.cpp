// PostgreSQL backend (libpq). Every statement goes through PQexecParams with
// text parameters. Write transactions serialise on a transaction-scoped advisory
// lock, which gives the same one-writer-at-a-time semantics as SQLite's
// BEGIN IMMEDIATE; READ COMMITTED then makes each statement after the lock see
// every earlier commit. The partial unique index on the champion is the safety
// net, and serialization/deadlock failures (40001, 40P01) are retried.
#include <libpq-fe.h>

#include <chrono>
#include <random>
#include <regex>
#include <thread>

#include "core/error.h"
#include "store/sql_database.h"

namespace hybridrec::store {
namespace {

// Any constant works; it only has to be the same for every hybridrec process.
constexpr const char* kWriterLockKey = "727172";  // "hr" registry writer lock

std::string redact_password(const std::string& url) {
  return std::regex_replace(url, std::regex(R"(://([^:/@]*):[^@]*@)"), "://$1:***@");
}

class PostgresDatabase final : public SqlDatabase {
 public:
  explicit PostgresDatabase(const std::string& url) : url_(redact_password(url)) {
    conn_ = PQconnectdb(url.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw Error("cannot connect to PostgreSQL " + url_ + ": " + msg);
    }
    // Schema creation emits NOTICEs ("relation already exists"); keep them off stderr.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  }
  ~PostgresDatabase() override { PQfinish(conn_); }

  Backend backend() const override { return Backend::postgresql; }
  std::string location() const override { return url_; }
  std::string autoincrement_primary_key() const override { return "BIGSERIAL PRIMARY KEY"; }

  std::vector<Row> query(std::string_view sql, const std::vector<SqlValue>& params) override {
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const auto& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) continue;
      texts[i] = Row({v}).text(0);
      values[i] = texts[i].c_str();
    }
    std::string statement(sql);
    PGresult* res = PQexecParams(conn_, statement.c_str(), static_cast<int>(params.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0);
    struct Clear {
      PGresult* r;
      ~Clear() { PQclear(r); }
    } guard{res};
    auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(res, statement);
    std::vector<Row> rows;
    int n = PQntuples(res), cols = PQnfields(res);
    rows.reserve(n);
    for (int r = 0; r < n; ++r) {
      std::vector<SqlValue> row;
      row.reserve(cols);
      for (int c = 0; c < cols; ++c) {
        if (PQgetisnull(res, r, c))
          row.emplace_back(std::monostate{});
        else
          row.emplace_back(std::string(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c))));
      }
      rows.emplace_back(std::move(row));
    }
    return rows;
  }

  void write_transaction(const std::function<void()>& fn) override {
    std::mt19937 jitter(std::random_device{}());
    for (int attempt = 0;; ++attempt) {
      try {
        query("BEGIN ISOLATION LEVEL READ COMMITTED", {});
        query(std::string("SELECT pg_advisory_xact_lock(") + kWriterLockKey + ")", {});
        fn();
        query("COMMIT", {});
        return;
      } catch (const RetryableSqlError&) {
        rollback();
        if (attempt >= 20) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(10 + jitter() % (20 * (attempt + 1))));
      } catch (...) {
        rollback();
        throw;
      }
    }
  }

 private:
  void rollback() {
    PGresult* r = PQexec(conn_, "ROLLBACK");
    PQclear(r);
  }

  [[noreturn]] void fail(PGresult* res, const std::string& sql) {
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    std::string code = state ? state : "";
    std::string msg = "PostgreSQL " + url_ + ": " + PQresultErrorMessage(res) + " (in: " + sql.substr(0, 200) + ")";
    if (code == "40001" || code == "40P01") throw RetryableSqlError(msg);
    if (PQstatus(conn_) != CONNECTION_OK) msg += " [connection lost]";
    throw Error(msg);
  }

  std::string url_;
  PGconn* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<SqlDatabase> open_postgres_database(const std::string& url) {
  return std::make_unique<PostgresDatabase>(url);
}

}  // namespace hybridrec::store
