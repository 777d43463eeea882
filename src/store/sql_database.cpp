#include "store/sql_database.h"

#include <charconv>

#include "core/error.h"

namespace hybridrec::store {

std::unique_ptr<SqlDatabase> open_sqlite_database(const std::string& path);
std::unique_ptr<SqlDatabase> open_postgres_database(const std::string& url);

std::unique_ptr<SqlDatabase> open_database(const std::string& url_or_path) {
  if (url_or_path.rfind("postgresql://", 0) == 0 || url_or_path.rfind("postgres://", 0) == 0)
    return open_postgres_database(url_or_path);
  return open_sqlite_database(url_or_path);
}

bool Row::is_null(std::size_t i) const { return std::holds_alternative<std::monostate>(values_.at(i)); }

std::string Row::text(std::size_t i) const {
  const auto& v = values_.at(i);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
  if (auto* d = std::get_if<double>(&v)) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, *d);  // shortest round-trip form
    return std::string(buf, res.ptr);
  }
  return "";
}

std::int64_t Row::integer(std::size_t i) const {
  const auto& v = values_.at(i);
  if (auto* n = std::get_if<std::int64_t>(&v)) return *n;
  if (auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  if (auto* s = std::get_if<std::string>(&v)) {
    std::int64_t out = 0;
    auto res = std::from_chars(s->data(), s->data() + s->size(), out);
    if (res.ec != std::errc()) throw Error("database returned non-integer '" + *s + "'");
    return out;
  }
  return 0;
}

double Row::real(std::size_t i) const {
  const auto& v = values_.at(i);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* n = std::get_if<std::int64_t>(&v)) return static_cast<double>(*n);
  if (auto* s = std::get_if<std::string>(&v)) {
    try {
      return std::stod(*s);
    } catch (const std::exception&) {
      throw Error("database returned non-number '" + *s + "'");
    }
  }
  return 0.0;
}

}  // namespace hybridrec::store
