// The store's on-disk schema and its version, private to the store.
//
// The version lives in `PRAGMA user_version`. A database written by a newer HarchOS is refused
// rather than read: its meaning may have changed in ways this build cannot know.
//
// Thread-safety: stateless; the Db passed in must not be in use by another thread.
#pragma once

#include "base/status.h"
#include "store/sqlite.h"

namespace harch {

inline constexpr int kStoreSchemaVersion = 1;

// Puts the connection in WAL mode with synchronous=FULL, checks the schema version and creates
// the tables when missing (in one write transaction, so two processes opening a fresh store at
// once cannot interleave). FailedPrecondition for a file that is not a database or is newer.
Status PrepareSchema(sqlite::Db& db);

}  // namespace harch
