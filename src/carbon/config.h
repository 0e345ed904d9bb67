// The carbon configuration (`kind: Carbon`, docs/carbon.md): where each carbon zone's intensity
// comes from, what a zone without data means, the forecast's error, and the accounting figures
// (embodied emissions, GPU power overrides, GPU-hour rates). The fleet spec maps hubs to zones.
// Thread-safety: values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/yaml_reader.h"
#include "carbon/accounting.h"
#include "carbon/intensity.h"

namespace harch {

struct ZoneSource {
  std::string zone;
  // electricitymaps-csv, time-series-csv, electricitymaps-json, watttime-json
  std::string format;
  std::vector<std::string> files;  // relative to the config file's folder, joined in order
  // Instead of files (JSON formats only): an HTTP(S) endpoint fetched at load and again every
  // `refresh` by the server (carbon/http_source.h). The token, if any, is read from the
  // environment variable `token_env` at each fetch and sent as Electricity Maps' `auth-token`
  // header or WattTime's `Authorization: Bearer`.
  std::string url;
  Duration refresh = std::chrono::minutes(5);
  std::string token_env;
  Duration timeout = std::chrono::seconds(10);
  bool stand_in = false;           // a real series of another place, standing in
  std::string note;                // e.g. what it stands in for
  SourceRef ref;
};

struct CarbonConfig {
  std::string name;
  std::string base_dir;  // the config file's folder
  std::vector<ZoneSource> zones;
  // A zone without data (or a time outside its series): an error, unless a default is declared.
  std::optional<double> default_intensity;
  double forecast_error = 0.05;
  Duration forecast_horizon = std::chrono::hours(72);
  Duration shift_step = std::chrono::minutes(30);
  Embodied embodied;
  std::map<std::string, GpuPower> power;  // overrides by GPU model
  // A GPU model's power figures: its override here, else the catalog's (DefaultGpuPower);
  // nullopt when neither knows it.
  std::optional<GpuPower> GpuPowerOf(const std::string& model) const;
  double gpu_hour_usd = 0;
  double spot_discount = 0;
  double utilisation = 0.8;  // assumed when nothing is measured
  // Capacity scaling (follow-the-sun): while a hub's zone is above `threshold` g/kWh, flexible
  // work (that may still wait) holds at most `flexible_share` of the hub's GPUs. Work without
  // flexibility, and flexible work that must start now, is never capped.
  struct CapacityScaling {
    double threshold = 0;
    double flexible_share = 1;
  };
  std::optional<CapacityScaling> capacity_scaling;
};

Result<CarbonConfig> ParseCarbonConfig(std::string_view yaml, const std::string& file);
Result<CarbonConfig> LoadCarbonConfigFile(const std::string& path);

// Reads every zone's files and fetches every zone's url. Errors name the file and line, or the
// zone and the URL. A url that cannot be fetched is an error unless a default intensity is
// declared: then the zone is left out (it has no data yet) and, when `failed_urls` is given,
// the zone's error is added to it (zone -> message) for the caller to report.
Result<std::map<std::string, IntensitySeries>> LoadZones(const CarbonConfig& config,
                                                        std::map<std::string, std::string>* failed_urls = nullptr);

}  // namespace harch
