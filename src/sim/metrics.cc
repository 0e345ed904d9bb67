#include "sim/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace harch {
namespace {

struct Stats {
  double mean = 0, p50 = 0, p95 = 0, p99 = 0;
  int64_t count = 0;
};

// Nearest-rank percentiles.
Stats StatsOf(std::vector<double> v) {
  Stats s;
  s.count = static_cast<int64_t>(v.size());
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  auto at = [&](double q) {
    const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
  };
  s.p50 = at(0.50);
  s.p95 = at(0.95);
  s.p99 = at(0.99);
  return s;
}

// Rounded to the microsecond (seconds) so that the JSON text does not depend on the last bits.
double Round6(double x) { return std::round(x * 1e6) / 1e6; }

nlohmann::json GroupJson(const std::vector<const JobOutcome*>& jobs) {
  std::vector<double> jct, delay;
  int64_t completed = 0;
  for (const JobOutcome* j : jobs) {
    if (j->jct_s) {
      jct.push_back(*j->jct_s);
      ++completed;
    }
    if (j->queue_delay_s) delay.push_back(*j->queue_delay_s);
  }
  const Stats a = StatsOf(jct), b = StatsOf(delay);
  return {{"jobs", jobs.size()},
          {"completed", completed},
          {"jct_mean_s", Round6(a.mean)},
          {"jct_p99_s", Round6(a.p99)},
          {"queue_delay_mean_s", Round6(b.mean)},
          {"queue_delay_p99_s", Round6(b.p99)}};
}

}  // namespace

std::string SizeBucket(int64_t milli) {
  if (milli <= 1000) return "1 GPU or less";
  const int64_t gpus = (milli + 999) / 1000;
  if (gpus < 8) return "2-7";
  if (gpus == 8) return "8";
  if (gpus < 64) return "9-63";
  if (gpus < 256) return "64-255";
  return "256+";
}

nlohmann::json SummaryJson(const std::vector<JobOutcome>& jobs, const RunMetrics& m,
                           double makespan_s, int64_t total_gpus) {
  std::vector<double> jct, delay;
  int64_t completed = 0, rejected = 0, never_ran = 0;
  std::map<std::string, std::vector<const JobOutcome*>> by_class, by_size;
  for (const JobOutcome& j : jobs) {
    if (j.rejected) {
      ++rejected;
      continue;
    }
    by_class[j.qos].push_back(&j);
    by_size[SizeBucket(j.gpu_milli)].push_back(&j);
    if (j.jct_s) {
      jct.push_back(*j.jct_s);
      ++completed;
    }
    if (j.queue_delay_s) {
      delay.push_back(*j.queue_delay_s);
    } else {
      ++never_ran;
    }
  }
  const Stats a = StatsOf(jct), b = StatsOf(delay), lat = StatsOf(m.latency_us);
  // While jobs wait: the instants with at least one job pending. An idle GPU then is one the
  // policy could not use (fragmentation, or constraints nothing free meets). gpu_allocation
  // alone can mislead: a trace's long-lived pods stretch the makespan to months after the
  // queue has emptied, which makes it small however well the policy packs.
  double waiting_s = 0, waiting_gpu_s = 0;
  for (size_t i = 0; i + 1 < m.series.size(); ++i) {
    if (m.series[i].pending == 0) continue;
    const double dt = m.series[i + 1].t_s - m.series[i].t_s;
    waiting_s += dt;
    waiting_gpu_s += m.series[i].allocation * dt;
  }
  const double available = static_cast<double>(total_gpus) * makespan_s;
  nlohmann::json classes = nlohmann::json::object(), sizes = nlohmann::json::object();
  for (const auto& [k, v] : by_class) classes[k] = GroupJson(v);
  for (const auto& [k, v] : by_size) sizes[k] = GroupJson(v);
  nlohmann::json histogram = nlohmann::json::array();
  const std::vector<double> bounds{10, 100, 1000, 10000, 100000};
  std::vector<int64_t> counts(bounds.size() + 1, 0);
  for (double us : m.latency_us) {
    size_t b_i = 0;
    while (b_i < bounds.size() && us > bounds[b_i]) ++b_i;
    ++counts[b_i];
  }
  for (size_t i = 0; i <= bounds.size(); ++i) {
    histogram.push_back({{"le_us", i < bounds.size() ? nlohmann::json(bounds[i]) : nlohmann::json(nullptr)},
                         {"count", counts[i]}});
  }
  return {{"jobs_total", jobs.size()},
          {"jobs_completed", completed},
          {"jobs_rejected", rejected},
          {"jobs_never_ran", never_ran},
          {"gpu_allocation", Round6(available > 0 ? m.allocated_gpu_seconds / available : 0.0)},
          {"makespan_s", Round6(makespan_s)},
          {"waiting_s", Round6(waiting_s)},
          {"gpu_allocation_while_waiting", Round6(waiting_s > 0 ? waiting_gpu_s / waiting_s : 0.0)},
          {"jct_mean_s", Round6(a.mean)},
          {"jct_p50_s", Round6(a.p50)},
          {"jct_p95_s", Round6(a.p95)},
          {"jct_p99_s", Round6(a.p99)},
          {"queue_delay_mean_s", Round6(b.mean)},
          {"queue_delay_p50_s", Round6(b.p50)},
          {"queue_delay_p95_s", Round6(b.p95)},
          {"queue_delay_p99_s", Round6(b.p99)},
          {"fragmentation_mean", Round6(makespan_s > 0 ? m.fragmentation_seconds / makespan_s : 0.0)},
          {"preemptions", m.preemptions},
          {"carbon_pauses", m.carbon_pauses},
          {"jobs_lost", m.jobs_lost},
          {"sovereignty_violations", m.sovereignty_violations},
          {"max_allocated_gpus", Round6(static_cast<double>(m.max_allocated_milli) / 1000.0)},
          {"scheduling_cycles", m.latency_us.size()},
          {"decision_latency_p50_us", Round6(lat.p50)},
          {"decision_latency_p99_us", Round6(lat.p99)},
          {"decision_latency_histogram_us", histogram},
          {"by_class", classes},
          {"by_size", sizes}};
}

nlohmann::json TimeseriesJson(const RunMetrics& m, const std::vector<JobOutcome>& jobs) {
  nlohmann::json t = nlohmann::json::array(), alloc = t, pending = t, running = t, frag = t;
  const size_t n = m.series.size();
  const size_t step = std::max<size_t>(1, (n + 1999) / 2000);
  for (size_t i = 0; i < n; i += step) {
    const size_t k = std::min(i, n - 1);
    const SeriesPoint& p = m.series[k];
    t.push_back(Round6(p.t_s));
    alloc.push_back(Round6(p.allocation));
    pending.push_back(p.pending);
    running.push_back(p.running);
    frag.push_back(Round6(p.fragmentation));
  }
  if (n > 0 && (n - 1) % step != 0) {
    const SeriesPoint& p = m.series.back();
    t.push_back(Round6(p.t_s));
    alloc.push_back(Round6(p.allocation));
    pending.push_back(p.pending);
    running.push_back(p.running);
    frag.push_back(Round6(p.fragmentation));
  }
  std::vector<double> jct;
  for (const auto& j : jobs) {
    if (j.jct_s) jct.push_back(*j.jct_s);
  }
  std::sort(jct.begin(), jct.end());
  nlohmann::json cdf_x = nlohmann::json::array(), cdf_p = nlohmann::json::array();
  if (!jct.empty()) {
    for (int q = 1; q <= 200; ++q) {
      const size_t idx = std::min(jct.size() - 1, (jct.size() * q + 199) / 200 - 1);
      cdf_x.push_back(Round6(jct[idx]));
      cdf_p.push_back(q / 200.0);
    }
  }
  return {{"t_s", t},
          {"allocation", alloc},
          {"pending", pending},
          {"running", running},
          {"fragmentation", frag},
          {"jct_cdf", {{"jct_s", cdf_x}, {"p", cdf_p}}}};
}

nlohmann::json PolicyParameters(const Scheduler& sched) {
  const Profile& p = sched.profile();
  nlohmann::json filters = nlohmann::json::array(), scores = nlohmann::json::object(),
                 permits = nlohmann::json::array();
  for (const auto& f : p.filters) filters.push_back(f->Name());
  for (const auto& [s, w] : p.scores) scores[std::string(s->Name())] = w;
  for (const auto& pm : p.permits) permits.push_back(pm->Name());
  return {{"profile", p.name},
          {"queue_sort", p.sort->Name()},
          {"filters", filters},
          {"scores", scores},
          {"permits", permits},
          {"split_candidates", p.split_candidates},
          {"backfill", p.backfill},
          {"skip_blocked", p.skip_blocked},
          {"preemption", p.preemption},
          {"batch", p.batch}};
}

}  // namespace harch
