// The sensor's configuration: built-in defaults, then a YAML file (-F), then
// the command line, validated once (validate_config) and from then on passed
// around as a const object. Every field is named in config/options.cc, where
// its YAML key, its flag, its type and its range live.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "export/argus_encoder.h"
#include "export/record_batch.h"
#include "flowtable/flow_table.h"

namespace argos {

// One file output (outputs.files, -w FILE) with its own rotation.
struct FileOutputConfig {
  std::string path;           // "-" = standard output; strftime fields with rotate_interval_s
  uint64_t rotate_bytes = 0;  // 0: no size rotation
  double rotate_interval_s = 0;  // whole seconds; 0: no time rotation
  bool rotate_utc = false;    // strftime fields in UTC instead of local time
  std::string filter;         // record filter (argus's -w FILE "filter"); "" = every record

  bool operator==(const FileOutputConfig&) const = default;
};

// One UDP push output (outputs.udp, -w argus-udp://HOST[:PORT]).
struct UdpOutputConfig {
  std::string address;  // HOST[:PORT]
  std::string filter;   // record filter (argus's -w argus-udp://... "filter"); "" = every record

  bool operator==(const UdpOutputConfig&) const = default;
};

// One DPDK port (input.dpdk.ports, -i dpdk:NAME) and its receive queues.
struct DpdkPortConfig {
  std::string name;        // PCI address or vdev name
  uint32_t rx_queues = 0;  // 0: input.dpdk.rx_queues

  bool operator==(const DpdkPortConfig&) const = default;
};

struct SensorConfig {
  // sensor: identity, threads, process.
  std::string monitor_id_text;     // -e as given ("" = none)
  SourceId monitor_id;             // parsed by validate_config
  double mar_interval_s = 60.0;    // -M
  uint32_t workers = 1;            // --workers
  std::vector<uint32_t> cores;     // --cores: PU numbers, empty = planned by hwloc
  bool pin_threads = true;         // --no-pin
  double stats_interval_s = 0;     // --stats-interval, 0 = off
  bool daemon = false;             // -d
  std::string pid_file;            // --pid-file, "" = none
  std::string log_to = "auto";     // --log: auto (stderr; syslog when daemon), stderr, syslog, file
  std::string log_file;            // --log-file (log_to file)
  std::string user;                // -u: run as this user once everything is open
  std::string group;               // -g: and this group (default: the user's)
  // -c DIR: once everything is open the sensor confines itself to DIR
  // (chroot), as argus; output file paths are then inside DIR.
  std::string chroot;

  // input: files, a live interface or a DPDK port (one of them).
  std::vector<std::string> read_files;  // -r, in order; "-" = stdin
  // -f: the last file is followed as it grows (argus's tail mode), until a
  // signal stops the sensor.
  bool follow = false;
  double pace_factor = 0;               // -T: packet-time pace x factor, 0 = as fast as possible
  std::string packet_range;             // -N: "N" (the first N packets) or "A-B" (A skipped, up to the B-th)
  uint64_t packets_skip = 0;            // parsed from packet_range by validate_config
  uint64_t packets_last = 0;            // 0 = every packet
  // -i IFACE (libpcap), repeatable: several interfaces are read as one
  // link (a tap's two ports, one direction each).
  std::vector<std::string> interfaces;
  bool promiscuous = true;              // -p
  uint32_t snaplen = 2048;              // -s
  uint64_t pcap_buffer_bytes = 0;       // --pcap-buffer, 0 = libpcap's default
  std::string bpf_filter;               // trailing expression
  bool bpf_optimize = true;             // -O turns libpcap's filter optimiser off
  std::vector<DpdkPortConfig> dpdk_ports;  // -i dpdk:PORT, repeatable
  std::vector<std::string> eal_args;    // --eal, one word each
  uint32_t rx_queues = 1;               // --rx-queues: per port, unless the port says
  uint32_t mbufs = 0;                   // --mbufs, 0 = sized from the rings
  double exit_when_idle_s = 0;          // --exit-when-idle, 0 = never (a live port)

  // flows
  uint32_t flow_capacity = 1u << 20;    // --flows: per worker
  std::string full_policy = "evict";    // --full-policy: evict or drop
  double status_interval_s = 5.0;       // -S
  // argus's ARGUS_FLOW_TYPE: one flow per conversation (bidirectional), or
  // one per direction (unidirectional).
  std::string flow_type = "bidirectional";
  // argus's ARGUS_FLOW_KEY: the 5-tuple, or the IP address pair alone
  // (LAYER_3_MATRIX: one flow per pair of hosts, for traffic matrices).
  std::string flow_key = "classic_5_tuple";
  // Idle timeouts, seconds, per IdleClass (tcp, ip, icmp, igmp, frag, arp, other).
  double idle_timeout_s[kIdleClassCount] = {60, 30, 5, 30, 5, 5, 30};

  // metrics: argus's record switches (argus-config.md 2.1).
  bool tcp_perf = true;
  bool app_bytes = false;          // -A
  bool mac = false;                // -m
  bool jitter = false;             // -J
  bool packet_size = false;        // -Z
  // -R. argus 3.0.8.2 writes the same records with and without it (every
  // FAR of the corpus byte for byte); the response times are in them
  // already: an ICMP echo pair is one flow (dstime - sstime), TCP has
  // synack/ackdat. Accepted, and the records stay argus's.
  bool response_time = false;
  bool bidir_timestamps = false;
  // ARGUS_GENERATE_START_RECORDS: a flow's first packet is reported at once
  // (cause Start), so alarms need not wait for the status interval.
  bool start_records = false;
  // ARGUS_TRACK_DUPLICATES: a TCP data segment carrying the IPv4 id of its
  // side's previous one is a copy made on the way (a looped or mirrored
  // packet), flagged as a duplicate instead of counted as a resend.
  bool track_duplicates = false;
  uint32_t user_data_bytes = 0;    // -U

  // outputs
  std::vector<FileOutputConfig> files;  // -w FILE
  std::vector<UdpOutputConfig> udp;     // -w argus-udp://HOST[:PORT]
  uint32_t server_port = 0;             // -P, 0 = no server
  std::vector<std::string> server_bind = {"127.0.0.1"};  // -B
  std::vector<std::string> server_allow;                 // --allow, CIDR text
  uint32_t server_max_clients = 10;                      // --max-clients
  uint64_t server_client_buffer_bytes = 8u << 20;        // --client-buffer
  double server_client_timeout_s = 60;                   // --client-timeout
  uint32_t wait_clients = 0;                             // --wait-clients
  // --record-buffer: reports each worker may hold for the exporter; 0 = on a
  // live input the flow capacity (record_buffer_batches), on replay 16,384.
  uint32_t record_buffer = 0;

  // Said on standard error at start-up, filled by validate_config: settings
  // that are valid together but will not do all that is asked of them.
  std::vector<std::string> notes;
};

// Where each value came from, for messages: YAML key -> "FILE:LINE:COL" or
// "the command line (-S)". Keys of list items carry their index
// ("input.files[2]"). Values left at their default have no entry.
using ConfigOrigins = std::map<std::string, std::string>;

// How much validate_config checks. kThisHost also judges the configuration
// against the machine it runs on (pcap files exist, CPUs for the queues,
// memory for the tables, directories of the pid and log files).
enum class ValidateScope : uint8_t { kPortable, kThisHost };

// Checks combinations (ranges were checked as values were read) and fills
// the parsed fields (monitor_id). On error returns false with one message
// that names where the offending value came from.
// `fault`, when given, says which kind of error it was.
enum class ConfigFault : uint8_t {
  kConfig,     // a setting to change: starting again fails again
  kHostState,  // the machine's present state (an interface to capture on is
               // missing or down), which may pass with no change made
};
bool validate_config(SensorConfig& cfg, const ConfigOrigins& origins, ValidateScope scope,
                     std::string& err, ConfigFault* fault = nullptr);

// Where an output file path is from outside: with -c DIR (chroot) the
// paths of -w files are inside DIR, relative ones from its top.
std::string path_outside(const SensorConfig& cfg, const std::string& path);

// The flow-table settings of worker `index` out of cfg.workers.
FlowTableConfig flow_table_config(const SensorConfig& cfg, uint32_t index);

// Receive queues of port i, and of all ports: one worker each when there
// is more than one in all.
uint32_t port_queues(const SensorConfig& cfg, size_t i);
uint32_t total_queues(const SensorConfig& cfg);

// A live input (interface, or a DPDK port not replaying a file with
// --exit-when-idle): workers never wait for the exporter, they drop and count.
bool live_input(const SensorConfig& cfg);

// Record batches per worker for outputs.record_buffer. Unset, a live input
// can hold one report of every flow its table holds: reports fall due in
// waves (every flow seen when a sensor starts on a busy link reports in the
// same instant, again at each status interval), far faster than any sink
// takes them, while on average the exporter keeps up easily.
uint32_t record_buffer_batches(const SensorConfig& cfg);

// "argus-udp://HOST[:PORT]" for a udp entry.
std::string udp_url(const std::string& host_port);

}  // namespace argos
