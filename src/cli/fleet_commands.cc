#include "cli/fleet_commands.h"

#include <iostream>
#include <memory>
#include <sstream>

#include "base/files.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "cli/remote.h"
#include "resource/fleet_generator.h"
#include "resource/json.h"
#include "resource/placement.h"
#include "resource/summary.h"

namespace harch {
namespace {

struct CommonOptions {
  std::string fleet;
  RemoteOptions remote;  // without --fleet: ask the server
  const std::string& output() const { return remote.output; }
  OutputFormat format() const { return output() == "json" ? OutputFormat::kJson : OutputFormat::kTable; }
};

// `required`: a fleet file is the only source; otherwise, without one, the server answers.
void AddCommon(CLI::App* cmd, CommonOptions* o, bool required = true) {
  auto* fleet = cmd->add_option("--fleet", o->fleet, required ? "Fleet spec (YAML)"
                                                              : "Fleet spec (YAML); without it, ask the server")
                    ->check(CLI::ExistingFile);
  if (required) {
    fleet->required();
    cmd->add_option("-o,--output", o->remote.output, "Output format")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
  } else {
    AddRemoteFlags(cmd, &o->remote);
  }
}

int Fail(const Status& st) {
  std::cerr << "error: " << st.message() << "\n";
  return kExitError;
}

std::string DomainsText(const HubSummary& h) {
  std::string out;
  for (const auto& d : h.domains) {
    if (d.kind == DomainKind::kNone) continue;
    out += (out.empty() ? "" : ", ") + std::to_string(d.count) + "x" + std::to_string(d.gpus) +
           " " + std::string(DomainKindName(d.kind));
  }
  return out.empty() ? "-" : out;
}

int Summary(const CommonOptions& o) {
  if (o.fleet.empty()) return RemoteFleetSummary(o.remote);
  auto topo = LoadTopologyFile(o.fleet);
  if (!topo.ok()) return Fail(topo.status());
  const FleetSummary s = Summarize(*topo);
  if (o.format() == OutputFormat::kJson) {
    PrintJson(std::cout, SummaryToJson(s));
    return kExitOk;
  }
  Table t({"HUB", "COUNTRY", "NODES", "GPUS", "FREE", "ALLOC", "MODELS", "NVLINK DOMAINS"});
  for (const auto& h : s.hubs) {
    std::string models;
    for (const auto& [name, count] : h.models) {
      models += (models.empty() ? "" : ", ") + std::to_string(count) + " " + name;
    }
    t.AddRow({h.id, h.country, WithThousands(h.nodes), WithThousands(h.gpus.total),
              WithThousands(h.gpus.free), WithThousands(h.gpus.allocated), models, DomainsText(h)});
  }
  t.AddRow({"TOTAL", "", WithThousands(s.nodes), WithThousands(s.gpus.total),
            WithThousands(s.gpus.free), WithThousands(s.gpus.allocated), "", ""});
  t.Print(std::cout);
  for (const auto& h : s.hubs) {
    if (h.carbon_zone_stand_in) {
      std::cout << "note: hub " << h.id << " uses carbon zone " << h.carbon_zone
                << " as a stand-in (no public hourly series for " << h.country << ")\n";
    }
  }
  return kExitOk;
}

struct QueryOptions {
  CommonOptions common;
  int gpus = 1;
  int replica_size = 1;
  std::string share;
  std::string min_memory;
  std::vector<std::string> models;
  std::string min_cc;
  std::string mig;
  std::vector<std::string> jurisdiction;
  std::string hub;
  std::vector<std::string> labels;
  bool same_domain = false;
  bool exclusive = false;
  bool multi_hub = false;
  bool degraded = false;
};

Result<PlacementRequest> ToRequest(const QueryOptions& o) {
  PlacementRequest r;
  r.count = o.gpus;
  r.replica_size = o.replica_size;
  if (!o.share.empty()) {
    auto share = ParseMilliGpu(o.share);
    if (!share.ok()) return share.status().WithContext("--share");
    r.share = *share;
  }
  if (!o.min_memory.empty()) {
    auto mem = ParseBytes(o.min_memory);
    if (!mem.ok()) return mem.status().WithContext("--min-memory");
    r.min_memory = *mem;
  }
  if (!o.min_cc.empty()) {
    auto cc = ParseComputeCapability(o.min_cc);
    if (!cc.ok()) return cc.status().WithContext("--min-cc");
    r.min_compute_capability = *cc;
  }
  r.models = o.models;
  r.mig_profile = o.mig;
  r.jurisdiction = o.jurisdiction;
  r.hub = o.hub;
  for (const auto& l : o.labels) {
    const auto eq = l.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("--label: expected KEY=VALUE, got '" + l + "'");
    }
    r.node_labels[l.substr(0, eq)] = l.substr(eq + 1);
  }
  r.nvlink = o.same_domain ? NvlinkPolicy::kRequired : NvlinkPolicy::kPreferred;
  r.exclusive_node = o.exclusive;
  r.allow_multi_hub = o.multi_hub;
  r.allow_degraded = o.degraded;
  return r;
}

v1::FleetQueryRequest ToProto(const QueryOptions& o) {
  v1::FleetQueryRequest q;
  q.set_gpus(o.gpus);
  q.set_replica_size(o.replica_size);
  q.set_share(o.share);
  q.set_min_memory(o.min_memory);
  for (const auto& m : o.models) q.add_models(m);
  q.set_min_cc(o.min_cc);
  q.set_mig(o.mig);
  for (const auto& j : o.jurisdiction) q.add_jurisdiction(j);
  q.set_hub(o.hub);
  for (const auto& l : o.labels) {
    const auto eq = l.find('=');
    (*q.mutable_labels())[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  q.set_same_nvlink_domain(o.same_domain);
  q.set_exclusive_node(o.exclusive);
  q.set_allow_multi_hub(o.multi_hub);
  q.set_allow_degraded(o.degraded);
  return q;
}

int Query(const QueryOptions& o) {
  auto request = ToRequest(o);
  if (request.ok() && o.common.fleet.empty()) return RemoteFleetQuery(o.common.remote, ToProto(o));
  if (!request.ok()) return Fail(request.status());
  auto topo = LoadTopologyFile(o.common.fleet);
  if (!topo.ok()) return Fail(topo.status());
  auto outcome = FindPlacement(*topo, *request);
  if (!outcome.ok()) return Fail(outcome.status());
  const bool json = o.common.format() == OutputFormat::kJson;
  if (!outcome->fits()) {
    if (json) {
      PrintJson(std::cout, NoFitToJson(outcome->no_fit));
    } else {
      std::cout << "no fit (" << outcome->no_fit.constraint << "): " << outcome->no_fit.reason
                << (outcome->no_fit.permanent ? " [can never fit on this fleet]" : "") << "\n";
    }
    return kExitNoFit;
  }
  const Plan& plan = *outcome->plan;
  if (json) {
    nlohmann::json j = PlanToJson(*topo, plan);
    j["fits"] = true;
    PrintJson(std::cout, j);
    return kExitOk;
  }
  Table t({"GPU", "MODEL", "MEMORY", "NVLINK DOMAIN", "HUB", "SHARE"});
  for (const auto& g : plan.grants) {
    const Gpu& gpu = topo->gpu(g.gpu);
    const GpuModel& model = topo->model_of(g.gpu);
    const NvlinkDomain& dom = topo->domain(gpu.domain);
    std::string share = "whole";
    Bytes memory = gpu.memory;
    if (g.mig_shape >= 0) {
      share = "MIG " + MigProfileName(model, MigShapes()[g.mig_shape]) + " @" +
              std::to_string(g.mig_start);
      memory = MigInstanceMemory(model, MigShapes()[g.mig_shape]);
    } else if (g.milli < kWholeGpu) {
      share = std::to_string(g.milli.value) + "m";
    }
    t.AddRow({gpu.id, model.name, FormatBytes(memory),
              dom.kind == DomainKind::kNone ? "-" : dom.id, topo->hub(gpu.hub).id, share});
  }
  t.Print(std::cout);
  std::cout << "span " << LinkClassName(plan.cost.span) << ", " << plan.cost.domains
            << " NVLink domain(s), " << plan.cost.nodes << " node(s), link distance "
            << plan.cost.link_distance << ", stranded GPUs "
            << (plan.cost.stranded_delta >= 0 ? "+" : "") << plan.cost.stranded_delta << "\n";
  return kExitOk;
}

int Validate(const std::string& file) {
  auto topo = LoadTopologyFile(file);
  if (!topo.ok()) return Fail(topo.status());
  const FleetSummary s = Summarize(*topo);
  std::cout << file << ": valid: " << s.hubs.size() << " hubs, " << WithThousands(s.nodes)
            << " nodes, " << WithThousands(s.gpus.total) << " GPUs\n";
  return kExitOk;
}

struct GenerateOptions {
  GeneratorOptions gen;
  std::string out;
};

int Generate(const GenerateOptions& o) {
  auto spec = GenerateFleet(o.gen);
  if (!spec.ok()) return Fail(spec.status());
  const std::string yaml = "# Generated by `harch fleet generate --gpus " +
                           std::to_string(o.gen.gpus) + " --hubs " + std::to_string(o.gen.hubs) +
                           " --seed " + std::to_string(o.gen.seed) + "`\n" + WriteFleetSpec(*spec);
  if (o.out.empty() || o.out == "-") {
    std::cout << yaml;
    return kExitOk;
  }
  Status st = WriteFileAtomic(o.out, yaml);
  if (!st.ok()) return Fail(st);
  std::cerr << "wrote " << o.out << "\n";
  return kExitOk;
}

}  // namespace

void AddFleetCommands(CLI::App& app, int* exit_code) {
  CLI::App* fleet = app.add_subcommand("fleet", "Inspect and query a fleet spec, or the running fleet");
  fleet->require_subcommand(1);

  auto summary = std::make_shared<CommonOptions>();
  CLI::App* s = fleet->add_subcommand("summary", "Per hub: nodes, GPUs by model, NVLink domains, free/allocated");
  AddCommon(s, summary.get(), /*required=*/false);
  s->callback([summary, exit_code] { *exit_code = Summary(*summary); });

  auto query = std::make_shared<QueryOptions>();
  CLI::App* q = fleet->add_subcommand(
      "query", "Find GPUs for a request; exits 3 with the reason when nothing fits");
  AddCommon(q, &query->common, /*required=*/false);
  q->add_option("--gpus", query->gpus, "GPUs (or GPU shares, or MIG instances) wanted")
      ->required()
      ->check(CLI::Range(1, 100000));
  q->add_option("--replica-size", query->replica_size,
                 "GPUs that must share a node (one process); divides --gpus")
      ->capture_default_str();
  q->add_option("--share", query->share, "Share of one GPU per unit, e.g. 250m or 0.5");
  q->add_option("--min-memory", query->min_memory, "Minimum memory per GPU, e.g. 40GiB");
  q->add_option("--model", query->models, "Allowed models or families, e.g. H100,A100")
      ->delimiter(',');
  q->add_option("--min-cc", query->min_cc, "Minimum compute capability, e.g. 8.0");
  q->add_option("--mig", query->mig, "MIG profile, e.g. 3g.40gb");
  q->add_option("--jurisdiction", query->jurisdiction, "Allowed countries, e.g. MA or MA,SN")
      ->delimiter(',');
  q->add_option("--hub", query->hub, "Only this hub");
  q->add_option("--label", query->labels, "Node label KEY=VALUE (repeatable)");
  q->add_flag("--same-nvlink-domain", query->same_domain, "All GPUs in one NVLink domain");
  q->add_flag("--exclusive-node", query->exclusive, "Only idle nodes, held whole");
  q->add_flag("--allow-multi-hub", query->multi_hub, "May span hubs over the WAN");
  q->add_flag("--allow-degraded", query->degraded, "May use degraded GPUs");
  q->callback([query, exit_code] { *exit_code = Query(*query); });

  auto file = std::make_shared<std::string>();
  CLI::App* v = fleet->add_subcommand("validate", "Check a fleet spec; errors name file:line:column");
  v->add_option("FILE", *file, "Fleet spec (YAML)")->required();
  v->callback([file, exit_code] { *exit_code = Validate(*file); });

  auto gen = std::make_shared<GenerateOptions>();
  CLI::App* g = fleet->add_subcommand("generate", "Write a synthetic fleet spec of any size");
  g->add_option("--gpus", gen->gen.gpus, "Total GPUs")->required()->check(CLI::Range(1, 1000000));
  g->add_option("--hubs", gen->gen.hubs, "Hubs")->capture_default_str()->check(CLI::Range(1, 64));
  g->add_option("--seed", gen->gen.seed, "Random seed")->capture_default_str();
  g->add_option("--out", gen->out, "Output file (default: stdout)");
  g->callback([gen, exit_code] { *exit_code = Generate(*gen); });
}

}  // namespace harch
