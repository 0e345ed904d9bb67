#include "cli/job_commands.h"

#include <iostream>
#include <memory>

#include "cli/cli.h"
#include "cli/output.h"
#include "resource/topology.h"
#include "sched/scheduler.h"

namespace harch {
namespace {

struct ValidateOptions {
  std::string file;
  std::string fleet;
  std::string output = "table";
};

std::string GroupText(const TaskGroupSpec& g) {
  std::string what = g.gpus_per_replica > 0 ? std::to_string(g.gpus_per_replica) + " GPU"
                     : !g.mig_profile.empty() ? "MIG " + g.mig_profile
                                              : std::to_string(g.gpu_share.value) + "m GPU share";
  return g.name + ": " + std::to_string(g.replicas) + " x " + what;
}

// Tries the job on the fleet as declared (idle): can it ever fit, and where would it go now?
int CheckOnFleet(const JobSpec& spec, const std::string& fleet, bool json, nlohmann::json* out) {
  auto topo = LoadTopologyFile(fleet);
  if (!topo.ok()) {
    std::cerr << "error: " << topo.status().message() << "\n";
    return kExitError;
  }
  auto profile = PluginRegistry::Default().MakeProfile("harch");
  ManualClock clock;
  Random rng(1);
  Scheduler sched(&*topo, std::move(profile).value(), QueueConfig{}, SchedulerConfig{}, &clock,
                  &rng, &clock);
  auto id = sched.Submit(spec);
  if (!id.ok()) {
    (*out)["fits"] = false;
    (*out)["reason"] = id.status().message();
    if (!json) std::cout << "can never fit on " << fleet << ": " << id.status().message() << "\n";
    return kExitNoFit;
  }
  sched.Schedule();
  const Job* job = sched.Find(*id);
  (*out)["fits"] = true;
  if (job->state == JobState::kRunning) {
    nlohmann::json groups = nlohmann::json::array();
    for (const auto& gp : job->placement) {
      const Gpu& first = topo->gpu(gp.grants.front().gpu);
      groups.push_back({{"group", gp.group},
                        {"gpus", gp.grants.size()},
                        {"model", topo->model_of(gp.grants.front().gpu).name},
                        {"hub", topo->hub(first.hub).id},
                        {"span", LinkClassName(gp.cost.span)},
                        {"scores", gp.scores}});
      if (!json) {
        std::cout << "on an idle " << fleet << ": " << gp.group << " -> " << gp.grants.size()
                  << " x " << topo->model_of(gp.grants.front().gpu).name << " in "
                  << topo->hub(first.hub).id << " (span " << LinkClassName(gp.cost.span) << ")\n";
      }
    }
    (*out)["placement"] = groups;
  } else {
    (*out)["pending"] = job->pending_constraint + ": " + job->pending_reason;
    if (!json) {
      std::cout << "fits this fleet, but not all at once on an idle fleet: "
                << job->pending_constraint << ": " << job->pending_reason << "\n";
    }
  }
  return kExitOk;
}

int Validate(const ValidateOptions& o) {
  auto spec = LoadJobSpecFile(o.file);
  if (!spec.ok()) {
    std::cerr << "error: " << spec.status().message() << "\n";
    return kExitError;
  }
  const bool json = o.output == "json";
  nlohmann::json out{{"name", spec->name},
                     {"tenant", spec->tenant},
                     {"kind", WorkloadKindName(spec->kind)},
                     {"priority_class", spec->priority_class},
                     {"gpu_milli", spec->TotalGpuMilli()}};
  auto juris = AllowedJurisdiction(*spec);
  if (juris) out["jurisdiction"] = *juris;
  if (!json) {
    std::cout << o.file << ": valid: job " << spec->name << " (" << WorkloadKindName(spec->kind)
              << ", " << spec->priority_class << ", tenant " << spec->tenant << ")\n";
    for (const auto& g : spec->task_groups) std::cout << "  " << GroupText(g) << "\n";
    if (juris) {
      std::string set;
      for (const auto& c : *juris) set += (set.empty() ? "" : ",") + c;
      std::cout << "  may run in: " << (set.empty() ? "nowhere (data jurisdictions do not intersect)" : set)
                << "\n";
    }
  }
  int code = kExitOk;
  if (!o.fleet.empty()) code = CheckOnFleet(*spec, o.fleet, json, &out);
  if (json) PrintJson(std::cout, out);
  return code;
}

}  // namespace

void AddJobCommands(CLI::App& app, int* exit_code) {
  CLI::App* job = app.add_subcommand("job", "Job specs and (with a server) jobs");
  job->require_subcommand(1);
  auto opts = std::make_shared<ValidateOptions>();
  CLI::App* v = job->add_subcommand(
      "validate", "Check a job spec offline; with --fleet, say whether it can ever fit (exit 3 if not)");
  v->add_option("FILE", opts->file, "Job spec (YAML)")->required();
  v->add_option("--fleet", opts->fleet, "Fleet spec to check the job against")
      ->check(CLI::ExistingFile);
  v->add_option("-o,--output", opts->output, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  v->callback([opts, exit_code] { *exit_code = Validate(*opts); });
}

}  // namespace harch
