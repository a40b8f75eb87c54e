// The sensor's configuration: filled from the command line (and, later, a
// YAML file), validated once, then passed around as a const object.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "export/argus_encoder.h"
#include "export/record_batch.h"
#include "flowtable/flow_table.h"

namespace argos {

struct SensorConfig {
  std::vector<std::string> read_files;   // -r, in order; "-" = stdin
  std::vector<std::string> output_files; // -w, "-" = stdout, argus-udp://HOST[:PORT] = UDP push
  uint16_t access_port = 0;              // -P: stream server port, 0 = none
  std::string bpf_filter;                // trailing expression
  std::string monitor_id_text;           // -e as given
  SourceId monitor_id;                   // parsed -e
  double status_interval_s = 5.0;        // -S
  double mar_interval_s = 60.0;          // -M
  uint32_t workers = 1;                  // --workers
  uint32_t flow_capacity = 1u << 20;     // --flows: flow-table capacity per worker
  FullPolicy full_policy = FullPolicy::kEvictOldest;
  // Idle timeouts, seconds, per IdleClass (tcp, ip, icmp, igmp, frag, arp, other).
  double idle_timeout_s[kIdleClassCount] = {60, 30, 5, 30, 5, 5, 30};
};

// Checks ranges and combinations; on error returns false with one message.
bool validate_config(const SensorConfig& cfg, std::string& err);

// The flow-table settings of worker `index` out of cfg.workers.
FlowTableConfig flow_table_config(const SensorConfig& cfg, uint32_t index);

}  // namespace argos
