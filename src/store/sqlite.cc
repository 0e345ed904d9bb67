#include "store/sqlite.h"

#include <sqlite3.h>

namespace harch::sqlite {

namespace {
// Long enough to ride out another process's checkpoint or schema setup; short enough that a
// wedged peer surfaces as an error rather than a hang.
constexpr int kBusyTimeoutMs = 10000;
}  // namespace

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, bool create) {
  sqlite3* raw = nullptr;
  // NOMUTEX: the store serializes every use of a connection itself.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return Unavailable(path + ": cannot open the store: " + why);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return std::unique_ptr<Db>(new Db(path, raw));
}

Db::~Db() {
  for (sqlite3_stmt* s : statements_) sqlite3_finalize(s);
  sqlite3_close(db_);
}

Result<sqlite3_stmt*> Db::Prepare(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  // PERSISTENT: a hint that the statement is kept and reused, so SQLite allocates it to last.
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    return LastError(std::string("preparing \"") + sql + "\"");
  }
  statements_.push_back(stmt);
  return stmt;
}

Status Db::Exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return LastError(sql);
  return Status::Ok();
}

Status Db::LastError(std::string_view what) const {
  const int code = sqlite3_extended_errcode(db_);
  std::string msg = path_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_);
  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return AlreadyExists(std::move(msg));
  }
  return Internal(std::move(msg));
}

int Db::last_extended_code() const { return sqlite3_extended_errcode(db_); }

std::string Db::last_message() const { return sqlite3_errmsg(db_); }

bool Db::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Cursor::~Cursor() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Cursor& Cursor::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Cursor& Cursor::BindText(int index, std::string_view value) {
  // The 64-bit variant: a document over 2 GiB is refused by SQLite (SQLITE_TOOBIG at step),
  // not silently truncated by a narrowing cast.
  sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8);
  return *this;
}

Cursor& Cursor::BindBlob(int index, std::string_view value) {
  sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), SQLITE_STATIC);
  return *this;
}

Cursor& Cursor::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

int Cursor::Step() { return sqlite3_step(stmt_); }

int64_t Cursor::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Cursor::Bytes(int column) const {
  // Blob first, then the size: the documented order that avoids a text conversion in between.
  const void* p = sqlite3_column_blob(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

}  // namespace harch::sqlite
