// For the server's tests: temporary directories, a small fleet file, waiting for conditions.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "base/files.h"
#include "server/server.h"

namespace harch {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "harch-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Two hubs in two countries, `nodes` nodes of `gpus` GPUs each per hub: a-0.. in MA, b-0.. in FR.
inline std::string WriteSmallFleet(const std::string& dir, int nodes = 2, int gpus = 2) {
  std::string yaml =
      "apiVersion: harchos.io/v1alpha1\nkind: Fleet\nmetadata: {name: small}\nspec:\n  hubs:\n";
  for (const char* hub : {"a", "b"}) {
    yaml += std::string("    - id: ") + hub + "\n      country: " + (hub[0] == 'a' ? "MA" : "FR") +
            "\n      racks:\n        - id: " + hub + "\n          nodes:\n";
    for (int i = 0; i < nodes; ++i) {
      yaml += "            - {name: \"" + std::to_string(i) + "\"" +
              ", cpu: 32, memory: 256GiB, gpus: {model: H100-SXM, count: " + std::to_string(gpus) +
              ", nvlink: nvswitch}}\n";
    }
  }
  const std::string path = dir + "/fleet.yaml";
  EXPECT_TRUE(WriteFileAtomic(path, yaml).ok());
  return path;
}

// A job manifest: `replicas` x `gpus` running `command` (a shell line).
inline std::string JobYaml(const std::string& name, int replicas, int gpus, const std::string& command,
                           int max_retries = 0, const std::string& extra = "") {
  return "apiVersion: harchos.io/v1alpha1\nkind: Job\nmetadata: {name: " + name +
         "}\nspec:\n  tenant: team\n  kind: batch\n  maxRetries: " + std::to_string(max_retries) + "\n" + extra +
         "  taskGroups:\n    - name: main\n      replicas: " + std::to_string(replicas) +
         "\n      gpusPerReplica: " + std::to_string(gpus) +
         "\n      cpuPerReplica: 1\n      memoryPerReplica: 1GiB\n      command: [sh, -c, '" + command + "']\n";
}

// A server on ephemeral loopback ports, its store in DIR/data; without a carbon config when
// `carbon_path` is empty.
inline ServerOptions LoopbackServerOptions(const std::string& dir, const std::string& fleet_path,
                                           const std::string& carbon_path = "") {
  ServerOptions o;
  o.control.data_dir = dir + "/data";
  o.control.fleet_path = fleet_path;
  o.control.carbon_path = carbon_path;
  o.grpc_listen = "127.0.0.1:0";
  o.http_listen = "127.0.0.1:0";
  return o;
}

// Polls `pred` until it holds or `timeout` passes (generous: CI machines are slow and shared).
inline bool WaitUntil(const std::function<bool()>& pred,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace harch
