// Thin RAII wrappers over the SQLite C API, private to the store: a connection that owns the
// statements prepared on it (prepared once, reused for every call), and a cursor that binds,
// steps and always resets its statement, so no read transaction outlives a call (an open one
// would pin an old snapshot and stop WAL checkpoints).
//
// Thread-safety: none. A Db, its statements and its cursors are used by one thread at a time;
// the store guarantees it (the writer connection belongs to the writer thread, the reader
// connection is guarded by a mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace harch::sqlite {

class Db {
 public:
  // Opens `path` read-write (creating it when `create`), with extended result codes and a busy
  // timeout, so a lock held by another connection is waited for rather than failed at once.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, bool create);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Prepares `sql` once for the life of the connection; the Db finalizes it.
  Result<sqlite3_stmt*> Prepare(const char* sql);
  // Runs SQL that binds nothing and returns no rows we need (pragmas, DDL, BEGIN/COMMIT).
  Status Exec(const char* sql);
  // The connection's last error as a Status naming the database path and `what` was done.
  // A UNIQUE or PRIMARY KEY violation is AlreadyExists; anything else is Internal.
  Status LastError(std::string_view what) const;
  int last_extended_code() const;
  std::string last_message() const;  // SQLite's text for the last error, without the path
  // True while a transaction is open. SQLite ends one by itself after some errors (disk full,
  // I/O), which the writer must notice to avoid committing half a group.
  bool in_transaction() const;
  const std::string& path() const { return path_; }

 private:
  Db(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  std::string path_;
  sqlite3* db_;
  std::vector<sqlite3_stmt*> statements_;
};

// One use of a prepared statement. Bindings point into the caller's strings (no copy), which
// must outlive the cursor. The destructor resets the statement and clears its bindings.
class Cursor {
 public:
  explicit Cursor(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  Cursor& Bind(int index, int64_t value);
  Cursor& BindText(int index, std::string_view value);
  Cursor& BindBlob(int index, std::string_view value);
  Cursor& BindNull(int index);

  // The SQLite result code: SQLITE_ROW while rows remain, SQLITE_DONE at the end, else an error.
  int Step();
  int64_t Int(int column) const;
  // Text or blob column as bytes (NULL reads as empty). Embedded NULs are kept.
  std::string Bytes(int column) const;

 private:
  sqlite3_stmt* stmt_;
};

}  // namespace harch::sqlite
