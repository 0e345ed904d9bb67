// Queues: a hierarchy of tenants with guaranteed quota and a borrowing limit per GPU family,
// weights for fair share, and usage accounting (the model of Kueue and Volcano).
//
// A tenant path "research/nlp" has the parent "research"; usage counts against the tenant and
// every ancestor. A job is admitted when, for each GPU family it uses, every tenant on its path
// stays within guaranteed + borrow limit. Usage above the guarantee is borrowed and may be
// reclaimed (preempted) by a tenant that is below its own guarantee. Tenants that appear only
// in job specs get weight 1, no guarantee and no borrowing limit.
//
// Fair share is weighted fair queuing over GPU-time: each tenant's GPU-seconds decay with a
// half-life, divided by its weight; the tenant with the least goes first.
//
// Thread-safety: none; owned by the Scheduler.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "base/yaml_reader.h"

namespace harch {

struct QuotaSpec {
  std::string family;              // a GPU family ("H100") or "*" for every GPU
  int64_t guaranteed_milli = 0;    // milli-GPU (1000 = one GPU)
  std::optional<int64_t> borrow_limit_milli;  // above the guarantee; nullopt = unlimited
};

struct TenantSpec {
  std::string path;
  double weight = 1.0;
  std::vector<QuotaSpec> quota;
  SourceRef ref;
};

struct QueueConfig {
  std::vector<TenantSpec> tenants;
  Duration usage_half_life = std::chrono::hours(1);
};

// Parses a `kind: Queues` document (docs/queues.md).
Result<QueueConfig> ParseQueueConfig(std::string_view yaml, const std::string& file);
Result<QueueConfig> LoadQueueConfigFile(const std::string& path);

// milli-GPU by GPU family.
using FamilyMilli = std::map<std::string, int64_t>;

class TenantTree {
 public:
  explicit TenantTree(const QueueConfig& config);

  // Admission: nullopt when `demand` fits every quota on the path, else the reason.
  std::optional<std::string> CheckQuota(const std::string& tenant, const FamilyMilli& demand) const;
  // Milli-GPU of `tenant` above its guarantee for `family` (what a reclaim may take back).
  int64_t Borrowed(const std::string& tenant, const std::string& family) const;
  // True when `tenant` (or an ancestor with a quota) is below its guarantee for `family`.
  bool BelowGuarantee(const std::string& tenant, const std::string& family) const;
  // True when `tenant` has a guarantee for `family` (or "*") on its path that still holds
  // `extra_milli` more: what a reclaim may take back, no more.
  bool WithinGuarantee(const std::string& tenant, const std::string& family,
                       int64_t extra_milli) const;

  // True when any tenant has a quota (without quotas nothing is borrowed or reclaimed).
  bool HasQuotas() const { return has_quotas_; }

  void Add(const std::string& tenant, const FamilyMilli& usage);
  void Remove(const std::string& tenant, const FamilyMilli& usage);

  // Accrues GPU-time up to `now` for fair share.
  void Advance(Time now);
  // Decayed GPU-seconds over weight: lower goes first.
  double FairShareKey(const std::string& tenant) const;

  struct Tenant {
    std::string path;
    double weight = 1.0;
    std::map<std::string, QuotaSpec> quota;  // by family ("*" included)
    FamilyMilli usage;
    int64_t usage_total = 0;
    double gpu_seconds = 0;  // decayed
  };
  const std::map<std::string, Tenant>& tenants() const { return tenants_; }

 private:
  Tenant& Ensure(const std::string& path);
  const Tenant* Find(const std::string& path) const;
  // Calls fn(quota, usage) for each quota on the tenant's path that covers `family` (its own
  // or "*"), nearest first, until fn returns true; returns whether one did.
  template <typename Fn>
  bool AnyQuota(const std::string& tenant, const std::string& family, Fn fn) const;
  // The tenant and its ancestors, nearest first.
  static std::vector<std::string> PathOf(const std::string& tenant);

  std::map<std::string, Tenant> tenants_;
  bool has_quotas_ = false;
  Duration half_life_;
  std::optional<Time> last_advance_;
};

}  // namespace harch
