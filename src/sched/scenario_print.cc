// The transcript lines of scenario scripts (see scenario.h and testdata/README.md). Everything
// here is deterministic: names, counts and the scenario clock; no wall clock, no addresses.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "resource/topology.h"
#include "sched/queues.h"
#include "sched/scenario.h"
#include "sched/scheduler.h"

namespace harch::scenario_print {
namespace {

constexpr size_t kWidth = 100;  // node lists wrap here

// 16000 -> "16", 2500 -> "2.5", 250 -> "0.25".
std::string Gpus(int64_t milli) {
  std::string out = std::to_string(milli / 1000);
  if (int64_t frac = milli % 1000; frac != 0) {
    std::string digits = std::to_string(1000 + frac).substr(1);
    while (digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return out;
}

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

// "name=a,b" for a set of names.
std::string Field(const std::string& name, const std::set<std::string>& values) {
  return name + "=" + Join(std::vector<std::string>(values.begin(), values.end()), ",");
}

// `items` joined by ", " after `head`, wrapped at kWidth with continuation lines indented as
// far as the first item.
std::vector<std::string> Wrapped(const std::string& head, const std::vector<std::string>& items) {
  std::vector<std::string> lines{head};
  const std::string indent(head.size(), ' ');
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string piece = " " + items[i] + (i + 1 < items.size() ? "," : "");
    if (lines.back().size() > head.size() && lines.back().size() + piece.size() > kWidth) {
      lines.push_back(indent);
    }
    lines.back() += piece;
  }
  return lines;
}

// The fields of a running job and its node list.
std::vector<std::string> RunningFields(const Job& job, const Topology& topo, std::string* fields) {
  std::set<std::string> hubs, models;
  std::map<std::string, std::set<GpuIdx>> node_gpus;  // node id -> its GPUs in the job
  std::set<GpuIdx> gpus;
  std::map<int64_t, int> shares;  // milli -> grants, for fractional grants
  int mig_instances = 0;
  bool exclusive = false;
  LinkClass span = LinkClass::kSelf;
  for (const auto& gp : job.placement) {
    span = std::max(span, gp.cost.span);
    exclusive = exclusive || gp.exclusive;
    for (const auto& g : gp.grants) {
      const Gpu& gpu = topo.gpu(g.gpu);
      hubs.insert(topo.hub(gpu.hub).id);
      models.insert(topo.model_of(g.gpu).name);
      node_gpus[topo.node(gpu.node).id].insert(g.gpu);
      gpus.insert(g.gpu);
      if (g.mig_shape >= 0) {
        ++mig_instances;
      } else if (g.milli != kWholeGpu) {
        ++shares[g.milli.value];
      }
    }
  }
  *fields = Field("hub", hubs) + " " + Field("model", models) +
            " span=" + std::string(LinkClassName(span)) + " gpus=" + std::to_string(gpus.size());
  for (const auto& [milli, n] : shares) {
    *fields += " shares=" + std::to_string(n) + "x" + std::to_string(milli) + "m";
  }
  if (mig_instances > 0) {
    std::set<std::string> profiles;
    for (const auto& g : job.spec.task_groups) {
      if (!g.mig_profile.empty()) profiles.insert(g.mig_profile);
    }
    *fields += " mig=" + std::to_string(mig_instances) + "x" +
               Join(std::vector<std::string>(profiles.begin(), profiles.end()), ",");
  }
  if (exclusive) *fields += " exclusive";
  std::vector<std::string> nodes;
  for (const auto& [id, on] : node_gpus)
    nodes.push_back(id + "(" + std::to_string(on.size()) + ")");
  return nodes;
}

}  // namespace

std::string Join(const std::vector<std::string>& words, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i ? sep : "") + words[i];
  return out;
}

std::string FleetSummary(const Topology& topo) {
  return "<inline, " + std::to_string(topo.nodes().size()) + " nodes, " +
         std::to_string(topo.gpus().size()) + " GPUs>";
}

std::vector<std::string> FleetLines(const Topology& topo) {
  std::vector<std::string> out;
  for (size_t h = 0; h < topo.hubs().size(); ++h) {
    const Hub& hub = topo.hubs()[h];
    int nodes = 0, gpus = 0;
    std::map<std::string, int> by_model;
    for (const Node& node : topo.nodes()) {
      if (node.hub.value != h) continue;
      ++nodes;
      for (GpuIdx g : node.gpus) {
        ++gpus;
        ++by_model[topo.model_of(g).name];
      }
    }
    std::vector<std::string> models;
    for (const auto& [name, n] : by_model) models.push_back(std::to_string(n) + " x " + name);
    out.push_back("hub " + hub.id + " (" + hub.country + "): " + std::to_string(nodes) +
                  " nodes, " + std::to_string(gpus) + " GPUs" +
                  (models.empty() ? "" : ": " + Join(models, ", ")));
  }
  return out;
}

std::vector<std::string> QueueLines(const QueueConfig& queues) {
  std::vector<std::string> out;
  for (const TenantSpec& t : queues.tenants) {
    char weight[32];
    std::snprintf(weight, sizeof weight, "%g", t.weight);
    std::string line = "tenant " + t.path + ": weight " + weight;
    for (const QuotaSpec& q : t.quota) {
      line += "; " + q.family + " guaranteed " + Gpus(q.guaranteed_milli) + ", borrow " +
              (q.borrow_limit_milli ? Gpus(*q.borrow_limit_milli) : std::string("unlimited"));
    }
    out.push_back(line);
  }
  return out;
}

std::string EventLine(const SchedEvent& event, const std::string& job_name) {
  return "event " + job_name + " " + event.type + ": " + event.message;
}

std::string ClockText(Duration since_start) {
  const int64_t s = std::chrono::duration_cast<std::chrono::seconds>(since_start).count();
  char buf[48];
  std::snprintf(buf, sizeof buf, "T+%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return buf;
}

std::vector<std::string> JobTable(const Scheduler& sched, const Topology& topo,
                                  const std::vector<std::pair<std::string, JobId>>& jobs,
                                  Time origin) {
  size_t name_width = 0;
  for (const auto& [name, id] : jobs) name_width = std::max(name_width, name.size());
  std::vector<std::string> out;
  for (const auto& [name, id] : jobs) {
    const Job* job = sched.Find(id);
    if (!job) {
      out.push_back("  " + Pad(name, name_width) + "  (unknown to the scheduler)");
      continue;
    }
    const std::string head =
        "  " + Pad(name, name_width) + "  " + Pad(std::string(JobStateName(job->state)), 9) + "  ";
    const std::string indent(name_width + 4, ' ');
    const std::string counts = "preemptions=" + std::to_string(job->preemptions) +
                               " losses=" + std::to_string(job->losses);
    if (job->state == JobState::kRunning) {
      std::string fields;
      const std::vector<std::string> nodes = RunningFields(*job, topo, &fields);
      out.push_back(head + fields + " " + counts);
      for (std::string& line : Wrapped(indent + "nodes:", nodes)) out.push_back(std::move(line));
    } else if (job->state == JobState::kPending) {
      std::string line =
          head + "constraint=" + (job->pending_constraint.empty() ? "-" : job->pending_constraint) +
          " " + counts;
      if (job->reserved_start) line += " reserved=" + ClockText(*job->reserved_start - origin);
      out.push_back(line);
      if (!job->pending_reason.empty()) out.push_back(indent + "reason: " + job->pending_reason);
    } else {
      out.push_back(head + counts);
    }
  }
  return out;
}

}  // namespace harch::scenario_print
