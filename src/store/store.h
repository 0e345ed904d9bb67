// The control plane's embedded durable store: SQLite in WAL mode, fsync on every commit
// (synchronous=FULL), no server to run.
//
// Writes are batches, committed in the order they were queued. One writer thread takes every
// batch queued so far and commits them in one transaction (group commit), so many concurrent
// callers share each fsync; each batch sits in its own savepoint, so a batch that fails (a
// duplicate request id) fails alone. Reads see committed data only.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "base/status.h"

struct sqlite3;

namespace harch {

struct StoredJob {
  uint64_t id = 0;
  std::string request_id;
  std::string doc;  // opaque JSON text
};
struct StoredEvent {
  uint64_t seq = 0;
  uint64_t job_id = 0;
  int64_t time_us = 0;
  std::string type;
  std::string message;
};
struct StoredNode {
  std::string name;
  std::string doc;
};
struct LogChunk {
  uint64_t job_id = 0;
  int attempt = 0;
  int rank = 0;
  int64_t offset = 0;
  std::string data;
};

// Writes committed together, all or nothing, in the order they were added.
class WriteBatch {
 public:
  // Insert or replace by id. A non-empty request_id is unique across jobs.
  void PutJob(uint64_t id, std::string request_id, std::string doc);
  void AddEvent(uint64_t job_id, int64_t time_us, std::string type, std::string message);
  void PutNode(std::string name, std::string doc);
  // A chunk already stored at (job, attempt, rank, offset) is ignored: agents resend.
  void AppendLog(LogChunk chunk);
  void PutMeta(std::string key, std::string value);
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }

 private:
  friend class Store;
  struct Job { uint64_t id; std::string request_id, doc; };
  struct Event { uint64_t job_id; int64_t time_us; std::string type, message; };
  struct NodeDoc { std::string name, doc; };
  struct Meta { std::string key, value; };
  std::vector<std::variant<Job, Event, NodeDoc, LogChunk, Meta>> ops_;
};

class Store {
 public:
  // Opens or creates DIR/harch.db (creating DIR).
  static Result<std::unique_ptr<Store>> Open(const std::string& dir);
  ~Store();  // commits what is queued, then stops the writer
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Queues a batch; returns its ticket (1, 2, 3, ...).
  uint64_t Enqueue(WriteBatch batch);
  // Blocks until the batch is durable or has failed.
  Status Wait(uint64_t ticket);
  Status Commit(WriteBatch batch) { return Wait(Enqueue(std::move(batch))); }
  uint64_t committed() const;  // every ticket <= it is decided

  Result<std::vector<StoredJob>> Jobs() const;                     // by id
  Result<std::vector<StoredEvent>> Events(uint64_t job_id) const;  // by seq
  Result<std::vector<StoredNode>> Nodes() const;                   // by name
  Result<std::vector<LogChunk>> Logs(uint64_t job_id) const;       // by attempt, rank, offset
  Result<std::optional<std::string>> Meta(const std::string& key) const;

 private:
  Store(std::string path, sqlite3* writer, sqlite3* reader);
  void WriterLoop();
  Status Apply(const WriteBatch& batch);
  Status Exec(const char* sql);

  const std::string path_;
  sqlite3* writer_;
  sqlite3* reader_;
  mutable std::mutex read_mu_;

  mutable std::mutex mu_;
  std::condition_variable queued_;
  std::condition_variable done_;
  std::deque<std::pair<uint64_t, WriteBatch>> queue_;
  std::map<uint64_t, Status> failed_;  // tickets that failed, until waited for
  uint64_t next_ticket_ = 1;
  uint64_t committed_ = 0;
  bool stop_ = false;
  std::thread writer_thread_;
};

}  // namespace harch
