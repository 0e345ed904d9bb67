#include "store/schema.h"

#include <sqlite3.h>

#include <string>

namespace harch {

namespace {

// Version 1. Columns a later version adds must be nullable or defaulted, and the version bumped.
// `offset` is quoted: it is an SQL keyword.
constexpr const char* kSchemaV1 = R"SQL(
CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, request_id TEXT UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL,
                                   time_us INTEGER, type TEXT, message TEXT);
CREATE INDEX IF NOT EXISTS events_by_job ON events (job_id);
CREATE TABLE IF NOT EXISTS nodes (name TEXT PRIMARY KEY, doc TEXT);
CREATE TABLE IF NOT EXISTS logs (job_id INTEGER, attempt INTEGER, rank INTEGER, "offset" INTEGER,
                                 data BLOB, PRIMARY KEY (job_id, attempt, rank, "offset"));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
PRAGMA user_version = 1;
)SQL";
static_assert(kStoreSchemaVersion == 1, "kSchemaV1 sets user_version; add a migration");

// Runs a pragma that answers one row and returns its first column.
Result<std::string> PragmaValue(sqlite::Db& db, const char* sql) {
  HARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, db.Prepare(sql));
  sqlite::Cursor c(stmt);
  if (c.Step() != SQLITE_ROW) return db.LastError(sql);
  return c.Bytes(0);
}

Result<int> SchemaVersion(sqlite::Db& db) {
  auto v = PragmaValue(db, "PRAGMA user_version");
  if (!v.ok()) {
    // The first read of the file: garbage shows up here as "file is not a database".
    if (db.last_extended_code() == SQLITE_NOTADB) {
      return FailedPrecondition(db.path() + ": not a HarchOS store: " + db.last_message());
    }
    return Unavailable(db.path() + ": cannot read the store: " + db.last_message());
  }
  return std::stoi(*v);
}

Status CheckNotNewer(const sqlite::Db& db, int version) {
  if (version <= kStoreSchemaVersion) return Status::Ok();
  return FailedPrecondition(db.path() + ": the store has schema version " + std::to_string(version) +
                            " but this HarchOS understands up to " +
                            std::to_string(kStoreSchemaVersion) +
                            "; it was written by a newer HarchOS, run that one (or another data "
                            "directory)");
}

}  // namespace

Status PrepareSchema(sqlite::Db& db) {
  // Checked before anything is written, so a newer store is left exactly as it was.
  HARCH_ASSIGN_OR_RETURN(int version, SchemaVersion(db));
  HARCH_RETURN_IF_ERROR(CheckNotNewer(db, version));

  HARCH_ASSIGN_OR_RETURN(std::string mode, PragmaValue(db, "PRAGMA journal_mode=WAL"));
  if (mode != "wal") {
    return FailedPrecondition(db.path() + ": cannot use write-ahead logging (journal mode is '" +
                              mode + "'); is the directory on a local file system?");
  }
  // FULL: in WAL mode this fsyncs the log on every commit, which is what makes an
  // acknowledged write survive power loss (NORMAL would only survive a process crash).
  HARCH_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=FULL"));

  HARCH_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  // Read again under the write lock: another process may have set the store up meanwhile.
  auto inside = [&]() -> Status {
    HARCH_ASSIGN_OR_RETURN(int v, SchemaVersion(db));
    HARCH_RETURN_IF_ERROR(CheckNotNewer(db, v));
    if (v < kStoreSchemaVersion) HARCH_RETURN_IF_ERROR(db.Exec(kSchemaV1));
    return db.Exec("COMMIT");
  }();
  if (!inside.ok() && db.in_transaction()) (void)db.Exec("ROLLBACK");
  return inside;
}

}  // namespace harch
