#include "resource/placement.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <map>
#include <numeric>
#include <set>

namespace harch {
namespace {

constexpr int kMaxUnits = 100'000;
constexpr size_t kMaxPairwiseUnits = 2048;  // above this, link_distance is not summed

// Levels of the path key below which the planner splits a group into sub-groups.
enum Level : int { kHubL = 0, kRackL, kOuterL, kInnerL, kNumaL, kBridgeL, kSwitchL, kGpuL, kLevels };

struct Candidate {
  GpuIdx gpu;
  int32_t cap;  // units of the request this GPU can still host
  std::array<uint32_t, kLevels> key;
  uint32_t node;
  bool multi_node;  // in a multi-node NVLink domain: the node sits below the domain in the key
};

// Picks how many units to take from each bucket so that the fewest buckets are used and the
// last one is the tightest fit. REQUIRES: sum(caps) >= k.
std::vector<int> TakeFromBuckets(const std::vector<int64_t>& caps, int64_t k) {
  std::vector<int> take(caps.size(), 0);
  std::vector<size_t> order(caps.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return caps[a] > caps[b]; });
  int64_t remaining = k;
  for (size_t i = 0; i < order.size() && remaining > 0; ++i) {
    if (caps[order[i]] >= remaining) {
      // The tightest bucket from here on that still holds the rest; among equals the earliest.
      size_t best = i;
      for (size_t j = i + 1; j < order.size() && caps[order[j]] >= remaining; ++j) {
        if (caps[order[j]] < caps[order[best]]) best = j;
      }
      take[order[best]] = static_cast<int>(remaining);
      remaining = 0;
    } else {
      take[order[i]] = static_cast<int>(caps[order[i]]);
      remaining -= caps[order[i]];
    }
  }
  HARCH_CHECK(remaining == 0);
  return take;
}


std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// Counters indexed by a dense id, of which only the touched ones are non-zero: clearing costs
// what was touched, not the size of the fleet.
class SparseCounts {
 public:
  void Resize(size_t n) {
    if (value_.size() < n) {
      value_.resize(n, 0);
      marked_.resize(n, 0);
    }
  }
  int64_t operator[](size_t i) const { return value_[i]; }
  void Add(size_t i, int64_t delta) {
    Touch(i);
    value_[i] += delta;
  }
  void Set(size_t i, int64_t v) {
    Touch(i);
    value_[i] = v;
  }
  const std::vector<uint32_t>& touched() const { return touched_; }
  void Clear() {
    for (uint32_t i : touched_) value_[i] = marked_[i] = 0;
    touched_.clear();
  }
  int64_t Max() const {
    int64_t best = 0;
    for (uint32_t i : touched_) best = std::max(best, value_[i]);
    return best;
  }
  // Best fit: the smallest value that still holds k; ties to the lowest index.
  std::optional<size_t> BestFit(int64_t k) const {
    std::optional<size_t> best;
    for (uint32_t i : touched_) {
      if (value_[i] >= k && (!best || value_[i] < value_[*best] ||
                             (value_[i] == value_[*best] && i < *best))) {
        best = i;
      }
    }
    return best;
  }

 private:
  void Touch(size_t i) {
    if (!marked_[i]) {
      marked_[i] = 1;
      touched_.push_back(static_cast<uint32_t>(i));
    }
  }
  std::vector<int64_t> value_;
  std::vector<uint8_t> marked_;
  std::vector<uint32_t> touched_;
};

// Per-thread scratch space, reused across queries so a query does not allocate or clear arrays
// the size of the fleet.
struct Scratch {
  SparseCounts dom_cap, dom_static, dom_units, dom_static_units, node_cap, node_static, rack_cap,
      hub_cap, hub_static;
  std::vector<SparseCounts*> All() {
    return {&dom_cap,  &dom_static, &dom_units, &dom_static_units, &node_cap,
            &node_static, &rack_cap, &hub_cap,  &hub_static};
  }
  void Fit(const Topology& t) {
    for (SparseCounts* d : {&dom_cap, &dom_static, &dom_units, &dom_static_units}) d->Resize(t.domains().size());
    node_cap.Resize(t.nodes().size());
    node_static.Resize(t.nodes().size());
    rack_cap.Resize(t.racks().size());
    hub_cap.Resize(t.hubs().size());
    hub_static.Resize(t.hubs().size());
  }
  void Clear() {
    for (SparseCounts* c : All()) c->Clear();
  }
};

class Planner {
 public:
  Planner(const Topology& topo, const PlacementRequest& req) : topo_(topo), req_(req) {
    static thread_local Scratch scratch;
    s_ = &scratch;
    s_->Clear();
    s_->Fit(topo);
  }
  ~Planner() { s_->Clear(); }
  Planner(const Planner&) = delete;
  Planner& operator=(const Planner&) = delete;

  PlacementOutcome Run() {
    Prepare();
    // Fast path: only what is free. The full scan, which also counts what could ever fit for
    // the explanation, runs only when nothing fits.
    Scan(/*full=*/false);
    PlacementOutcome out;
    if (auto plan = Search()) {
      out.plan = std::move(plan);
      return out;
    }
    Scan(/*full=*/true);
    out.no_fit = Explain();
    return out;
  }

 private:
  std::string Units() const {
    if (req_.replica_size > 1) return "replicas of " + std::to_string(req_.replica_size) + " GPUs";
    if (!req_.mig_profile.empty()) return "MIG " + req_.mig_profile + " instances";
    if (req_.share < kWholeGpu) return std::to_string(req_.share.value) + "m GPU shares";
    return "GPUs";
  }

  // Per-hub and per-model filters, computed once.
  void Prepare() {
    const auto& hubs = topo_.hubs();
    hub_ok_.assign(hubs.size(), 0);
    for (size_t h = 0; h < hubs.size(); ++h) {
      const bool in_juris = req_.jurisdiction.empty() ||
                            std::find(req_.jurisdiction.begin(), req_.jurisdiction.end(),
                                      hubs[h].country) != req_.jurisdiction.end();
      const bool hub_match = req_.hub.empty() || hubs[h].id == req_.hub;
      hub_ok_[h] = in_juris && hub_match;
    }
    excluded_.assign(topo_.nodes().size(), 0);
    for (NodeIdx n : req_.excluded_nodes) {
      if (n.valid() && n.value < excluded_.size()) excluded_[n.value] = 1;
    }
    const auto& models = topo_.catalog().models();
    model_ok_.assign(models.size(), 0);
    mig_shape_.assign(models.size(), -1);
    for (size_t m = 0; m < models.size(); ++m) {
      const GpuModel& model = models[m];
      bool ok = req_.models.empty() ||
                std::any_of(req_.models.begin(), req_.models.end(),
                            [&](const std::string& q) { return GpuCatalog::Matches(model, q); });
      ok = ok && model.compute_capability >= req_.min_compute_capability;
      if (!req_.mig_profile.empty()) {
        auto shape = FindMigShape(model, req_.mig_profile);
        ok = ok && shape.has_value() &&
             MigInstanceMemory(model, MigShapes()[*shape]) >= req_.min_memory;
        if (shape) mig_shape_[m] = *shape;
      }
      model_ok_[m] = ok;
    }
  }

  bool NodeMatches(const Node& node) const {
    for (const auto& [k, v] : req_.node_labels) {
      auto it = node.labels.find(k);
      if (it == node.labels.end() || it->second != v) return false;
    }
    return true;
  }

  // Units of the request a GPU could host if it were idle (configuration only).
  int32_t StaticCap(const Gpu& gpu) const {
    if (!model_ok_[gpu.model.value]) return 0;
    if (!req_.mig_profile.empty()) {
      if (!gpu.mig_enabled) return 0;
      return MigFreeInstances(0, MigShapes()[mig_shape_[gpu.model.value]]);
    }
    if (gpu.mig_enabled || gpu.memory < req_.min_memory) return 0;
    return static_cast<int32_t>(kWholeGpu.value / req_.share.value);
  }

  // Units it can host now.
  int32_t FreeCap(const Gpu& gpu) const {
    if (!req_.mig_profile.empty()) {
      return MigFreeInstances(gpu.mig_mask, MigShapes()[mig_shape_[gpu.model.value]]);
    }
    return static_cast<int32_t>((kWholeGpu.value - gpu.used_milli) / req_.share.value);
  }

  // Computes, per GPU, the units it can host, and per group (NVLink domain, node, rack, hub)
  // the replicas it can host: a replica needs replica_size units on one node.
  void Scan(bool full) {
    full_ = full;
    located_ = static_total_ = healthy_total_ = free_total_ = excluded_static_ = 0;
    const int64_t r = req_.replica_size;
    s_->Clear();
    for (size_t h = 0; h < topo_.hubs().size(); ++h) {
      if (!hub_ok_[h]) continue;
      for (RackIdx rack : topo_.hubs()[h].racks) {
        for (NodeIdx n : topo_.rack(rack).nodes) ScanNode(n.value, r);
      }
    }
    // Domains inside one node hold whole replicas only when the replica fits in the domain, and
    // no more than the node's CPU and memory allow.
    for (uint32_t d : s_->dom_units.touched()) {
      const NvlinkDomain& dom = topo_.domains()[d];
      if (dom.kind == DomainKind::kMultiNode) continue;
      s_->dom_cap.Set(d, std::min(s_->dom_units[d] / r, HostLimit(topo_.node(dom.node), false)));
    }
    for (uint32_t d : s_->dom_static_units.touched()) {
      const NvlinkDomain& dom = topo_.domains()[d];
      if (dom.kind == DomainKind::kMultiNode) continue;
      s_->dom_static.Set(d, std::min(s_->dom_static_units[d] / r, HostLimit(topo_.node(dom.node), true)));
    }
  }

  // Replicas the node's CPU and memory hold: free ones, or all of them when `whole_node`.
  int64_t HostLimit(const Node& node, bool whole_node) const {
    int64_t limit = std::numeric_limits<int64_t>::max();
    if (req_.cpu_per_replica.value > 0) {
      const int64_t cpu = node.cpu.value - (whole_node ? 0 : node.used_cpu.value);
      limit = std::min(limit, cpu / req_.cpu_per_replica.value);
    }
    if (req_.memory_per_replica.value > 0) {
      const int64_t mem = node.memory.value - (whole_node ? 0 : node.used_memory.value);
      limit = std::min(limit, mem / req_.memory_per_replica.value);
    }
    return limit;
  }

  void ScanNode(size_t n, int64_t r) {
    const Node& node = topo_.nodes()[n];
    if (node.state == NodeState::kRemoved) return;
    located_ += static_cast<int64_t>(node.gpus.size());
    // A node's GPUs are all of one model, so one look at the model rules out the whole node.
    if (node.gpus.empty() || !model_ok_[topo_.gpu(node.gpus[0]).model.value]) return;
    if (!NodeMatches(node)) return;
    const bool node_free = node.exclusive_owner == 0 && (!req_.exclusive_node || node.busy_gpus == 0);
    if (!full_) {
      const bool whole = req_.mig_profile.empty() && req_.share == kWholeGpu;
      if (!node_free || excluded_[n] || node.state != NodeState::kUp ||
          (whole && node.busy_gpus == static_cast<int>(node.gpus.size()))) {
        return;
      }
    }
    int64_t node_static = 0, node_healthy = 0, node_units = 0;
    for (GpuIdx g : node.gpus) {
      const Gpu& gpu = topo_.gpu(g);
      const int32_t static_cap = StaticCap(gpu);
      if (static_cap == 0) continue;
      node_static += static_cap;
      if (excluded_[n]) continue;
      s_->dom_static_units.Add(gpu.domain.value, static_cap);
      if (!topo_.Schedulable(g, req_.allow_degraded)) continue;
      node_healthy += static_cap;
      if (!node_free) continue;
      const int32_t cap = FreeCap(gpu);
      if (cap == 0) continue;
      node_units += cap;
      s_->dom_units.Add(gpu.domain.value, cap);
    }
    if (excluded_[n]) {
      excluded_static_ += std::min(node_static / r, HostLimit(node, true));
      return;
    }
    const int64_t host = HostLimit(node, false), host_static = HostLimit(node, true);
    const int64_t replicas = std::min(node_units / r, host);
    const int64_t static_replicas = std::min(node_static / r, host_static);
    if (replicas > 0) s_->node_cap.Set(n, replicas);
    if (static_replicas > 0) s_->node_static.Set(n, static_replicas);
    static_total_ += static_replicas;
    healthy_total_ += std::min(node_healthy / r, host_static);
    free_total_ += replicas;
    s_->rack_cap.Add(node.rack.value, replicas);
    s_->hub_cap.Add(node.hub.value, replicas);
    s_->hub_static.Add(node.hub.value, static_replicas);
    if (const DomainIdx d = topo_.rack(node.rack).multi_node_domain; d.valid()) {
      s_->dom_cap.Add(d.value, replicas);
      s_->dom_static.Add(d.value, static_replicas);
    }
  }

  std::optional<Plan> Search() {
    const int64_t r = req_.replica_size;
    const int64_t k = req_.count / r;  // replicas
    if (free_total_ < k) return std::nullopt;
    std::vector<GpuIdx> members;
    Level start = kNumaL;
    bool in_replicas = true;  // above the node level the planner counts replicas, below it units
    if (auto d = s_->dom_cap.BestFit(k)) {
      const NvlinkDomain& dom = topo_.domain(DomainIdx(*d));
      members = dom.gpus;
      const bool multi = dom.kind == DomainKind::kMultiNode;
      start = multi ? kInnerL : kNumaL;
      in_replicas = multi;
    } else if (req_.nvlink == NvlinkPolicy::kRequired) {
      return std::nullopt;
    } else if (auto n = s_->node_cap.BestFit(k)) {
      members = topo_.node(NodeIdx(*n)).gpus;
      start = kInnerL;
      in_replicas = false;
    } else if (auto rk = s_->rack_cap.BestFit(k)) {
      AppendRack(RackIdx(*rk), &members);
      start = kOuterL;
    } else if (auto h = s_->hub_cap.BestFit(k)) {
      for (RackIdx rack : topo_.hub(HubIdx(*h)).racks) AppendRack(rack, &members);
      start = kRackL;
    } else if (req_.allow_multi_hub) {
      for (size_t rack = 0; rack < topo_.racks().size(); ++rack) AppendRack(RackIdx(rack), &members);
      start = kHubL;
    } else {
      return std::nullopt;
    }
    std::vector<Candidate> cands;
    for (GpuIdx g : members) {
      if (const int32_t cap = CapOf(g); cap > 0) cands.push_back(MakeCandidate(g, cap));
    }
    std::sort(cands.begin(), cands.end(),
              [](const Candidate& a, const Candidate& b) { return a.key < b.key; });
    Plan plan;
    Distribute(cands, 0, cands.size(), start, in_replicas ? k : k * r, in_replicas, &plan.grants);
    plan.cost = CostOf(topo_, plan.grants);
    if (req_.cpu_per_replica.value > 0 || req_.memory_per_replica.value > 0) {
      std::map<uint32_t, int64_t> units;  // per node
      for (const auto& g : plan.grants) ++units[topo_.gpu(g.gpu).node.value];
      for (const auto& [n, u] : units) {
        const int64_t replicas = u / r;
        plan.node_shares.push_back({NodeIdx(n), MilliCpu{replicas * req_.cpu_per_replica.value},
                                    Bytes{replicas * req_.memory_per_replica.value}});
      }
    }
    return plan;
  }

  void AppendRack(RackIdx r, std::vector<GpuIdx>* out) const {
    for (NodeIdx n : topo_.rack(r).nodes) {
      const auto& gpus = topo_.node(n).gpus;
      out->insert(out->end(), gpus.begin(), gpus.end());
    }
  }

  // Units the GPU can host for this request now: zero unless its node passed the scan.
  int32_t CapOf(GpuIdx g) const {
    const Gpu& gpu = topo_.gpu(g);
    if (s_->node_cap[gpu.node.value] == 0 || StaticCap(gpu) == 0 ||
        !topo_.Schedulable(g, req_.allow_degraded)) {
      return 0;
    }
    return FreeCap(gpu);
  }

  Candidate MakeCandidate(GpuIdx g, int32_t cap) const {
    const Gpu& gpu = topo_.gpu(g);
    const DomainKind kind = topo_.domain(gpu.domain).kind;
    const bool multi = kind == DomainKind::kMultiNode;
    // GPUs without NVLink share one inner bucket, so NUMA and PCIe grouping decide among them.
    const uint32_t inner = multi ? gpu.node.value
                                 : (kind == DomainKind::kNone ? DomainIdx::kInvalid : gpu.domain.value);
    return {g, cap,
            {gpu.hub.value, gpu.rack.value, multi ? gpu.domain.value : gpu.node.value, inner,
             static_cast<uint32_t>(gpu.numa),
             static_cast<uint32_t>(gpu.host_bridge), static_cast<uint32_t>(gpu.pcie_switch),
             static_cast<uint32_t>(gpu.index)},
            gpu.node.value, multi};
  }

  // Splits [begin, end) by the key at `level` and takes k from the fewest sub-groups. Above the
  // node level k counts replicas (a sub-group's room is the sum of its nodes' replicas); at the
  // node level each replica becomes replica_size units; below it k counts units.
  void Distribute(const std::vector<Candidate>& c, size_t begin, size_t end, int level, int64_t k,
                  bool in_replicas, std::vector<GpuGrant>* out) const {
    const int node_level = c[begin].multi_node ? kInnerL : kOuterL;
    std::vector<std::pair<size_t, size_t>> runs;
    std::vector<int64_t> caps;
    for (size_t i = begin; i < end;) {
      size_t j = i;
      int64_t cap = 0;
      for (; j < end && c[j].key[level] == c[i].key[level]; ++j) {
        if (!in_replicas) {
          cap += c[j].cap;
        } else if (j == i || c[j].node != c[j - 1].node) {
          cap += s_->node_cap[c[j].node];
        }
      }
      runs.emplace_back(i, j);
      caps.push_back(cap);
      i = j;
    }
    const std::vector<int> take = TakeFromBuckets(caps, k);
    for (size_t r = 0; r < runs.size(); ++r) {
      if (take[r] == 0) continue;
      const auto [b, e] = runs[r];
      if (level == kGpuL) {
        Grant(c[b].gpu, take[r], out);
      } else if (in_replicas && level == node_level) {
        Distribute(c, b, e, level + 1, int64_t{take[r]} * req_.replica_size, false, out);
      } else {
        Distribute(c, b, e, level + 1, take[r], in_replicas, out);
      }
    }
  }

  void Grant(GpuIdx g, int units, std::vector<GpuGrant>* out) const {
    const Gpu& gpu = topo_.gpu(g);
    if (req_.mig_profile.empty()) {
      for (int i = 0; i < units; ++i) out->push_back({g, req_.share, -1, -1});
      return;
    }
    const int shape_idx = mig_shape_[gpu.model.value];
    const MigShape& shape = MigShapes()[shape_idx];
    uint8_t mask = gpu.mig_mask;
    for (int i = 0; i < units; ++i) {
      auto start = MigBestStart(mask, shape);
      HARCH_CHECK(start.has_value());
      mask |= MigSliceBits(shape, *start);
      out->push_back({g, kWholeGpu, shape_idx, *start});
    }
  }

  NoFit Explain() const {
    const int64_t k = req_.count / req_.replica_size;
    const std::string desc = DescribeRequest(req_);
    const std::string units = Units();
    const std::string wanted = "; " + std::to_string(k) + " requested";
    if (located_ == 0) {
      std::vector<std::string> hubs;
      for (const auto& h : topo_.hubs()) hubs.push_back(h.id + " (" + h.country + ")");
      const bool by_hub = !req_.hub.empty();
      return {by_hub ? "hub" : "jurisdiction",
              "no hub matches " + (by_hub ? "hub '" + req_.hub + "'" : "") +
                  (by_hub && !req_.jurisdiction.empty() ? " and " : "") +
                  (req_.jurisdiction.empty() ? "" : "jurisdiction " + Join(req_.jurisdiction, "/")) +
                  "; hubs are " + Join(hubs, ", "),
              true};
    }
    if (static_total_ < k && static_total_ + excluded_static_ >= k) {
      return {"affinity",
              "only " + std::to_string(static_total_) + " " + units + " match (" + desc +
                  ") outside the " + std::to_string(req_.excluded_nodes.size()) +
                  " node(s) excluded by anti-affinity" + wanted,
              false};
    }
    if (static_total_ < k) {
      return {"hardware",
              "only " + std::to_string(static_total_) + " " + units + " match (" + desc + ")" +
                  wanted,
              true};
    }
    if (req_.nvlink == NvlinkPolicy::kRequired && s_->dom_static.Max() < k) {
      return {"nvlink",
              "the largest NVLink domain with matching GPUs (" + desc + ") has " +
                  std::to_string(s_->dom_static.Max()) + " " + units + wanted + " in one domain",
              true};
    }
    if (!req_.allow_multi_hub && s_->hub_static.Max() < k) {
      return {"hub",
              "no single hub has " + std::to_string(k) + " matching " + units + " (" + desc +
                  "); the largest has " + std::to_string(s_->hub_static.Max()) +
                  " and the request may not span hubs",
              true};
    }
    if (healthy_total_ < k) {
      return {"health",
              "only " + std::to_string(healthy_total_) + " of the " +
                  std::to_string(static_total_) + " matching " + units +
                  " are healthy and on schedulable nodes" + wanted,
              false};
    }
    if (free_total_ < k) {
      return {"capacity",
              "only " + std::to_string(free_total_) + " matching " + units + " are free (" + desc +
                  ")" + (req_.exclusive_node ? " on idle nodes" : "") + wanted,
              false};
    }
    if (req_.nvlink == NvlinkPolicy::kRequired) {
      return {"nvlink",
              "the largest free NVLink domain with matching GPUs (" + desc + ") has " +
                  std::to_string(s_->dom_cap.Max()) + " free " + units + wanted + " in one domain",
              false};
    }
    return {"hub",
            "at most " + std::to_string(s_->hub_cap.Max()) + " matching " + units +
                " are free in one hub (" + desc + ")" + wanted + " and the request may not span hubs",
            false};
  }

  const Topology& topo_;
  const PlacementRequest& req_;
  std::vector<uint8_t> hub_ok_, model_ok_, excluded_;
  bool full_ = true;  // false: the fast scan, which leaves the static counts incomplete
  std::vector<int> mig_shape_;
  Scratch* s_;  // per group: replicas
  // In replicas (units when replica_size is 1).
  int64_t located_ = 0, static_total_ = 0, healthy_total_ = 0, free_total_ = 0, excluded_static_ = 0;
};

}  // namespace

std::string DescribeRequest(const PlacementRequest& req) {
  std::vector<std::string> parts;
  if (!req.jurisdiction.empty()) parts.push_back("in " + Join(req.jurisdiction, "/"));
  if (!req.hub.empty()) parts.push_back("hub " + req.hub);
  if (!req.models.empty()) parts.push_back("model " + Join(req.models, "|"));
  if (req.min_memory.value > 0) parts.push_back(">= " + FormatBytes(req.min_memory));
  if (req.min_compute_capability > 0) {
    parts.push_back("cc >= " + FormatComputeCapability(req.min_compute_capability));
  }
  if (!req.mig_profile.empty()) parts.push_back("MIG " + req.mig_profile);
  for (const auto& [k, v] : req.node_labels) parts.push_back(k + "=" + v);
  if (req.allow_degraded) parts.push_back("degraded allowed");
  return parts.empty() ? "any GPU" : Join(parts, ", ");
}

Status ValidateRequest(const Topology& topo, const PlacementRequest& req) {
  if (req.count < 1 || req.count > kMaxUnits) {
    return InvalidArgument("count must be between 1 and " + std::to_string(kMaxUnits) + ", got " +
                           std::to_string(req.count));
  }
  if (req.replica_size < 1 || req.count % req.replica_size != 0) {
    return InvalidArgument("replica size " + std::to_string(req.replica_size) +
                           " must be at least 1 and divide the count " + std::to_string(req.count));
  }
  if (req.share.value <= 0 || req.share > kWholeGpu) {
    return InvalidArgument("share must be between 1 and 1000 milli-GPU, got " +
                           std::to_string(req.share.value));
  }
  if (!req.mig_profile.empty() && req.share < kWholeGpu) {
    return InvalidArgument("ask for a MIG profile or a GPU share, not both");
  }
  if (req.min_memory.value < 0 || req.cpu_per_replica.value < 0 || req.memory_per_replica.value < 0) {
    return InvalidArgument("memory and CPU amounts must not be negative");
  }
  for (const auto& m : req.models) {
    if (!topo.catalog().KnowsNameOrFamily(m)) {
      std::string known;
      for (const auto& model : topo.catalog().models()) known += (known.empty() ? "" : ", ") + model.name;
      return InvalidArgument("unknown GPU model '" + m + "' (known: " + known + ")");
    }
  }
  if (!req.mig_profile.empty()) {
    const auto& models = topo.catalog().models();
    const bool known = std::any_of(models.begin(), models.end(), [&](const GpuModel& m) {
      return FindMigShape(m, req.mig_profile).has_value();
    });
    if (!known) {
      return InvalidArgument("unknown MIG profile '" + req.mig_profile +
                             "' (e.g. 1g.10gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb on 80 GB parts)");
    }
  }
  for (const auto& c : req.jurisdiction) {
    if (!IsCountryCode(c)) {
      return InvalidArgument("jurisdiction must list ISO 3166-1 alpha-2 codes such as MA, got '" +
                             c + "'");
    }
  }
  if (!req.hub.empty() && !topo.FindHub(req.hub)) {
    return InvalidArgument("unknown hub '" + req.hub + "'");
  }
  return Status::Ok();
}

Result<PlacementOutcome> FindPlacement(const Topology& topo, const PlacementRequest& req) {
  HARCH_RETURN_IF_ERROR(ValidateRequest(topo, req));
  return Planner(topo, req).Run();
}

PlanCost CostOf(const Topology& topo, const std::vector<GpuGrant>& grants) {
  PlanCost cost;
  std::set<uint32_t> domains, nodes;
  std::map<uint32_t, std::set<uint32_t>> newly_busy;  // domain -> GPUs that were idle
  for (const auto& g : grants) {
    const Gpu& gpu = topo.gpu(g.gpu);
    domains.insert(gpu.domain.value);
    nodes.insert(gpu.node.value);
    if (topo.Idle(g.gpu)) newly_busy[gpu.domain.value].insert(g.gpu.value);
  }
  cost.domains = static_cast<int>(domains.size());
  cost.nodes = static_cast<int>(nodes.size());
  if (grants.size() <= kMaxPairwiseUnits) {
    for (size_t i = 0; i < grants.size(); ++i) {
      for (size_t j = i + 1; j < grants.size(); ++j) {
        const LinkClass c = topo.Distance(grants[i].gpu, grants[j].gpu);
        cost.span = std::max(cost.span, c);
        cost.link_distance += static_cast<int>(c);
      }
    }
  } else {
    // The link classes nest, so the farthest GPU from any one of them gives the span.
    for (const auto& g : grants) cost.span = std::max(cost.span, topo.Distance(grants[0].gpu, g.gpu));
  }
  for (const auto& [d, taken] : newly_busy) {
    const NvlinkDomain& dom = topo.domain(DomainIdx(d));
    if (dom.gpus.size() < 2) continue;
    int free_before = 0;
    for (GpuIdx g : dom.gpus) free_before += topo.Idle(g) && topo.Schedulable(g, true) ? 1 : 0;
    const int size = static_cast<int>(dom.gpus.size());
    const int free_after = free_before - static_cast<int>(taken.size());
    const int stranded_before = free_before < size ? free_before : 0;
    const int stranded_after = free_after < size ? free_after : 0;
    cost.stranded_delta += stranded_after - stranded_before;
  }
  return cost;
}

}  // namespace harch
