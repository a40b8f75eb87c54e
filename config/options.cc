#include "config/options.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace argos {

namespace {

// Field accessors as plain function pointers (captureless lambdas).
#define ARGOS_FIELD(type, member) +[](SensorConfig& c) -> type& { return c.member; }

constexpr double kMaxU32 = 4294967295.0;
constexpr double kMaxTimer = 65534;  // argus keeps timers in 16 bits (argus-config.md 4)

const OptionSpec kOptions[] = {
    // sensor
    {.key = "sensor.monitor_id", .flag = "-e", .kind = OptionKind::kText, .min = 0, .max = 0, .choices = nullptr,
     .bare_unit = nullptr, .help = "source id in every record: integer, IPv4 address or \"abcd\"",
     .as_text = ARGOS_FIELD(std::string, monitor_id_text)},
    {.key = "sensor.mar_interval", .flag = "-M", .kind = OptionKind::kSeconds, .min = 1, .max = kMaxTimer,
     .choices = nullptr, .bare_unit = "s", .help = "period of the status MARs",
     .as_double = ARGOS_FIELD(double, mar_interval_s)},
    {.key = "sensor.workers", .flag = "--workers", .kind = OptionKind::kCount, .min = 1, .max = 64,
     .choices = nullptr, .bare_unit = nullptr, .help = "worker threads, each with its own flow table",
     .as_count = ARGOS_FIELD(uint32_t, workers)},
    {.key = "sensor.cores", .flag = "--cores", .kind = OptionKind::kCountList, .min = 0, .max = 4095,
     .choices = nullptr, .bare_unit = nullptr,
     .help = "CPUs for the workers, then the export and main threads; empty: planned from the topology",
     .as_count_list = ARGOS_FIELD(std::vector<uint32_t>, cores)},
    {.key = "sensor.pin_threads", .flag = "--no-pin", .kind = OptionKind::kBool, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr, .help = "pin threads to CPUs",
     .as_bool = ARGOS_FIELD(bool, pin_threads), .flag_sets = false},
    {.key = "sensor.stats_interval", .flag = "--stats-interval", .kind = OptionKind::kSeconds, .min = 0,
     .max = 86400, .choices = nullptr, .bare_unit = "s", .help = "period of the counters line, 0 = off",
     .as_double = ARGOS_FIELD(double, stats_interval_s)},
    {.key = "sensor.daemon", .flag = "-d", .kind = OptionKind::kBool, .min = 0, .max = 0, .choices = nullptr,
     .bare_unit = nullptr, .help = "detach into the background once every input and output is open",
     .as_bool = ARGOS_FIELD(bool, daemon)},
    {.key = "sensor.pid_file", .flag = "--pid-file", .kind = OptionKind::kText, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr, .help = "file holding the sensor's pid (locked while it runs)",
     .as_text = ARGOS_FIELD(std::string, pid_file)},
    {.key = "sensor.log.to", .flag = "--log", .kind = OptionKind::kChoice, .min = 0, .max = 0,
     .choices = "auto|stderr|syslog|file", .bare_unit = nullptr,
     .help = "where messages go; auto: standard error, syslog when a daemon",
     .as_text = ARGOS_FIELD(std::string, log_to)},
    {.key = "sensor.log.file", .flag = "--log-file", .kind = OptionKind::kText, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr, .help = "log file (with sensor.log.to: file)",
     .as_text = ARGOS_FIELD(std::string, log_file)},
    {.key = "sensor.chroot", .flag = "-c", .kind = OptionKind::kText, .min = 0, .max = 0, .choices = nullptr,
     .bare_unit = nullptr,
     .help = "directory the sensor confines itself to (chroot) once its inputs and sockets are open; "
             "-w paths are inside it; \"\" = none",
     .as_text = ARGOS_FIELD(std::string, chroot)},
    {.key = "sensor.user", .flag = "-u", .kind = OptionKind::kText, .min = 0, .max = 0, .choices = nullptr,
     .bare_unit = nullptr,
     .help = "user the sensor runs as once its inputs, outputs and files are open (started as root); \"\" = stay",
     .as_text = ARGOS_FIELD(std::string, user)},
    {.key = "sensor.group", .flag = "-g", .kind = OptionKind::kText, .min = 0, .max = 0, .choices = nullptr,
     .bare_unit = nullptr, .help = "group the sensor runs as from then on; \"\" = the user's own",
     .as_text = ARGOS_FIELD(std::string, group)},
    // input
    {.key = "input.files", .flag = "-r", .kind = OptionKind::kTextList, .min = 0, .max = 0, .choices = nullptr,
     .bare_unit = nullptr, .help = "pcap/pcapng files read in order; - = standard input",
     .as_text_list = ARGOS_FIELD(std::vector<std::string>, read_files)},
    {.key = "input.follow", .flag = "-f", .kind = OptionKind::kBool, .min = 0, .max = 0, .choices = nullptr,
     .bare_unit = nullptr,
     .help = "follow the last file as it grows (tail mode, for a capture still being written) until stopped",
     .as_bool = ARGOS_FIELD(bool, follow)},
    {.key = "input.pace", .flag = "-T", .kind = OptionKind::kNumber, .min = 0, .max = 1e6, .choices = nullptr,
     .bare_unit = nullptr, .help = "replay files at packet-time pace x this factor; 0 = as fast as possible",
     .as_double = ARGOS_FIELD(double, pace_factor)},
    {.key = "input.packets", .flag = "-N", .kind = OptionKind::kText, .min = 0, .max = 0, .choices = nullptr,
     .bare_unit = nullptr,
     .help = "read only the first N packets (N), or skip A and end after the B-th (A-B), as argus -N; \"\" = all",
     .as_text = ARGOS_FIELD(std::string, packet_range)},
    {.key = "input.interface", .flag = "-i", .kind = OptionKind::kTextList, .min = 0, .max = 0, .choices = nullptr,
     .bare_unit = nullptr,
     .help = "capture live on these interfaces (libpcap), read as one link: one name or a list (a tap's ports)",
     .as_text_list = ARGOS_FIELD(std::vector<std::string>, interfaces)},
    {.key = "input.promiscuous", .flag = "-p", .kind = OptionKind::kBool, .min = 0, .max = 0, .choices = nullptr,
     .bare_unit = nullptr, .help = "put the interface into promiscuous mode",
     .as_bool = ARGOS_FIELD(bool, promiscuous), .flag_sets = false},
    {.key = "input.snap_length", .flag = "-s", .kind = OptionKind::kCount, .min = 64, .max = 65535,
     .choices = nullptr, .bare_unit = nullptr, .help = "bytes captured per packet, live",
     .as_count = ARGOS_FIELD(uint32_t, snaplen)},
    {.key = "input.buffer_size", .flag = "--pcap-buffer", .kind = OptionKind::kBytes, .min = 0,
     .max = 2147483648.0, .choices = nullptr, .bare_unit = nullptr,
     .help = "kernel capture buffer, live; 0 = libpcap's default",
     .as_bytes = ARGOS_FIELD(uint64_t, pcap_buffer_bytes)},
    {.key = "input.filter", .flag = nullptr, .kind = OptionKind::kText, .min = 0, .max = 0, .choices = nullptr,
     .bare_unit = nullptr, .help = "tcpdump/BPF filter for libpcap inputs (trailing words on the command line)",
     .as_text = ARGOS_FIELD(std::string, bpf_filter)},
    {.key = "input.filter_optimize", .flag = "-O", .kind = OptionKind::kBool, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr, .help = "run libpcap's optimiser on the capture filter (-O: off)",
     .as_bool = ARGOS_FIELD(bool, bpf_optimize), .flag_sets = false},
    {.key = "input.dpdk.ports", .flag = nullptr, .kind = OptionKind::kPorts, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr,
     .help = "DPDK ports: PCI address or vdev name, or {name, rx_queues} (-i dpdk:PORT)"},
    {.key = "input.dpdk.eal", .flag = "--eal", .kind = OptionKind::kTextList, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr, .help = "DPDK EAL arguments, one word per item",
     .as_text_list = ARGOS_FIELD(std::vector<std::string>, eal_args)},
    {.key = "input.dpdk.rx_queues", .flag = "--rx-queues", .kind = OptionKind::kCount, .min = 1, .max = 64,
     .choices = nullptr, .bare_unit = nullptr,
     .help = "receive queues per port (symmetric RSS), one worker each when several in all",
     .as_count = ARGOS_FIELD(uint32_t, rx_queues)},
    {.key = "input.dpdk.mbufs", .flag = "--mbufs", .kind = OptionKind::kCount, .min = 0, .max = 268435456,
     .choices = nullptr, .bare_unit = nullptr, .help = "mbuf pool size; 0 = sized from the rings",
     .as_count = ARGOS_FIELD(uint32_t, mbufs)},
    {.key = "input.dpdk.exit_when_idle", .flag = "--exit-when-idle", .kind = OptionKind::kSeconds, .min = 0,
     .max = 86400, .choices = nullptr, .bare_unit = "ms",
     .help = "end the input after this long without a packet (replay through net_pcap); 0 = never",
     .as_double = ARGOS_FIELD(double, exit_when_idle_s)},
    // flows
    {.key = "flows.capacity", .flag = "--flows", .kind = OptionKind::kCount, .min = 64, .max = 268435456,
     .choices = nullptr, .bare_unit = nullptr, .help = "flow-table capacity per worker",
     .as_count = ARGOS_FIELD(uint32_t, flow_capacity)},
    {.key = "flows.full_policy", .flag = "--full-policy", .kind = OptionKind::kChoice, .min = 0, .max = 0,
     .choices = "evict|drop", .bare_unit = nullptr,
     .help = "table full: evict (report the idlest flow of the bucket) or drop the new flow",
     .as_text = ARGOS_FIELD(std::string, full_policy)},
    {.key = "flows.type", .flag = nullptr, .kind = OptionKind::kChoice, .min = 0, .max = 0,
     .choices = "bidirectional|unidirectional", .bare_unit = nullptr,
     .help = "one flow per conversation, or one per direction (argus's ARGUS_FLOW_TYPE)",
     .as_text = ARGOS_FIELD(std::string, flow_type)},
    {.key = "flows.key", .flag = nullptr, .kind = OptionKind::kChoice, .min = 0, .max = 0,
     .choices = "classic_5_tuple|layer_3_matrix", .bare_unit = nullptr,
     .help = "what keys an IP flow: the 5-tuple, or the address pair alone (argus's ARGUS_FLOW_KEY)",
     .as_text = ARGOS_FIELD(std::string, flow_key)},
    {.key = "flows.status_interval", .flag = "-S", .kind = OptionKind::kSeconds, .min = 0.001, .max = kMaxTimer,
     .choices = nullptr, .bare_unit = "s", .help = "longest time an active flow goes unreported",
     .as_double = ARGOS_FIELD(double, status_interval_s)},
    {.key = "flows.idle_timeout.tcp", .flag = nullptr, .kind = OptionKind::kSeconds, .min = 0.001,
     .max = kMaxTimer, .choices = nullptr, .bare_unit = "s", .help = "idle time that ends a TCP flow",
     .as_double = ARGOS_FIELD(double, idle_timeout_s[0])},
    {.key = "flows.idle_timeout.ip", .flag = nullptr, .kind = OptionKind::kSeconds, .min = 0.001,
     .max = kMaxTimer, .choices = nullptr, .bare_unit = "s", .help = "idle time that ends a UDP or other IP flow",
     .as_double = ARGOS_FIELD(double, idle_timeout_s[1])},
    {.key = "flows.idle_timeout.icmp", .flag = nullptr, .kind = OptionKind::kSeconds, .min = 0.001,
     .max = kMaxTimer, .choices = nullptr, .bare_unit = "s", .help = "idle time that ends an ICMP flow",
     .as_double = ARGOS_FIELD(double, idle_timeout_s[2])},
    {.key = "flows.idle_timeout.igmp", .flag = nullptr, .kind = OptionKind::kSeconds, .min = 0.001,
     .max = kMaxTimer, .choices = nullptr, .bare_unit = "s", .help = "idle time that ends an IGMP flow",
     .as_double = ARGOS_FIELD(double, idle_timeout_s[3])},
    {.key = "flows.idle_timeout.fragment", .flag = nullptr, .kind = OptionKind::kSeconds, .min = 0.001,
     .max = kMaxTimer, .choices = nullptr, .bare_unit = "s", .help = "how long fragment state is kept",
     .as_double = ARGOS_FIELD(double, idle_timeout_s[4])},
    {.key = "flows.idle_timeout.arp", .flag = nullptr, .kind = OptionKind::kSeconds, .min = 0.001,
     .max = kMaxTimer, .choices = nullptr, .bare_unit = "s", .help = "idle time that ends an ARP flow",
     .as_double = ARGOS_FIELD(double, idle_timeout_s[5])},
    {.key = "flows.idle_timeout.other", .flag = nullptr, .kind = OptionKind::kSeconds, .min = 0.001,
     .max = kMaxTimer, .choices = nullptr, .bare_unit = "s", .help = "idle time that ends a non-IP flow",
     .as_double = ARGOS_FIELD(double, idle_timeout_s[6])},
    // metrics (argus-config.md 2.1)
    {.key = "metrics.tcp_perf", .flag = nullptr, .kind = OptionKind::kBool, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr, .help = "TCP records carry the TCP_PERF DSR",
     .as_bool = ARGOS_FIELD(bool, tcp_perf)},
    {.key = "metrics.app_bytes", .flag = "-A", .kind = OptionKind::kBool, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr, .help = "application byte counts",
     .as_bool = ARGOS_FIELD(bool, app_bytes)},
    {.key = "metrics.mac", .flag = "-m", .kind = OptionKind::kBool, .min = 0, .max = 0, .choices = nullptr,
     .bare_unit = nullptr, .help = "MAC address DSR", .as_bool = ARGOS_FIELD(bool, mac)},
    {.key = "metrics.jitter", .flag = "-J", .kind = OptionKind::kBool, .min = 0, .max = 0, .choices = nullptr,
     .bare_unit = nullptr, .help = "inter-packet interval statistics per direction (jitter DSR)",
     .as_bool = ARGOS_FIELD(bool, jitter)},
    {.key = "metrics.packet_size", .flag = "-Z", .kind = OptionKind::kBool, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr, .help = "packet size DSR",
     .as_bool = ARGOS_FIELD(bool, packet_size)},
    {.key = "metrics.response_time", .flag = "-R", .kind = OptionKind::kBool, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr,
     .help = "response-time data (argus 3.0.8.2 writes its records unchanged; so does argos)",
     .as_bool = ARGOS_FIELD(bool, response_time)},
    {.key = "metrics.bidirectional_timestamps", .flag = nullptr, .kind = OptionKind::kBool, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr, .help = "start and end times per direction",
     .as_bool = ARGOS_FIELD(bool, bidir_timestamps)},
    {.key = "metrics.start_records", .flag = nullptr, .kind = OptionKind::kBool, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr,
     .help = "report a flow's first packet at once (cause Start); later reports are Status",
     .as_bool = ARGOS_FIELD(bool, start_records)},
    {.key = "metrics.track_duplicates", .flag = nullptr, .kind = OptionKind::kBool, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr,
     .help = "flag TCP data segments repeating the previous one's IPv4 id as duplicates, not resends",
     .as_bool = ARGOS_FIELD(bool, track_duplicates)},
    {.key = "metrics.user_data", .flag = "-U", .kind = OptionKind::kCount, .min = 0, .max = kMaxUserBytes,
     .choices = nullptr, .bare_unit = nullptr,
     .help = "first payload bytes kept per direction and report (user-data DSRs)",
     .as_count = ARGOS_FIELD(uint32_t, user_data_bytes)},
    // outputs
    {.key = "outputs.files", .flag = "-w", .kind = OptionKind::kFiles, .min = 0, .max = 0, .choices = nullptr,
     .bare_unit = nullptr, .help = "record files: path, rotate_size, rotate_interval, rotate_utc, filter (a record filter: argus's -w FILE \"filter\")"},
    {.key = "outputs.udp", .flag = nullptr, .kind = OptionKind::kUdp, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr,
     .help = "collectors pushed one datagram per record: HOST[:PORT] or {address, filter} (a record filter)"},
    {.key = "outputs.record_buffer", .flag = "--record-buffer", .kind = OptionKind::kCount, .min = 0,
     .max = 268435456, .choices = nullptr, .bare_unit = nullptr,
     .help = "reports per worker held for the outputs; 0 = the flow capacity when live, 16384 on replay",
     .as_count = ARGOS_FIELD(uint32_t, record_buffer)},
    {.key = "outputs.server.port", .flag = "-P", .kind = OptionKind::kCount, .min = 0, .max = 65535,
     .choices = nullptr, .bare_unit = nullptr, .help = "TCP port serving Argus clients (ra -S); 0 = off",
     .as_count = ARGOS_FIELD(uint32_t, server_port)},
    {.key = "outputs.server.bind", .flag = "-B", .kind = OptionKind::kTextList, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr, .help = "addresses the server listens on",
     .as_text_list = ARGOS_FIELD(std::vector<std::string>, server_bind)},
    {.key = "outputs.server.allow", .flag = "--allow", .kind = OptionKind::kTextList, .min = 0, .max = 0,
     .choices = nullptr, .bare_unit = nullptr, .help = "client networks allowed (CIDR); empty: any",
     .as_text_list = ARGOS_FIELD(std::vector<std::string>, server_allow)},
    {.key = "outputs.server.max_clients", .flag = "--max-clients", .kind = OptionKind::kCount, .min = 1,
     .max = 1024, .choices = nullptr, .bare_unit = nullptr, .help = "clients at once",
     .as_count = ARGOS_FIELD(uint32_t, server_max_clients)},
    {.key = "outputs.server.client_buffer", .flag = "--client-buffer", .kind = OptionKind::kBytes,
     .min = 65536, .max = 1073741824.0, .choices = nullptr, .bare_unit = nullptr,
     .help = "bytes queued per client before it is dropped",
     .as_bytes = ARGOS_FIELD(uint64_t, server_client_buffer_bytes)},
    {.key = "outputs.server.client_timeout", .flag = "--client-timeout", .kind = OptionKind::kSeconds, .min = 1,
     .max = 3600, .choices = nullptr, .bare_unit = "s",
     .help = "a client whose host acknowledges nothing for this long is dropped (a dead collector)",
     .as_double = ARGOS_FIELD(double, server_client_timeout_s)},
    {.key = "outputs.server.wait_clients", .flag = "--wait-clients", .kind = OptionKind::kCount, .min = 0,
     .max = 1024, .choices = nullptr, .bare_unit = nullptr,
     .help = "read no input until this many clients have started",
     .as_count = ARGOS_FIELD(uint32_t, wait_clients)},
};

#undef ARGOS_FIELD

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// A decimal number followed by an optional unit word. False when the
// number part is missing or not finite.
bool split_number(const std::string& text, double& value, std::string& unit) {
  const std::string t = trim(text);
  if (t.empty() || t[0] == '-' || t[0] == '+') return false;
  const char* s = t.c_str();
  char* end = nullptr;
  errno = 0;
  value = std::strtod(s, &end);
  if (end == s || errno == ERANGE || !std::isfinite(value)) return false;
  // strtod takes "inf", "nan" and hex floats: only plain decimals here.
  for (const char* p = s; p < end; ++p)
    if (!std::isdigit(static_cast<unsigned char>(*p)) && *p != '.' && *p != 'e' && *p != 'E' && *p != '-' &&
        *p != '+')
      return false;
  unit = trim(end);
  return true;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

template <typename Get>
std::string closest(const std::string& word, Get get) {
  std::string best;
  size_t best_d = std::max<size_t>(3, word.size() / 4) + 1;  // beyond this, no suggestion
  for (const auto& o : kOptions) {
    const char* cand = get(o);
    if (!cand) continue;
    const size_t d = edit_distance(word, cand);
    if (d < best_d) {
      best_d = d;
      best = cand;
    }
  }
  return best;
}

std::string range_text(const OptionSpec& s) {
  auto num = [&](double v) {
    if (s.kind == OptionKind::kSeconds) return format_seconds(v);
    if (s.kind == OptionKind::kBytes) return format_bytes(static_cast<uint64_t>(v));
    char b[32];
    std::snprintf(b, sizeof b, "%.10g", v);
    return std::string(b);
  };
  return "between " + num(s.min) + " and " + num(s.max);
}

}  // namespace

std::span<const OptionSpec> option_table() { return kOptions; }

const OptionSpec* find_option_by_key(const std::string& key) {
  for (const auto& o : kOptions)
    if (key == o.key) return &o;
  return nullptr;
}

const OptionSpec* find_option_by_flag(const std::string& flag) {
  for (const auto& o : kOptions)
    if (o.flag && flag == o.flag) return &o;
  return nullptr;
}

bool option_differs(const OptionSpec& spec, const SensorConfig& a_in, const SensorConfig& b_in) {
  SensorConfig& a = const_cast<SensorConfig&>(a_in);  // the accessors hand out references; nothing is written
  SensorConfig& b = const_cast<SensorConfig&>(b_in);
  switch (spec.kind) {
    case OptionKind::kBool: return spec.as_bool(a) != spec.as_bool(b);
    case OptionKind::kCount: return spec.as_count(a) != spec.as_count(b);
    case OptionKind::kBytes: return spec.as_bytes(a) != spec.as_bytes(b);
    case OptionKind::kSeconds:
    case OptionKind::kNumber: return spec.as_double(a) != spec.as_double(b);
    case OptionKind::kText:
    case OptionKind::kChoice: return spec.as_text(a) != spec.as_text(b);
    case OptionKind::kTextList: return spec.as_text_list(a) != spec.as_text_list(b);
    case OptionKind::kCountList: return spec.as_count_list(a) != spec.as_count_list(b);
    case OptionKind::kFiles: return a.files != b.files;
    case OptionKind::kPorts: return a.dpdk_ports != b.dpdk_ports;
    case OptionKind::kUdp: return a.udp != b.udp;
  }
  return false;
}

bool parse_bool_text(const std::string& text, bool& out) {
  const std::string t = lower(trim(text));
  if (t == "true" || t == "yes" || t == "on") {
    out = true;
    return true;
  }
  if (t == "false" || t == "no" || t == "off") {
    out = false;
    return true;
  }
  return false;
}

bool parse_bytes_text(const std::string& text, uint64_t& out) {
  double v;
  std::string unit;
  if (!split_number(text, v, unit)) return false;
  static const struct {
    const char* name;
    double factor;
  } kUnits[] = {{"", 1},          {"b", 1},          {"k", 1e3},           {"kb", 1e3},
                {"m", 1e6},       {"mb", 1e6},       {"g", 1e9},           {"gb", 1e9},
                {"kib", 1024.0},  {"mib", 1048576.0}, {"gib", 1073741824.0}};
  const std::string u = lower(unit);
  for (const auto& k : kUnits) {
    if (u != k.name) continue;
    const double bytes = v * k.factor;
    if (bytes != std::floor(bytes) || bytes > 1.8e19) return false;
    out = static_cast<uint64_t>(bytes);
    return true;
  }
  return false;
}

bool parse_seconds_text(const std::string& text, const char* bare_unit, double& out) {
  double v;
  std::string unit;
  if (!split_number(text, v, unit)) return false;
  if (unit.empty()) unit = bare_unit ? bare_unit : "s";
  const std::string u = lower(unit);
  double factor;
  if (u == "s" || u == "sec" || u == "secs" || u == "seconds")
    factor = 1;
  else if (u == "ms")
    factor = 1e-3;
  else if (u == "us")
    factor = 1e-6;
  else if (u == "m" || u == "min")
    factor = 60;
  else if (u == "h")
    factor = 3600;
  else
    return false;
  out = v * factor;
  return true;
}

std::string format_seconds(double s) {
  char b[48];
  // Whole milliseconds below a second read better as ms; %.9g keeps every
  // value round-trip exact to the nanosecond the timers use.
  if (s > 0 && s < 1 && std::fabs(s * 1e3 - std::round(s * 1e3)) < 1e-9)
    std::snprintf(b, sizeof b, "%.9gms", s * 1e3);
  else
    std::snprintf(b, sizeof b, "%.12gs", s);
  return b;
}

std::string format_bytes(uint64_t b) {
  if (b && b % (1ull << 30) == 0) return std::to_string(b >> 30) + "GiB";
  if (b && b % (1ull << 20) == 0) return std::to_string(b >> 20) + "MiB";
  if (b && b % (1ull << 10) == 0) return std::to_string(b >> 10) + "KiB";
  return std::to_string(b);
}

bool parse_option_value(const OptionSpec& spec, const std::string& text, SensorConfig& cfg, std::string& why) {
  const std::string quoted = "'" + text + "'";
  auto out_of_range = [&]() {
    why = quoted + " is not " + range_text(spec);
    return false;
  };
  switch (spec.kind) {
    case OptionKind::kBool: {
      bool v;
      if (!parse_bool_text(text, v)) {
        why = quoted + " is not true or false";
        return false;
      }
      spec.as_bool(cfg) = v;
      return true;
    }
    case OptionKind::kCount:
    case OptionKind::kCountList: {
      const std::string t = trim(text);
      if (t.empty() || t.size() > 10 || !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        why = quoted + " is not a whole number";
        return false;
      }
      const double v = std::strtod(t.c_str(), nullptr);
      if (v < spec.min || v > spec.max || v > kMaxU32) return out_of_range();
      if (spec.kind == OptionKind::kCount)
        spec.as_count(cfg) = static_cast<uint32_t>(v);
      else
        spec.as_count_list(cfg).push_back(static_cast<uint32_t>(v));
      return true;
    }
    case OptionKind::kBytes: {
      uint64_t v;
      if (!parse_bytes_text(text, v)) {
        why = quoted + " is not a size in bytes (e.g. 65536, 512KiB, 8MiB, 1GiB)";
        return false;
      }
      if (static_cast<double>(v) < spec.min || static_cast<double>(v) > spec.max) return out_of_range();
      spec.as_bytes(cfg) = v;
      return true;
    }
    case OptionKind::kSeconds: {
      double v;
      if (!parse_seconds_text(text, spec.bare_unit, v)) {
        why = quoted + " is not a duration (e.g. 60s, 500ms, 2m; a bare number is in " +
              (spec.bare_unit ? spec.bare_unit : "s") + ")";
        return false;
      }
      if (v < spec.min || v > spec.max) {
        // A zero that the range allows only as "off" reads better spelt out.
        return out_of_range();
      }
      spec.as_double(cfg) = v;
      return true;
    }
    case OptionKind::kNumber: {
      double v;
      std::string unit;
      if (!split_number(text, v, unit) || !unit.empty()) {
        why = quoted + " is not a number";
        return false;
      }
      if (v < spec.min || v > spec.max) return out_of_range();
      spec.as_double(cfg) = v;
      return true;
    }
    case OptionKind::kText:
      spec.as_text(cfg) = text;
      return true;
    case OptionKind::kChoice: {
      const std::string t = lower(trim(text));
      std::string all = spec.choices;
      size_t pos = 0;
      while (pos <= all.size()) {
        const size_t bar = all.find('|', pos);
        const std::string c = all.substr(pos, bar == std::string::npos ? std::string::npos : bar - pos);
        if (c == t) {
          spec.as_text(cfg) = c;
          return true;
        }
        if (bar == std::string::npos) break;
        pos = bar + 1;
      }
      std::string list = all;
      std::replace(list.begin(), list.end(), '|', ',');
      why = quoted + " is not one of " + list;
      return false;
    }
    case OptionKind::kTextList:
      if (trim(text).empty()) {
        why = "an empty item";
        return false;
      }
      spec.as_text_list(cfg).push_back(trim(text));
      return true;
    case OptionKind::kFiles:
    case OptionKind::kPorts:
    case OptionKind::kUdp:
      break;
  }
  why = "internal: no scalar parser for this option";
  return false;
}

std::string closest_key(const std::string& key) {
  // Against every full key and every group ("flows.idle_timeout"), and
  // against the part of each at the same depth as the misspelt key.
  const size_t depth = std::count(key.begin(), key.end(), '.');
  std::string best;
  size_t best_d = std::max<size_t>(2, key.size() / 4) + 1;
  for (const auto& o : kOptions) {
    std::string cand = o.key;
    size_t dots = 0, cut = std::string::npos;
    for (size_t i = 0; i < cand.size(); ++i)
      if (cand[i] == '.' && dots++ == depth) {
        cut = i;
        break;
      }
    if (cut != std::string::npos) cand.resize(cut);
    const size_t d = edit_distance(key, cand);
    if (d < best_d) {
      best_d = d;
      best = cand;
    }
  }
  return best;
}

std::string closest_flag(const std::string& flag) {
  return closest(flag, [](const OptionSpec& o) { return o.flag; });
}

}  // namespace argos
