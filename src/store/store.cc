#include "store/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "store/schema.h"
#include "store/sqlite.h"

namespace harch {

namespace {

// Makes a directory's entries (the new database file, a new subdirectory) durable: fsync on
// the file alone does not persist the name that points at it.
void SyncDirectory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the data itself is synced by SQLite
  (void)::fsync(fd);
  ::close(fd);
}

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace

struct Store::Writer {
  std::unique_ptr<sqlite::Db> db;
  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* commit = nullptr;
  sqlite3_stmt* rollback = nullptr;
  sqlite3_stmt* savepoint = nullptr;
  sqlite3_stmt* rollback_to = nullptr;
  sqlite3_stmt* release = nullptr;
  sqlite3_stmt* put_job = nullptr;
  sqlite3_stmt* add_event = nullptr;
  sqlite3_stmt* put_node = nullptr;
  sqlite3_stmt* append_log = nullptr;
  sqlite3_stmt* put_meta = nullptr;

  // Runs a statement that returns no rows.
  Status Run(sqlite3_stmt* stmt, const char* what) {
    sqlite::Cursor c(stmt);
    return c.Step() == SQLITE_DONE ? Status::Ok() : db->LastError(what);
  }
};

struct Store::Reader {
  std::unique_ptr<sqlite::Db> db;
  sqlite3_stmt* jobs = nullptr;
  sqlite3_stmt* events = nullptr;
  sqlite3_stmt* nodes = nullptr;
  sqlite3_stmt* logs = nullptr;
  sqlite3_stmt* meta = nullptr;
};

void WriteBatch::PutJob(uint64_t id, std::string request_id, std::string doc) {
  ops_.emplace_back(Job{id, std::move(request_id), std::move(doc)});
}
void WriteBatch::AddEvent(uint64_t job_id, int64_t time_us, std::string type, std::string message) {
  ops_.emplace_back(Event{job_id, time_us, std::move(type), std::move(message)});
}
void WriteBatch::PutNode(std::string name, std::string doc) {
  ops_.emplace_back(Node{std::move(name), std::move(doc)});
}
void WriteBatch::AppendLog(LogChunk chunk) { ops_.emplace_back(std::move(chunk)); }
void WriteBatch::PutMeta(std::string key, std::string value) {
  ops_.emplace_back(MetaEntry{std::move(key), std::move(value)});
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir) {
  if (dir.empty()) return InvalidArgument("store: the data directory is empty");
  std::error_code ec;
  const std::filesystem::path root(dir);
  const bool created = std::filesystem::create_directories(root, ec);
  if (ec) return Unavailable(dir + ": cannot create the data directory: " + ec.message());
  const std::string path = (root / "harch.db").string();

  auto writer = std::make_unique<Writer>();
  HARCH_ASSIGN_OR_RETURN(writer->db, sqlite::Db::Open(path, /*create=*/true));
  HARCH_RETURN_IF_ERROR(PrepareSchema(*writer->db));
  SyncDirectory(root);
  if (created) SyncDirectory(std::filesystem::absolute(root).parent_path());

  sqlite::Db& w = *writer->db;
  HARCH_ASSIGN_OR_RETURN(writer->begin, w.Prepare("BEGIN IMMEDIATE"));
  HARCH_ASSIGN_OR_RETURN(writer->commit, w.Prepare("COMMIT"));
  HARCH_ASSIGN_OR_RETURN(writer->rollback, w.Prepare("ROLLBACK"));
  HARCH_ASSIGN_OR_RETURN(writer->savepoint, w.Prepare("SAVEPOINT batch"));
  HARCH_ASSIGN_OR_RETURN(writer->rollback_to, w.Prepare("ROLLBACK TO batch"));
  HARCH_ASSIGN_OR_RETURN(writer->release, w.Prepare("RELEASE batch"));
  // An upsert, not INSERT OR REPLACE: REPLACE would also "resolve" a request_id clash by
  // deleting the other job.
  HARCH_ASSIGN_OR_RETURN(writer->put_job,
                         w.Prepare("INSERT INTO jobs (id, request_id, doc) VALUES (?1, ?2, ?3) "
                                   "ON CONFLICT (id) DO UPDATE SET request_id = excluded.request_id, "
                                   "doc = excluded.doc"));
  HARCH_ASSIGN_OR_RETURN(writer->add_event,
                         w.Prepare("INSERT INTO events (job_id, time_us, type, message) "
                                   "VALUES (?1, ?2, ?3, ?4)"));
  HARCH_ASSIGN_OR_RETURN(writer->put_node,
                         w.Prepare("INSERT OR REPLACE INTO nodes (name, doc) VALUES (?1, ?2)"));
  // DO NOTHING on the key only: unlike INSERT OR IGNORE it does not hide other errors.
  HARCH_ASSIGN_OR_RETURN(writer->append_log,
                         w.Prepare("INSERT INTO logs (job_id, attempt, rank, \"offset\", data) "
                                   "VALUES (?1, ?2, ?3, ?4, ?5) "
                                   "ON CONFLICT (job_id, attempt, rank, \"offset\") DO NOTHING"));
  HARCH_ASSIGN_OR_RETURN(writer->put_meta,
                         w.Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)"));

  auto reader = std::make_unique<Reader>();
  HARCH_ASSIGN_OR_RETURN(reader->db, sqlite::Db::Open(path, /*create=*/false));
  sqlite::Db& r = *reader->db;
  HARCH_RETURN_IF_ERROR(r.Exec("PRAGMA query_only = ON"));  // a bug here must not write
  HARCH_ASSIGN_OR_RETURN(reader->jobs,
                         r.Prepare("SELECT id, request_id, doc FROM jobs ORDER BY id"));
  HARCH_ASSIGN_OR_RETURN(reader->events,
                         r.Prepare("SELECT seq, job_id, time_us, type, message FROM events "
                                   "WHERE job_id = ?1 ORDER BY seq"));
  HARCH_ASSIGN_OR_RETURN(reader->nodes, r.Prepare("SELECT name, doc FROM nodes ORDER BY name"));
  HARCH_ASSIGN_OR_RETURN(reader->logs,
                         r.Prepare("SELECT attempt, rank, \"offset\", data FROM logs WHERE job_id = ?1 "
                                   "ORDER BY attempt, rank, \"offset\""));
  HARCH_ASSIGN_OR_RETURN(reader->meta, r.Prepare("SELECT value FROM meta WHERE key = ?1"));

  return std::unique_ptr<Store>(new Store(std::move(writer), std::move(reader)));
}

Store::Store(std::unique_ptr<Writer> writer, std::unique_ptr<Reader> reader)
    : writer_(std::move(writer)), reader_(std::move(reader)) {
  writer_thread_ = std::thread([this] { WriterLoop(); });
}

Store::~Store() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  queued_.notify_one();
  writer_thread_.join();  // the writer drains the queue before it returns
}

uint64_t Store::Enqueue(WriteBatch batch) {
  uint64_t ticket;
  {
    std::lock_guard lk(mu_);
    ticket = next_ticket_++;
    queue_.push_back({ticket, std::move(batch)});
  }
  queued_.notify_one();
  return ticket;
}

Status Store::Wait(uint64_t ticket) {
  std::unique_lock lk(mu_);
  if (ticket == 0 || ticket >= next_ticket_) {
    return InvalidArgument("store: ticket " + std::to_string(ticket) + " was never issued");
  }
  decided_.wait(lk, [&] { return committed_ >= ticket; });
  auto it = failed_.find(ticket);
  return it == failed_.end() ? Status::Ok() : it->second;
}

uint64_t Store::committed() const {
  std::lock_guard lk(mu_);
  return committed_;
}

void Store::WriterLoop() {
  std::vector<Pending> group;
  while (true) {
    group.clear();
    {
      std::unique_lock lk(mu_);
      queued_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      group.swap(queue_);          // everything queued so far: one transaction, one fsync
    }
    std::vector<Status> results = CommitGroup(group);
    {
      std::lock_guard lk(mu_);
      for (size_t i = 0; i < group.size(); ++i) {
        if (!results[i].ok()) failed_.emplace(group[i].ticket, std::move(results[i]));
      }
      committed_ = group.back().ticket;
    }
    decided_.notify_all();
  }
}

std::vector<Status> Store::CommitGroup(const std::vector<Pending>& group) {
  Writer& w = *writer_;
  std::vector<Status> results(group.size());
  auto fail_all = [&](const Status& st) {
    if (w.db->in_transaction()) (void)w.Run(w.rollback, "ROLLBACK");
    for (Status& r : results) r = st;
    return results;
  };

  if (Status st = w.Run(w.begin, "BEGIN IMMEDIATE"); !st.ok()) return fail_all(st);
  for (size_t i = 0; i < group.size(); ++i) {
    if (Status st = w.Run(w.savepoint, "SAVEPOINT"); !st.ok()) return fail_all(st);
    Status applied = Apply(group[i].batch);
    if (!applied.ok()) {
      if (!w.db->in_transaction()) {
        // SQLite rolled the whole transaction back by itself (I/O error, disk full): the
        // batches before this one are gone too.
        return fail_all(applied.WithContext("the group's transaction was aborted"));
      }
      if (Status st = w.Run(w.rollback_to, "ROLLBACK TO"); !st.ok()) return fail_all(st);
      results[i] = std::move(applied);
    }
    if (Status st = w.Run(w.release, "RELEASE"); !st.ok()) return fail_all(st);
  }
  // The fsync happens here: every batch of the group becomes durable at once.
  if (Status st = w.Run(w.commit, "COMMIT"); !st.ok()) return fail_all(st);
  return results;
}

Status Store::Apply(const WriteBatch& batch) {
  Writer& w = *writer_;
  for (const auto& op : batch.ops_) {
    Status st = std::visit(
        Overloaded{
            [&](const WriteBatch::Job& j) -> Status {
              sqlite::Cursor c(w.put_job);
              c.Bind(1, static_cast<int64_t>(j.id)).BindText(3, j.doc);
              if (j.request_id.empty()) {
                c.BindNull(2);  // NULLs never clash under UNIQUE
              } else {
                c.BindText(2, j.request_id);
              }
              if (c.Step() == SQLITE_DONE) return Status::Ok();
              // The id cannot clash (upsert), so a UNIQUE violation is the request id.
              if (w.db->last_extended_code() == SQLITE_CONSTRAINT_UNIQUE) {
                return AlreadyExists("request_id \"" + j.request_id +
                                     "\" already belongs to another job");
              }
              return Internal(w.db->LastError("storing job " + std::to_string(j.id)).message());
            },
            [&](const WriteBatch::Event& e) -> Status {
              sqlite::Cursor c(w.add_event);
              c.Bind(1, static_cast<int64_t>(e.job_id)).Bind(2, e.time_us);
              c.BindText(3, e.type).BindText(4, e.message);
              if (c.Step() == SQLITE_DONE) return Status::Ok();
              return Internal(w.db->LastError("adding an event").message());
            },
            [&](const WriteBatch::Node& n) -> Status {
              sqlite::Cursor c(w.put_node);
              c.BindText(1, n.name).BindText(2, n.doc);
              if (c.Step() == SQLITE_DONE) return Status::Ok();
              return Internal(w.db->LastError("storing node " + n.name).message());
            },
            [&](const LogChunk& l) -> Status {
              sqlite::Cursor c(w.append_log);
              c.Bind(1, static_cast<int64_t>(l.job_id)).Bind(2, l.attempt).Bind(3, l.rank);
              c.Bind(4, l.offset).BindBlob(5, l.data);
              if (c.Step() == SQLITE_DONE) return Status::Ok();
              return Internal(w.db->LastError("appending a log chunk").message());
            },
            [&](const WriteBatch::MetaEntry& m) -> Status {
              sqlite::Cursor c(w.put_meta);
              c.BindText(1, m.key).BindText(2, m.value);
              if (c.Step() == SQLITE_DONE) return Status::Ok();
              return Internal(w.db->LastError("storing meta " + m.key).message());
            },
        },
        op);
    HARCH_RETURN_IF_ERROR(st);
  }
  return Status::Ok();
}

Result<std::vector<StoredJob>> Store::Jobs() const {
  std::lock_guard lk(read_mu_);
  sqlite::Cursor c(reader_->jobs);
  std::vector<StoredJob> out;
  int rc;
  while ((rc = c.Step()) == SQLITE_ROW) {
    out.push_back({static_cast<uint64_t>(c.Int(0)), c.Bytes(1), c.Bytes(2)});
  }
  if (rc != SQLITE_DONE) return reader_->db->LastError("reading jobs");
  return out;
}

Result<std::vector<StoredEvent>> Store::Events(uint64_t job_id) const {
  std::lock_guard lk(read_mu_);
  sqlite::Cursor c(reader_->events);
  c.Bind(1, static_cast<int64_t>(job_id));
  std::vector<StoredEvent> out;
  int rc;
  while ((rc = c.Step()) == SQLITE_ROW) {
    out.push_back({static_cast<uint64_t>(c.Int(0)), static_cast<uint64_t>(c.Int(1)), c.Int(2),
                   c.Bytes(3), c.Bytes(4)});
  }
  if (rc != SQLITE_DONE) return reader_->db->LastError("reading events");
  return out;
}

Result<std::vector<StoredNode>> Store::Nodes() const {
  std::lock_guard lk(read_mu_);
  sqlite::Cursor c(reader_->nodes);
  std::vector<StoredNode> out;
  int rc;
  while ((rc = c.Step()) == SQLITE_ROW) out.push_back({c.Bytes(0), c.Bytes(1)});
  if (rc != SQLITE_DONE) return reader_->db->LastError("reading nodes");
  return out;
}

Result<std::vector<LogChunk>> Store::Logs(uint64_t job_id) const {
  std::lock_guard lk(read_mu_);
  sqlite::Cursor c(reader_->logs);
  c.Bind(1, static_cast<int64_t>(job_id));
  std::vector<LogChunk> out;
  int rc;
  while ((rc = c.Step()) == SQLITE_ROW) {
    out.push_back({job_id, static_cast<int>(c.Int(0)), static_cast<int>(c.Int(1)), c.Int(2),
                   c.Bytes(3)});
  }
  if (rc != SQLITE_DONE) return reader_->db->LastError("reading logs");
  return out;
}

Result<std::optional<std::string>> Store::Meta(const std::string& key) const {
  std::lock_guard lk(read_mu_);
  sqlite::Cursor c(reader_->meta);
  c.BindText(1, key);
  const int rc = c.Step();
  if (rc == SQLITE_ROW) return std::optional<std::string>(c.Bytes(0));
  if (rc != SQLITE_DONE) return reader_->db->LastError("reading meta " + key);
  return std::optional<std::string>();
}

}  // namespace harch
