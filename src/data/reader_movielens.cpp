// MovieLens layouts: 100K (u.data / u.user / u.item), 1M and 10M (ratings.dat,
// users.dat, movies.dat with "::"), and ml-latest (ratings.csv, movies.csv).
// Ratings become Event::Rating with value = rating.
#include <array>
#include <fstream>

#include "core/text.h"
#include "data/reader_internal.h"

namespace hybridrec {

namespace {

// ML-1M's age scheme, applied to 100K's raw ages so both datasets share buckets.
std::string age_group(long age) {
  if (age < 18) return "under18";
  if (age <= 24) return "18-24";
  if (age <= 34) return "25-34";
  if (age <= 44) return "35-44";
  if (age <= 49) return "45-49";
  if (age <= 55) return "50-55";
  return "56+";
}

// ML-1M users.dat stores occupations as codes 0-20 (its README's table).
constexpr std::array<const char*, 21> kMl1mOccupations{
    "other",          "academic/educator", "artist",          "clerical/admin",      "college/grad student",
    "customer service", "doctor/health care", "executive/managerial", "farmer",       "homemaker",
    "K-12 student",   "lawyer",            "programmer",      "retired",             "sales/marketing",
    "scientist",      "self-employed",     "technician/engineer", "tradesman/craftsman", "unemployed",
    "writer"};

constexpr std::array<const char*, 19> kMl100kGenres{
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",   "Crime",   "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "Musical", "Mystery",   "Romance",    "Sci-Fi", "Thriller", "War",         "Western"};

CsvOptions plain(std::string delimiter) {
  CsvOptions o;
  o.delimiter = std::move(delimiter);
  o.quoting = false;  // titles contain bare quotes
  return o;
}

// Headerless ratings: user, item, rating, timestamp in that order.
void read_headerless_ratings(const std::filesystem::path& file, const CsvOptions& csv, InteractionSink& sink) {
  CsvReader reader(file, csv);
  CsvRecord record;
  detail::InteractionCells cells;
  cells.has_value = true;
  cells.value_field = "rating";
  RawInteraction raw;
  while (reader.next(record)) {
    if (!detail::check_record(sink, reader, record, 4)) continue;
    cells.user = record[0];
    cells.item = record[1];
    cells.value = record[2];
    cells.timestamp = record[3];
    if (detail::parse_interaction(cells, Event::Rating, reader, record.line, sink, raw)) sink.row(raw);
  }
}

RawEntityFile start_entity_file(const std::filesystem::path& path, std::vector<std::string> columns) {
  RawEntityFile out;
  out.path = path;
  out.columns = std::move(columns);
  return out;
}

void add_entity_row(RawEntityFile& out, std::string_view id, std::size_t line, std::vector<std::string> values) {
  out.ids.emplace_back(trim(id));
  out.lines.push_back(line);
  out.values.push_back(std::move(values));
}

std::vector<std::string> read_ml100k_genre_names(const std::filesystem::path& dir) {
  std::vector<std::string> names(kMl100kGenres.begin(), kMl100kGenres.end());
  std::ifstream in(dir / "u.genre");
  std::string line;
  while (std::getline(in, line)) {
    auto bar = line.find('|');
    if (bar == std::string::npos) continue;
    auto index = parse_int64(std::string_view(line).substr(bar + 1));
    if (index && *index >= 0 && *index < static_cast<std::int64_t>(names.size())) names[*index] = line.substr(0, bar);
  }
  return names;
}

RawEntityFile read_ml100k_users(const std::filesystem::path& file, RowErrorHandler& errors) {
  CsvReader reader(file, plain("|"));
  CsvRecord record;
  RawEntityFile out = start_entity_file(file, {"age_group", "gender", "occupation"});
  while (reader.next(record)) {
    if (!detail::check_record(errors, reader, record, 5)) continue;
    auto age = parse_int64(record[1]);
    if (!age) {
      detail::report(errors, reader, record.line, "age", "not a number: '" + std::string(record[1]) + "'",
                     "non_numeric_value");
      continue;
    }
    add_entity_row(out, record[0], record.line,
                   {age_group(*age), std::string(trim(record[2])), std::string(trim(record[3]))});
  }
  detail::drop_duplicate_ids(out, errors);
  return out;
}

RawEntityFile read_ml100k_items(const std::filesystem::path& dir, RowErrorHandler& errors) {
  auto genres = read_ml100k_genre_names(dir);
  CsvOptions csv = plain("|");
  csv.encoding = CsvOptions::Encoding::Latin1;  // u.item is ISO-8859-1
  CsvReader reader(dir / "u.item", csv);
  CsvRecord record;
  RawEntityFile out = start_entity_file(dir / "u.item", {"genre", "year"});
  const std::size_t expected = 5 + genres.size();
  while (reader.next(record)) {
    if (!detail::check_record(errors, reader, record, expected)) continue;
    std::string genre;
    for (std::size_t g = 0; g < genres.size(); ++g) {
      if (trim(record[5 + g]) != "1") continue;
      if (!genre.empty()) genre += '|';
      genre += genres[g];
    }
    // Release date "01-Jan-1995": the year is its last four characters.
    std::string_view release = trim(record[2]);
    std::string year = release.size() >= 4 ? std::string(release.substr(release.size() - 4)) : "";
    if (!parse_int64(year)) year = detail::year_from_title(record[1]);
    add_entity_row(out, record[0], record.line, {genre, year});
  }
  detail::drop_duplicate_ids(out, errors);
  return out;
}

RawEntityFile read_ml1m_users(const std::filesystem::path& file, RowErrorHandler& errors) {
  CsvReader reader(file, plain("::"));
  CsvRecord record;
  RawEntityFile out = start_entity_file(file, {"age_group", "gender", "occupation"});
  while (reader.next(record)) {
    if (!detail::check_record(errors, reader, record, 5)) continue;
    auto age = parse_int64(record[2]);
    auto occupation = parse_int64(record[3]);
    if (!age) {
      detail::report(errors, reader, record.line, "age", "not a number: '" + std::string(record[2]) + "'",
                     "non_numeric_value");
      continue;
    }
    std::string occ = occupation && *occupation >= 0 && *occupation < static_cast<std::int64_t>(kMl1mOccupations.size())
                          ? kMl1mOccupations[*occupation]
                          : std::string(trim(record[3]));
    add_entity_row(out, record[0], record.line, {age_group(*age), std::string(trim(record[1])), occ});
  }
  detail::drop_duplicate_ids(out, errors);
  return out;
}

// movies.dat (1M/10M) and movies.csv (latest): id, title, "A|B" genres.
RawEntityFile read_movies(const std::filesystem::path& file, bool csv_with_header, RowErrorHandler& errors) {
  CsvOptions csv = csv_with_header ? CsvOptions{} : plain("::");
  CsvReader reader(file, csv);
  CsvRecord record;
  RawEntityFile out = start_entity_file(file, {"genre", "year"});
  if (csv_with_header && !reader.next(record)) throw DataError(file.string(), 0, "", "empty movies file");
  while (reader.next(record)) {
    if (!detail::check_record(errors, reader, record, 3)) continue;
    std::string genres(trim(record[2]));
    if (genres == "(no genres listed)") genres.clear();
    add_entity_row(out, record[0], record.line, {genres, detail::year_from_title(record[1])});
  }
  detail::drop_duplicate_ids(out, errors);
  return out;
}

}  // namespace

DatasetSources open_movielens_100k(const std::filesystem::path& dir, const LoadOptions& options,
                                   RowErrorHandler& errors) {
  DatasetSources src;
  src.format = "movielens-100k";
  src.interactions = dir / "u.data";
  detail::require_nonempty_file(src.interactions, "ratings (u.data)");
  if (std::filesystem::exists(dir / "u.user")) src.users = read_ml100k_users(dir / "u.user", errors);
  if (std::filesystem::exists(dir / "u.item")) src.items = read_ml100k_items(dir, errors);
  src.explicit_ratings = true;
  src.rating_min = options.rating_min.value_or(1.0f);
  src.rating_max = options.rating_max.value_or(5.0f);
  src.read_interactions = [file = src.interactions](InteractionSink& sink) {
    read_headerless_ratings(file, plain("\t"), sink);
  };
  return src;
}

DatasetSources open_movielens_1m(const std::filesystem::path& dir, const LoadOptions& options, RowErrorHandler& errors) {
  DatasetSources src;
  src.format = "movielens-1m";
  src.interactions = dir / "ratings.dat";
  detail::require_nonempty_file(src.interactions, "ratings (ratings.dat)");
  if (std::filesystem::exists(dir / "users.dat")) src.users = read_ml1m_users(dir / "users.dat", errors);  // not in 10M
  if (std::filesystem::exists(dir / "movies.dat")) src.items = read_movies(dir / "movies.dat", false, errors);
  src.explicit_ratings = true;
  // 10M has half stars; 1M only whole ones, which 0.5-5 also admits.
  src.rating_min = options.rating_min.value_or(0.5f);
  src.rating_max = options.rating_max.value_or(5.0f);
  src.read_interactions = [file = src.interactions](InteractionSink& sink) {
    read_headerless_ratings(file, plain("::"), sink);
  };
  return src;
}

DatasetSources open_movielens_latest(const std::filesystem::path& dir, const LoadOptions& options,
                                     RowErrorHandler& errors) {
  DatasetSources src;
  src.format = "movielens-latest";
  src.interactions = dir / "ratings.csv";
  detail::require_nonempty_file(src.interactions, "ratings (ratings.csv)");
  if (std::filesystem::exists(dir / "movies.csv")) src.items = read_movies(dir / "movies.csv", true, errors);
  src.explicit_ratings = true;
  src.rating_min = options.rating_min.value_or(0.5f);
  src.rating_max = options.rating_max.value_or(5.0f);
  src.read_interactions = [file = src.interactions](InteractionSink& sink) {
    CsvReader reader(file);
    CsvRecord record;
    if (!reader.next(record)) throw DataError(file.string(), 0, "", "empty ratings file");
    auto header = record.to_strings();
    int user = find_column(header, "userId"), item = find_column(header, "movieId"),
        rating = find_column(header, "rating"), ts = find_column(header, "timestamp");
    for (auto [index, name] :
         {std::pair{user, "userId"}, {item, "movieId"}, {rating, "rating"}, {ts, "timestamp"}})
      if (index < 0) throw DataError(reader.file_name(), record.line, name, "missing column in header");
    detail::InteractionCells cells;
    cells.has_value = true;
    cells.user_field = "userId";
    cells.item_field = "movieId";
    cells.value_field = "rating";
    RawInteraction raw;
    while (reader.next(record)) {
      if (!detail::check_record(sink, reader, record, header.size())) continue;
      cells.user = record[user];
      cells.item = record[item];
      cells.value = record[rating];
      cells.timestamp = record[ts];
      if (detail::parse_interaction(cells, Event::Rating, reader, record.line, sink, raw)) sink.row(raw);
    }
  };
  return src;
}

}  // namespace hybridrec
