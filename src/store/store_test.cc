#include "store/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

namespace harch {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  StoreTest() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "harch-store-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  ~StoreTest() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Store> Open() {
    auto s = Store::Open(dir_ + "/db");
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::string dir_;
};

TEST_F(StoreTest, RoundTripsEveryKindAndSurvivesReopen) {
  {
    auto s = Open();
    WriteBatch b;
    b.PutJob(1, "r1", "{\"a\":1}");
    b.PutJob(2, "", "{}");
    b.AddEvent(1, 10, "Submitted", "queued");
    b.AddEvent(1, 20, "Scheduled", "on n1");
    b.PutNode("n1", "{\"up\":true}");
    b.AppendLog({1, 1, 0, 0, std::string("hello\0world", 11)});
    b.PutMeta("k", "v");
    ASSERT_TRUE(s->Commit(std::move(b)).ok());
    WriteBatch replace;
    replace.PutJob(2, "", "{\"v\":2}");
    ASSERT_TRUE(s->Commit(std::move(replace)).ok());
  }
  auto s = Open();
  auto jobs = s->Jobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].request_id, "r1");
  EXPECT_EQ((*jobs)[1].doc, "{\"v\":2}");
  auto events = s->Events(1);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].type, "Submitted");
  EXPECT_EQ((*events)[1].time_us, 20);
  EXPECT_EQ(s->Nodes()->at(0).name, "n1");
  EXPECT_EQ(s->Logs(1)->at(0).data, std::string("hello\0world", 11));
  EXPECT_EQ(s->Meta("k")->value_or(""), "v");
  EXPECT_FALSE(s->Meta("missing")->has_value());
}

TEST_F(StoreTest, FailedBatchLeavesNothingAndOthersInItsGroupCommit) {
  auto s = Open();
  WriteBatch first;
  first.PutJob(1, "dup", "{}");
  WriteBatch bad;
  bad.PutJob(2, "x", "{}");
  bad.PutJob(3, "dup", "{}");  // duplicate request id: the whole batch fails
  WriteBatch after;
  after.PutJob(4, "", "{}");
  const uint64_t t1 = s->Enqueue(std::move(first));
  const uint64_t t2 = s->Enqueue(std::move(bad));
  const uint64_t t3 = s->Enqueue(std::move(after));
  EXPECT_TRUE(s->Wait(t1).ok());
  const Status st = s->Wait(t2);
  EXPECT_EQ(st.code(), Code::kAlreadyExists);
  EXPECT_NE(st.message().find("dup"), std::string::npos);
  EXPECT_TRUE(s->Wait(t3).ok());
  std::set<uint64_t> ids;
  const auto jobs = s->Jobs();
  for (const auto& j : *jobs) ids.insert(j.id);
  EXPECT_EQ(ids, (std::set<uint64_t>{1, 4}));
  EXPECT_GE(s->committed(), t3);
}

TEST_F(StoreTest, LogChunksResentAreStoredOnce) {
  auto s = Open();
  for (int i = 0; i < 2; ++i) {
    WriteBatch b;
    b.AppendLog({7, 1, 0, 0, "abc"});
    b.AppendLog({7, 1, 0, 3, "def"});
    ASSERT_TRUE(s->Commit(std::move(b)).ok());
  }
  std::string all;
  const auto logs = s->Logs(7);
  for (const auto& c : *logs) all += c.data;
  EXPECT_EQ(all, "abcdef");
}

TEST_F(StoreTest, ConcurrentCommitsAreAllDurable) {
  constexpr int kThreads = 8, kEach = 500;
  {
    auto s = Open();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          WriteBatch b;
          const uint64_t id = static_cast<uint64_t>(t * kEach + i + 1);
          b.PutJob(id, "r" + std::to_string(id), "{}");
          b.AddEvent(id, i, "Submitted", "");
          ASSERT_TRUE(s->Commit(std::move(b)).ok());
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  auto s = Open();
  std::set<uint64_t> ids;
  const auto jobs = s->Jobs();
  for (const auto& j : *jobs) EXPECT_TRUE(ids.insert(j.id).second);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kEach));
}

TEST_F(StoreTest, RefusesWhatIsNotAStore) {
  std::filesystem::create_directories(dir_ + "/junk");
  std::ofstream(dir_ + "/junk/harch.db") << std::string(4096, 'x');
  auto s = Store::Open(dir_ + "/junk");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("harch.db"), std::string::npos);
}

// kill -9 in the middle of commits: every acknowledged write is there after reopening.
TEST_F(StoreTest, AcknowledgedWritesSurviveKill9) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto s = Store::Open(dir_ + "/db");
    if (!s.ok()) _exit(1);
    for (uint64_t id = 1;; ++id) {
      WriteBatch b;
      b.PutJob(id, "", "{}");
      if (!(*s)->Commit(std::move(b)).ok()) _exit(2);
      if (write(fds[1], &id, sizeof(id)) != sizeof(id)) _exit(3);
    }
  }
  close(fds[1]);
  uint64_t last = 0, id = 0;
  while (last < 200 && read(fds[0], &id, sizeof(id)) == sizeof(id)) last = id;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  close(fds[0]);
  ASSERT_GE(last, 200u);
  auto s = Open();
  std::set<uint64_t> ids;
  const auto jobs = s->Jobs();
  for (const auto& j : *jobs) EXPECT_TRUE(ids.insert(j.id).second);
  for (uint64_t i = 1; i <= last; ++i) EXPECT_TRUE(ids.count(i)) << i;
}

}  // namespace
}  // namespace harch
