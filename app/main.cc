// argos: Argus-compatible flow sensor. main() turns the command line into a
// validated SensorConfig, opens inputs and outputs (failing before any packet
// is read), starts the export thread and the workers, and prints the final
// counters.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <pthread.h>
#include <thread>
#include <vector>

#include "app/core_plan.h"
#include "config/sensor_config.h"
#include "dataplane/dispatch.h"
#include "dataplane/paced_source.h"
#include "dataplane/pcap_live.h"
#if ARGOS_HAVE_DPDK
#include "dataplane/dpdk_source.h"
#endif
#include "dataplane/pcap_source.h"
#include "dataplane/worker.h"
#include "export/exporter.h"
#include "export/file_sink.h"
#include "export/stream_server.h"
#include "export/udp_sink.h"
#include "flowtable/flow_table.h"

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reopen{false};

extern "C" void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }
extern "C" void on_hangup(int) { g_reopen.store(true, std::memory_order_relaxed); }

constexpr const char* kUsage =
    "usage: argos -r FILE [FILE...] -w OUT [options] [filter expression]\n"
    "       argos -i IFACE -w OUT [options] [filter expression]\n"
    "\n"
    "Reads packets from pcap/pcapng files or captures them live on an interface\n"
    "and writes Argus v3 flow records.\n"
    "\n"
    "  -r FILE...       read packets from these files in order ('-' = standard input)\n"
    "  -i IFACE         capture live on this interface through libpcap (SIGINT or\n"
    "                   SIGTERM ends the capture; several workers share it by\n"
    "                   software dispatch)\n"
    "  -p               do not put the interface into promiscuous mode\n"
    "  -i dpdk:PORT     receive from a DPDK port (PCI address or vdev name) set up\n"
    "                   with --eal \"EAL ARGS\"; --rx-queues N queues with symmetric\n"
    "                   RSS, one worker each (default 1 queue; more workers then\n"
    "                   share it by software dispatch); --exit-when-idle MS ends\n"
    "                   the input after MS without a packet (replay through net_pcap);\n"
    "                   --mbufs N sizes the mbuf pool (net_pcap's infinite_rx needs\n"
    "                   one per packet of the file)\n"
    "  --cores LIST     CPUs for the workers (then the export and main threads),\n"
    "                   comma-separated; default: planned from the machine's\n"
    "                   topology (NIC's NUMA node first, one per physical core)\n"
    "  --no-pin         do not pin threads to CPUs\n"
    "  --stats-interval SECS  print a counters line every SECS (default 0: off)\n"
    "  -s SNAPLEN       bytes captured per packet, live (default 2048, 64..65535)\n"
    "  --pcap-buffer BYTES  kernel capture buffer size, live (default: libpcap's)\n"
    "  -w OUT           write records to OUT, appending as argus does ('-' = standard\n"
    "                   output); repeat for several outputs\n"
    "  -w argus-udp://HOST[:PORT]  push every record to HOST as one UDP datagram\n"
    "                   (port 561 by default), the start MAR first\n"
    "  -P PORT          serve records to Argus clients (ra -S, radium) on this TCP port\n"
    "  -B ADDR[,ADDR]   addresses the server listens on (default 127.0.0.1: loopback\n"
    "                   only, unlike argus; -B 0.0.0.0 or -B :: for every address)\n"
    "  --allow NET[,NET]  client networks allowed to connect (CIDR, IPv4 or IPv6;\n"
    "                   repeatable; default: any); others get the access-denied MAR\n"
    "  --max-clients N  stream clients at once (default 10); the next is refused\n"
    "  --client-buffer BYTES  bytes queued per client (default 8 MiB); a client\n"
    "                   that falls that far behind is disconnected\n"
    "  --wait-clients N read no input until N clients have sent START: (serving a\n"
    "                   replay from its first record)\n"
    "  -T FACTOR        replay files at packet-time pace x FACTOR (1 = real time),\n"
    "                   so collectors follow a recorded capture as if live\n"
    "  --rotate-size BYTES  start a new output file (NAME.1, NAME.2, ...) before one\n"
    "                   would grow past BYTES\n"
    "  --rotate-interval SECS  start a new output file at every multiple of SECS of\n"
    "                   wall-clock time; -w names it with strftime fields (local\n"
    "                   time), e.g. -w argus.%Y%m%d-%H.out --rotate-interval 3600;\n"
    "                   SIGHUP reopens the output files (for logrotate)\n"
    "  -S SECS          flow status interval (default 5; fractions allowed)\n"
    "  -M SECS          MAR (management record) interval (default 60)\n"
    "  -e ID            source id: integer, IPv4 address or \"abcd\" string\n"
    "  -X               start from built-in defaults (accepted for argus scripts)\n"
    "  --workers N      worker threads, each with its own flow table (default 1)\n"
    "  --flows N        flow-table capacity per worker (default 1048576)\n"
    "  --full-policy P  when a table is full: evict (report the idlest flow of the\n"
    "                   bucket, default) or drop (count and drop the new flow)\n"
    "  -h, --help       this text\n"
    "\n"
    "The trailing words form a tcpdump/BPF filter applied to input packets.\n"
    "Exit status: 0 success, 1 damaged input (records before the damage are\n"
    "written), 2 usage or configuration error.\n";

// Pins the calling thread to one CPU (a PU's OS index). Best effort: a
// failure (a cgroup without that CPU, say) leaves the thread unpinned.
void pin_self(uint32_t pu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(pu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

bool parse_seconds(const char* s, double& out) {
  char* end = nullptr;
  out = std::strtod(s, &end);
  return end != s && *end == '\0';
}

bool parse_u32(const char* s, uint32_t& out) {
  char* end = nullptr;
  const unsigned long v = std::strtoul(s, &end, 10);
  if (end == s || *end || s[0] == '-' || v > 0xffffffffUL) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

// "a/b/c": one counter per worker or queue, for the stats line.
std::string slash_list(const std::vector<uint64_t>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += '/';
    out += std::to_string(v[i]);
  }
  return out.empty() ? "0" : out;
}

bool is_regular_or_fifo(const char* path) {
  struct stat st;
  return ::stat(path, &st) == 0 && (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode));
}

// Fills cfg from argv. Returns 0 to go on, 1 for -h (exit 0), 2 on error.
// Live capture options (-i): the interface stands in for the -r files.
struct LiveOptions {
  std::string interface;
  bool promiscuous = true;
  uint32_t snaplen = 2048;
  uint32_t buffer_bytes = 0;
  // DPDK (-i dpdk:PORT): the port, the EAL arguments, receive queues, and
  // for replay through net_pcap the idle time that ends the input.
  std::string dpdk_port;
  std::string eal;
  uint32_t rx_queues = 1;
  uint32_t exit_when_idle_ms = 0;
  uint32_t mbufs = 0;  // DPDK mbuf pool size, 0 = sized from the rings
  // Threads: explicit cores (PU numbers) or no pinning; the stats line.
  std::vector<uint32_t> cores;
  bool pin = true;
  double stats_interval_s = 0;
  // Stream server (-P): bind addresses, allow-list, limits; and how many
  // clients must have started before the input is read (--wait-clients).
  argos::StreamServerConfig server;
  bool bind_given = false;
  uint32_t wait_clients = 0;
  double pace_factor = 0;  // -T: replay at packet-time pace x factor, 0 = as fast as possible
  argos::FileRotation rotation;  // --rotate-size, --rotate-interval: every file output
};

// Splits "a,b,c" into words (empty words dropped).
std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream list(s);
  while (std::getline(list, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

int parse_args(int argc, char** argv, argos::SensorConfig& cfg, LiveOptions& live, std::string& err) {
  std::vector<std::string> filter_words;
  // Whole-number options: the flag, its range and where the value goes; one
  // parse and one range message serve them all.
  struct IntOption {
    const char* flag;
    uint32_t min, max;  // max == UINT32_MAX: no upper bound of our own
    std::function<void(uint32_t)> set;
  };
  const IntOption int_options[] = {
      {"--workers", 0, UINT32_MAX, [&](uint32_t n) { cfg.workers = n; }},  // judged by validate_config
      {"--flows", 0, UINT32_MAX, [&](uint32_t n) { cfg.flow_capacity = n; }},
      {"--rx-queues", 1, 64, [&](uint32_t n) { live.rx_queues = n; }},
      {"--exit-when-idle", 0, UINT32_MAX, [&](uint32_t n) { live.exit_when_idle_ms = n; }},
      {"--mbufs", 1024, 1u << 28, [&](uint32_t n) { live.mbufs = n; }},
      {"-s", 64, 65535, [&](uint32_t n) { live.snaplen = n; }},
      {"--pcap-buffer", 65536, 1u << 31, [&](uint32_t n) { live.buffer_bytes = n; }},
      {"-P", 1, 65535, [&](uint32_t n) { cfg.access_port = live.server.port = static_cast<uint16_t>(n); }},
      {"--max-clients", 1, 1024, [&](uint32_t n) { live.server.max_clients = n; }},
      {"--client-buffer", 65536, 1u << 30, [&](uint32_t n) { live.server.client_buffer_bytes = n; }},
      {"--wait-clients", 0, UINT32_MAX, [&](uint32_t n) { live.wait_clients = n; }},
      {"--rotate-size", 4096, UINT32_MAX, [&](uint32_t n) { live.rotation.max_bytes = n; }},
      {"--rotate-interval", 1, UINT32_MAX, [&](uint32_t n) { live.rotation.interval_s = n; }},
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto need = [&](const char* what) -> const char* {
      if (i + 1 >= argc) {
        err = a + " needs " + what;
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") return 1;
    const IntOption* int_opt = nullptr;
    for (const IntOption& o : int_options)
      if (a == o.flag) int_opt = &o;
    if (int_opt) {
      const char* v = need("a number");
      if (!v) return 2;
      uint32_t n;
      if (!parse_u32(v, n)) {
        err = a + ": '" + v + "' is not a whole number";
        return 2;
      }
      if (n < int_opt->min || n > int_opt->max) {
        err = a + ": '" + v + "' is " +
              (int_opt->max == UINT32_MAX ? "too small: at least " + std::to_string(int_opt->min)
                                          : "not between " + std::to_string(int_opt->min) + " and " +
                                                std::to_string(int_opt->max));
        return 2;
      }
      int_opt->set(n);
      continue;
    }
    if (a == "-X") continue;
    if (a == "-r") {
      const char* f = need("a file name");
      if (!f) return 2;
      cfg.read_files.emplace_back(f);
      // argus reads "-r a.pcap b.pcap": further words naming files are inputs.
      while (i + 1 < argc && argv[i + 1][0] != '-' && is_regular_or_fifo(argv[i + 1]))
        cfg.read_files.emplace_back(argv[++i]);
      continue;
    }
    if (a == "-i") {
      const char* f = need("an interface name");
      if (!f) return 2;
      if (!live.interface.empty() || !live.dpdk_port.empty()) {
        err = "-i: one interface at a time";
        return 2;
      }
      if (std::strncmp(f, "dpdk:", 5) == 0) {
        live.dpdk_port = f + 5;
        if (live.dpdk_port.empty()) {
          err = "-i dpdk:PORT needs a PCI address or a vdev name";
          return 2;
        }
      } else {
        live.interface = f;
      }
      continue;
    }
    if (a == "--cores") {
      const char* v = need("a comma-separated list of CPU numbers");
      if (!v) return 2;
      std::string item;
      std::istringstream list(v);
      while (std::getline(list, item, ',')) {
        uint32_t n;
        if (!parse_u32(item.c_str(), n)) {
          err = std::string("--cores: '") + v + "' is not a list of CPU numbers";
          return 2;
        }
        live.cores.push_back(n);
      }
      continue;
    }
    if (a == "--no-pin") {
      live.pin = false;
      continue;
    }
    if (a == "--stats-interval") {
      const char* v = need("seconds");
      if (!v) return 2;
      if (!parse_seconds(v, live.stats_interval_s) || live.stats_interval_s < 0 || live.stats_interval_s > 86400) {
        err = std::string("--stats-interval: '") + v + "' is not a number of seconds (0 = off)";
        return 2;
      }
      continue;
    }
    if (a == "--eal") {
      const char* v = need("EAL arguments (one quoted word)");
      if (!v) return 2;
      live.eal = v;
      continue;
    }
    if (a == "-p") {
      live.promiscuous = false;
      continue;
    }
    if (a == "-T") {
      const char* v = need("a speed factor");
      if (!v) return 2;
      if (!parse_seconds(v, live.pace_factor) || !(live.pace_factor >= 0.001 && live.pace_factor <= 1e6)) {
        err = std::string("-T: '") + v + "' is not a speed factor between 0.001 and 1000000";
        return 2;
      }
      continue;
    }
    if (a == "-B") {
      const char* v = need("an address");
      if (!v) return 2;
      if (!live.bind_given) live.server.bind_addrs.clear();
      live.bind_given = true;
      for (const auto& w : split_commas(v)) live.server.bind_addrs.push_back(w);
      continue;
    }
    if (a == "--allow") {
      const char* v = need("a network (ADDR/BITS)");
      if (!v) return 2;
      for (const auto& w : split_commas(v)) {
        argos::Cidr c;
        std::string why;
        if (!argos::parse_cidr(w, c, why)) {
          err = "--allow: " + why;
          return 2;
        }
        live.server.allow.push_back(c);
      }
      continue;
    }
    if (a == "-w") {
      const char* f = need("a file name");
      if (!f) return 2;
      cfg.output_files.emplace_back(f);
      continue;
    }
    if (a == "-S" || a == "-M") {
      const char* v = need("seconds");
      if (!v) return 2;
      double s;
      if (!parse_seconds(v, s)) {
        err = a + ": '" + v + "' is not a number of seconds";
        return 2;
      }
      (a == "-S" ? cfg.status_interval_s : cfg.mar_interval_s) = s;
      continue;
    }
    if (a == "-e") {
      const char* v = need("a source id");
      if (!v) return 2;
      cfg.monitor_id_text = v;
      if (!argos::parse_source_id(v, cfg.monitor_id)) {
        err = std::string("-e: '") + v + "' is not an integer, an IPv4 address or a quoted string";
        return 2;
      }
      continue;
    }
    if (a == "--full-policy") {
      const char* v = need("drop or evict");
      if (!v) return 2;
      if (std::strcmp(v, "drop") == 0) {
        cfg.full_policy = argos::FullPolicy::kDropNew;
      } else if (std::strcmp(v, "evict") == 0) {
        cfg.full_policy = argos::FullPolicy::kEvictOldest;
      } else {
        err = std::string("--full-policy: '") + v + "' is neither drop nor evict";
        return 2;
      }
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      err = "unknown option " + a;
      return 2;
    }
    filter_words.push_back(a);
  }
  for (size_t i = 0; i < filter_words.size(); ++i)
    cfg.bpf_filter += (i ? " " : "") + filter_words[i];
  if (live.rotation.interval_s)
    for (const auto& f : cfg.output_files)
      if (f != "-" && !argos::is_udp_output(f) && f.find('%') == std::string::npos) {
        err = "--rotate-interval: -w " + f + " needs strftime fields to name each file "
              "(for example argus.%Y%m%d-%H%M%S.out)";
        return 2;
      }
  if (live.pace_factor > 0 && cfg.read_files.empty()) {
    err = "-T paces the replay of files: give -r FILE";
    return 2;
  }
  if (cfg.access_port == 0 && (live.bind_given || !live.server.allow.empty() || live.wait_clients)) {
    err = "-B, --allow and --wait-clients configure the stream server: give -P PORT";
    return 2;
  }
  if (live.wait_clients > live.server.max_clients) {
    err = "--wait-clients " + std::to_string(live.wait_clients) + " exceeds --max-clients " +
          std::to_string(live.server.max_clients);
    return 2;
  }
  if (!live.dpdk_port.empty()) {
    if (!cfg.read_files.empty()) {
      err = "-i dpdk: and -r exclude each other";
      return 2;
    }
    if (!cfg.bpf_filter.empty()) {
      err = "a filter expression applies to libpcap inputs (-r, -i IFACE), not to DPDK ports";
      return 2;
    }
    if (live.rx_queues > 1 && live.rx_queues != cfg.workers) {
      err = "--rx-queues " + std::to_string(live.rx_queues) + " needs --workers " +
            std::to_string(live.rx_queues) + ": one worker per receive queue (with one queue, "
            "several workers share it by software dispatch)";
      return 2;
    }
  } else if (!live.interface.empty()) {
    if (!cfg.read_files.empty()) {
      err = "-i and -r exclude each other: capture live or read files";
      return 2;
    }
  } else if (cfg.read_files.empty()) {
    err = "no input: give -r FILE (or -r - for standard input), -i IFACE or -i dpdk:PORT";
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace argos;
  // First thing: a stop asked for during start-up (EAL, table set-up) is
  // kept and honoured as soon as the workers run. (A shell starts background
  // jobs with SIGINT ignored; installing the handler replaces that too.)
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_hangup);  // reopen the output files (logrotate)
  SensorConfig cfg;
  LiveOptions live_opts;
  std::string err;
  const int pa = parse_args(argc, argv, cfg, live_opts, err);
  if (pa == 1) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const bool live = !live_opts.interface.empty();
  const bool dpdk = !live_opts.dpdk_port.empty();
  // validate_config judges the file inputs; a live interface stands in for them.
  SensorConfig checked = cfg;
  if (live) checked.read_files = {live_opts.interface};
  if (dpdk) checked.read_files = {live_opts.dpdk_port};
  if (pa == 2 || !validate_config(checked, err)) {
    std::fprintf(stderr, "argos: %s\n(argos -h for usage)\n", err.c_str());
    return 2;
  }

  // Inputs and outputs are checked before any packet is read.
  PcapFileSource source(cfg.read_files, cfg.bpf_filter);
  PcapLiveConfig lcfg;
  lcfg.interface = live_opts.interface;
  lcfg.bpf_filter = cfg.bpf_filter;
  lcfg.snaplen = live_opts.snaplen;
  lcfg.promiscuous = live_opts.promiscuous;
  lcfg.buffer_bytes = live_opts.buffer_bytes;
  PcapLiveSource live_source(lcfg);
#if ARGOS_HAVE_DPDK
  // DPDK: the EAL from --eal, then the port with its queues (symmetric RSS
  // when there are several), all before any output is opened.
  int dpdk_port = -1;
  if (dpdk) {
    std::vector<std::string> eal_args = {"argos"};
    std::istringstream words(live_opts.eal);
    for (std::string w; words >> w;) eal_args.push_back(w);
    std::string note;
    if (!dpdk_eal_init(eal_args, err) ||
        (dpdk_port = dpdk_port_open(live_opts.dpdk_port, static_cast<uint16_t>(live_opts.rx_queues),
                                     live_opts.mbufs, note, err)) < 0) {
      std::fprintf(stderr, "argos: %s\n", err.c_str());
      return 2;
    }
    if (!note.empty()) std::fprintf(stderr, "argos: note: %s\n", note.c_str());
  }
#else
  if (dpdk) {
    std::fprintf(stderr, "argos: -i dpdk:%s: this argos was built without DPDK (meson option dpdk)\n",
                 live_opts.dpdk_port.c_str());
    return 2;
  }
#endif
  if (!dpdk && (live ? !live_source.open(err) : !source.validate(err))) {
    std::fprintf(stderr, "argos: %s\n", err.c_str());
    return 2;
  }
  // Core plan (hwloc): workers on the NIC's NUMA node first, one per
  // physical core, the export and main threads off the worker cores; an
  // explicit --cores list wins. Computed before anything starts.
  CorePlan plan;
  bool pinned = false;
  Topology topo;  // kept: the flow tables are bound to nodes with it below
  if (live_opts.pin) {
    CorePlanRequest req;
    req.workers = cfg.workers;
    req.core_list = live_opts.cores;
#if ARGOS_HAVE_DPDK
    if (dpdk) req.nic_numa_node = dpdk_port_numa_node(static_cast<uint16_t>(dpdk_port));
#endif
    if (!load_machine_topology(topo, err) || !plan_cores(topo.get(), req, plan, err)) {
      std::fprintf(stderr, "argos: core plan: %s\n", err.c_str());
      return 2;
    }
    for (const auto& w : plan.warnings) std::fprintf(stderr, "argos: core plan: %s\n", w.c_str());
    pinned = true;
  }
  auto pin_worker = [&](uint32_t w) {
    if (pinned) pin_self(plan.workers[w].pu);
  };

  // Outputs, all opened (and the server listening) before any packet is
  // read: files, UDP push, the stream server.
  std::vector<std::unique_ptr<FileSink>> sinks;
  std::vector<std::unique_ptr<UdpSink>> udp_sinks;
  std::vector<RecordSink*> sink_ptrs;
  for (const auto& path : cfg.output_files) {
    if (is_udp_output(path)) {
      auto u = std::make_unique<UdpSink>();
      if (!u->open(path, err)) {
        std::fprintf(stderr, "argos: -w %s\n", err.c_str());
        return 2;
      }
      sink_ptrs.push_back(u.get());
      udp_sinks.push_back(std::move(u));
      continue;
    }
    auto s = std::make_unique<FileSink>();
    if (!s->open(path, err, live_opts.rotation)) {
      std::fprintf(stderr, "argos: %s\n", err.c_str());
      return 2;
    }
    sink_ptrs.push_back(s.get());
    sinks.push_back(std::move(s));
  }
  std::unique_ptr<StreamServer> server;
  if (cfg.access_port) {
    server = std::make_unique<StreamServer>(live_opts.server);
    if (!server->open(err)) {
      std::fprintf(stderr, "argos: -P %u: %s\n", cfg.access_port, err.c_str());
      return 2;
    }
    sink_ptrs.push_back(server.get());
    std::string where;
    for (const auto& b : live_opts.server.bind_addrs)
      where += (where.empty() ? "" : ", ") + (b.find(':') != std::string::npos ? "[" + b + "]" : b) + ":" +
               std::to_string(server->port());
    std::fprintf(stderr, "argos: serving Argus records on %s\n", where.c_str());
  }

  const uint32_t nw = cfg.workers;
  std::vector<std::unique_ptr<FlowTable>> tables;
  std::vector<std::unique_ptr<BatchChannel>> channels;
  std::vector<std::unique_ptr<WorkerCounters>> counters;
  std::vector<BatchChannel*> channel_ptrs;
  for (uint32_t w = 0; w < nw; ++w) {
    tables.push_back(std::make_unique<FlowTable>(flow_table_config(cfg, w)));
    if (!tables.back()->ok()) {
      std::fprintf(stderr, "argos: cannot allocate a flow table of %u flows (worker %u)\n",
                   cfg.flow_capacity, w);
      return 2;
    }
    channels.push_back(std::make_unique<BatchChannel>());
    if (!channels.back()->ok()) {
      std::fprintf(stderr, "argos: cannot allocate the record batches of worker %u\n", w);
      return 2;
    }
    channel_ptrs.push_back(channels.back().get());
    counters.push_back(std::make_unique<WorkerCounters>());
    // The table and the batch pool on the worker's NUMA node, bound before
    // the worker first touches them. Best effort: a kernel without NUMA
    // support leaves them where first touched (the pinned worker's node).
    const int node = pinned ? plan.workers[w].numa_node : -1;
    if (node >= 0) {
      std::string why;
      const FlowTable::MemoryRegion regions[] = {
          tables[w]->bucket_memory(), tables[w]->entry_memory(),
          {channels[w]->region(), channels[w]->region_bytes()}};
      for (const auto& r : regions) {
        if (!bind_memory_to_node(topo.get(), r.addr, r.bytes, node, why)) {
          if (w == 0) std::fprintf(stderr, "argos: note: flow tables not bound to NUMA nodes: %s\n", why.c_str());
          break;
        }
      }
    }
  }


  ExportConfig ecfg;
  ecfg.encode.srcid = cfg.monitor_id;
  ecfg.report_interval_s = static_cast<uint16_t>(cfg.status_interval_s + 0.5);
  ecfg.mar_interval_s = static_cast<uint16_t>(cfg.mar_interval_s + 0.5);
  ecfg.mar_interval_ns = static_cast<uint64_t>(cfg.mar_interval_s * 1e9);
  const int linktype = dpdk ? kLinkEthernet : live ? live_source.linktype() : source.first_linktype();
  ecfg.interface_type = static_cast<uint8_t>(linktype < 0 ? 1 : linktype);
  ecfg.start_wall_ns = wall_clock_ns();
  ecfg.reopen_request = &g_reopen;
  auto mar_counters = [&counters]() {
    MarCounters m;
    for (const auto& c : counters) {
      m.pkts += c->get(WorkerCounter::kPackets);
      m.bytes += c->get(WorkerCounter::kBytes);
      m.dropped += c->get(WorkerCounter::kRecordsDropped);
      m.flows += c->get(WorkerCounter::kFlows);
    }
    return m;
  };
  Exporter exporter(ecfg, channel_ptrs, sink_ptrs, mar_counters);
  exporter.write_start();
  std::thread export_thread([&] {
    if (pinned) pin_self(plan.export_thread.pu);
    exporter.run();
  });
  if (pinned) pin_self(plan.main_thread.pu);

  // Optional periodic stats line (--stats-interval), from the workers'
  // relaxed counters and the port's, one value per worker or queue where
  // they differ ("a/b"); off by default.
  auto stats_line = [&]() {
    uint64_t p = 0, b = 0, r = 0, d = 0;
    std::vector<uint64_t> wp, wrej, wflows, wbatches;
    for (const auto& c : counters) {
      p += c->get(WorkerCounter::kPackets);
      b += c->get(WorkerCounter::kBytes);
      r += c->get(WorkerCounter::kRecords);
      d += c->get(WorkerCounter::kRecordsDropped);
      wp.push_back(c->get(WorkerCounter::kPackets));
      wrej.push_back(c->rejected());
      wflows.push_back(c->get(WorkerCounter::kFlows));
      wbatches.push_back(c->get(WorkerCounter::kBatches));
    }
    std::string line = "argos: stats packets=" + std::to_string(p) + " bytes=" + std::to_string(b) +
                       " records=" + std::to_string(r) + " records_dropped=" + std::to_string(d) +
                       " worker_packets=" + slash_list(wp) + " worker_rejected=" + slash_list(wrej) +
                       " worker_flows=" + slash_list(wflows) + " worker_batches=" + slash_list(wbatches);
#if ARGOS_HAVE_DPDK
    DpdkPortStats ps;
    if (dpdk && dpdk_port_stats(static_cast<uint16_t>(dpdk_port), static_cast<uint16_t>(live_opts.rx_queues), ps))
      line += " queue_received=" + slash_list(ps.queue_received) + " queue_errors=" + slash_list(ps.queue_errors) +
              " port_missed=" + std::to_string(ps.missed) + " port_no_mbuf=" + std::to_string(ps.no_mbuf);
#endif
    return line;
  };
  std::atomic<bool> finished{false};
  std::thread stats_thread;
  if (live_opts.stats_interval_s > 0) {
    stats_thread = std::thread([&] {
      const auto period = std::chrono::duration<double>(live_opts.stats_interval_s);
      auto next = std::chrono::steady_clock::now() + period;
      while (!finished.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (std::chrono::steady_clock::now() < next) continue;
        next += period;
        std::fprintf(stderr, "%s\n", stats_line().c_str());
      }
    });
  }

  std::vector<WorkerContext> ctxs(nw);
  for (uint32_t w = 0; w < nw; ++w) {
    WorkerContext& c = ctxs[w];
    c.table = tables[w].get();
    c.channel = channels[w].get();
    c.counters = counters[w].get();
    // Offline replay waits rather than lose records; live capture never
    // stalls (records that find no free batch are dropped and counted).
    // A DPDK port is live unless it replays a file (--exit-when-idle).
    const bool live_port = live || (dpdk && live_opts.exit_when_idle_ms == 0);
    c.batch_policy = live_port ? BatchPolicy::kDrop : BatchPolicy::kWait;
    c.live_clock = live_port;
    c.stop = &g_stop;
  }

  CaptureStats capture;
  bool have_capture_stats = false;
#if ARGOS_HAVE_DPDK
  DpdkPortStats port_stats;
  bool have_port_stats = false;
#endif
  // --wait-clients N: the input waits until N stream clients have started,
  // so they receive every record of a replay.
  while (server && server->started_clients() < live_opts.wait_clients && !g_stop.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(10));

  // Runs a source with every worker: directly with one worker; with several
  // through the software dispatcher (this thread reads and fans packets out
  // by a symmetric flow hash).
  auto run_source = [&](auto& src) {
    if (nw == 1) {
      std::thread worker([&] {
        pin_worker(0);
        run_worker(src, ctxs[0]);
      });
      worker.join();
      return;
    }
    std::vector<std::unique_ptr<PacketRing>> rings;
    std::vector<PacketRing*> ring_ptrs;
    std::vector<std::unique_ptr<RingSource>> ring_sources;
    for (uint32_t w = 0; w < nw; ++w) {
      rings.push_back(std::make_unique<PacketRing>());
      ring_ptrs.push_back(rings.back().get());
      ring_sources.push_back(std::make_unique<RingSource>(*rings.back()));
    }
    std::vector<std::thread> workers;
    for (uint32_t w = 0; w < nw; ++w)
      workers.emplace_back([&, w] {
        pin_worker(w);
        run_worker(*ring_sources[w], ctxs[w]);
      });
    run_dispatcher(src, ring_ptrs, &g_stop);
    for (auto& t : workers) t.join();
  };

  if (dpdk) {
#if ARGOS_HAVE_DPDK
    // One worker per receive queue; a single queue shared by several workers
    // goes through the software dispatcher, as a libpcap source does.
    const uint16_t nq = static_cast<uint16_t>(live_opts.rx_queues);
    std::vector<std::unique_ptr<DpdkRxQueue>> queues;
    for (uint16_t q = 0; q < nq; ++q)
      queues.push_back(std::make_unique<DpdkRxQueue>(static_cast<uint16_t>(dpdk_port), q,
                                                     live_opts.exit_when_idle_ms));
    if (nq > 1) {
      std::vector<std::thread> workers;
      for (uint32_t w = 0; w < nw; ++w)
        workers.emplace_back([&, w] {
          pin_worker(w);
          run_worker(*queues[w], ctxs[w]);
        });
      for (auto& t : workers) t.join();
    } else {
      run_source(*queues[0]);
    }
    have_port_stats = dpdk_port_stats(static_cast<uint16_t>(dpdk_port), nq, port_stats);
#endif
  } else if (live) {
    run_source(live_source);
    // Read once the workers have stopped: reading resets the kernel counters.
    have_capture_stats = live_source.capture_stats(capture);
  } else if (live_opts.pace_factor > 0) {
    PacedSource<PcapFileSource> paced(source, live_opts.pace_factor);
    run_source(paced);
  } else {
    run_source(source);
  }
  export_thread.join();
  finished.store(true, std::memory_order_relaxed);
  if (stats_thread.joinable()) stats_thread.join();

  bool write_ok = true;
  for (auto& s : sinks) {
    const uint64_t lost = s->records_lost();
    if (!s->close()) {
      write_ok = false;
      std::fprintf(stderr, "argos: output '%s': %llu failures, the last: %s\n", s->path().c_str(),
                   static_cast<unsigned long long>(s->write_errors()), s->last_error().c_str());
    }
    if (lost)
      std::fprintf(stderr, "argos: '%s': %llu records lost while no file could be opened\n", s->path().c_str(),
                   static_cast<unsigned long long>(lost));
  }

  // One summary line: totals over the workers, then every non-zero reason.
  uint64_t wc[kWorkerCounterCount] = {};
  uint64_t pc[kParseResultCount] = {};
  uint64_t tc[kTableCounterCount] = {};
  for (uint32_t w = 0; w < nw; ++w) {
    for (unsigned i = 0; i < kWorkerCounterCount; ++i)
      wc[i] += counters[w]->v[i].load(std::memory_order_relaxed);
    for (unsigned i = 0; i < kParseResultCount; ++i)
      pc[i] += counters[w]->parse[i].load(std::memory_order_relaxed);
    for (size_t i = 0; i < kTableCounterCount; ++i)
      tc[i] += tables[w]->counter(static_cast<TableCounter>(i));
  }
  std::string line = "argos: packets=" + std::to_string(wc[0]) + " bytes=" + std::to_string(wc[1]) +
                     " flows=" + std::to_string(tc[static_cast<size_t>(TableCounter::kFlowsCreated)]) +
                     " records=" + std::to_string(exporter.records_written());
  uint64_t rejected = 0;
  for (unsigned i = 1; i < kParseResultCount; ++i) rejected += pc[i];
  line += " parse_rejects=" + std::to_string(rejected);
  for (unsigned i = 1; i < kParseResultCount; ++i)
    if (pc[i]) line += std::string(" ") + parse_result_name(static_cast<ParseResult>(i)) + "=" + std::to_string(pc[i]);
  for (size_t i = 1; i < kTableCounterCount; ++i)
    if (tc[i] || i == static_cast<size_t>(TableCounter::kFullDrops))
      line += std::string(" ") + table_counter_name(static_cast<TableCounter>(i)) + "=" + std::to_string(tc[i]);
  for (unsigned i = 2; i < kWorkerCounterCount; ++i)
    if (i != static_cast<unsigned>(WorkerCounter::kFlows) &&
        (wc[i] || i == static_cast<unsigned>(WorkerCounter::kBatchDrops)))
      line += std::string(" ") + worker_counter_name(static_cast<WorkerCounter>(i)) + "=" + std::to_string(wc[i]);
  if (have_capture_stats)
    line += " capture.received=" + std::to_string(capture.received) +
            " capture.dropped=" + std::to_string(capture.dropped) +
            " capture.if_dropped=" + std::to_string(capture.if_dropped);
#if ARGOS_HAVE_DPDK
  if (have_port_stats)
    line += " port.received=" + std::to_string(port_stats.received) +
            " port.missed=" + std::to_string(port_stats.missed) +
            " port.no_mbuf=" + std::to_string(port_stats.no_mbuf) +
            " port.errors=" + std::to_string(port_stats.errors);
#endif
  if (live_opts.rotation.max_bytes || live_opts.rotation.interval_s) {
    size_t files = 0;
    for (const auto& f : sinks) files += f->files().size();
    line += " output.files=" + std::to_string(files);
  }
  if (server)
    for (size_t i = 0; i < kServerCounterCount; ++i)
      line += std::string(" ") + server_counter_name(static_cast<ServerCounter>(i)) + "=" +
              std::to_string(server->counter(static_cast<ServerCounter>(i)));
  if (!udp_sinks.empty()) {
    uint64_t sent = 0, dropped = 0;
    for (const auto& u : udp_sinks) {
      sent += u->datagrams_sent();
      dropped += u->datagrams_dropped();
    }
    line += " udp.sent=" + std::to_string(sent) + " udp.dropped=" + std::to_string(dropped);
  }
  line += " workers=" + std::to_string(nw) + " bytes_per_flow=" + std::to_string(tables[0]->bytes_per_flow());
  if (g_stop.load()) line += " stopped_by_signal=1";
  std::fprintf(stderr, "%s\n", line.c_str());
  // Then one line per worker and per receive queue when there are several.
  for (uint32_t w = 0; nw > 1 && w < nw; ++w) {
    const WorkerCounters& c = *counters[w];
    std::fprintf(stderr,
                 "argos: worker %u: packets=%llu parsed=%llu rejected=%llu flows=%llu records=%llu "
                 "batches=%llu batch_drops=%llu records_dropped=%llu\n",
                 w, static_cast<unsigned long long>(c.get(WorkerCounter::kPackets)),
                 static_cast<unsigned long long>(c.parse[0].load(std::memory_order_relaxed)),
                 static_cast<unsigned long long>(c.rejected()),
                 static_cast<unsigned long long>(tables[w]->counter(TableCounter::kFlowsCreated)),
                 static_cast<unsigned long long>(c.get(WorkerCounter::kRecords)),
                 static_cast<unsigned long long>(c.get(WorkerCounter::kBatches)),
                 static_cast<unsigned long long>(c.get(WorkerCounter::kBatchDrops)),
                 static_cast<unsigned long long>(c.get(WorkerCounter::kRecordsDropped)));
  }
#if ARGOS_HAVE_DPDK
  for (size_t q = 0; have_port_stats && port_stats.queue_received.size() > 1 && q < port_stats.queue_received.size(); ++q)
    std::fprintf(stderr, "argos: queue %zu: received=%llu errors=%llu\n", q,
                 static_cast<unsigned long long>(port_stats.queue_received[q]),
                 static_cast<unsigned long long>(port_stats.queue_errors[q]));
#endif

  int rc = 0;
  for (const auto& e : live ? live_source.errors() : source.errors()) {
    std::fprintf(stderr, "argos: %s\n", e.c_str());
    rc = 1;
  }
  if (!write_ok) rc = 1;
#if ARGOS_HAVE_DPDK
  if (dpdk) {
    dpdk_port_close(static_cast<uint16_t>(dpdk_port));
    dpdk_eal_cleanup();
  }
#endif
  return rc;
}
