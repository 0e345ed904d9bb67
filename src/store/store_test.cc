#include "store/store.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

namespace harch {
namespace {

// Each test gets its own directory, removed afterwards; the store lives in DIR/db.
class StoreTest : public ::testing::Test {
 protected:
  StoreTest() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "harch-store-XXXXXX").string();
    HARCH_CHECK(mkdtemp(tmpl.data()) != nullptr);
    dir_ = tmpl;
    db_dir_ = dir_ + "/db";
  }
  ~StoreTest() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> Open() {
    auto s = Store::Open(db_dir_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Runs SQL on the database file from outside the store.
  void RawExec(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((db_dir_ + "/harch.db").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  std::string dir_;
  std::string db_dir_;
};

std::set<uint64_t> JobIds(const Store& s) {
  std::set<uint64_t> ids;
  auto jobs = s.Jobs();
  EXPECT_TRUE(jobs.ok()) << jobs.status().ToString();
  if (jobs.ok()) {
    for (const auto& j : *jobs) EXPECT_TRUE(ids.insert(j.id).second) << "duplicate job " << j.id;
  }
  return ids;
}

TEST_F(StoreTest, RoundTripsEachKind) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  const std::string binary("out\0put\xff", 8);
  WriteBatch b;
  b.PutJob(1, "r1", R"({"a":1})");
  b.PutJob(2, "", "{}");  // no request id: stored as NULL, so two of them do not clash
  b.PutJob(3, "", "{}");
  b.AddEvent(1, 10, "Submitted", "queued");
  b.PutNode("n1", R"({"up":true})");
  b.AppendLog({1, 2, 3, 0, binary});
  b.PutMeta("next_id", "4");
  EXPECT_FALSE(b.empty());
  EXPECT_EQ(b.size(), 7u);
  ASSERT_TRUE(s->Commit(std::move(b)).ok());

  auto jobs = s->Jobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 3u);
  EXPECT_EQ((*jobs)[0].id, 1u);
  EXPECT_EQ((*jobs)[0].request_id, "r1");
  EXPECT_EQ((*jobs)[0].doc, R"({"a":1})");
  EXPECT_EQ((*jobs)[1].request_id, "");
  auto events = s->Events(1);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].job_id, 1u);
  EXPECT_EQ((*events)[0].time_us, 10);
  EXPECT_EQ((*events)[0].type, "Submitted");
  EXPECT_EQ((*events)[0].message, "queued");
  EXPECT_TRUE(s->Events(2)->empty());
  auto nodes = s->Nodes();
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].name, "n1");
  EXPECT_EQ((*nodes)[0].doc, R"({"up":true})");
  auto logs = s->Logs(1);
  ASSERT_EQ(logs->size(), 1u);
  EXPECT_EQ((*logs)[0].job_id, 1u);
  EXPECT_EQ((*logs)[0].attempt, 2);
  EXPECT_EQ((*logs)[0].rank, 3);
  EXPECT_EQ((*logs)[0].data, binary);
  EXPECT_EQ(s->Meta("next_id")->value_or(""), "4");
  EXPECT_FALSE(s->Meta("missing")->has_value());
}

TEST_F(StoreTest, ReopenSeesEverythingCommittedAndQueued) {
  {
    auto s = Open();
    WriteBatch b;
    b.PutJob(1, "r1", "{}");
    b.AddEvent(1, 1, "Submitted", "");
    b.PutNode("n1", "{}");
    b.AppendLog({1, 0, 0, 0, "hello"});
    b.PutMeta("k", "v");
    ASSERT_TRUE(s->Commit(std::move(b)).ok());
    // Queued but never waited for: the destructor still commits it.
    WriteBatch late;
    late.PutJob(2, "r2", "{}");
    s->Enqueue(std::move(late));
  }
  auto s = Open();
  EXPECT_EQ(JobIds(*s), (std::set<uint64_t>{1, 2}));
  EXPECT_EQ(s->Events(1)->size(), 1u);
  EXPECT_EQ(s->Nodes()->size(), 1u);
  EXPECT_EQ(s->Logs(1)->at(0).data, "hello");
  EXPECT_EQ(s->Meta("k")->value_or(""), "v");
  // Tickets restart with the process; they are not stored.
  WriteBatch b;
  b.PutMeta("k", "w");
  EXPECT_EQ(s->Enqueue(std::move(b)), 1u);
}

TEST_F(StoreTest, FailedBatchLeavesNothingWhileItsGroupCommits) {
  auto s = Open();
  WriteBatch seed;
  seed.PutJob(1, "dup", "{}");
  ASSERT_TRUE(s->Commit(std::move(seed)).ok());

  // Hold the database's write lock from outside, so the writer blocks on the first group it
  // takes and everything else piles up for the next one. With `bad` between two good batches,
  // it shares its transaction with at least one of them however the queue is split.
  sqlite3* lock = nullptr;
  ASSERT_EQ(sqlite3_open((db_dir_ + "/harch.db").c_str(), &lock), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(lock, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  WriteBatch before, bad, after;
  before.PutJob(2, "r2", "{}");
  before.AddEvent(2, 1, "Submitted", "");
  bad.PutJob(3, "r3", "{}");
  bad.AddEvent(3, 1, "Submitted", "");
  bad.PutNode("bad-node", "{}");
  bad.AppendLog({3, 0, 0, 0, "x"});
  bad.PutMeta("bad", "1");
  bad.PutJob(4, "dup", "{}");  // clashes with job 1: the whole batch must vanish
  after.PutJob(5, "r5", "{}");
  const uint64_t t1 = s->Enqueue(std::move(before));
  const uint64_t t2 = s->Enqueue(std::move(bad));
  const uint64_t t3 = s->Enqueue(std::move(after));
  EXPECT_LT(s->committed(), t1);  // nothing can commit while the lock is held
  ASSERT_EQ(sqlite3_exec(lock, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(lock);

  EXPECT_TRUE(s->Wait(t1).ok());
  const Status st = s->Wait(t2);
  EXPECT_EQ(st.code(), Code::kAlreadyExists) << st.ToString();
  EXPECT_NE(st.message().find("dup"), std::string::npos) << st.ToString();
  EXPECT_EQ(s->Wait(t2).code(), Code::kAlreadyExists);  // asking again gives the same answer
  EXPECT_TRUE(s->Wait(t3).ok());
  EXPECT_EQ(s->committed(), t3);

  EXPECT_EQ(JobIds(*s), (std::set<uint64_t>{1, 2, 5}));
  EXPECT_EQ(s->Events(2)->size(), 1u);
  EXPECT_TRUE(s->Events(3)->empty());
  EXPECT_TRUE(s->Nodes()->empty());
  EXPECT_TRUE(s->Logs(3)->empty());
  EXPECT_FALSE(s->Meta("bad")->has_value());
}

TEST_F(StoreTest, ResentLogChunksAreStoredOnce) {
  auto s = Open();
  for (int round = 0; round < 2; ++round) {
    WriteBatch b;
    b.AppendLog({7, 1, 0, 0, "abc"});
    b.AppendLog({7, 1, 0, 3, "def"});
    b.AppendLog({7, 1, 1, 0, "rank1"});
    b.AppendLog({7, 0, 0, 0, round == 0 ? "first" : "resent differs"});  // first one wins
    ASSERT_TRUE(s->Commit(std::move(b)).ok());
  }
  auto logs = s->Logs(7);
  ASSERT_TRUE(logs.ok());
  std::vector<std::string> data;
  for (const auto& c : *logs) data.push_back(c.data);
  EXPECT_EQ(data, (std::vector<std::string>{"first", "abc", "def", "rank1"}));  // attempt, rank, offset
  EXPECT_TRUE(s->Logs(8)->empty());
}

TEST_F(StoreTest, EventsComeBackInTheOrderAdded) {
  auto s = Open();
  WriteBatch b1, b2;
  b1.AddEvent(1, 300, "Submitted", "a");  // times deliberately out of order: seq decides
  b1.AddEvent(2, 100, "Submitted", "other job");
  b1.AddEvent(1, 200, "Scheduled", "b");
  b2.AddEvent(1, 100, "Running", "c");
  const uint64_t t1 = s->Enqueue(std::move(b1));
  const uint64_t t2 = s->Enqueue(std::move(b2));
  ASSERT_TRUE(s->Wait(t2).ok());
  ASSERT_TRUE(s->Wait(t1).ok());
  auto events = s->Events(1);
  ASSERT_TRUE(events.ok());
  std::vector<std::string> messages;
  for (const auto& e : *events) messages.push_back(e.message);
  EXPECT_EQ(messages, (std::vector<std::string>{"a", "b", "c"}));
  for (size_t i = 1; i < events->size(); ++i) EXPECT_LT((*events)[i - 1].seq, (*events)[i].seq);
}

TEST_F(StoreTest, PutJobReplacesByIdAndFreesTheOldRequestId) {
  auto s = Open();
  WriteBatch b1;
  b1.PutJob(1, "r1", R"({"v":1})");
  ASSERT_TRUE(s->Commit(std::move(b1)).ok());
  WriteBatch b2;
  b2.PutJob(1, "r1", R"({"v":2})");  // same job, same request id: a replace, not a clash
  ASSERT_TRUE(s->Commit(std::move(b2)).ok());
  auto jobs = s->Jobs();
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].doc, R"({"v":2})");

  WriteBatch b3;
  b3.PutJob(1, "", R"({"v":3})");
  b3.PutJob(2, "r1", "{}");  // r1 was released by the replace in the same batch
  ASSERT_TRUE(s->Commit(std::move(b3)).ok());
  jobs = s->Jobs();
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].request_id, "");
  EXPECT_EQ((*jobs)[0].doc, R"({"v":3})");
  EXPECT_EQ((*jobs)[1].request_id, "r1");
}

TEST_F(StoreTest, ConcurrentCommitsAreAllDurableExactlyOnce) {
  constexpr int kThreads = 8, kEach = 500;
  {
    auto s = Open();
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          const uint64_t id = static_cast<uint64_t>(t * kEach + i + 1);
          WriteBatch b;
          b.PutJob(id, "r" + std::to_string(id), "{}");
          b.AddEvent(id, i, "Submitted", "");
          if (!s->Commit(std::move(b)).ok()) ++failures;
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(s->committed(), static_cast<uint64_t>(kThreads * kEach));
  }
  auto s = Open();
  const auto ids = JobIds(*s);
  ASSERT_EQ(ids.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(*ids.begin(), 1u);
  EXPECT_EQ(*ids.rbegin(), static_cast<uint64_t>(kThreads * kEach));
  for (uint64_t id : {1u, 777u, 4000u}) EXPECT_EQ(s->Events(id)->size(), 1u) << id;
}

TEST_F(StoreTest, CommittedNeverGoesBack) {
  auto s = Open();
  std::atomic<bool> done{false};
  std::atomic<int> violations{0};
  std::thread observer([&] {
    uint64_t last = 0;
    while (!done) {
      const uint64_t now = s->committed();
      if (now < last) ++violations;
      last = now;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        WriteBatch b;
        b.PutMeta("k" + std::to_string(t), std::to_string(i));
        const uint64_t ticket = s->Enqueue(std::move(b));
        if (!s->Wait(ticket).ok() || s->committed() < ticket) ++violations;
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  observer.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_EQ(s->committed(), 400u);
}

TEST_F(StoreTest, WaitRejectsTicketsNeverIssued) {
  auto s = Open();
  EXPECT_EQ(s->Wait(0).code(), Code::kInvalidArgument);
  EXPECT_EQ(s->Wait(1).code(), Code::kInvalidArgument);
  EXPECT_EQ(s->committed(), 0u);
  EXPECT_TRUE(s->Commit(WriteBatch()).ok());  // an empty batch is a valid no-op
  EXPECT_TRUE(s->Wait(1).ok());
}

TEST_F(StoreTest, RefusesAFileThatIsNotADatabase) {
  std::filesystem::create_directories(db_dir_);
  std::ofstream(db_dir_ + "/harch.db") << std::string(4096, 'x');
  auto s = Store::Open(db_dir_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kFailedPrecondition) << s.status().ToString();
  EXPECT_NE(s.status().message().find(db_dir_ + "/harch.db"), std::string::npos)
      << s.status().ToString();
}

TEST_F(StoreTest, RefusesADirectoryItCannotCreate) {
  std::ofstream(dir_ + "/plain-file") << "x";
  auto s = Store::Open(dir_ + "/plain-file/db");  // a path through a regular file
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(dir_ + "/plain-file/db"), std::string::npos)
      << s.status().ToString();
}

TEST_F(StoreTest, RefusesANewerSchema) {
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
  }
  RawExec("PRAGMA user_version = 2");
  auto s = Store::Open(db_dir_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("newer"), std::string::npos) << s.status().ToString();
  EXPECT_NE(s.status().message().find("harch.db"), std::string::npos) << s.status().ToString();
}

// SIGKILL in the middle of commits: every write acknowledged before the kill is there after
// reopening, exactly once, and what is there is a prefix of what was written (commit order).
TEST_F(StoreTest, AcknowledgedWritesSurviveSigkill) {
  constexpr size_t kAcks = 200;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto s = Store::Open(db_dir_);
    if (!s.ok()) _exit(1);
    for (uint64_t id = 1;; ++id) {
      WriteBatch b;
      b.PutJob(id, "req-" + std::to_string(id), "{}");
      b.AddEvent(id, static_cast<int64_t>(id), "Submitted", "");
      if (!(*s)->Commit(std::move(b)).ok()) _exit(2);
      // Only after Commit returned: this is the acknowledgement the parent relies on.
      if (write(fds[1], &id, sizeof id) != static_cast<ssize_t>(sizeof id)) _exit(3);
    }
  }
  close(fds[1]);
  std::vector<uint64_t> acked;
  while (acked.size() < kAcks) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 60000) <= 0) break;  // a stuck child fails the test instead of hanging it
    uint64_t id = 0;
    if (read(fds[0], &id, sizeof id) != static_cast<ssize_t>(sizeof id)) break;
    acked.push_back(id);
  }
  kill(pid, SIGKILL);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  close(fds[0]);
  ASSERT_EQ(acked.size(), kAcks) << "child exit status " << wstatus;
  EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);

  auto s = Open();
  ASSERT_NE(s, nullptr);
  const auto ids = JobIds(*s);
  for (uint64_t id : acked) {
    EXPECT_EQ(ids.count(id), 1u) << "acknowledged job " << id << " lost";
    EXPECT_EQ(s->Events(id)->size(), 1u) << id;
  }
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(*ids.rbegin(), ids.size()) << "the surviving jobs are not a prefix 1..n";
}

}  // namespace
}  // namespace harch
