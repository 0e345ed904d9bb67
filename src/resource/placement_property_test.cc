// Property tests of placement (placement.cc) on seeded random small fleets.
//
// Every case builds a fleet of at most 14 GPUs (1-3 hubs in MA/SN/FR, nodes of 1-8 GPUs of
// several models, NVLink none/nvswitch/pairs, some multi-node racks, some MIG-mode A100s, random
// health), makes random allocations and node state changes, and asks random requests. Checked:
//   (a) a plan satisfies every hard constraint, and Topology::Allocate accepts its grants;
//   (b) "no fit" only when no feasible choice exists (brute force over subsets for whole GPUs,
//       over groups for shares and MIG instances);
//   (c) the plan's span is the smallest coarse level (NVLink domain, node, rack, hub, WAN) at
//       which some feasible subset exists;
//   (d) no plan ever leaves the requested jurisdiction;
//   (e) "permanent" answers are exactly those that would not fit on the same fleet idle and
//       healthy.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/random.h"
#include "resource/fleet_spec.h"
#include "resource/placement.h"
#include "resource/topology.h"

namespace harch {
namespace {

constexpr int kCases = 500;
constexpr int kRequestsPerCase = 6;
constexpr int kMaxFleetGpus = 14;

template <typename T>
const T& Pick(Random& rng, const std::vector<T>& v) {
  return v[static_cast<size_t>(rng.Uniform(0, static_cast<int64_t>(v.size()) - 1))];
}

// --- Random fleets --------------------------------------------------------------------------------

struct FleetOptions {
  bool node_health = false;  // some nodes degraded or failed in the spec
};

NodeEntrySpec RandomNode(Random& rng, const std::string& name, const std::string& model, int gpus,
                         NodeNvlink nvlink, const FleetOptions& o) {
  NodeEntrySpec n;
  n.name = name;
  n.shape.cpu = MilliCpu{8000};
  n.shape.memory = GiB(64);
  n.shape.numa_nodes = rng.Uniform(1, 2);
  if (rng.Bernoulli(0.4)) n.shape.labels["tier"] = rng.Bernoulli(0.5) ? "gold" : "silver";
  GpuGroupSpec g;
  g.model = model;
  g.count = gpus;
  g.nvlink = nvlink;
  g.pcie_switches = rng.Uniform(1, gpus);
  g.host_bridges = rng.Uniform(1, g.pcie_switches);
  g.mig_enabled = model == "A100-SXM" && rng.Bernoulli(0.4);
  n.shape.gpus = g;
  if (o.node_health && rng.Bernoulli(0.15)) {
    n.health = rng.Bernoulli(0.7) ? Health::kDegraded : Health::kFailed;
  }
  for (int i = 0; i < gpus; ++i) {
    if (rng.Bernoulli(0.08)) n.gpu_health[i] = rng.Bernoulli(0.6) ? Health::kDegraded : Health::kFailed;
  }
  return n;
}

FleetSpec RandomFleet(Random& rng, const FleetOptions& o) {
  static const std::vector<std::string> kCountries{"MA", "SN", "FR"};
  static const std::vector<std::string> kModels{"H100-SXM", "A100-SXM", "A100-SXM", "L40S", "L4",
                                                "A100-SXM-40GB"};
  FleetSpec spec;
  spec.name = "prop";
  const int hubs = static_cast<int>(rng.Uniform(1, 3));
  for (int h = 0; h < hubs; ++h) {
    HubSpec hub;
    hub.id = "h" + std::to_string(h);
    hub.country = Pick(rng, kCountries);
    spec.hubs.push_back(hub);
  }
  int budget = static_cast<int>(rng.Uniform(3, kMaxFleetGpus));
  for (int r = 0; budget > 0 && r < 6; ++r) {
    RackSpec rack;
    rack.id = "r" + std::to_string(r);
    if (rng.Bernoulli(0.2)) {
      rack.nvlink = RackNvlink::kMultiNode;
      const int nodes = static_cast<int>(rng.Uniform(1, 3));
      for (int n = 0; n < nodes && budget > 0; ++n) {
        const int gpus = static_cast<int>(rng.Uniform(1, std::min(4, budget)));
        budget -= gpus;
        rack.nodes.push_back(RandomNode(rng, "t" + std::to_string(n), "GB200", gpus,
                                        NodeNvlink::kNone, o));
      }
    } else {
      const int nodes = static_cast<int>(rng.Uniform(1, 3));
      for (int n = 0; n < nodes && budget > 0; ++n) {
        const int gpus = static_cast<int>(rng.Uniform(1, std::min(8, budget)));
        budget -= gpus;
        NodeNvlink nvlink = NodeNvlink::kNone;
        const int64_t kind = rng.Uniform(0, 2);
        if (kind == 1) nvlink = NodeNvlink::kNvswitch;
        if (kind == 2 && gpus % 2 == 0) nvlink = NodeNvlink::kPairs;
        rack.nodes.push_back(RandomNode(rng, "n" + std::to_string(n), Pick(rng, kModels), gpus,
                                        nvlink, o));
      }
    }
    spec.hubs[static_cast<size_t>(rng.Uniform(0, hubs - 1))].racks.push_back(std::move(rack));
  }
  return spec;
}

// Random existing load: whole GPUs, shares, MIG instances, exclusive holds, node states.
void RandomLoad(Random& rng, Topology& topo) {
  for (size_t n = 0; n < topo.nodes().size(); ++n) {
    const Node& node = topo.nodes()[n];
    if (rng.Bernoulli(0.1)) {
      (void)topo.Allocate("exclusive", {{node.gpus[0]}}, true);
      continue;
    }
    for (GpuIdx g : node.gpus) {
      const Gpu& gpu = topo.gpu(g);
      if (gpu.mig_enabled) {
        const int instances = static_cast<int>(rng.Uniform(0, 3));
        for (int i = 0; i < instances; ++i) {
          const int shape = static_cast<int>(rng.Uniform(0, static_cast<int64_t>(MigShapes().size()) - 1));
          if (auto start = MigBestStart(topo.gpu(g).mig_mask, MigShapes()[shape])) {
            (void)topo.Allocate("mig", {{g, kWholeGpu, shape, *start}}, false);
          }
        }
      } else if (rng.Bernoulli(0.2)) {
        (void)topo.Allocate("whole", {{g}}, false);
      } else if (rng.Bernoulli(0.15)) {
        (void)topo.Allocate("share", {{g, MilliGpu{rng.Uniform(1, 9) * 100}}}, false);
      }
    }
  }
  for (size_t n = 0; n < topo.nodes().size(); ++n) {
    if (rng.Bernoulli(0.04)) {
      (void)topo.SetNodeState(NodeIdx(n), NodeState::kCordoned);
    } else if (rng.Bernoulli(0.04)) {
      (void)topo.SetNodeState(NodeIdx(n), NodeState::kDown);
    } else if (rng.Bernoulli(0.03)) {
      (void)topo.RemoveNode(NodeIdx(n));
    }
  }
  for (size_t g = 0; g < topo.gpus().size(); ++g) {
    if (rng.Bernoulli(0.03)) (void)topo.SetGpuHealth(GpuIdx(g), Health::kFailed);
  }
}

// --- Random requests ------------------------------------------------------------------------------

enum class Kind { kWhole, kShare, kMig };

PlacementRequest RandomRequest(Random& rng, const Topology& topo, Kind* kind) {
  static const std::vector<std::vector<std::string>> kJurisdictions{
      {"MA"}, {"SN"}, {"FR"}, {"MA", "SN"}, {"SN", "FR"}, {"DE"}};
  static const std::vector<std::string> kModelQueries{"H100", "A100", "a100-sxm", "L4", "L40S",
                                                      "GB200", "A100-SXM-40GB"};
  static const std::vector<std::string> kProfiles{"1g.10gb", "1g.10gb", "1g.20gb", "2g.20gb",
                                                  "3g.40gb", "3g.40gb", "4g.40gb", "7g.80gb",
                                                  "3g.20gb", "1g.5gb"};
  PlacementRequest req;
  const double r = rng.UniformDouble();
  *kind = r < 0.65 ? Kind::kWhole : r < 0.85 ? Kind::kShare : Kind::kMig;
  req.count = static_cast<int>(rng.Bernoulli(0.6) ? rng.Uniform(1, 3) : rng.Uniform(1, 8));
  // Mostly constraints that something in this fleet can meet, sometimes ones nothing can.
  const double j = rng.UniformDouble();
  if (j < 0.4 && !topo.hubs().empty()) {
    req.jurisdiction = {Pick(rng, topo.hubs()).country};
  } else if (j < 0.5) {
    req.jurisdiction = Pick(rng, kJurisdictions);
  }
  const double m = rng.UniformDouble();
  if (m < 0.2 && !topo.gpus().empty()) {
    const GpuModel& model = topo.model_of(GpuIdx(static_cast<size_t>(
        rng.Uniform(0, static_cast<int64_t>(topo.gpus().size()) - 1))));
    req.models = {rng.Bernoulli(0.5) ? model.name : model.family};
  } else if (m < 0.27) {
    req.models = {Pick(rng, kModelQueries)};
  } else if (m < 0.3) {
    req.models = {Pick(rng, kModelQueries), Pick(rng, kModelQueries)};
  }
  if (rng.Bernoulli(0.15)) req.min_memory = GiB(Pick(rng, std::vector<int64_t>{10, 20, 24, 40, 48, 80}));
  if (rng.Bernoulli(0.05)) req.min_compute_capability = 90;
  if (rng.Bernoulli(0.08) && !topo.hubs().empty()) req.hub = Pick(rng, topo.hubs()).id;
  if (rng.Bernoulli(0.1)) req.node_labels = {{"tier", "gold"}};
  req.nvlink = rng.Bernoulli(0.3) ? NvlinkPolicy::kRequired : NvlinkPolicy::kPreferred;
  req.exclusive_node = rng.Bernoulli(0.12);
  req.allow_multi_hub = rng.Bernoulli(0.4);
  req.allow_degraded = rng.Bernoulli(0.3);
  if (*kind == Kind::kShare) req.share = MilliGpu{Pick(rng, std::vector<int64_t>{100, 250, 300, 500, 700})};
  if (*kind == Kind::kMig) req.mig_profile = Pick(rng, kProfiles);
  return req;
}

std::string Describe(const PlacementRequest& req, Kind kind) {
  std::ostringstream os;
  os << "count=" << req.count << " kind=" << static_cast<int>(kind) << " share=" << req.share.value
     << " mig=" << req.mig_profile << " [" << DescribeRequest(req) << "]"
     << " required=" << (req.nvlink == NvlinkPolicy::kRequired) << " excl=" << req.exclusive_node
     << " multihub=" << req.allow_multi_hub << " hub=" << req.hub;
  return os.str();
}

// --- An independent reading of the hard constraints ---------------------------------------------

bool HubAllowed(const Topology& topo, const PlacementRequest& req, HubIdx h) {
  const Hub& hub = topo.hub(h);
  const bool juris = req.jurisdiction.empty() ||
                     std::find(req.jurisdiction.begin(), req.jurisdiction.end(), hub.country) !=
                         req.jurisdiction.end();
  return juris && (req.hub.empty() || req.hub == hub.id);
}

bool NodeAllowed(const PlacementRequest& req, const Node& node) {
  if (node.state != NodeState::kUp) return false;
  if (node.health == Health::kFailed) return false;
  if (!req.allow_degraded && node.health != Health::kHealthy) return false;
  for (const auto& [k, v] : req.node_labels) {
    auto it = node.labels.find(k);
    if (it == node.labels.end() || it->second != v) return false;
  }
  if (node.exclusive_owner != 0) return false;
  if (req.exclusive_node && node.busy_gpus > 0) return false;
  return true;
}

// Everything but free capacity: the GPU may host units of this request.
bool StaticOk(const Topology& topo, const PlacementRequest& req, GpuIdx g) {
  const Gpu& gpu = topo.gpu(g);
  const GpuModel& model = topo.model_of(g);
  if (!HubAllowed(topo, req, gpu.hub)) return false;
  if (!NodeAllowed(req, topo.node(gpu.node))) return false;
  if (gpu.health == Health::kFailed) return false;
  if (!req.allow_degraded && gpu.health != Health::kHealthy) return false;
  if (!req.models.empty() &&
      std::none_of(req.models.begin(), req.models.end(),
                   [&](const std::string& q) { return GpuCatalog::Matches(model, q); })) {
    return false;
  }
  if (model.compute_capability < req.min_compute_capability) return false;
  if (!req.mig_profile.empty()) {
    if (!gpu.mig_enabled) return false;
    auto shape = FindMigShape(model, req.mig_profile);
    return shape && MigInstanceMemory(model, MigShapes()[*shape]) >= req.min_memory;
  }
  return !gpu.mig_enabled && gpu.memory >= req.min_memory;
}

// Units of the request the GPU can host now.
int Units(const Topology& topo, const PlacementRequest& req, GpuIdx g) {
  if (!StaticOk(topo, req, g)) return 0;
  const Gpu& gpu = topo.gpu(g);
  if (!req.mig_profile.empty()) {
    return MigFreeInstances(gpu.mig_mask, MigShapes()[*FindMigShape(topo.model_of(g), req.mig_profile)]);
  }
  return static_cast<int>((1000 - gpu.used_milli) / req.share.value);
}

// 0: same GPU or NVLink domain; 1: inside a node; 2: rack; 3: hub; 4: WAN.
int Coarse(LinkClass c) {
  switch (c) {
    case LinkClass::kSelf:
    case LinkClass::kNvlink: return 0;
    case LinkClass::kPcieSwitch:
    case LinkClass::kHostBridge:
    case LinkClass::kNuma:
    case LinkClass::kNode: return 1;
    case LinkClass::kRack: return 2;
    case LinkClass::kHub: return 3;
    case LinkClass::kWan: return 4;
  }
  return 5;
}

// Whole GPUs: the smallest coarse span over all feasible subsets of `count` eligible GPUs, or -1.
int BruteForceWholeSpan(const Topology& topo, const PlacementRequest& req) {
  std::vector<GpuIdx> eligible;
  for (size_t g = 0; g < topo.gpus().size(); ++g) {
    if (Units(topo, req, GpuIdx(g)) > 0) eligible.push_back(GpuIdx(g));
  }
  const size_t n = eligible.size();
  EXPECT_LE(n, static_cast<size_t>(kMaxFleetGpus));
  if (n < static_cast<size_t>(req.count)) return -1;
  std::vector<std::vector<int>> coarse(n, std::vector<int>(n));
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) coarse[i][j] = Coarse(topo.Distance(eligible[i], eligible[j]));
  }
  int best = -1;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    if (std::popcount(mask) != req.count) continue;
    int span = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!(mask >> i & 1)) continue;
      for (size_t j = i + 1; j < n; ++j) {
        if (mask >> j & 1) span = std::max(span, coarse[i][j]);
      }
    }
    if (req.nvlink == NvlinkPolicy::kRequired && span > 0) continue;
    if (!req.allow_multi_hub && span > 3) continue;
    if (best < 0 || span < best) best = span;
  }
  return best;
}

// Shares and MIG instances: units add up, so a feasible choice exists iff some allowed group
// (one domain when required, one hub unless multi-hub, else the fleet) holds `count` units.
bool GroupsCanHold(const Topology& topo, const PlacementRequest& req) {
  std::map<uint32_t, int64_t> per_domain, per_hub;
  int64_t total = 0;
  for (size_t g = 0; g < topo.gpus().size(); ++g) {
    const int u = Units(topo, req, GpuIdx(g));
    per_domain[topo.gpus()[g].domain.value] += u;
    per_hub[topo.gpus()[g].hub.value] += u;
    total += u;
  }
  const auto max_of = [](const std::map<uint32_t, int64_t>& m) {
    int64_t best = 0;
    for (const auto& [k, v] : m) best = std::max(best, v);
    return best;
  };
  if (req.nvlink == NvlinkPolicy::kRequired) return max_of(per_domain) >= req.count;
  if (!req.allow_multi_hub) return max_of(per_hub) >= req.count;
  return total >= req.count;
}

// The same fleet with nothing allocated, every GPU healthy and every node that is still there up.
Topology IdleHealthy(const Topology& topo) {
  Topology idle = topo;
  std::vector<AllocationId> ids;
  for (const auto& [id, a] : idle.allocations()) ids.push_back(id);
  for (AllocationId id : ids) EXPECT_TRUE(idle.Release(id).ok());
  for (size_t g = 0; g < idle.gpus().size(); ++g) (void)idle.SetGpuHealth(GpuIdx(g), Health::kHealthy);
  for (size_t n = 0; n < idle.nodes().size(); ++n) {
    if (idle.nodes()[n].state != NodeState::kRemoved) (void)idle.SetNodeState(NodeIdx(n), NodeState::kUp);
  }
  return idle;
}

// --- The properties --------------------------------------------------------------------------------

struct Tally {
  int requests = 0;
  int fits = 0;
  int no_fits = 0;
  int whole_compared = 0;
  int jurisdiction_violations = 0;
  std::map<std::string, int> constraints;
  std::map<int, int> spans;
};

// (a) and (d): every hard constraint, then the grants really allocate.
void CheckPlan(Topology& topo, const PlacementRequest& req, const Plan& plan, Tally* tally) {
  ASSERT_EQ(plan.grants.size(), static_cast<size_t>(req.count));
  std::set<uint32_t> domains, hubs;
  int max_span = 0;
  for (const GpuGrant& g : plan.grants) {
    ASSERT_TRUE(g.gpu.valid() && g.gpu.value < topo.gpus().size());
    const Gpu& gpu = topo.gpu(g.gpu);
    const Hub& hub = topo.hub(gpu.hub);
    if (!req.jurisdiction.empty() &&
        std::find(req.jurisdiction.begin(), req.jurisdiction.end(), hub.country) ==
            req.jurisdiction.end()) {
      ++tally->jurisdiction_violations;
      ADD_FAILURE() << gpu.id << " is in " << hub.country;
    }
    EXPECT_TRUE(StaticOk(topo, req, g.gpu)) << gpu.id << " breaks a hard constraint";
    EXPECT_GT(Units(topo, req, g.gpu), 0) << gpu.id << " has no room";
    if (req.mig_profile.empty()) {
      EXPECT_EQ(g.mig_shape, -1);
      EXPECT_EQ(g.milli, req.share);
    } else {
      EXPECT_EQ(g.mig_shape, *FindMigShape(topo.model_of(g.gpu), req.mig_profile));
      ASSERT_GE(g.mig_start, 0);
      EXPECT_TRUE(MigShapes()[g.mig_shape].start_mask >> g.mig_start & 1);
    }
    domains.insert(gpu.domain.value);
    hubs.insert(gpu.hub.value);
    for (const GpuGrant& h : plan.grants) {
      max_span = std::max(max_span, static_cast<int>(topo.Distance(g.gpu, h.gpu)));
    }
  }
  if (req.nvlink == NvlinkPolicy::kRequired) {
    EXPECT_EQ(domains.size(), 1u) << "one NVLink domain";
  }
  if (!req.allow_multi_hub) {
    EXPECT_EQ(hubs.size(), 1u) << "one hub";
  }
  // The reported cost is the real one.
  EXPECT_EQ(static_cast<int>(plan.cost.span), max_span);
  const PlanCost cost = CostOf(topo, plan.grants);
  EXPECT_EQ(cost.span, plan.cost.span);
  EXPECT_EQ(cost.domains, plan.cost.domains);
  EXPECT_EQ(cost.nodes, plan.cost.nodes);
  EXPECT_EQ(cost.domains, static_cast<int>(domains.size()));
  // Capacity and exclusivity: the topology itself accepts the plan.
  auto id = topo.Allocate("plan", plan.grants, req.exclusive_node);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
}

void RunCase(uint64_t seed, Tally* tally) {
  Random rng(seed);
  FleetOptions opts;
  opts.node_health = seed % 2 == 0;
  const FleetSpec spec = RandomFleet(rng, opts);
  auto built = BuildTopology(spec);
  ASSERT_TRUE(built.ok()) << built.status().ToString() << "\n" << WriteFleetSpec(spec);
  Topology topo = std::move(built).value();
  ASSERT_LE(topo.gpus().size(), static_cast<size_t>(kMaxFleetGpus));
  RandomLoad(rng, topo);
  bool nodes_healthy = true;
  for (const Node& n : topo.nodes()) nodes_healthy = nodes_healthy && n.health == Health::kHealthy;

  for (int r = 0; r < kRequestsPerCase; ++r) {
    Kind kind = Kind::kWhole;
    const PlacementRequest req = RandomRequest(rng, topo, &kind);
    SCOPED_TRACE("seed " + std::to_string(seed) + " request " + std::to_string(r) + ": " +
                 Describe(req, kind) + "\nfleet:\n" + WriteFleetSpec(spec));
    auto result = FindPlacement(topo, req);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    const PlacementOutcome& out = *result;
    ++tally->requests;

    // (b) and (c).
    bool feasible = false;
    if (kind == Kind::kWhole) {
      const int best = BruteForceWholeSpan(topo, req);
      feasible = best >= 0;
      if (out.fits() && feasible) {
        ++tally->whole_compared;
        EXPECT_EQ(Coarse(out.plan->cost.span), best)
            << "span " << LinkClassName(out.plan->cost.span) << " is not minimal";
      }
    } else {
      feasible = GroupsCanHold(topo, req);
    }
    EXPECT_EQ(out.fits(), feasible) << (out.fits() ? "planned the infeasible"
                                                   : "no fit (" + out.no_fit.constraint + ": " +
                                                         out.no_fit.reason + ") but one exists");

    // (e) permanence, when the fleet's node health can be reset.
    if (!out.fits()) {
      ++tally->no_fits;
      ++tally->constraints[out.no_fit.constraint];
      EXPECT_FALSE(out.no_fit.constraint.empty());
      EXPECT_FALSE(out.no_fit.reason.empty());
      if (nodes_healthy) {
        const Topology idle = IdleHealthy(topo);
        auto again = FindPlacement(idle, req);
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(out.no_fit.permanent, !again->fits())
            << out.no_fit.constraint << ": " << out.no_fit.reason;
      }
    }

    // (a) and (d); allocating the plan also changes the state for the next request.
    if (out.fits()) {
      ++tally->fits;
      ++tally->spans[Coarse(out.plan->cost.span)];
      CheckPlan(topo, req, *out.plan, tally);
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(PlacementPropertyTest, RandomFleetsAndRequests) {
  Tally tally;
  for (uint64_t seed = 1; seed <= kCases; ++seed) {
    RunCase(seed, &tally);
    if (::testing::Test::HasFailure()) break;  // one seed's report is enough to debug
  }
  EXPECT_EQ(tally.jurisdiction_violations, 0);
  // The generator must exercise both outcomes, every coarse span and the main no-fit reasons;
  // otherwise the properties above prove little.
  EXPECT_EQ(tally.requests, kCases * kRequestsPerCase);
  EXPECT_GT(tally.fits, tally.requests / 5);
  EXPECT_GT(tally.no_fits, tally.requests / 5);
  EXPECT_GT(tally.whole_compared, 100);
  for (int level = 0; level <= 4; ++level) {
    EXPECT_GT(tally.spans[level], 0) << "no plan of coarse span " << level;
  }
  for (const char* c : {"jurisdiction", "hardware", "nvlink", "hub", "health", "capacity"}) {
    EXPECT_GT(tally.constraints[c], 0) << "no no-fit of kind " << c;
  }
  std::ostringstream summary;
  summary << tally.fits << " fits, " << tally.no_fits << " no fits:";
  for (const auto& [c, n] : tally.constraints) summary << " " << c << "=" << n;
  summary << "; spans:";
  for (const auto& [s, n] : tally.spans) summary << " " << s << "=" << n;
  RecordProperty("tally", summary.str());
  std::cout << "[ tally    ] " << summary.str() << "\n";
}

// The same seed gives the same fleet and the same answers.
TEST(PlacementPropertyTest, Deterministic) {
  for (uint64_t seed : {3u, 17u, 99u}) {
    std::string first, second;
    for (std::string* out : {&first, &second}) {
      Random rng(seed);
      const FleetSpec spec = RandomFleet(rng, {true});
      Topology topo = std::move(BuildTopology(spec)).value();
      RandomLoad(rng, topo);
      *out = WriteFleetSpec(spec);
      for (int r = 0; r < kRequestsPerCase; ++r) {
        Kind kind;
        const PlacementRequest req = RandomRequest(rng, topo, &kind);
        auto res = FindPlacement(topo, req);
        ASSERT_TRUE(res.ok());
        if (res->fits()) {
          for (const GpuGrant& g : res->plan->grants) {
            *out += topo.gpu(g.gpu).id + "/" + std::to_string(g.mig_start) + " ";
          }
        } else {
          *out += res->no_fit.constraint + ":" + res->no_fit.reason;
        }
        *out += "\n";
      }
    }
    EXPECT_EQ(first, second) << "seed " << seed;
  }
}

}  // namespace
}  // namespace harch
