#include "config/sensor_config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "config/options.h"
#include "config/run_as.h"
#include "dataplane/pcap_live.h"
#include "export/record_filter.h"
#include "export/stream_server.h"

namespace argos {

namespace {

uint64_t seconds_to_ns(double s) { return static_cast<uint64_t>(std::llround(s * 1e9)); }

// Builds the one message of a failed check, led by where `key` was set.
class Checker {
 public:
  Checker(const SensorConfig& cfg, const ConfigOrigins& origins, std::string& err)
      : cfg_(cfg), origins_(origins), err_(err) {}

  bool fail(const std::string& key, const std::string& why) {
    err_ = where(key) + why;
    return false;
  }
  // A fault of the machine's present state rather than of the settings.
  bool fail_host_state(const std::string& key, const std::string& why) {
    host_state_ = true;
    return fail(key, why);
  }
  bool host_state() const { return host_state_; }
  // Set explicitly (in the file or on the command line), not a default.
  bool given(const std::string& key) const { return origins_.count(key) != 0; }
  // Item i of a list setting, for messages: "LIST[i]" where that item was
  // given on its own (a file line, a repeated flag), else the whole list.
  std::string item(const std::string& list, size_t i) const {
    const std::string key = list + "[" + std::to_string(i) + "]";
    return given(key) ? key : list;
  }
  // Set on purpose: on the command line, or in a file to something else
  // than the default (a printed configuration spells out every default).
  bool set_apart(const char* key) const {
    const auto it = origins_.find(key);
    if (it == origins_.end()) return false;
    if (it->second.rfind("cli:", 0) == 0) return true;
    const OptionSpec* spec = find_option_by_key(key);
    return spec && option_differs(*spec, cfg_, defaults_);
  }
  // Of two clashing settings, the one given last (the command line after
  // the file, a later line after an earlier one): the message points there.
  std::string later(const std::string& a, const std::string& b) const {
    if (!given(a)) return b;
    if (!given(b)) return a;
    return rank(b) >= rank(a) ? b : a;
  }

 private:
  bool host_state_ = false;
  long rank(const std::string& key) const {
    const std::string& o = origins_.at(key);
    if (o.rfind("cli:", 0) == 0) return 1L << 40;
    const size_t col = o.rfind(':');
    const size_t line = col == std::string::npos || col == 0 ? std::string::npos : o.rfind(':', col - 1);
    return line == std::string::npos ? 0 : std::strtol(o.c_str() + line + 1, nullptr, 10);
  }

 public:

 private:
  std::string where(const std::string& key) const {
    const auto it = origins_.find(key);
    if (it == origins_.end()) return key + ": ";
    if (it->second.rfind("cli:", 0) == 0) return it->second.substr(4) + " (" + key + "): ";
    return it->second + ": " + key + ": ";
  }

  const SensorConfig& cfg_;
  const SensorConfig defaults_{};
  const ConfigOrigins& origins_;
  std::string& err_;
};

bool host_port_ok(const std::string& hp) {
  if (hp.empty()) return false;
  std::string host = hp, port;
  if (hp[0] == '[') {  // [v6]:port
    const size_t close = hp.find(']');
    if (close == std::string::npos || close == 1) return false;
    host = hp.substr(1, close - 1);
    if (close + 1 < hp.size()) {
      if (hp[close + 1] != ':') return false;
      port = hp.substr(close + 2);
      if (port.empty()) return false;
    }
  } else if (std::count(hp.begin(), hp.end(), ':') == 1) {
    const size_t colon = hp.find(':');
    host = hp.substr(0, colon);
    port = hp.substr(colon + 1);
    if (port.empty()) return false;
  }
  if (host.empty()) return false;
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
    const long p = std::strtol(port.c_str(), nullptr, 10);
    if (p < 1 || p > 65535) return false;
  }
  return true;
}

bool is_address(const std::string& a) {
  unsigned char buf[16];
  return inet_pton(AF_INET, a.c_str(), buf) == 1 || inet_pton(AF_INET6, a.c_str(), buf) == 1;
}

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

uint32_t usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return static_cast<uint32_t>(CPU_COUNT(&set));
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<uint32_t>(n) : 1;
}

std::string gib(double bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
  return b;
}

bool check_portable(SensorConfig& cfg, Checker& c) {
  // Inputs: exactly one kind.
  const bool files = !cfg.read_files.empty(), live = !cfg.interfaces.empty(), dpdk = !cfg.dpdk_ports.empty();
  if (files + live + dpdk > 1) {
    const char* a = files ? "input.files" : "input.interface";
    const char* b = dpdk ? "input.dpdk.ports" : "input.interface";
    return c.fail(c.later(a, b), std::string(a) + " and " + b + " exclude each other: read files, capture "
                  "live or receive from a DPDK port");
  }
  if (!files && !live && !dpdk)
    return c.fail("input", "no input: give -r FILE (or -r - for standard input), -i IFACE or -i dpdk:PORT "
                  "(input.files, input.interface or input.dpdk.ports)");
  if (cfg.files.empty() && cfg.udp.empty() && cfg.server_port == 0)
    return c.fail("outputs", "no output: give -w FILE (or -w - for standard output), -w argus-udp://HOST[:PORT] "
                  "or -P PORT (outputs.files, outputs.udp or outputs.server.port)");
  int stdin_count = 0;
  for (size_t i = 0; i < cfg.read_files.size(); ++i)
    if (cfg.read_files[i] == "-" && ++stdin_count > 1)
      return c.fail("input.files", "-r - (standard input) can be given only once");
  if (cfg.follow) {
    if (!files) return c.fail("input.follow", "follows the last file of -r (input.files): give -r FILE");
    if (cfg.read_files.back() == "-")
      return c.fail("input.follow", "standard input ends when its writer closes it and cannot be followed: "
                    "give the file being written as the last -r");
    if (cfg.pace_factor > 0)
      return c.fail(c.later("input.follow", "input.pace"),
                    "-f and -T exclude each other: a followed file is read as it is written");
  }
  // -N: "N" or "A-B", numbers of packets as the input delivers them.
  cfg.packets_skip = cfg.packets_last = 0;
  if (!cfg.packet_range.empty()) {
    const std::string& t = cfg.packet_range;
    const size_t dash = t.find('-');
    auto number = [](const std::string& s, uint64_t& v) {
      if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) return false;
      v = std::strtoull(s.c_str(), nullptr, 10);
      return true;
    };
    uint64_t a = 0, b = 0;
    const bool ok = dash == std::string::npos ? number(t, b) : number(t.substr(0, dash), a) && number(t.substr(dash + 1), b);
    if (!ok) return c.fail("input.packets", "'" + t + "' is not N or A-B (packet numbers)");
    if (b <= a) return c.fail("input.packets", "'" + t + "' selects no packet: A-B reads packets A+1 to B");
    if (dpdk) return c.fail("input.packets", "applies to libpcap inputs (-r, -i IFACE), not to DPDK ports");
    cfg.packets_skip = a;
    cfg.packets_last = b;
  }
  std::set<std::string> ifaces;
  for (size_t i = 0; i < cfg.interfaces.size(); ++i) {
    const std::string key = "input.interface[" + std::to_string(i) + "]";
    const std::string& n = cfg.interfaces[i];
    if (n.empty()) return c.fail(key, "an interface needs a name");
    if (n.rfind("dpdk:", 0) == 0)
      return c.fail(key, "'" + n + "' names a DPDK port: list it under input.dpdk.ports");
    if (!ifaces.insert(n).second) return c.fail(key, "interface '" + n + "' is given twice");
    if (i >= PcapLiveSource::kMaxInterfaces)
      return c.fail(key, "at most " + std::to_string(PcapLiveSource::kMaxInterfaces) + " interfaces are read together");
  }
  // Settings that belong to an input kind that is not in use.
  static const char* const kLiveOnly[] = {"input.promiscuous", "input.snap_length", "input.buffer_size"};
  static const char* const kDpdkOnly[] = {"input.dpdk.eal", "input.dpdk.rx_queues", "input.dpdk.mbufs",
                                          "input.dpdk.exit_when_idle"};
  if (!live)
    for (const char* k : kLiveOnly)
      if (c.set_apart(k)) return c.fail(k, "applies to live capture (-i IFACE, input.interface)");
  if (!dpdk)
    for (const char* k : kDpdkOnly)
      if (c.set_apart(k)) return c.fail(k, "applies to DPDK ports (-i dpdk:PORT, input.dpdk.ports)");
  if (dpdk && !cfg.bpf_filter.empty())
    return c.fail("input.filter", "a filter expression applies to libpcap inputs (-r, -i IFACE), not to DPDK ports");
  // A port twice is the mistake to name, before counting its queues.
  std::set<std::string> names;
  for (size_t i = 0; i < cfg.dpdk_ports.size(); ++i)
    if (!names.insert(cfg.dpdk_ports[i].name).second)
      return c.fail("input.dpdk.ports[" + std::to_string(i) + "]", "port '" + cfg.dpdk_ports[i].name + "' is given twice");
  // Several ports are one link (a tap's two ports): worker q reads queue q
  // of every port, where symmetric RSS puts both directions of a flow when
  // the ports have as many queues each. One worker per queue index, unless
  // a single queue per port is shared by software dispatch.
  for (size_t i = 1; dpdk && i < cfg.dpdk_ports.size(); ++i)
    if (port_queues(cfg, i) != port_queues(cfg, 0))
      return c.fail("input.dpdk.ports[" + std::to_string(i) + "]",
                    "port '" + cfg.dpdk_ports[i].name + "' has " + std::to_string(port_queues(cfg, i)) +
                        " receive queue(s), '" + cfg.dpdk_ports[0].name + "' " +
                        std::to_string(port_queues(cfg, 0)) +
                        ": the ports are read as one link, queue q of each by worker q, so each needs as many");
  const uint32_t queues = dpdk ? port_queues(cfg, 0) : 0;
  if (dpdk && total_queues(cfg) > 64)
    return c.fail("input.dpdk.ports", std::to_string(total_queues(cfg)) + " receive queues in all: at most 64");
  if (queues > 1 && queues != cfg.workers) {
    const std::string why =
        cfg.dpdk_ports.size() == 1
            ? "--rx-queues " + std::to_string(queues) + " needs --workers " + std::to_string(queues) +
                  ": one worker per receive queue (with one queue, several workers share it by software dispatch)"
            : std::to_string(cfg.dpdk_ports.size()) + " ports with " + std::to_string(queues) +
                  " receive queues each need --workers " + std::to_string(queues) +
                  ": worker q reads queue q of every port (with one queue each, several workers share them by "
                  "software dispatch)";
    return c.fail(c.later(cfg.dpdk_ports.size() == 1 ? "input.dpdk.rx_queues" : "input.dpdk.ports", "sensor.workers"),
                  why);
  }
  // DPDK sizes a pool's cache at 256 mbufs and wants 1.5 times that at least.
  if (cfg.mbufs != 0 && cfg.mbufs < 384)
    return c.fail("input.dpdk.mbufs", std::to_string(cfg.mbufs) +
                                          " is too small: at least 384 (the pool's 256-mbuf cache and half again), "
                                          "or 0 for the size the receive rings need");
  if (cfg.pace_factor > 0 && !files) return c.fail("input.pace", "-T paces the replay of files: give -r FILE");
  if (cfg.pace_factor > 0 && cfg.pace_factor < 0.001)
    return c.fail("input.pace", "speed factor must be at least 0.001 (0 = as fast as possible)");

  // Identity.
  if (!cfg.monitor_id_text.empty() && !parse_source_id(cfg.monitor_id_text.c_str(), cfg.monitor_id))
    return c.fail("sensor.monitor_id", "'" + cfg.monitor_id_text +
                                           "' is not an integer, an IPv4 address or a quoted string (\"abcd\")");
  if (cfg.monitor_id_text.empty()) cfg.monitor_id = SourceId{};

  // Outputs.
  std::set<std::string> paths;
  int stdout_count = 0;
  for (size_t i = 0; i < cfg.files.size(); ++i) {
    const FileOutputConfig& f = cfg.files[i];
    const std::string key = "outputs.files[" + std::to_string(i) + "]";
    if (!paths.insert(f.path).second) return c.fail(key, "'" + f.path + "' is written twice");
    if (f.path == "-") {
      ++stdout_count;
      if (f.rotate_bytes || f.rotate_interval_s)
        return c.fail(key, "standard output (-w -) cannot be rotated");
    }
    if (!f.filter.empty()) {
      RecordFilter rf;
      std::string why;
      if (!rf.compile(f.filter, why)) return c.fail(key + ".filter", why);
    }
    if (f.rotate_interval_s > 0 && f.path != "-" && f.path.find('%') == std::string::npos)
      return c.fail(key, "rotation by interval: '" + f.path + "' needs strftime fields to name each file "
                    "(for example argus.%Y%m%d-%H%M%S.out)");
  }
  std::set<std::string> collectors;
  for (size_t i = 0; i < cfg.udp.size(); ++i) {
    const std::string key = "outputs.udp[" + std::to_string(i) + "]";
    const UdpOutputConfig& u = cfg.udp[i];
    // The same collector twice would get every record twice.
    if (!collectors.insert(u.address).second) return c.fail(key, "'" + u.address + "' is pushed to twice");
    if (!host_port_ok(u.address))
      return c.fail(key,
                    "'" + u.address + "' is not HOST[:PORT] (argus-udp://HOST[:PORT] on the command line)");
    RecordFilter rf;
    std::string why;
    if (!u.filter.empty() && !rf.compile(u.filter, why)) return c.fail(key + ".filter", why);
  }
  // Server settings with no port anywhere are a forgotten port; a port set
  // to 0 on purpose (-P 0 over a file) turns the configured server off.
  if (cfg.server_port == 0 && !c.given("outputs.server.port")) {
    static const char* const kServerOnly[] = {"outputs.server.bind", "outputs.server.allow",
                                              "outputs.server.max_clients", "outputs.server.client_buffer",
                                              "outputs.server.client_timeout", "outputs.server.wait_clients"};
    for (const char* k : kServerOnly)
      if (c.set_apart(k))
        return c.fail(k, "configures the stream server (-B, --allow, --max-clients, --client-buffer, "
                      "--client-timeout and --wait-clients): give -P PORT (outputs.server.port)");
  }
  for (size_t i = 0; i < cfg.server_bind.size(); ++i)
    if (!is_address(cfg.server_bind[i]))
      return c.fail("outputs.server.bind[" + std::to_string(i) + "]",
                    "'" + cfg.server_bind[i] + "' is not an IPv4 or IPv6 address");
  if (cfg.server_port && cfg.server_bind.empty())
    return c.fail("outputs.server.bind", "the server needs an address to listen on (0.0.0.0 or :: for all)");
  for (size_t i = 0; i < cfg.server_allow.size(); ++i) {
    Cidr net;
    std::string why;
    if (!parse_cidr(cfg.server_allow[i], net, why))
      return c.fail("outputs.server.allow[" + std::to_string(i) + "]", why);
  }
  if (cfg.wait_clients > cfg.server_max_clients)
    return c.fail(c.later("outputs.server.wait_clients", "outputs.server.max_clients"),
                  "--wait-clients " + std::to_string(cfg.wait_clients) + " exceeds --max-clients " +
                      std::to_string(cfg.server_max_clients));

  // Process.
  if (cfg.daemon) {
    if (stdin_count) return c.fail("input.files", "a daemon cannot read standard input (-r -)");
    if (stdout_count) return c.fail("outputs.files", "a daemon cannot write standard output (-w -)");
  }
  if (cfg.log_to == "auto" && !cfg.log_file.empty()) cfg.log_to = "file";
  if (cfg.log_to == "file" && cfg.log_file.empty())
    return c.fail("sensor.log.to", "logging to a file needs --log-file PATH (sensor.log.file)");
  if (cfg.log_to != "file" && !cfg.log_file.empty())
    return c.fail("sensor.log.file", "is set but messages go to " + cfg.log_to + " (sensor.log.to: file)");
  return true;
}

// Live capture: each interface is one libpcap can open here (a network
// device, or one of its own such as "any"), so a misspelt name fails
// --check-config rather than the next start.
bool check_interfaces(const SensorConfig& cfg, Checker& c) {
  if (cfg.interfaces.empty()) return true;
  pcap_if_t* all = nullptr;
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  if (pcap_findalldevs(&all, errbuf) != 0) return true;  // cannot tell: opening will say
  std::vector<std::string> names;
  for (const pcap_if_t* d = all; d; d = d->next) names.emplace_back(d->name);
  pcap_freealldevs(all);
  for (size_t i = 0; i < cfg.interfaces.size(); ++i) {
    const std::string& n = cfg.interfaces[i];
    if (std::find(names.begin(), names.end(), n) == names.end()) {
      std::string list;
      for (const std::string& m : names) list += (list.empty() ? "" : ", ") + m;
      return c.fail_host_state(c.item("input.interface", i),
                               "no interface '" + n + "' to capture on here (" + (list.empty() ? "none" : list) + ")");
    }
    // Down: libpcap refuses to capture on it ("That device is not up").
    if (n != "any") {
      const std::string flags_file = "/sys/class/net/" + n + "/flags";
      if (FILE* f = std::fopen(flags_file.c_str(), "r")) {
        unsigned long flags = 0;
        const bool read = std::fscanf(f, "%lx", &flags) == 1;
        std::fclose(f);
        if (read && !(flags & 0x1))  // IFF_UP
          return c.fail_host_state(c.item("input.interface", i),
                                   "interface '" + n + "' is down (ip link set " + n + " up)");
      }
    }
    // The capture filter, compiled as for that interface's link type
    // (Ethernet; Linux cooked capture for "any"): a typo is said here, not
    // at the start of the sensor it would stop.
    if (!cfg.bpf_filter.empty()) {
      pcap_t* dead = pcap_open_dead(n == "any" ? DLT_LINUX_SLL : DLT_EN10MB, 65535);
      bpf_program prog;
      const bool ok = dead && pcap_compile(dead, &prog, cfg.bpf_filter.c_str(), cfg.bpf_optimize ? 1 : 0,
                                           PCAP_NETMASK_UNKNOWN) == 0;
      const std::string why = dead ? pcap_geterr(dead) : "cannot compile";
      if (ok) pcap_freecode(&prog);
      if (dead) pcap_close(dead);
      if (!ok)
        return c.fail("input.filter", "'" + cfg.bpf_filter + "' does not compile for interface '" +
                                          n + "': " + why);
    }
  }
  return true;
}

// -u, -g: the names exist, and whatever the sensor does with its files
// after giving root up (reading the pcap files in turn, rotating, reopening
// on SIGHUP after logrotate moved a file) the user is allowed to do. The pid file needs nothing: it is
// handed to the user, who may then empty it at exit.
bool check_run_as(const SensorConfig& cfg, Checker& c) {
  if (cfg.user.empty() && cfg.group.empty()) return true;
  RunAs as;
  std::string why;
  if (!resolve_run_as(cfg.user, "", as, why)) return c.fail("sensor.user", why);
  if (!resolve_run_as(cfg.user, cfg.group, as, why)) return c.fail("sensor.group", why);
  if (!as.active()) return true;  // started as that user already
  struct Need {
    std::string key;
    std::string what;  // "directory 'D' is not writable"
  };
  std::vector<AccessCheck> checks;
  std::vector<Need> needs;
  // A file's directory (where it is created anew), and the file itself when
  // it exists already (reopened in place). A name with strftime fields
  // (interval rotation) stands for files to come: its directory alone,
  // unless that has fields of its own.
  auto need = [&](const std::string& key, const std::string& path, const std::string& what) {
    if (path.empty() || path == "-") return;
    const std::string dir = dir_of(path);
    if (dir.find('%') != std::string::npos) return;
    checks.push_back({dir, W_OK | X_OK});
    needs.push_back({key, "directory '" + dir + "' is not writable"});
    struct stat st;
    if (path.find('%') == std::string::npos && ::stat(path.c_str(), &st) == 0) {
      checks.push_back({path, W_OK});
      needs.push_back({key, what + " '" + path + "' is not writable"});
    }
  };
  // Files after the first are opened as the replay reaches them.
  for (size_t i = 0; i < cfg.read_files.size(); ++i) {
    if (cfg.read_files[i] == "-") continue;
    checks.push_back({cfg.read_files[i], R_OK});
    needs.push_back({c.item("input.files", i), "pcap file '" + cfg.read_files[i] + "' is not readable"});
  }
  for (size_t i = 0; i < cfg.files.size(); ++i)
    need(c.item("outputs.files", i), path_outside(cfg, cfg.files[i].path), "output file");
  need("sensor.log.file", cfg.log_file, "log file");
  int error = 0;
  const int bad = first_denied(as, checks, error);
  if (bad < 0) return true;
  const std::string who = as.change_user ? "user '" + as.user + "' (-u)" : "group '" + as.group + "' (-g)";
  return c.fail(needs[static_cast<size_t>(bad)].key,
                needs[static_cast<size_t>(bad)].what + " by " + who + ": " + std::strerror(error) +
                    "; the sensor reads its inputs and creates and reopens its files as that user "
                    "(rotation, SIGHUP after logrotate)");
}

// The memory limit of this process's cgroup (v2 memory.max, v1
// memory.limit_in_bytes), the smallest along its path up to the root, in
// bytes; 0 when there is none. A service's MemoryMax= or a container's limit
// ends a sensor by the OOM killer, with nothing written, well before the
// machine's memory is used up.
double cgroup_memory_limit() {
  FILE* f = std::fopen("/proc/self/cgroup", "r");
  if (!f) return 0;
  double limit = 0;
  char line[4096];
  auto consider = [&limit](const std::string& file) {
    FILE* m = std::fopen(file.c_str(), "r");
    if (!m) return;
    char value[64] = {};
    if (std::fgets(value, sizeof value, m) && std::strncmp(value, "max", 3) != 0) {
      const double v = std::strtod(value, nullptr);
      if (v > 0 && v < 9.0e18 && (limit == 0 || v < limit)) limit = v;  // v1 "no limit" is near 2^63
    }
    std::fclose(m);
  };
  while (std::fgets(line, sizeof line, f)) {
    std::string l(line);
    if (!l.empty() && l.back() == '\n') l.pop_back();
    const size_t a = l.find(':'), b = a == std::string::npos ? a : l.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = l.substr(a + 1, b - a - 1);
    std::string path = l.substr(b + 1);
    std::string root, file;
    if (controllers.empty()) {
      root = "/sys/fs/cgroup";
      file = "memory.max";
    } else if (("," + controllers + ",").find(",memory,") != std::string::npos) {
      root = "/sys/fs/cgroup/memory";
      file = "memory.limit_in_bytes";
    } else {
      continue;
    }
    // Inside a cgroup namespace the path may not exist under the mount: its
    // root is then the process's own group, which is looked at as well.
    for (;;) {
      consider(root + path + (path.empty() || path.back() == '/' ? "" : "/") + file);
      if (path.empty() || path == "/") break;
      const size_t slash = path.rfind('/');
      path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
    }
  }
  std::fclose(f);
  return limit;
}

bool check_host(const SensorConfig& cfg, Checker& c) {
  if (!cfg.chroot.empty()) {
    struct stat dir;
    if (::stat(cfg.chroot.c_str(), &dir) != 0 || !S_ISDIR(dir.st_mode))
      return c.fail("sensor.chroot", "'" + cfg.chroot + "' is not a directory");
    if (::geteuid() != 0) return c.fail("sensor.chroot", "confining the sensor to a directory (chroot) needs root");
  }
  for (size_t i = 0; i < cfg.read_files.size(); ++i) {
    const std::string& f = cfg.read_files[i];
    if (f != "-" && ::access(f.c_str(), R_OK) != 0)
      return c.fail(c.item("input.files", i), "cannot read pcap file '" + f + "': " + std::strerror(errno));
    if (f != "-" && is_dir(f)) return c.fail(c.item("input.files", i), "cannot read pcap file '" + f + "': it is a directory");
    // The capture filter compiles for each regular file's link type (a
    // pipe is read once, by the sensor: it is judged then).
    struct stat kind;
    if (cfg.bpf_filter.empty() || f == "-" || ::stat(f.c_str(), &kind) != 0 || !S_ISREG(kind.st_mode)) continue;
    char errbuf[PCAP_ERRBUF_SIZE] = {0};
    pcap_t* p = pcap_open_offline(f.c_str(), errbuf);
    if (!p) continue;  // a damaged file is said when it is read, after the records before it
    bpf_program prog;
    const bool ok = pcap_compile(p, &prog, cfg.bpf_filter.c_str(), cfg.bpf_optimize ? 1 : 0, PCAP_NETMASK_UNKNOWN) == 0;
    const std::string why = ok ? "" : pcap_geterr(p);
    if (ok) pcap_freecode(&prog);
    pcap_close(p);
    if (!ok)
      return c.fail("input.filter", "'" + cfg.bpf_filter + "' does not compile for '" + f + "': " + why);
  }
  // Output files: their directories exist, none is a directory, and no two
  // name the same file (./o.argus and o.argus, a link): that one would get
  // every record twice. Names with strftime fields stand for files to come.
  std::map<std::string, size_t> real_outputs;
  for (size_t i = 0; i < cfg.files.size(); ++i) {
    const std::string path = path_outside(cfg, cfg.files[i].path);
    if (cfg.files[i].path == "-" || path.find('%') != std::string::npos) continue;
    const std::string key = c.item("outputs.files", i);
    if (is_dir(path)) return c.fail(key, "'" + path + "' is a directory");
    const std::string dir = dir_of(path);
    char real[PATH_MAX];
    if (!::realpath(dir.c_str(), real))
      return c.fail(key, "cannot write '" + path + "': directory '" + dir + "' does not exist");
    if (!is_dir(real)) return c.fail(key, "cannot write '" + path + "': '" + dir + "' is not a directory");
    std::string where = std::string(real) + "/" + path.substr(path.rfind('/') + 1);  // (npos + 1 == 0)
    char target[PATH_MAX];
    if (::realpath(path.c_str(), target)) where = target;  // an existing file or link: where it leads
    const auto [it, fresh] = real_outputs.emplace(where, i);
    if (!fresh)
      return c.fail(key, "'" + cfg.files[i].path + "' and '" + cfg.files[it->second].path + "' are the same file");
  }
  struct stat st;
  if (cfg.follow && !cfg.read_files.empty() && cfg.read_files.back() != "-" &&
      (::stat(cfg.read_files.back().c_str(), &st) != 0 || !S_ISREG(st.st_mode)))
    return c.fail(c.item("input.files", cfg.read_files.size() - 1),
                  "'" + cfg.read_files.back() + "' is not a regular file: -f follows a file as it grows");
  const uint32_t cpus = usable_cpus();
  const uint32_t queues = cfg.dpdk_ports.empty() ? 0 : port_queues(cfg, 0);  // a worker each
  if (queues > cpus)
    return c.fail(cfg.dpdk_ports.size() > 1                        ? "input.dpdk.ports"
                  : c.given("input.dpdk.ports[0].rx_queues") ? "input.dpdk.ports[0].rx_queues"
                                                               : "input.dpdk.rx_queues",
                  "more receive queues (" + std::to_string(queues) + ") than CPUs this process may use (" +
                      std::to_string(cpus) + ")");
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) {
    const double machine = static_cast<double>(pages) * static_cast<double>(page);
    const double group = cgroup_memory_limit();
    const bool by_group = group > 0 && group < machine;
    const double mem = by_group ? group : machine;
    const double tables = static_cast<double>(cfg.workers) * static_cast<double>(FlowTable::table_bytes(
        cfg.flow_capacity, cfg.packet_size || cfg.mac || cfg.bidir_timestamps, cfg.user_data_bytes, cfg.jitter));
    const double records = static_cast<double>(cfg.workers) *
                           static_cast<double>(BatchChannel::resident_bytes(record_buffer_batches(cfg),
                                                                            cfg.user_data_bytes > 0));
    // The tables and record buffers are mapped lazily, but full ones are
    // resident: they must fit beside the rest of the system.
    if (tables + records > 0.8 * mem) {
      return c.fail(c.later("outputs.record_buffer", c.later("flows.capacity", "sensor.workers")),
                    std::to_string(cfg.workers) + " worker(s) x " + std::to_string(cfg.flow_capacity) +
                        " flows need " + gib(tables) + " of flow tables and " + gib(records) +
                        " of record buffers (--record-buffer): more than 80% of " +
                        (by_group ? "this process's cgroup memory limit, " : "this machine's ") + gib(mem) +
                        (by_group ? "" : " of memory"));
    }
  }
  if (!cfg.pid_file.empty() && !is_dir(dir_of(cfg.pid_file)))
    return c.fail("sensor.pid_file", "directory '" + dir_of(cfg.pid_file) + "' does not exist");
  if (!cfg.pid_file.empty() && is_dir(cfg.pid_file))
    return c.fail("sensor.pid_file", "'" + cfg.pid_file + "' is a directory: name the file in it");
  if (!cfg.log_file.empty() && !is_dir(dir_of(cfg.log_file)))
    return c.fail("sensor.log.file", "directory '" + dir_of(cfg.log_file) + "' does not exist");
  if (!cfg.log_file.empty() && is_dir(cfg.log_file))
    return c.fail("sensor.log.file", "'" + cfg.log_file + "' is a directory: name the file in it");
  return check_interfaces(cfg, c) && check_run_as(cfg, c);
}

// Ethernet, IPv4 and TCP headers without options: the least a packet puts
// before its payload, which is where -U's user data starts.
constexpr uint32_t kLeastHeaderBytes = 14 + 20 + 20;

}  // namespace

bool validate_config(SensorConfig& cfg, const ConfigOrigins& origins, ValidateScope scope, std::string& err,
                     ConfigFault* fault) {
  Checker c(cfg, origins, err);
  if (fault) *fault = ConfigFault::kConfig;
  cfg.notes.clear();
  if (!cfg.interfaces.empty() && cfg.user_data_bytes > 0 && cfg.snaplen < kLeastHeaderBytes + cfg.user_data_bytes)
    cfg.notes.push_back("snap length " + std::to_string(cfg.snaplen) + " (-s) keeps at most " +
                        std::to_string(cfg.snaplen - kLeastHeaderBytes) +
                        " payload bytes of an Ethernet/IPv4/TCP packet: the " + std::to_string(cfg.user_data_bytes) +
                        " bytes of user data asked for (-U) will be cut short; -s " +
                        std::to_string(cfg.user_data_bytes + 128) + " leaves room for IPv6 and TCP options");
  // A kernel buffer that holds a few hundred packets at most drops at the
  // first burst; said, not refused (a quiet link may do with it).
  constexpr uint64_t kSmallCaptureBuffer = 1 << 20;
  if (!cfg.interfaces.empty() && cfg.pcap_buffer_bytes > 0 && cfg.pcap_buffer_bytes < kSmallCaptureBuffer)
    cfg.notes.push_back("a kernel capture buffer of " + std::to_string(cfg.pcap_buffer_bytes) +
                        " bytes (--pcap-buffer) holds at most " +
                        std::to_string(cfg.pcap_buffer_bytes / 1514) +
                        " full-size Ethernet frames: a burst the capture thread does not drain at once is "
                        "dropped (capture.dropped); 0 keeps libpcap's default");
  // Where a daemon's messages go, if nowhere: said before it detaches.
  if (cfg.daemon && cfg.log_to == "stderr")
    cfg.notes.push_back("a daemon's standard error is /dev/null: with --log stderr its messages, the summary "
                        "included, are lost (--log syslog or --log file)");
  if (!check_portable(cfg, c)) return false;
  if (scope == ValidateScope::kPortable) return true;
  struct stat log_socket;
  const bool to_syslog = cfg.log_to == "syslog" || (cfg.log_to == "auto" && cfg.daemon);
  if (to_syslog && ::stat("/dev/log", &log_socket) != 0)
    cfg.notes.push_back("no syslog socket here (/dev/log): the messages sent to syslog, the summary included, "
                        "are lost (--log file --log-file FILE)");
  const bool ok = check_host(cfg, c);
  if (!ok && fault && c.host_state()) *fault = ConfigFault::kHostState;
  return ok;
}

std::string path_outside(const SensorConfig& cfg, const std::string& path) {
  if (cfg.chroot.empty() || path.empty() || path == "-") return path;
  const bool slash = !cfg.chroot.empty() && cfg.chroot.back() == '/';
  const std::string root = slash ? cfg.chroot.substr(0, cfg.chroot.size() - 1) : cfg.chroot;
  return root + (path[0] == '/' ? path : "/" + path);
}

FlowTableConfig flow_table_config(const SensorConfig& cfg, uint32_t index) {
  FlowTableConfig t;
  t.capacity = cfg.flow_capacity;
  t.status_interval_ns = seconds_to_ns(cfg.status_interval_s);
  for (size_t i = 0; i < kIdleClassCount; ++i) t.idle_timeout_ns[i] = seconds_to_ns(cfg.idle_timeout_s[i]);
  t.full_policy = cfg.full_policy == "drop" ? FullPolicy::kDropNew : FullPolicy::kEvictOldest;
  t.flow_id_base = index + 1;
  t.flow_id_stride = cfg.workers;
  t.hash_seed = 0x5eed5eed12345678ULL ^ (uint64_t{index} * 0x9e3779b97f4a7c15ULL);
  t.extra_metrics = cfg.packet_size || cfg.mac || cfg.bidir_timestamps;
  t.user_bytes = cfg.user_data_bytes;
  t.jitter = cfg.jitter;
  t.start_records = cfg.start_records;
  t.track_duplicates = cfg.track_duplicates;
  t.unidirectional = cfg.flow_type == "unidirectional";
  t.matrix = cfg.flow_key == "layer_3_matrix";
  return t;
}

uint32_t port_queues(const SensorConfig& cfg, size_t i) {
  return cfg.dpdk_ports[i].rx_queues ? cfg.dpdk_ports[i].rx_queues : cfg.rx_queues;
}

uint32_t total_queues(const SensorConfig& cfg) {
  uint32_t n = 0;
  for (size_t i = 0; i < cfg.dpdk_ports.size(); ++i) n += port_queues(cfg, i);
  return n;
}

bool live_input(const SensorConfig& cfg) {
  return !cfg.interfaces.empty() || (!cfg.dpdk_ports.empty() && std::llround(cfg.exit_when_idle_s * 1000) == 0);
}

uint32_t record_buffer_batches(const SensorConfig& cfg) {
  if (cfg.record_buffer) return BatchChannel::batches_for(cfg.record_buffer);
  if (!live_input(cfg)) return BatchChannel::kDefaultBatches;
  const uint32_t b = BatchChannel::batches_for(cfg.flow_capacity);
  return b < BatchChannel::kDefaultBatches ? BatchChannel::kDefaultBatches : b;
}

std::string udp_url(const std::string& host_port) { return "argus-udp://" + host_port; }

}  // namespace argos
