#include "store/store.h"

#include <sqlite3.h>

#include <filesystem>

namespace harch {

namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, request_id TEXT UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL,
                                   time_us INTEGER NOT NULL, type TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_job ON events (job_id, seq);
CREATE TABLE IF NOT EXISTS nodes (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS logs (job_id INTEGER NOT NULL, attempt INTEGER NOT NULL, rank INTEGER NOT NULL,
                                 offset INTEGER NOT NULL, data BLOB NOT NULL,
                                 PRIMARY KEY (job_id, attempt, rank, offset));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
)SQL";

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& BindBlob(int i, const std::string& v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& BindNull(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }
  int Step() { return sqlite3_step(s_); }
  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  std::string Text(int col) const {
    const void* p = sqlite3_column_blob(s_, col);
    return p ? std::string(static_cast<const char*>(p), sqlite3_column_bytes(s_, col)) : std::string();
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_OK;
};

Status DbError(sqlite3* db, const std::string& what) {
  const int code = sqlite3_extended_errcode(db);
  const std::string msg = what + ": " + sqlite3_errmsg(db);
  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) return AlreadyExists(msg);
  return Internal(msg);
}

Result<sqlite3*> OpenDb(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Unavailable(path + ": cannot open: " + msg);
  }
  sqlite3_busy_timeout(db, 10000);
  return db;
}

Status ExecOn(sqlite3* db, const char* sql, const std::string& path) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = path + ": " + (err ? err : "error");
    sqlite3_free(err);
    return Internal(msg);
  }
  return Status::Ok();
}

}  // namespace

void WriteBatch::PutJob(uint64_t id, std::string request_id, std::string doc) {
  ops_.emplace_back(Job{id, std::move(request_id), std::move(doc)});
}
void WriteBatch::AddEvent(uint64_t job_id, int64_t time_us, std::string type, std::string message) {
  ops_.emplace_back(Event{job_id, time_us, std::move(type), std::move(message)});
}
void WriteBatch::PutNode(std::string name, std::string doc) {
  ops_.emplace_back(NodeDoc{std::move(name), std::move(doc)});
}
void WriteBatch::AppendLog(LogChunk chunk) { ops_.emplace_back(std::move(chunk)); }
void WriteBatch::PutMeta(std::string key, std::string value) {
  ops_.emplace_back(Meta{std::move(key), std::move(value)});
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable(dir + ": cannot create the data directory: " + ec.message());
  const std::string path = dir + "/harch.db";
  HARCH_ASSIGN_OR_RETURN(sqlite3* writer, OpenDb(path));
  auto fail = [&](Status st, sqlite3* reader = nullptr) {
    sqlite3_close(writer);
    sqlite3_close(reader);
    return st;
  };
  {
    Stmt v(writer, "PRAGMA user_version");
    if (!v.ok() || v.Step() != SQLITE_ROW) {
      return fail(FailedPrecondition(path + ": not a HarchOS store (" + sqlite3_errmsg(writer) + ")"));
    }
    if (v.Int(0) > kSchemaVersion) {
      return fail(FailedPrecondition(path + ": written by a newer HarchOS (schema " +
                                     std::to_string(v.Int(0)) + ", this one knows " +
                                     std::to_string(kSchemaVersion) + ")"));
    }
  }
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", kSchema,
                          "PRAGMA user_version=1"}) {
    Status st = ExecOn(writer, sql, path);
    if (!st.ok()) return fail(st);
  }
  auto reader = OpenDb(path);
  if (!reader.ok()) return fail(reader.status());
  return std::unique_ptr<Store>(new Store(path, writer, *reader));
}

Store::Store(std::string path, sqlite3* writer, sqlite3* reader)
    : path_(std::move(path)), writer_(writer), reader_(reader) {
  writer_thread_ = std::thread([this] { WriterLoop(); });
}

Store::~Store() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  queued_.notify_all();
  writer_thread_.join();
  sqlite3_close(reader_);
  sqlite3_close(writer_);
}

uint64_t Store::Enqueue(WriteBatch batch) {
  std::lock_guard lk(mu_);
  const uint64_t ticket = next_ticket_++;
  queue_.emplace_back(ticket, std::move(batch));
  queued_.notify_one();
  return ticket;
}

Status Store::Wait(uint64_t ticket) {
  std::unique_lock lk(mu_);
  done_.wait(lk, [&] { return committed_ >= ticket; });
  auto it = failed_.find(ticket);
  if (it == failed_.end()) return Status::Ok();
  Status st = it->second;
  failed_.erase(it);
  return st;
}

uint64_t Store::committed() const {
  std::lock_guard lk(mu_);
  return committed_;
}

Status Store::Exec(const char* sql) { return ExecOn(writer_, sql, path_); }

void Store::WriterLoop() {
  while (true) {
    std::deque<std::pair<uint64_t, WriteBatch>> group;
    {
      std::unique_lock lk(mu_);
      queued_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      group.swap(queue_);
    }
    std::map<uint64_t, Status> failed;
    Status st = Exec("BEGIN IMMEDIATE");
    if (st.ok()) {
      for (auto& [ticket, batch] : group) {
        HARCH_CHECK(Exec("SAVEPOINT batch").ok());
        Status applied = Apply(batch);
        if (!applied.ok()) {
          failed[ticket] = applied;
          HARCH_CHECK(Exec("ROLLBACK TO batch").ok());
        }
        HARCH_CHECK(Exec("RELEASE batch").ok());
      }
      st = Exec("COMMIT");
      if (!st.ok()) (void)Exec("ROLLBACK");
    }
    std::lock_guard lk(mu_);
    for (auto& [ticket, batch] : group) {
      if (!st.ok()) {
        failed_[ticket] = st;
      } else if (failed.count(ticket)) {
        failed_[ticket] = failed[ticket];
      }
    }
    committed_ = group.back().first;
    done_.notify_all();
  }
}

Status Store::Apply(const WriteBatch& batch) {
  for (const auto& op : batch.ops_) {
    int rc = SQLITE_DONE;
    if (const auto* j = std::get_if<WriteBatch::Job>(&op)) {
      Stmt s(writer_, "INSERT INTO jobs (id, request_id, doc) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT(id) DO UPDATE SET request_id = excluded.request_id, doc = excluded.doc");
      s.Bind(1, static_cast<int64_t>(j->id)).Bind(3, j->doc);
      if (j->request_id.empty()) {
        s.BindNull(2);
      } else {
        s.Bind(2, j->request_id);
      }
      rc = s.Step();
      if (rc != SQLITE_DONE) {
        return sqlite3_extended_errcode(writer_) == SQLITE_CONSTRAINT_UNIQUE
                   ? AlreadyExists("request_id: '" + j->request_id + "' belongs to another job")
                   : DbError(writer_, path_);
      }
    } else if (const auto* e = std::get_if<WriteBatch::Event>(&op)) {
      Stmt s(writer_, "INSERT INTO events (job_id, time_us, type, message) VALUES (?1, ?2, ?3, ?4)");
      rc = s.Bind(1, static_cast<int64_t>(e->job_id)).Bind(2, e->time_us).Bind(3, e->type).Bind(4, e->message).Step();
    } else if (const auto* n = std::get_if<WriteBatch::NodeDoc>(&op)) {
      Stmt s(writer_, "INSERT OR REPLACE INTO nodes (name, doc) VALUES (?1, ?2)");
      rc = s.Bind(1, n->name).Bind(2, n->doc).Step();
    } else if (const auto* l = std::get_if<LogChunk>(&op)) {
      Stmt s(writer_, "INSERT OR IGNORE INTO logs (job_id, attempt, rank, offset, data) VALUES (?1, ?2, ?3, ?4, ?5)");
      rc = s.Bind(1, static_cast<int64_t>(l->job_id)).Bind(2, l->attempt).Bind(3, l->rank).Bind(4, l->offset)
               .BindBlob(5, l->data).Step();
    } else if (const auto* m = std::get_if<WriteBatch::Meta>(&op)) {
      Stmt s(writer_, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
      rc = s.Bind(1, m->key).Bind(2, m->value).Step();
    }
    if (rc != SQLITE_DONE) return DbError(writer_, path_);
  }
  return Status::Ok();
}

Result<std::vector<StoredJob>> Store::Jobs() const {
  std::lock_guard lk(read_mu_);
  Stmt s(reader_, "SELECT id, COALESCE(request_id, ''), doc FROM jobs ORDER BY id");
  std::vector<StoredJob> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back({static_cast<uint64_t>(s.Int(0)), s.Text(1), s.Text(2)});
  if (rc != SQLITE_DONE) return DbError(reader_, path_);
  return out;
}

Result<std::vector<StoredEvent>> Store::Events(uint64_t job_id) const {
  std::lock_guard lk(read_mu_);
  Stmt s(reader_, "SELECT seq, job_id, time_us, type, message FROM events WHERE job_id = ?1 ORDER BY seq");
  s.Bind(1, static_cast<int64_t>(job_id));
  std::vector<StoredEvent> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    out.push_back({static_cast<uint64_t>(s.Int(0)), static_cast<uint64_t>(s.Int(1)), s.Int(2), s.Text(3), s.Text(4)});
  }
  if (rc != SQLITE_DONE) return DbError(reader_, path_);
  return out;
}

Result<std::vector<StoredNode>> Store::Nodes() const {
  std::lock_guard lk(read_mu_);
  Stmt s(reader_, "SELECT name, doc FROM nodes ORDER BY name");
  std::vector<StoredNode> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back({s.Text(0), s.Text(1)});
  if (rc != SQLITE_DONE) return DbError(reader_, path_);
  return out;
}

Result<std::vector<LogChunk>> Store::Logs(uint64_t job_id) const {
  std::lock_guard lk(read_mu_);
  Stmt s(reader_, "SELECT attempt, rank, offset, data FROM logs WHERE job_id = ?1 ORDER BY attempt, rank, offset");
  s.Bind(1, static_cast<int64_t>(job_id));
  std::vector<LogChunk> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    out.push_back({job_id, static_cast<int>(s.Int(0)), static_cast<int>(s.Int(1)), s.Int(2), s.Text(3)});
  }
  if (rc != SQLITE_DONE) return DbError(reader_, path_);
  return out;
}

Result<std::optional<std::string>> Store::Meta(const std::string& key) const {
  std::lock_guard lk(read_mu_);
  Stmt s(reader_, "SELECT value FROM meta WHERE key = ?1");
  s.Bind(1, key);
  const int rc = s.Step();
  if (rc == SQLITE_ROW) return std::optional<std::string>(s.Text(0));
  if (rc != SQLITE_DONE) return DbError(reader_, path_);
  return std::optional<std::string>();
}

}  // namespace harch
