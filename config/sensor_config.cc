#include "config/sensor_config.h"

#include <cmath>

namespace argos {

namespace {
uint64_t seconds_to_ns(double s) { return static_cast<uint64_t>(std::llround(s * 1e9)); }
}  // namespace

bool validate_config(const SensorConfig& cfg, std::string& err) {
  if (cfg.read_files.empty()) {
    err = "no input: give -r FILE (or -r - for standard input)";
    return false;
  }
  if (cfg.output_files.empty() && cfg.access_port == 0) {
    err = "no output: give -w FILE (or -w - for standard output), -w argus-udp://HOST[:PORT] or -P PORT";
    return false;
  }
  int stdin_count = 0;
  for (const auto& f : cfg.read_files) stdin_count += f == "-";
  if (stdin_count > 1) {
    err = "-r - (standard input) can be given only once";
    return false;
  }
  if (!(cfg.status_interval_s > 0 && cfg.status_interval_s <= 65534)) {
    err = "-S: status interval must be > 0 and <= 65534 seconds";
    return false;
  }
  if (!(cfg.mar_interval_s >= 1 && cfg.mar_interval_s <= 65534)) {
    err = "-M: MAR interval must be between 1 and 65534 seconds";
    return false;
  }
  if (cfg.workers < 1 || cfg.workers > 64) {
    err = "--workers must be between 1 and 64";
    return false;
  }
  if (cfg.flow_capacity < 64 || cfg.flow_capacity > (1u << 28)) {
    err = "--flows must be between 64 and 268435456";
    return false;
  }
  for (double t : cfg.idle_timeout_s) {
    if (!(t > 0 && t <= 65534)) {
      err = "idle timeouts must be > 0 and <= 65534 seconds";
      return false;
    }
  }
  return true;
}

FlowTableConfig flow_table_config(const SensorConfig& cfg, uint32_t index) {
  FlowTableConfig t;
  t.capacity = cfg.flow_capacity;
  t.status_interval_ns = seconds_to_ns(cfg.status_interval_s);
  for (size_t i = 0; i < kIdleClassCount; ++i) t.idle_timeout_ns[i] = seconds_to_ns(cfg.idle_timeout_s[i]);
  t.full_policy = cfg.full_policy;
  t.flow_id_base = index + 1;
  t.flow_id_stride = cfg.workers;
  t.hash_seed = 0x5eed5eed12345678ULL ^ (uint64_t{index} * 0x9e3779b97f4a7c15ULL);
  return t;
}

}  // namespace argos
