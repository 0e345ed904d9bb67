#include "cli/sim_commands.h"

#include <iostream>
#include <memory>

#include "base/files.h"
#include "cli/cli.h"
#include "sim/report.h"
#include "sim/simulator.h"

namespace harch {
namespace {

struct RunOptions {
  SimOptions sim;
  std::string out;
  std::vector<std::string> faults;
  std::string timing = "on";
  std::string repair = "4h";
  std::string start;
  std::string jobs = "jsonl";
};

int Run(RunOptions& o) {
  if (o.sim.fleet_path.empty() || o.sim.workload.empty() || o.out.empty()) {
    std::cerr << "error: harch sim needs --fleet, --workload and --out (see harch sim --help)\n";
    return kExitUsage;
  }
  o.sim.timing = o.timing == "on";
  auto jobs = ParseJobLogFormat(o.jobs);
  if (!jobs.ok()) {
    std::cerr << "error: " << jobs.status().message() << "\n";
    return kExitUsage;
  }
  o.sim.job_log = *jobs;
  for (const auto& f : o.faults) {
    auto fault = ParseFault(f);
    if (!fault.ok()) {
      std::cerr << "error: " << fault.status().message() << "\n";
      return kExitError;
    }
    o.sim.faults.push_back(*fault);
  }
  auto repair = ParseDuration(o.repair);
  if (!repair.ok()) {
    std::cerr << "error: --repair-time: " << repair.status().message() << "\n";
    return kExitError;
  }
  o.sim.repair_time = *repair;
  if (!o.start.empty()) {
    auto start = ParseTime(o.start);
    if (!start.ok()) {
      std::cerr << "error: --start: " << start.status().message() << "\n";
      return kExitError;
    }
    o.sim.start = *start;
  }
  auto out = RunSimulation(o.sim);
  if (!out.ok()) {
    std::cerr << "error: " << out.status().message() << "\n";
    return kExitError;
  }
  Status st = WriteSimOutput(*out, o.out);
  if (!st.ok()) {
    std::cerr << "error: " << st.message() << "\n";
    return kExitError;
  }
  const auto& s = out->summary;
  std::cout << RenderCompareText({s}, {o.out});
  std::cout << "wrote " << o.out << "/summary.json, timeseries.json, report.html"
            << (o.sim.job_log == JobLogFormat::kNone ? "" : o.sim.job_log == JobLogFormat::kCsv ? ", jobs.csv" : ", jobs.jsonl")
            << "\n";
  return kExitOk;
}

int Compare(const std::vector<std::string>& dirs, const std::string& html) {
  std::vector<nlohmann::json> summaries, series;
  for (const auto& dir : dirs) {
    for (const char* name : {"summary.json", "timeseries.json"}) {
      auto text = ReadFile(dir + "/" + name);
      if (!text.ok()) {
        std::cerr << "error: " << text.status().message() << "\n";
        return kExitError;
      }
      auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.is_object()) {
        std::cerr << "error: " << dir << "/" << name << ": not a JSON object\n";
        return kExitError;
      }
      (std::string(name) == "summary.json" ? summaries : series).push_back(std::move(j));
    }
  }
  std::cout << RenderCompareText(summaries, dirs);
  if (!html.empty()) {
    Status st = WriteFileAtomic(html, RenderCompareHtml(summaries, series, dirs));
    if (!st.ok()) {
      std::cerr << "error: " << st.message() << "\n";
      return kExitError;
    }
    std::cout << "wrote " << html << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddSimCommands(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* sim = app.add_subcommand(
      "sim", "Trace-driven simulation of the scheduler; writes summary.json and report.html");
  sim->add_option("--fleet", o->sim.fleet_path, "Fleet spec (YAML)");
  sim->add_option("--workload", o->sim.workload,
                  "KIND:PATH with KIND alibaba-v2023, synthetic or jsonl");
  sim->add_option("--policy", o->sim.policy, "harch, harch-carbon, fifo, backfill, binpack or fair")
      ->capture_default_str();
  sim->add_option("--out", o->out, "Output directory");
  sim->add_option("--seed", o->sim.seed, "Random seed")->capture_default_str();
  sim->add_option("--queues", o->sim.queues_path, "Tenants and quotas (kind: Queues)");
  sim->add_option("--arrival-scale", o->sim.workload_options.arrival_scale,
                  "Compress inter-arrival times by this factor (more load)")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 1e6));
  sim->add_flag("--keep-unscheduled", o->sim.workload_options.keep_unscheduled,
                "alibaba-v2023: keep pods the trace never scheduled");
  sim->add_flag("--skip-bad-lines", o->sim.workload_options.skip_bad_lines,
                "Skip (and count) malformed trace lines instead of stopping");
  sim->add_option("--max-jobs", o->sim.workload_options.max_jobs, "Use only the first N jobs");
  sim->add_option("--node-failures-per-day", o->sim.node_failures_per_day,
                  "Random node failures, per node per day")
      ->check(CLI::Range(0.0, 1000.0));
  sim->add_option("--repair-time", o->repair, "How long a failed node stays down")
      ->capture_default_str();
  sim->add_option("--fault", o->faults, "Scripted fault TIME:NODE:down|up (repeatable)");
  sim->add_option("--carbon", o->sim.carbon_path,
                  "Carbon config (kind: Carbon): zones' intensity, for harch-carbon and for energy, "
                  "emissions and cost in summary.json")
      ->check(CLI::ExistingFile);
  sim->add_option("--start", o->start, "When simulated time starts (RFC 3339; default 2023-01-01T00:00:00Z)");
  sim->add_option("--jobs", o->jobs, "Per-job record: jsonl (jobs.jsonl), csv (jobs.csv) or none")
      ->capture_default_str();
  sim->add_option("--timing", o->timing, "Measure wall-clock decision latency (off: zeros)")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();

  auto dirs = std::make_shared<std::vector<std::string>>();
  auto html = std::make_shared<std::string>();
  CLI::App* cmp = sim->add_subcommand("compare", "Put several runs side by side");
  cmp->add_option("DIR", *dirs, "Output directories of harch sim")->required();
  cmp->add_option("--html", *html, "Also write an HTML page with the table and charts");
  cmp->callback([dirs, html, exit_code] { *exit_code = Compare(*dirs, *html); });
  sim->callback([sim, o, exit_code] {
    if (sim->got_subcommand("compare")) return;
    *exit_code = Run(*o);
  });
}

}  // namespace harch
