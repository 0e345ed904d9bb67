#include "cli/remote_commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "base/files.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "cli/remote.h"

namespace harch {
namespace {

bool IsFinalState(const std::string& s) { return s == "succeeded" || s == "failed" || s == "cancelled"; }

std::string Clip(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n - 3) + "..."; }

// The exit code `harch job run --wait` ends with.
int JobExitCode(const v1::Job& job) {
  if (job.state() == "succeeded") return kExitOk;
  if (job.state() == "failed" && job.exit_code() > 0 && job.exit_code() < 256) return job.exit_code();
  return kExitError;
}

// A broken Watch stream worth resuming: the server went away (killed, restarting) or closed the
// stream without the job having ended (a graceful shutdown ends streams with OK).
bool Resumable(const grpc::Status& st) {
  return st.ok() || st.error_code() == grpc::StatusCode::UNAVAILABLE ||
         st.error_code() == grpc::StatusCode::CANCELLED;
}

// Follows the job until it ends, printing each change to stderr. A broken stream (the server
// restarting) is resumed with backoff (0.25 s doubling to 4 s) for up to a minute without news.
int Wait(Remote& r, uint64_t id) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kPatience = std::chrono::seconds(60);
  constexpr auto kFirstBackoff = std::chrono::milliseconds(250);
  constexpr auto kMaxBackoff = std::chrono::seconds(4);
  std::string last;
  auto give_up = Clock::now() + kPatience;
  auto backoff = std::chrono::milliseconds(kFirstBackoff);
  bool reconnecting = false;
  while (true) {
    auto ctx = r.Context(/*deadline=*/false);
    v1::JobRef ref;
    ref.set_id(id);
    auto stream = r.jobs().Watch(ctx.get(), ref);
    v1::Job job;
    while (stream->Read(&job)) {
      give_up = Clock::now() + kPatience;
      backoff = kFirstBackoff;
      if (reconnecting) {
        std::cerr << "reconnected to " << r.addr() << "\n";
        reconnecting = false;
      }
      const std::string line = job.state() + "  " + job.reason();
      if (line != last) {
        std::cerr << TimeText(job.updated()) << "  job " << id << "  " << line << "\n";
        last = line;
      }
      if (IsFinalState(job.state())) {
        ctx->TryCancel();
        (void)stream->Finish();
        return JobExitCode(job);
      }
    }
    const grpc::Status st = stream->Finish();
    if (!Resumable(st)) return r.Fail(st);
    if (Clock::now() + backoff > give_up) {
      if (st.ok()) {
        std::cerr << "error: the server at " << r.addr() << " kept closing the watch of job " << id << "\n";
        return kExitError;
      }
      return r.Fail(st);
    }
    if (!reconnecting) {
      std::cerr << "lost the watch of job " << id << " (" << (st.ok() ? "stream closed" : st.error_message())
                << "); reconnecting for up to " << kPatience.count() << "s\n";
      reconnecting = true;
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
  }
}

struct RunOptions {
  RemoteOptions remote;
  std::string file;
  bool wait = false;
  std::string request_id;
};

int Run(const RunOptions& o) {
  auto text = ReadFile(o.file);
  if (!text.ok()) {
    std::cerr << "error: " << text.status().message() << "\n";
    return kExitError;
  }
  Remote r(o.remote);
  v1::SubmitJobRequest req;
  req.set_spec(*text);
  req.set_request_id(o.request_id);
  v1::Job job;
  auto ctx = r.Context();
  const grpc::Status st = r.jobs().Submit(ctx.get(), req, &job);
  if (!st.ok()) {
    // Spec errors name "spec:LINE:COL"; say which file that is.
    if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT && st.error_message().rfind("spec:", 0) == 0) {
      std::cerr << "error: " << o.file << st.error_message().substr(4) << "\n";
      return kExitError;
    }
    return r.Fail(st);
  }
  if (o.remote.json()) {
    std::cout << ToJson(job) << "\n";
  } else {
    std::cout << "job " << job.id() << " submitted (" << job.name() << ")\n";
  }
  std::cout.flush();
  return o.wait ? Wait(r, job.id()) : kExitOk;
}

struct IdOptions {
  RemoteOptions remote;
  uint64_t id = 0;
  int attempt = 0;
};

std::string Fixed(double v, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << v;
  return out.str();
}

// Small jobs use small units, so that a short run does not read "0.00 kWh".
std::string Energy(double kwh) { return kwh >= 1 ? Fixed(kwh, 2) + " kWh" : Fixed(kwh * 1000, 2) + " Wh"; }
std::string Emissions(double kg) { return kg >= 1 ? Fixed(kg, 3) + " kgCO2e" : Fixed(kg * 1000, 2) + " gCO2e"; }

// Energy, emissions and cost so far (every attempt), or why they are not known.
void PrintFootprint(const v1::Footprint& f) {
  if (!f.known()) {
    if (!f.note().empty()) std::cout << "Footprint:  unknown: " << f.note() << "\n";
    return;
  }
  std::cout << "Energy:     " << Energy(f.energy_kwh()) << " over " << Fixed(f.gpu_hours(), f.gpu_hours() >= 1 ? 2 : 4)
            << " GPU-hours";
  if (f.energy_source() == "measured") {
    std::cout << ", measured (GPU power readings)";
  } else if (f.energy_source() == "mixed") {
    std::cout << ", mixed: " << Energy(f.measured_energy_kwh()) << " measured over "
              << Fixed(100 * f.measured_share(), 0) << "% of the GPU time, the rest from the power model";
  } else {
    std::cout << ", from the power model";
  }
  std::cout << "\n"
            << "Emissions:  " << Emissions(f.emissions_kgco2e()) << " (operational " << Emissions(f.operational_kgco2e())
            << " at " << Fixed(f.mean_intensity_g_per_kwh(), 0) << " g/kWh, embodied " << Emissions(f.embodied_kgco2e()) << ")";
  if (f.stand_in_zones_size() > 0) {
    std::cout << "; stand-in zone";
    for (const auto& z : f.stand_in_zones()) std::cout << " " << z;
  }
  std::cout << "\n"
            << "Cost:       $" << Fixed(f.cost_usd(), 2) << "\n";
  if (!f.note().empty()) std::cout << "            " << f.note() << "\n";
}

int JobStatus(const IdOptions& o) {
  Remote r(o.remote);
  v1::JobRef ref;
  ref.set_id(o.id);
  v1::Job job;
  auto ctx = r.Context();
  const grpc::Status st = r.jobs().Get(ctx.get(), ref, &job);
  if (!st.ok()) return r.Fail(st);
  if (o.remote.json()) {
    std::cout << ToJson(job) << "\n";
    return kExitOk;
  }
  std::cout << "Job:        " << job.id() << " (" << job.name() << ")\n"
            << "Tenant:     " << job.tenant() << "\n"
            << "Kind:       " << job.kind() << ", priority " << job.priority_class() << "\n"
            << "State:      " << job.state() << "\n"
            << "Reason:     " << job.reason() << "\n"
            << "GPUs:       " << job.gpus() << " in " << job.replicas() << " replicas\n"
            << "Attempt:    " << job.attempt() << " (retries " << job.retries() << "/" << job.max_retries() << ")\n"
            << "Created:    " << TimeText(job.created()) << "\n"
            << "Started:    " << TimeText(job.started()) << "\n"
            << "Finished:   " << TimeText(job.finished()) << "\n";
  if (job.state() == "failed") std::cout << "Exit code:  " << job.exit_code() << "\n";
  PrintFootprint(job.footprint());
  if (job.tasks_size() > 0) {
    std::cout << "\n";
    Table t({"RANK", "NODE", "GPUS", "STATE", "EXIT"});
    for (const auto& task : job.tasks()) {
      std::string gpus;
      for (const auto& g : task.gpus()) gpus += (gpus.empty() ? "" : ",") + g;
      t.AddRow({std::to_string(task.rank()), task.node(), gpus, task.state(),
                task.state() == "exited" ? std::to_string(task.exit_code()) : "-"});
    }
    t.Print(std::cout);
  }
  return kExitOk;
}

struct ListOptions {
  RemoteOptions remote;
  std::string state;
  std::string tenant;
  uint32_t limit = 0;
};

int List(const ListOptions& o) {
  Remote r(o.remote);
  v1::ListJobsRequest req;
  req.set_state(o.state);
  req.set_tenant(o.tenant);
  req.set_limit(o.limit);
  v1::ListJobsResponse resp;
  auto ctx = r.Context();
  const grpc::Status st = r.jobs().List(ctx.get(), req, &resp);
  if (!st.ok()) return r.Fail(st);
  if (o.remote.json()) {
    std::cout << ToJson(resp) << "\n";
    return kExitOk;
  }
  Table t({"ID", "NAME", "TENANT", "STATE", "GPUS", "AGE", "REASON"});
  for (const auto& j : resp.jobs()) {
    t.AddRow({std::to_string(j.id()), j.name(), j.tenant(), j.state(), std::to_string(j.gpus()),
              AgeText(j.created()), Clip(j.reason(), 60)});
  }
  t.Print(std::cout);
  return kExitOk;
}

int Logs(const IdOptions& o) {
  Remote r(o.remote);
  v1::LogsRequest req;
  req.set_id(o.id);
  req.set_attempt(o.attempt);
  v1::JobLogs logs;
  auto ctx = r.Context();
  const grpc::Status st = r.jobs().Logs(ctx.get(), req, &logs);
  if (!st.ok()) return r.Fail(st);
  if (o.remote.json()) {
    std::cout << ToJson(logs) << "\n";
    return kExitOk;
  }
  const bool prefix = logs.streams_size() > 1;
  for (const auto& s : logs.streams()) {
    if (!prefix) {
      std::cout << s.text();
      continue;
    }
    size_t start = 0;
    while (start < s.text().size()) {
      size_t end = s.text().find('\n', start);
      if (end == std::string::npos) end = s.text().size();
      std::cout << "[rank " << s.rank() << "] " << s.text().substr(start, end - start) << "\n";
      start = end + 1;
    }
  }
  return kExitOk;
}

int Cancel(const IdOptions& o) {
  Remote r(o.remote);
  v1::JobRef ref;
  ref.set_id(o.id);
  v1::Job job;
  auto ctx = r.Context();
  const grpc::Status st = r.jobs().Cancel(ctx.get(), ref, &job);
  if (!st.ok()) return r.Fail(st);
  if (o.remote.json()) {
    std::cout << ToJson(job) << "\n";
  } else {
    std::cout << "job " << job.id() << " cancelled\n";
  }
  return kExitOk;
}

int Events(const IdOptions& o) {
  Remote r(o.remote);
  v1::JobRef ref;
  ref.set_id(o.id);
  v1::JobEvents events;
  auto ctx = r.Context();
  const grpc::Status st = r.jobs().Events(ctx.get(), ref, &events);
  if (!st.ok()) return r.Fail(st);
  if (o.remote.json()) {
    std::cout << ToJson(events) << "\n";
    return kExitOk;
  }
  Table t({"TIME", "TYPE", "MESSAGE"});
  for (const auto& e : events.events()) t.AddRow({TimeText(e.time()), e.type(), e.message()});
  t.Print(std::cout);
  return kExitOk;
}

struct NodeOptions {
  RemoteOptions remote;
  std::string name;
  std::string hub;
  bool undo = false;
};

void PrintNode(const v1::Node& n) {
  std::cout << "Node:        " << n.name() << (n.simulated() ? " (simulated)" : "") << "\n"
            << "Hub:         " << n.hub() << "\n"
            << "State:       " << n.state() << "\n"
            << "GPUs:        " << n.gpus() << " x " << n.gpu_model() << ", " << n.gpus_allocated()
            << " allocated\n"
            << "Address:     " << (n.address().empty() ? "-" : n.address()) << "\n"
            << "Heartbeat:   " << AgeText(n.last_heartbeat()) << " ago\n";
  if (n.tasks_size() > 0) {
    Table t({"TASK", "GPUS", "STATE"});
    for (const auto& task : n.tasks()) {
      std::string gpus;
      for (const auto& g : task.gpus()) gpus += (gpus.empty() ? "" : ",") + g;
      t.AddRow({task.id(), gpus, task.state()});
    }
    std::cout << "\n";
    t.Print(std::cout);
  }
}

int NodeList(const NodeOptions& o) {
  Remote r(o.remote);
  v1::ListNodesRequest req;
  req.set_hub(o.hub);
  v1::ListNodesResponse resp;
  auto ctx = r.Context();
  const grpc::Status st = r.nodes().List(ctx.get(), req, &resp);
  if (!st.ok()) return r.Fail(st);
  if (o.remote.json()) {
    std::cout << ToJson(resp) << "\n";
    return kExitOk;
  }
  Table t({"NAME", "HUB", "STATE", "MODEL", "GPUS", "ALLOC", "TASKS", "LAST-HEARTBEAT"});
  for (const auto& n : resp.nodes()) {
    t.AddRow({n.name(), n.hub(), n.state(), n.gpu_model().empty() ? "-" : n.gpu_model(),
              std::to_string(n.gpus()), std::to_string(n.gpus_allocated()), std::to_string(n.tasks_size()),
              AgeText(n.last_heartbeat())});
  }
  t.Print(std::cout);
  return kExitOk;
}

// status, drain and cordon: one node in, one node out.
int NodeCall(const NodeOptions& o, const std::string& verb) {
  Remote r(o.remote);
  v1::Node node;
  auto ctx = r.Context();
  grpc::Status st;
  if (verb == "status") {
    v1::NodeRef ref;
    ref.set_name(o.name);
    st = r.nodes().Get(ctx.get(), ref, &node);
  } else if (verb == "drain") {
    v1::NodeRef ref;
    ref.set_name(o.name);
    st = r.nodes().Drain(ctx.get(), ref, &node);
  } else {
    v1::CordonRequest req;
    req.set_name(o.name);
    req.set_uncordon(o.undo);
    st = r.nodes().Cordon(ctx.get(), req, &node);
  }
  if (!st.ok()) return r.Fail(st);
  if (o.remote.json()) {
    std::cout << ToJson(node) << "\n";
  } else {
    PrintNode(node);
  }
  return kExitOk;
}

int QueueList(const RemoteOptions& o) {
  Remote r(o);
  v1::ListQueuesResponse resp;
  auto ctx = r.Context();
  const grpc::Status st = r.queues().List(ctx.get(), v1::ListQueuesRequest{}, &resp);
  if (!st.ok()) return r.Fail(st);
  if (o.json()) {
    std::cout << ToJson(resp) << "\n";
    return kExitOk;
  }
  // QUOTA: per GPU family, "guaranteed/limit" in GPUs.
  Table t({"TENANT", "WEIGHT", "GPUS-IN-USE", "PENDING", "RUNNING", "QUOTA"});
  for (const auto& q : resp.queues()) {
    std::string quota;
    for (const auto& [family, text] : std::map<std::string, std::string>(q.quota().begin(), q.quota().end())) {
      quota += (quota.empty() ? "" : ", ") + family + " " + text;
    }
    char gpus[32];
    std::snprintf(gpus, sizeof(gpus), "%.1f", q.gpu_milli_in_use() / 1000.0);
    char weight[32];
    std::snprintf(weight, sizeof(weight), "%g", q.weight());
    t.AddRow({q.tenant(), weight, gpus, std::to_string(q.pending()), std::to_string(q.running()),
              quota.empty() ? "-" : quota});
  }
  t.Print(std::cout);
  return kExitOk;
}

}  // namespace

void AddRemoteCommands(CLI::App& app, CLI::App* job, int* exit_code) {
  auto run = std::make_shared<RunOptions>();
  CLI::App* r = job->add_subcommand("run", "Submit a job spec to the server; --wait follows it to the end");
  r->add_option("FILE", run->file, "Job spec (YAML)")->required();
  r->add_flag("--wait", run->wait, "Wait for the job to end; exit 0 if it succeeded, else its exit code");
  r->add_option("--request-id", run->request_id, "Idempotency key: resubmitting with it returns the same job");
  AddRemoteFlags(r, &run->remote);
  r->callback([run, exit_code] { *exit_code = Run(*run); });

  auto add_id = [&](const char* name, const char* help, int (*fn)(const IdOptions&), bool attempt) {
    auto o = std::make_shared<IdOptions>();
    CLI::App* c = job->add_subcommand(name, help);
    c->add_option("ID", o->id, "Job id")->required();
    if (attempt) c->add_option("--attempt", o->attempt, "Attempt (default: the latest)")->check(CLI::NonNegativeNumber);
    AddRemoteFlags(c, &o->remote);
    c->callback([o, fn, exit_code] { *exit_code = fn(*o); });
  };
  add_id("status", "A job's state, reason, attempts and tasks", JobStatus, false);
  add_id("logs", "A job's output, per rank", Logs, true);
  add_id("cancel", "Cancel a job; its tasks are stopped with a grace period", Cancel, false);
  add_id("events", "What happened to a job, and why", Events, false);

  auto list = std::make_shared<ListOptions>();
  CLI::App* l = job->add_subcommand("list", "Jobs on the server, newest first");
  l->add_option("--state", list->state, "Only this state (pending, running, succeeded, ...)");
  l->add_option("--tenant", list->tenant, "Only this tenant and its sub-tenants");
  l->add_option("--limit", list->limit, "At most this many");
  AddRemoteFlags(l, &list->remote);
  l->callback([list, exit_code] { *exit_code = List(*list); });

  CLI::App* node = app.add_subcommand("node", "Nodes of the running system");
  node->require_subcommand(1);
  auto nl = std::make_shared<NodeOptions>();
  CLI::App* nlc = node->add_subcommand("list", "Every node: state, GPUs, tasks, last heartbeat");
  nlc->add_option("--hub", nl->hub, "Only this hub");
  AddRemoteFlags(nlc, &nl->remote);
  nlc->callback([nl, exit_code] { *exit_code = NodeList(*nl); });
  for (const char* verb : {"status", "drain", "cordon"}) {
    auto o = std::make_shared<NodeOptions>();
    const std::string help = std::string(verb) == "status" ? "One node and its tasks"
                             : std::string(verb) == "drain"
                                 ? "Cordon a node and requeue what runs there"
                                 : "Keep new work off a node (--undo to allow it again)";
    CLI::App* c = node->add_subcommand(verb, help);
    c->add_option("NAME", o->name, "Node name")->required();
    if (std::string(verb) == "cordon") c->add_flag("--undo", o->undo, "Uncordon");
    AddRemoteFlags(c, &o->remote);
    const std::string v = verb;
    c->callback([o, v, exit_code] { *exit_code = NodeCall(*o, v); });
  }

  CLI::App* queue = app.add_subcommand("queue", "Tenants' queues on the running system");
  queue->require_subcommand(1);
  auto q = std::make_shared<RemoteOptions>();
  CLI::App* ql = queue->add_subcommand("list", "Tenants: weight, GPUs in use, pending and running jobs, quotas");
  AddRemoteFlags(ql, q.get());
  ql->callback([q, exit_code] { *exit_code = QueueList(*q); });
}

}  // namespace harch
