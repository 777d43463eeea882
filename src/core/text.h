#pragma once
// Small text helpers shared by the readers: encoding repair (MovieLens ships
// Latin-1 titles), trimming, and allocation-free number parsing over string_views.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hybridrec {

// True when `text` is well-formed UTF-8 (plain ASCII always is).
bool is_valid_utf8(std::string_view text);
// True when any byte is >= 0x80: the cheap test that lets ASCII skip validation.
bool has_high_bytes(std::string_view text);
// Appends `text`, read as ISO-8859-1, to `out` as UTF-8.
void append_latin1_as_utf8(std::string_view text, std::string& out);
std::string latin1_to_utf8(std::string_view text);

std::string_view trim(std::string_view text);
std::string to_lower(std::string_view text);
bool iequals(std::string_view a, std::string_view b);

// Whole-field parses: surrounding spaces allowed, anything else left over fails.
std::optional<std::int64_t> parse_int64(std::string_view text);
std::optional<double> parse_double(std::string_view text);

}  // namespace hybridrec
