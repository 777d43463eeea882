#pragma once
// Versioned schema of the tracking store and the model registry. Each migration
// runs once, inside a write transaction, and is recorded in schema_migrations, so
// two processes opening a new workspace at the same time cannot both apply it.
#include <string>
#include <vector>

#include "store/sql_database.h"

namespace hybridrec::store {

struct Migration {
  int version;
  std::string description;
  std::vector<std::string> statements;  // {pk} becomes the dialect's auto-increment key
};

const std::vector<Migration>& schema_migrations();
int latest_schema_version();

// Applies the missing migrations; returns the schema version afterwards. Throws
// Error when the store was written by a newer hybridrec (unknown version).
int migrate(SqlDatabase& db);

// The highest applied version (0 for an empty store).
int applied_schema_version(SqlDatabase& db);

}  // namespace hybridrec::store
