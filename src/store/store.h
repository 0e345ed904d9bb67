// The control plane's embedded durable store: one SQLite file (DIR/harch.db) in WAL mode with
// synchronous=FULL, so a write that was acknowledged survives a crash or power loss. No server.
//
// Writes are batches, committed in the order they were queued. One writer thread owns the write
// connection: it takes every batch queued so far and applies them in one transaction (group
// commit), so concurrent callers share each fsync instead of paying one each. Each batch runs in
// its own savepoint, so a batch that fails (a duplicate request id) fails alone and the rest of
// its group still commits. Reads use a second connection and see committed data only.
//
// Thread-safety: every Store method may be called from any thread, concurrently, except that
// the destructor must not race other calls. A WriteBatch is a plain value: one thread at a time.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "base/status.h"

namespace harch {

namespace sqlite {
class Db;
}

struct StoredJob {
  uint64_t id = 0;
  std::string request_id;  // empty when the job has none
  std::string doc;         // opaque JSON text
};
struct StoredEvent {
  uint64_t seq = 0;  // store-wide, increasing in commit order
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
  std::string data;  // bytes, not necessarily text
};

// Writes committed together, all or nothing, in the order they were added.
class WriteBatch {
 public:
  // Insert or replace by id. An empty request_id is stored as NULL; a non-empty one is unique
  // across jobs (a clash fails the whole batch with AlreadyExists).
  void PutJob(uint64_t id, std::string request_id, std::string doc);
  void AddEvent(uint64_t job_id, int64_t time_us, std::string type, std::string message);
  void PutNode(std::string name, std::string doc);  // insert or replace
  // A chunk whose (job_id, attempt, rank, offset) is already stored is ignored: agents resend
  // what they are unsure was received after a restart.
  void AppendLog(LogChunk chunk);
  void PutMeta(std::string key, std::string value);  // insert or replace
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }

 private:
  friend class Store;
  struct Job { uint64_t id; std::string request_id, doc; };
  struct Event { uint64_t job_id; int64_t time_us; std::string type, message; };
  struct Node { std::string name, doc; };
  struct MetaEntry { std::string key, value; };
  std::vector<std::variant<Job, Event, Node, LogChunk, MetaEntry>> ops_;
};

class Store {
 public:
  // Opens or creates DIR/harch.db (creating DIR). Errors name the path: Unavailable when it
  // cannot be created or opened, FailedPrecondition when it is not a HarchOS store or was
  // written by a newer schema version.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir);
  ~Store();  // commits everything already queued, then stops the writer thread
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Queues a batch; batches commit in the order they were queued. Returns its ticket
  // (1, 2, 3, ...). Never blocks on I/O.
  uint64_t Enqueue(WriteBatch batch);
  // Blocks until the batch with this ticket is durable (committed and fsynced) or has failed,
  // and returns its status: AlreadyExists naming the request_id for a clash, Internal for other
  // failures of the batch, the commit's error for every batch of a group whose commit failed.
  // May be called more than once, from any thread. InvalidArgument for a ticket never issued.
  Status Wait(uint64_t ticket);
  Status Commit(WriteBatch batch) { return Wait(Enqueue(std::move(batch))); }
  // The highest ticket decided: every ticket <= it is durable or has failed. Never decreases.
  uint64_t committed() const;

  // Reads see committed data only.
  Result<std::vector<StoredJob>> Jobs() const;                     // by id
  Result<std::vector<StoredEvent>> Events(uint64_t job_id) const;  // by seq
  Result<std::vector<StoredNode>> Nodes() const;                   // by name
  Result<std::vector<LogChunk>> Logs(uint64_t job_id) const;       // by attempt, rank, offset
  Result<std::optional<std::string>> Meta(const std::string& key) const;

 private:
  struct Writer;  // the write connection and its statements; the writer thread's alone
  struct Reader;  // the read connection and its statements; guarded by read_mu_
  struct Pending {
    uint64_t ticket;
    WriteBatch batch;
  };

  Store(std::unique_ptr<Writer> writer, std::unique_ptr<Reader> reader);
  void WriterLoop();
  // Applies a group in one transaction; returns one status per batch.
  std::vector<Status> CommitGroup(const std::vector<Pending>& group);
  Status Apply(const WriteBatch& batch);

  std::unique_ptr<Writer> writer_;
  std::unique_ptr<Reader> reader_;
  mutable std::mutex read_mu_;

  mutable std::mutex mu_;             // guards everything below
  std::condition_variable queued_;    // the writer waits for work
  std::condition_variable decided_;   // waiters wait for committed_ to pass their ticket
  std::vector<Pending> queue_;
  // Failed tickets and why. Kept (not erased by Wait) so Wait answers the same every time;
  // failures are rare (a clashing request id, a failing disk), so this stays small.
  std::map<uint64_t, Status> failed_;
  uint64_t next_ticket_ = 1;
  uint64_t committed_ = 0;
  bool stop_ = false;
  std::thread writer_thread_;  // last: started once everything above is ready
};

}  // namespace harch
