#include "sched/queues.h"

#include <cmath>

#include "base/files.h"
#include "sched/job_spec.h"

namespace harch {
namespace {

constexpr int64_t kMaxQuotaMilli = int64_t{10'000'000} * 1000;  // ten million GPUs

void ReadMilliGpu(YamlContext& ctx, MapReader& m, std::string_view key, int64_t* out,
                  bool required) {
  auto n = required ? m.Require(key) : m.Get(key);
  if (!n) return;
  std::string text;
  if (!ctx.ReadString(*n, m.PathOf(key), &text)) return;
  auto v = ParseMilliGpu(text);
  if (!v.ok()) {
    ctx.Fail(*n, m.PathOf(key), v.status().message());
  } else if (v->value < 0 || v->value > kMaxQuotaMilli) {
    ctx.Fail(*n, m.PathOf(key), "must be between 0 and 10000000 GPUs");
  } else {
    *out = v->value;
  }
}

std::string Gpus(int64_t milli) {
  if (milli % 1000 == 0) return std::to_string(milli / 1000);
  return std::to_string(milli / 1000) + "." + std::to_string(milli % 1000 / 100);
}

}  // namespace

Result<QueueConfig> ParseQueueConfig(std::string_view yaml, const std::string& file) {
  HARCH_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(yaml, file));
  YamlContext ctx(file);
  QueueConfig config;
  MapReader top(ctx, root, "");
  top.ExpectKind("Queues");
  if (auto meta = top.Get("metadata")) {
    MapReader m(ctx, *meta, "metadata");
    std::string name;
    m.OptionalString("name", &name);
    m.Done();
  }
  if (auto body = top.Require("spec")) {
    MapReader m(ctx, *body, "spec");
    if (auto hl = m.Get("usageHalfLife")) {
      std::string text;
      if (ctx.ReadString(*hl, m.PathOf("usageHalfLife"), &text)) {
        auto d = ParseDuration(text);
        if (!d.ok() || d->count() <= 0) {
          ctx.Fail(*hl, m.PathOf("usageHalfLife"), "expected a positive duration such as 1h");
        } else {
          config.usage_half_life = *d;
        }
      }
    }
    if (auto tenants = m.Require("tenants")) {
      const std::string tpath = m.PathOf("tenants");
      if (ctx.ExpectSequence(*tenants, tpath)) {
        std::map<std::string, bool> seen;
        for (size_t i = 0; i < tenants->size() && !ctx.failed(); ++i) {
          const std::string path = tpath + "[" + std::to_string(i) + "]";
          MapReader t(ctx, (*tenants)[i], path);
          TenantSpec spec;
          spec.ref = ctx.Ref((*tenants)[i], path);
          if (auto p = t.Require("path")) {
            std::optional<std::string> why;
            if (ctx.ReadString(*p, t.PathOf("path"), &spec.path) &&
                (why = TenantPathError(spec.path))) {
              ctx.Fail(*p, t.PathOf("path"), *why);
            } else if (!ctx.failed() && seen[spec.path]) {
              ctx.Fail(*p, t.PathOf("path"), "tenant '" + spec.path + "' is declared twice");
            }
            seen[spec.path] = true;
          }
          t.OptionalDouble("weight", &spec.weight, 0.001, 1000.0);
          if (auto quota = t.Get("quota")) {
            const std::string qpath = t.PathOf("quota");
            if (ctx.ExpectSequence(*quota, qpath)) {
              for (size_t j = 0; j < quota->size() && !ctx.failed(); ++j) {
                MapReader q(ctx, (*quota)[j], qpath + "[" + std::to_string(j) + "]");
                QuotaSpec qs;
                q.RequiredString("family", &qs.family);
                ReadMilliGpu(ctx, q, "guaranteed", &qs.guaranteed_milli, true);
                if (q.Has("borrowLimit")) {
                  int64_t borrow = 0;
                  ReadMilliGpu(ctx, q, "borrowLimit", &borrow, false);
                  qs.borrow_limit_milli = borrow;
                }
                q.Done();
                spec.quota.push_back(qs);
              }
            }
          }
          t.Done();
          config.tenants.push_back(std::move(spec));
        }
      }
    }
    m.Done();
  }
  top.Done();
  if (ctx.failed()) return ctx.status();
  return config;
}

Result<QueueConfig> LoadQueueConfigFile(const std::string& path) {
  HARCH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseQueueConfig(text, path);
}

TenantTree::TenantTree(const QueueConfig& config) : half_life_(config.usage_half_life) {
  for (const auto& spec : config.tenants) {
    Tenant& t = Ensure(spec.path);
    t.weight = spec.weight;
    for (const auto& q : spec.quota) t.quota[q.family] = q;
    has_quotas_ |= !spec.quota.empty();
  }
}

std::vector<std::string> TenantTree::PathOf(const std::string& tenant) {
  std::vector<std::string> out;
  std::string p = tenant;
  while (!p.empty()) {
    out.push_back(p);
    const auto slash = p.rfind('/');
    p = slash == std::string::npos ? "" : p.substr(0, slash);
  }
  return out;
}

TenantTree::Tenant& TenantTree::Ensure(const std::string& path) {
  auto [it, inserted] = tenants_.try_emplace(path);
  if (inserted) it->second.path = path;
  return it->second;
}

const TenantTree::Tenant* TenantTree::Find(const std::string& path) const {
  auto it = tenants_.find(path);
  return it == tenants_.end() ? nullptr : &it->second;
}

std::optional<std::string> TenantTree::CheckQuota(const std::string& tenant,
                                                  const FamilyMilli& demand) const {
  int64_t demand_total = 0;
  for (const auto& [f, m] : demand) demand_total += m;
  for (const std::string& p : PathOf(tenant)) {
    const Tenant* t = Find(p);
    if (!t) continue;
    for (const auto& [family, q] : t->quota) {
      if (!q.borrow_limit_milli) continue;
      int64_t want = 0, used = 0;
      if (family == "*") {
        want = demand_total;
        used = t->usage_total;
      } else {
        auto d = demand.find(family);
        if (d == demand.end()) continue;
        want = d->second;
        auto u = t->usage.find(family);
        used = u == t->usage.end() ? 0 : u->second;
      }
      const int64_t limit = q.guaranteed_milli + *q.borrow_limit_milli;
      if (want > 0 && used + want > limit) {
        return "tenant " + p + " would use " + Gpus(used + want) + " " +
               (family == "*" ? std::string("GPUs") : family + " GPUs") + ", over its quota of " +
               Gpus(q.guaranteed_milli) + " guaranteed + " + Gpus(*q.borrow_limit_milli) +
               " borrowable (" + Gpus(used) + " in use)";
      }
    }
  }
  return std::nullopt;
}

template <typename Fn>
bool TenantTree::AnyQuota(const std::string& tenant, const std::string& family, Fn fn) const {
  for (const std::string& p : PathOf(tenant)) {
    const Tenant* t = Find(p);
    if (!t) continue;
    for (const auto& key : {family, std::string("*")}) {
      auto q = t->quota.find(key);
      if (q == t->quota.end()) continue;
      int64_t used = t->usage_total;
      if (key != "*") {
        auto u = t->usage.find(key);
        used = u == t->usage.end() ? 0 : u->second;
      }
      if (fn(q->second, used)) return true;
    }
  }
  return false;
}

int64_t TenantTree::Borrowed(const std::string& tenant, const std::string& family) const {
  int64_t borrowed = 0;
  AnyQuota(tenant, family, [&](const QuotaSpec& q, int64_t used) {
    borrowed = std::max(borrowed, used - q.guaranteed_milli);
    return false;
  });
  return borrowed;
}

bool TenantTree::BelowGuarantee(const std::string& tenant, const std::string& family) const {
  return AnyQuota(tenant, family,
                  [](const QuotaSpec& q, int64_t used) { return used < q.guaranteed_milli; });
}

bool TenantTree::WithinGuarantee(const std::string& tenant, const std::string& family,
                                 int64_t extra_milli) const {
  return AnyQuota(tenant, family, [&](const QuotaSpec& q, int64_t used) {
    return used + extra_milli <= q.guaranteed_milli;
  });
}

void TenantTree::Add(const std::string& tenant, const FamilyMilli& usage) {
  for (const std::string& p : PathOf(tenant)) {
    Tenant& t = Ensure(p);
    for (const auto& [family, milli] : usage) {
      t.usage[family] += milli;
      t.usage_total += milli;
    }
  }
}

void TenantTree::Remove(const std::string& tenant, const FamilyMilli& usage) {
  for (const std::string& p : PathOf(tenant)) {
    Tenant& t = Ensure(p);
    for (const auto& [family, milli] : usage) {
      t.usage[family] -= milli;
      t.usage_total -= milli;
      HARCH_CHECK(t.usage[family] >= 0 && t.usage_total >= 0);
    }
  }
}

void TenantTree::Advance(Time now) {
  if (last_advance_ && now > *last_advance_) {
    const double dt = std::chrono::duration<double>(now - *last_advance_).count();
    const double decay = std::exp2(-dt / std::chrono::duration<double>(half_life_).count());
    for (auto& [path, t] : tenants_) {
      t.gpu_seconds = t.gpu_seconds * decay + static_cast<double>(t.usage_total) / 1000.0 * dt;
    }
  }
  if (!last_advance_ || now > *last_advance_) last_advance_ = now;
}

double TenantTree::FairShareKey(const std::string& tenant) const {
  const Tenant* t = Find(tenant);
  return t ? t->gpu_seconds / t->weight : 0.0;
}

}  // namespace harch
