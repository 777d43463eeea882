#include "core/timeparse.h"

#include <chrono>
#include <cstdio>

#include "core/text.h"

namespace hybridrec {

namespace {

// Reads exactly `n` digits at `pos`; false when any is not a digit.
bool read_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

std::optional<std::int64_t> fail(std::string* why, std::string reason) {
  if (why) *why = std::move(reason);
  return std::nullopt;
}

std::optional<std::int64_t> parse_iso8601(std::string_view s, std::string* why) {
  static const char* kExpected = "expected ISO 8601 like 2024-01-15 or 2024-01-15T10:30:00Z";
  int year, month, day;
  if (!read_digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !read_digits(s, 5, 2, month) || s[7] != '-' ||
      !read_digits(s, 8, 2, day))
    return fail(why, kExpected);
  if (month < 1 || month > 12) return fail(why, "month " + std::to_string(month) + " out of range");
  std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                  std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return fail(why, "day " + std::to_string(day) + " does not exist in " + std::to_string(year) + "-" +
                                      (month < 10 ? "0" : "") + std::to_string(month));
  std::int64_t seconds = std::chrono::sys_days{ymd}.time_since_epoch().count() * 86400LL;
  std::size_t pos = 10;
  if (pos == s.size()) return seconds;

  if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return fail(why, kExpected);
  ++pos;
  int hour, minute, second = 0;
  if (!read_digits(s, pos, 2, hour) || pos + 2 >= s.size() || s[pos + 2] != ':' || !read_digits(s, pos + 3, 2, minute))
    return fail(why, "expected time as HH:MM[:SS]");
  pos += 5;
  if (pos < s.size() && s[pos] == ':') {
    if (!read_digits(s, pos + 1, 2, second)) return fail(why, "expected seconds as two digits");
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      std::size_t start = pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      if (pos == start) return fail(why, "expected digits after the decimal point of the seconds");
    }
  }
  if (hour > 23 || minute > 59 || second > 60)  // 60: a leap second
    return fail(why, "time " + std::string(s.substr(11, 8)) + " out of range");
  seconds += hour * 3600LL + minute * 60LL + second;
  if (pos == s.size()) return seconds;  // no zone: taken as UTC

  if (s[pos] == 'Z' || s[pos] == 'z') return pos + 1 == s.size() ? std::optional(seconds) : fail(why, kExpected);
  if (s[pos] != '+' && s[pos] != '-') return fail(why, "expected Z or an offset like +02:00 after the time");
  int sign = s[pos] == '+' ? 1 : -1;
  int off_h, off_m = 0;
  if (!read_digits(s, pos + 1, 2, off_h)) return fail(why, "expected an offset like +02:00");
  pos += 3;
  if (pos < s.size()) {
    if (s[pos] == ':') ++pos;
    if (!read_digits(s, pos, 2, off_m)) return fail(why, "expected an offset like +02:00");
    pos += 2;
  }
  if (pos != s.size()) return fail(why, kExpected);
  if (off_h > 18 || off_m > 59) return fail(why, "offset out of range");
  // 10:30+02:00 is 08:30 UTC: subtract the offset.
  return seconds - sign * (off_h * 3600LL + off_m * 60LL);
}

}  // namespace

std::optional<std::int64_t> parse_timestamp(std::string_view text, std::string* why) {
  text = trim(text);
  if (text.empty()) return fail(why, "empty timestamp");
  // Unix seconds: all digits (an optional sign, a fractional part truncated).
  bool numeric = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!((c >= '0' && c <= '9') || (i == 0 && c == '-') || c == '.')) {
      numeric = false;
      break;
    }
  }
  if (numeric && (text.size() != 10 || text[4] != '-')) {
    std::string_view whole = text.substr(0, text.find('.'));
    if (auto v = parse_int64(whole)) {
      std::string_view frac = text.substr(whole.size());
      if (frac.empty() || (frac.size() > 1 && frac.find('.', 1) == std::string_view::npos)) return v;
    }
    return fail(why, "expected unix seconds or ISO 8601 date, got '" + std::string(text) + "'");
  }
  if (text.size() >= 10 && text[4] == '-') return parse_iso8601(text, why);
  return fail(why, "expected unix seconds or ISO 8601 date, got '" + std::string(text) + "'");
}

std::string format_iso8601(std::int64_t unix_seconds) {
  using namespace std::chrono;
  auto days = floor<std::chrono::days>(sys_seconds{seconds{unix_seconds}});
  year_month_day ymd{days};
  std::int64_t rest = unix_seconds - days.time_since_epoch().count() * 86400LL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(rest / 3600),
                static_cast<int>(rest / 60 % 60), static_cast<int>(rest % 60));
  return buf;
}

}  // namespace hybridrec
