#pragma once
// Display names of items for people reading recommendations ("Toy Story (1995)"
// rather than "1"): MovieLens titles (u.item, movies.dat, movies.csv), or the name
// column of an item table (--items FILE, a canonical folder's items.csv): the
// first column called name, title, item_name, product_name, product_title or
// movie_title. Names are not features (a nearly unique text column teaches the
// model nothing), so the readers do not keep them; this reads them on demand.
#include <filesystem>
#include <string>
#include <unordered_map>

#include "data/readers.h"

namespace hybridrec {

// Item id -> name; empty when the data has no name column. Bad rows are skipped
// (names are for display; the loaders report them).
std::unordered_map<std::string, std::string> read_item_names(const std::filesystem::path& path,
                                                             const LoadOptions& options);

}  // namespace hybridrec
