#pragma once
// One storage interface, two backends (SQLite embedded, PostgreSQL for teams).
// Callers write portable SQL with $1..$n placeholders; every value travels as a
// bound parameter (never spliced into SQL), so user-supplied names cannot inject.
// Dialect differences (DDL types, locking, retry codes) stay inside the backends.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"

namespace hybridrec::store {

using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;

// One result row. Accessors convert, so callers need not know which backend
// produced the value (PostgreSQL returns text, SQLite returns typed values).
class Row {
 public:
  explicit Row(std::vector<SqlValue> values) : values_(std::move(values)) {}
  bool is_null(std::size_t i) const;
  std::string text(std::size_t i) const;     // "" for NULL
  std::int64_t integer(std::size_t i) const;  // 0 for NULL
  double real(std::size_t i) const;           // 0 for NULL
  std::size_t size() const { return values_.size(); }

 private:
  std::vector<SqlValue> values_;
};

enum class Backend { sqlite, postgresql };

class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;
  virtual Backend backend() const = 0;
  // Runs one statement with bound parameters and returns its rows.
  virtual std::vector<Row> query(std::string_view sql, const std::vector<SqlValue>& params = {}) = 0;
  // Runs fn as one write transaction that excludes every other writer (SQLite
  // BEGIN IMMEDIATE; PostgreSQL transaction-scoped advisory lock), so read-then-
  // write logic such as "demote the champion, promote this one" cannot interleave
  // with another process. Retries fn on busy/serialization/deadlock failures;
  // any other exception rolls back and propagates. fn must be safe to re-run.
  virtual void write_transaction(const std::function<void()>& fn) = 0;
  // Column type for an auto-incrementing integer primary key in this dialect.
  virtual std::string autoincrement_primary_key() const = 0;
  // A human-readable description of where the data lives (path or URL sans password).
  virtual std::string location() const = 0;
};

// url: "postgresql://..." or "postgres://..." opens PostgreSQL; anything else is
// a path to an SQLite file (created if missing).
std::unique_ptr<SqlDatabase> open_database(const std::string& url_or_path);

// Thrown by backends for a transient conflict; write_transaction retries it.
struct RetryableSqlError : Error {
  using Error::Error;
};

}  // namespace hybridrec::store
