#include "sched/scenario.h"

#include <map>
#include <memory>
#include <sstream>

#include "base/random.h"
#include "resource/fleet_spec.h"
#include "resource/topology.h"
#include "sched/scheduler.h"

namespace harch {
namespace {

using scenario_print::Join;

std::vector<std::string> Words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

class Runner {
 public:
  Runner(std::string file, std::string source_dir)
      : file_(std::move(file)), source_dir_(std::move(source_dir)) {}

  const std::string& transcript() const { return transcript_; }

  Status Run(const std::string& text) {
    std::vector<std::string> lines = Split(text, '\n');
    for (size_t i = 0; i < lines.size(); ++i) {
      line_ = static_cast<int>(i + 1);
      std::string line = lines[i];
      if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
      const std::vector<std::string> w = Words(line);
      if (w.empty()) continue;
      // Heredoc: "fleet <<" or "queues <<" reads until a line "EOF".
      std::string body;
      if (w.size() == 2 && w[1] == "<<") {
        for (++i; i < lines.size() && lines[i] != "EOF"; ++i) body += lines[i] + "\n";
        if (i == lines.size()) return Error("heredoc without EOF");
      } else {
        Echo(Join(w, " "));
      }
      Status st = Command(w, body);
      if (!st.ok()) return st;
    }
    return Status::Ok();
  }

 private:
  Status Error(const std::string& msg) const {
    return InvalidArgument(file_ + ":" + std::to_string(line_) + ": " + msg);
  }

  // A command's echo; a blank line separates it from the previous command's output.
  void Echo(const std::string& command) {
    if (!transcript_.empty()) transcript_ += "\n";
    transcript_ += "> " + command + "\n";
  }
  void Print(const std::string& line) { transcript_ += line + "\n"; }

  // Moves the scheduler's new events into events_ and prints them.
  void Drain() {
    for (auto& e : sched_->TakeEvents()) {
      Print(scenario_print::EventLine(e, NameOf(e.job)));
      events_.push_back(std::move(e));
    }
  }

  std::string NameOf(JobId id) const {
    auto it = names_.find(id);
    return it != names_.end() ? it->second : "job#" + std::to_string(id.value);
  }

  Status Command(const std::vector<std::string>& w, const std::string& body) {
    const std::string& cmd = w[0];
    std::map<std::string, std::string> kv;
    std::vector<std::string> flags;
    for (size_t i = 2; i < w.size(); ++i) {
      auto eq = w[i].find('=');
      if (eq == std::string::npos) {
        flags.push_back(w[i]);
      } else {
        kv[w[i].substr(0, eq)] = w[i].substr(eq + 1);
      }
    }
    if (cmd == "fleet") return Fleet(w, body);
    if (cmd == "queues") return Queues(body);
    if (cmd == "policy") return Policy(w.size() > 1 ? w[1] : "");
    if (!sched_ && cmd != "fleet") {
      Status st = Start();
      if (!st.ok()) return st;
    }
    if (cmd == "submit") return Submit(w, kv, flags);
    if (cmd == "tick") return Tick(w.size() > 1 ? w[1] : "0s");
    if (cmd == "finish") return WithJob(w, [&](JobId id) {
      return sched_->Finish(id, std::find(flags.begin(), flags.end(), "failed") == flags.end());
    });
    if (cmd == "cancel") return WithJob(w, [&](JobId id) { return sched_->Cancel(id); });
    if (cmd == "node-down") {
      auto n = topo_->FindNode(w.size() > 1 ? w[1] : "");
      if (!n) return Error("no node " + (w.size() > 1 ? w[1] : ""));
      sched_->NodeDown(*n);
      Drain();
      return Status::Ok();
    }
    if (cmd == "gpu-fail") {
      auto g = topo_->FindGpu(w.size() > 1 ? w[1] : "");
      if (!g) return Error("no GPU " + (w.size() > 1 ? w[1] : ""));
      sched_->GpuFailed(*g);
      Drain();
      return Status::Ok();
    }
    if (cmd == "expect") return Expect(w, kv);
    if (cmd == "expect-rejected") {
      auto it = rejected_.find(w.size() > 1 ? w[1] : "");
      if (it == rejected_.end()) return Error("job " + w[1] + " was not rejected");
      if (kv.count("reason") && it->second.find(kv["reason"]) == std::string::npos) {
        return Error("rejection of " + w[1] + " was '" + it->second + "', wanted it to mention '" +
                     kv["reason"] + "'");
      }
      return Status::Ok();
    }
    if (cmd == "expect-event") {
      const std::string& type = w.size() > 2 ? w[2] : "";
      const JobId id = ids_.count(w[1]) ? ids_[w[1]] : JobId{};
      for (const auto& e : events_) {
        if (e.job == id && e.type == type &&
            (!kv.count("mentions") || e.message.find(kv["mentions"]) != std::string::npos)) {
          return Status::Ok();
        }
      }
      return Error("no " + type + " event for " + w[1] + Dump());
    }
    return Error("unknown command '" + cmd + "'");
  }

  Status Fleet(const std::vector<std::string>& w, const std::string& body) {
    Result<FleetSpec> spec = body.empty() ? LoadFleetSpecFile(source_dir_ + "/" + w.at(1))
                                          : ParseFleetSpec(body, file_ + ":fleet");
    if (!spec.ok()) return Error(spec.status().message());
    auto topo = BuildTopology(*spec);
    if (!topo.ok()) return Error(topo.status().message());
    topo_ = std::make_unique<Topology>(std::move(topo).value());
    if (!body.empty()) Echo("fleet " + scenario_print::FleetSummary(*topo_));
    for (const std::string& line : scenario_print::FleetLines(*topo_)) Print(line);
    return Status::Ok();
  }

  Status Queues(const std::string& body) {
    auto q = ParseQueueConfig(body, file_ + ":queues");
    if (!q.ok()) return Error(q.status().message());
    queues_ = *q;
    Echo("queues <inline, " + std::to_string(queues_.tenants.size()) + " tenants>");
    for (const std::string& line : scenario_print::QueueLines(queues_)) Print(line);
    return Status::Ok();
  }

  Status Policy(const std::string& name) {
    policy_ = name;
    return Status::Ok();
  }

  Status Start() {
    if (!topo_) return Error("no fleet before the first job");
    auto profile = PluginRegistry::Default().MakeProfile(policy_);
    if (!profile.ok()) return Error(profile.status().message());
    sched_ = std::make_unique<Scheduler>(topo_.get(), std::move(profile).value(), queues_,
                                         SchedulerConfig{}, &clock_, &rng_, &budget_clock_);
    return Status::Ok();
  }

  // submit NAME gpus=N [replicas=R] [share=250m] [mig=3g.40gb] [model=H100,A100]
  //        [memory=40GiB] [cpu=16] [ram=64GiB] [nvlink=required] [tenant=T] [priority=high]
  //        [latency=high]
  //        [duration=1h] [data=MA,SN] [data2=...] [preemptible=false] [exclusive]
  //        [anti-affinity=JOB] [affinity=JOB] [scope=hub]
  Status Submit(const std::vector<std::string>& w, std::map<std::string, std::string>& kv,
                const std::vector<std::string>& flags) {
    if (w.size() < 2) return Error("submit needs a name");
    JobSpec spec;
    spec.name = w[1];
    spec.tenant = kv.count("tenant") ? kv["tenant"] : "default";
    spec.kind = WorkloadKind::kTraining;
    if (kv.count("kind")) {
      auto k = ParseWorkloadKind(kv["kind"]);
      if (!k) return Error("bad kind");
      spec.kind = *k;
    }
    if (kv.count("priority")) {
      auto p = FindPriorityClass(kv["priority"]);
      if (!p) return Error("unknown priority class " + kv["priority"]);
      spec.priority_class = p->name;
      spec.priority = p->value;
    }
    if (kv.count("latency")) spec.latency = *ParseLatencySensitivity(kv["latency"]);
    if (kv.count("preemptible")) spec.preemptible = kv["preemptible"] == "true";
    if (kv.count("duration")) spec.expected_duration = *ParseDuration(kv["duration"]);
    for (const char* key : {"data", "data2"}) {
      if (kv.count(key)) spec.data.push_back({key, Split(kv[key], ','), {}, {}});
    }
    for (const char* key : {"affinity", "anti-affinity"}) {
      if (!kv.count(key)) continue;
      AffinityTerm t;
      t.target = AffinityTarget::kJob;
      t.job = kv[key];
      t.scope = kv.count("scope") && kv["scope"] == "hub" ? AffinityScope::kHub : AffinityScope::kNode;
      (std::string(key) == "affinity" ? spec.affinity : spec.anti_affinity).push_back(t);
    }
    TaskGroupSpec g;
    g.name = "main";
    g.replicas = kv.count("replicas") ? std::stoi(kv["replicas"]) : 1;
    if (kv.count("share")) {
      g.gpu_share = *ParseMilliGpu(kv["share"]);
    } else if (kv.count("mig")) {
      g.mig_profile = kv["mig"];
    } else {
      g.gpus_per_replica = kv.count("gpus") ? std::stoi(kv["gpus"]) : 1;
    }
    if (kv.count("cpu")) g.cpu_per_replica = *ParseMilliCpu(kv["cpu"]);
    if (kv.count("ram")) g.memory_per_replica = *ParseBytes(kv["ram"]);
    if (kv.count("model")) g.gpu.models = Split(kv["model"], ',');
    if (kv.count("memory")) g.gpu.min_memory = *ParseBytes(kv["memory"]);
    if (kv.count("nvlink")) {
      g.gpu.nvlink = kv["nvlink"] == "required" ? NvlinkRequirement::kRequired : NvlinkRequirement::kPreferred;
    }
    g.gpu.exclusive_node = std::find(flags.begin(), flags.end(), "exclusive") != flags.end();
    spec.task_groups.push_back(g);
    auto id = sched_->Submit(spec);
    if (!id.ok()) {
      rejected_[w[1]] = id.status().message();
      Print("rejected: " + id.status().message());
      Drain();
      return Status::Ok();
    }
    ids_[w[1]] = *id;
    names_[*id] = w[1];
    jobs_.emplace_back(w[1], *id);
    Drain();
    return Status::Ok();
  }

  Status Tick(const std::string& duration) {
    auto d = ParseDuration(duration);
    if (!d.ok()) return Error(d.status().message());
    clock_.Advance(*d);
    sched_->Schedule();
    Print("time " + scenario_print::ClockText(clock_.Now() - kOrigin));
    Drain();
    Print("jobs:");
    for (const std::string& line : scenario_print::JobTable(*sched_, *topo_, jobs_, kOrigin)) {
      Print(line);
    }
    return Status::Ok();
  }

  template <typename Fn>
  Status WithJob(const std::vector<std::string>& w, Fn fn) {
    if (w.size() < 2 || !ids_.count(w[1])) return Error("unknown job " + (w.size() > 1 ? w[1] : ""));
    Status st = fn(ids_[w[1]]);
    if (!st.ok()) return Error(st.message());
    Drain();
    return Status::Ok();
  }

  // expect NAME STATE [hub=H] [model=M] [span=NV] [nodes=N] [constraint=C] [reason=TEXT]
  Status Expect(const std::vector<std::string>& w, std::map<std::string, std::string>& kv) {
    if (w.size() < 3) return Error("expect NAME STATE ...");
    if (rejected_.count(w[1])) return Error(w[1] + " was rejected: " + rejected_[w[1]]);
    if (!ids_.count(w[1])) return Error("unknown job " + w[1]);
    const Job* job = sched_->Find(ids_[w[1]]);
    const std::string state(JobStateName(job->state));
    auto fail = [&](const std::string& what) {
      return Error(w[1] + ": " + what + " (state " + state + ", pending: " + job->pending_constraint +
                   ": " + job->pending_reason + ")" + Dump());
    };
    if (state != w[2]) return fail("expected " + w[2]);
    std::set<std::string> hubs, models, nodes;
    LinkClass span = LinkClass::kSelf;
    for (const auto& gp : job->placement) {
      span = std::max(span, gp.cost.span);
      for (const auto& g : gp.grants) {
        const Gpu& gpu = topo_->gpu(g.gpu);
        hubs.insert(topo_->hub(gpu.hub).id);
        models.insert(topo_->model_of(g.gpu).name);
        nodes.insert(topo_->node(gpu.node).id);
      }
    }
    if (kv.count("hub") && (hubs.size() != 1 || *hubs.begin() != kv["hub"])) {
      return fail("expected hub " + kv["hub"]);
    }
    if (kv.count("model") && (models.size() != 1 || *models.begin() != kv["model"])) {
      return fail("expected model " + kv["model"]);
    }
    if (kv.count("span") && LinkClassName(span) != kv["span"]) {
      return fail("expected span " + kv["span"] + ", got " + std::string(LinkClassName(span)));
    }
    if (kv.count("nodes") && std::to_string(nodes.size()) != kv["nodes"]) {
      return fail("expected " + kv["nodes"] + " nodes, got " + std::to_string(nodes.size()));
    }
    if (kv.count("node") && (nodes.size() != 1 || *nodes.begin() != kv["node"])) {
      return fail("expected node " + kv["node"]);
    }
    if (kv.count("constraint") && job->pending_constraint != kv["constraint"]) {
      return fail("expected pending constraint " + kv["constraint"]);
    }
    if (kv.count("reason") && job->pending_reason.find(kv["reason"]) == std::string::npos) {
      return fail("expected the reason to mention '" + kv["reason"] + "'");
    }
    if (kv.count("preemptions") && std::to_string(job->preemptions) != kv["preemptions"]) {
      return fail("expected " + kv["preemptions"] + " preemptions");
    }
    return Status::Ok();
  }

  std::string Dump() const {
    std::string out = "\n  recent events:";
    const size_t from = events_.size() > 12 ? events_.size() - 12 : 0;
    for (size_t i = from; i < events_.size(); ++i) {
      const auto& e = events_[i];
      out += "\n    " + NameOf(e.job) + " " + e.type + ": " + e.message;
    }
    return out;
  }

  std::string file_, source_dir_;
  int line_ = 0;
  std::unique_ptr<Topology> topo_;
  QueueConfig queues_;
  std::string policy_ = "harch";
  static constexpr Time kOrigin{std::chrono::hours(24 * 365 * 56)};
  ManualClock clock_{kOrigin};
  ManualClock budget_clock_;
  Random rng_{1};
  std::unique_ptr<Scheduler> sched_;
  std::map<std::string, JobId> ids_;
  std::map<JobId, std::string> names_;
  std::vector<std::pair<std::string, JobId>> jobs_;  // in submission order
  std::map<std::string, std::string> rejected_;
  std::vector<SchedEvent> events_;
  std::string transcript_;
};

}  // namespace

Status RunScenario(const std::string& text, const std::string& file, const std::string& source_dir,
                   std::string* transcript) {
  Runner runner(file, source_dir);
  Status st = runner.Run(text);
  if (transcript) *transcript = runner.transcript();
  return st;
}

}  // namespace harch
