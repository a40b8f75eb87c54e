// argos: Argus-compatible flow sensor. main() turns the command line into a
// validated SensorConfig, opens inputs and outputs (failing before any packet
// is read), starts the export thread and the workers, and prints the final
// counters.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>
#include <sstream>
#include <memory>
#include <string>
#include <pthread.h>
#include <thread>
#include <vector>

#include "app/core_plan.h"
#include "app/daemon.h"
#include "config/argus_conf.h"
#include "config/cli.h"
#include "config/loader.h"
#include "config/run_as.h"
#include "config/sensor_config.h"
#include "dataplane/dispatch.h"
#include "dataplane/paced_source.h"
#include "dataplane/packet_range.h"
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
std::atomic<bool> g_log_reopen{false};

// SIGUSR1: a counters line now, whatever --stats-interval says. argus takes
// SIGUSR1 and SIGUSR2 (debug levels) and goes on running; so does Argos.
std::atomic<bool> g_stats_now{false};
extern "C" void on_usr1(int) { g_stats_now.store(true, std::memory_order_relaxed); }

extern "C" void on_hangup(int) {
  g_reopen.store(true, std::memory_order_relaxed);
  g_log_reopen.store(true, std::memory_order_relaxed);
}

constexpr const char* kUsage =
    "usage: argos -r FILE [FILE...] -w OUT [options] [filter expression]\n"
    "       argos -i IFACE -w OUT [options] [filter expression]\n"
    "       argos -F CONFIG.yaml [options]\n"
    "\n"
    "Reads packets from pcap/pcapng files or captures them live on an interface\n"
    "and writes Argus v3 flow records.\n"
    "\n"
    "  -F FILE          read the configuration from this YAML file; the flags below\n"
    "                   override it (-w, -r, -i and list flags replace its lists).\n"
    "                   Without -F, /etc/argos/argos.yaml is read when it exists\n"
    "  -X               ignore /etc/argos/argos.yaml: start from built-in defaults\n"
    "  --print-config   print the effective configuration as YAML and exit\n"
    "  -b               print the capture filter as compiled for the first input\n"
    "                   (tcpdump -d form) and exit; -O compiles it unoptimised\n"
    "  --check-config   validate the configuration on this host and exit\n"
    "  --check-portable validate without looking at this host (files, CPUs, memory)\n"
    "  --from-argus-conf FILE  print the YAML equivalent of an argus.conf file\n"
    "  -d               run as a daemon: detach once inputs and outputs are open\n"
    "                   (start-up errors still reach the terminal, exit status 2)\n"
    "  --foreground     do not detach, whatever the file says (for systemd)\n"
    "  --pid-file FILE  write and lock a pid file\n"
    "  -c DIR           confine the sensor to DIR (chroot) once everything is open;\n"
    "                   -w paths are then inside DIR (started as root)\n"
    "  -u USER          run as USER once inputs, outputs and files are open\n"
    "                   (started as root; the files it created go to USER)\n"
    "  -g GROUP         run as GROUP from then on (with -u, default: USER's group)\n"
    "  --log WHERE      messages to stderr, syslog or file (--log-file FILE); the\n"
    "                   default is stderr, syslog for a daemon\n"
    "  -r FILE...       read packets from these files in order ('-' = standard input)\n"
    "  -f               follow the last -r file as it grows (a capture still being\n"
    "                   written, e.g. by dumpcap or tcpdump -U) until SIGINT/SIGTERM\n"
    "  -i IFACE         capture live on this interface through libpcap; repeat it\n"
    "                   to read several as one link (a tap's two ports) (SIGINT or\n"
    "                   SIGTERM ends the capture; several workers share it by\n"
    "                   software dispatch)\n"
    "  -p               do not put the interface into promiscuous mode\n"
    "  -O               compile the capture filter without libpcap's optimiser\n"
    "  -i dpdk:PORT     receive from a DPDK port (PCI address or vdev name) set up\n"
    "                   with --eal \"EAL ARGS\"; repeated, the ports are read as one\n"
    "                   link (a tap's two ports), in time order; --rx-queues N\n"
    "                   queues per port with symmetric RSS, worker q reading queue\n"
    "                   q of every port (default 1 queue; more workers then\n"
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
    "  -w OUT \"FILTER\"  as argus: a word right after OUT is its record filter\n"
    "                   (\"tcp and port 80\", \"udp port 53\", \"pkts gt 10\"; ra's language)\n"
    "  -P PORT          serve records to Argus clients (ra -S, radium) on this TCP port\n"
    "  -B ADDR[,ADDR]   addresses the server listens on (default 127.0.0.1: loopback\n"
    "                   only, unlike argus; -B 0.0.0.0 or -B :: for every address)\n"
    "  --allow NET[,NET]  client networks allowed to connect (CIDR, IPv4 or IPv6;\n"
    "                   repeatable; default: any); others get the access-denied MAR\n"
    "  --max-clients N  stream clients at once (default 10); the next is refused\n"
    "  --client-buffer BYTES  bytes queued per client (default 8 MiB); a client\n"
    "                   that falls that far behind is disconnected\n"
    "  --client-timeout SECS  a client whose host acknowledges nothing for SECS\n"
    "                   (default 60; status MARs keep every client busy) is dropped\n"
    "  --wait-clients N read no input until N clients have sent START: (serving a\n"
    "                   replay from its first record)\n"
    "  --record-buffer N  reports each worker may hold for the outputs (default:\n"
    "                   the flow capacity when live, 16384 on replay); beyond it\n"
    "                   a live worker drops reports and counts them\n"
    "  -N N | A-B       read only the first N packets, or skip A and end after the\n"
    "                   B-th (argus -N); libpcap inputs\n"
    "  -T FACTOR        replay files at packet-time pace x FACTOR (1 = real time),\n"
    "                   so collectors follow a recorded capture as if live\n"
    "  --rotate-size BYTES  start a new output file (NAME.1, NAME.2, ...) before one\n"
    "                   would grow past BYTES\n"
    "  --rotate-interval SECS  start a new output file at every multiple of SECS of\n"
    "                   wall-clock time; -w names it with strftime fields (local\n"
    "                   time; --rotate-utc for UTC), e.g.\n"
    "                   -w argus.%Y%m%d-%H.out --rotate-interval 3600;\n"
    "                   SIGHUP reopens the output files (for logrotate)\n"
    "  -S SECS          flow status interval (default 5; fractions allowed)\n"
    "  -M SECS          MAR (management record) interval (default 60)\n"
    "  -e ID            source id: integer, IPv4 address or \"abcd\" string\n"
    "  -A               application bytes per direction (argus -A)\n"
    "  -Z               smallest and largest frame per direction (argus -Z)\n"
    "  -m               MAC addresses of the flow (argus -m)\n"
    "  -J               inter-packet interval (jitter) statistics per direction,\n"
    "                   active and idle (argus -J)\n"
    "  -U BYTES         the first BYTES of payload per direction and report,\n"
    "                   up to 256 (argus -U)\n"
    "  -R               response-time data (argus -R; argus 3.0.8.2 writes the\n"
    "                   same records with it, and so does argos)\n"
    "  --workers N      worker threads, each with its own flow table (default 1)\n"
    "  --flows N        flow-table capacity per worker (default 1048576)\n"
    "  --full-policy P  when a table is full: evict (report the idlest flow of the\n"
    "                   bucket, default) or drop (count and drop the new flow)\n"
    "  -h, --help       this text\n"
    "\n"
    "The trailing words after the last flag form a tcpdump/BPF filter applied\n"
    "to input packets.\n"
    "Durations take units (500ms, 60s, 2m, 1h), sizes too (64KiB, 8MiB, 1GiB).\n"
    "Every setting with its YAML key and default: argos -X --print-config\n"
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

// "a/b/c": one counter per worker or queue, for the stats line.
std::string slash_list(const std::vector<uint64_t>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += '/';
    out += std::to_string(v[i]);
  }
  return out.empty() ? "0" : out;
}

// -c DIR as the prefix of output paths from outside ("" for "/").
std::string chroot_root(const argos::SensorConfig& cfg) {
  std::string root = cfg.chroot;
  while (!root.empty() && root.back() == '/') root.pop_back();
  return root;
}

// A daemon runs in "/": relative paths are resolved against the directory
// it was started from, before it leaves it.
void make_paths_absolute(argos::SensorConfig& cfg) {
  char buf[4096];
  if (!::getcwd(buf, sizeof buf)) return;
  const std::string cwd = buf;
  auto fix = [&](std::string& p) {
    if (!p.empty() && p != "-" && p[0] != '/') p = cwd + "/" + p;
  };
  for (auto& f : cfg.read_files) fix(f);
  // With -c the output paths are inside the chroot directory: kept as given.
  if (cfg.chroot.empty())
    for (auto& f : cfg.files) fix(f.path);
  fix(cfg.chroot);
  fix(cfg.pid_file);
  fix(cfg.log_file);
}

// --from-argus-conf FILE: the YAML equivalent on stdout, what did not carry
// over on stderr. The YAML is loaded back before it is printed: a
// conversion this loader would refuse is a bug said as such.
int convert_argus_conf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "argos: cannot read '%s': %s\n", path.c_str(), std::strerror(errno));
    return 2;
  }
  // An argus.conf is a few kilobytes; a device or a runaway file is
  // refused at 1 MiB rather than read without end.
  constexpr std::streamsize kMaxBytes = 1 << 20;
  std::string body(static_cast<size_t>(kMaxBytes) + 1, '\0');
  in.read(body.data(), kMaxBytes + 1);
  if (in.gcount() > kMaxBytes) {
    std::fprintf(stderr, "argos: '%s' is larger than 1 MiB: not an argus configuration file\n", path.c_str());
    return 2;
  }
  body.resize(static_cast<size_t>(in.gcount()));
  // A NUL would cut the lines and the messages that quote them short.
  if (body.find('\0') != std::string::npos) {
    std::fprintf(stderr, "argos: '%s' is not a text file (it holds NUL bytes)\n", path.c_str());
    return 2;
  }
  std::ostringstream text;
  text << body;
  argos::ArgusConfResult res;
  std::string err;
  if (!argos::argus_conf_to_yaml(text.str(), path, res, err)) {
    std::fprintf(stderr, "argos: %s\n", err.c_str());
    return 2;
  }
  argos::SensorConfig check;
  argos::ConfigOrigins origins;
  if (!argos::load_config_text(res.yaml, path + " (converted)", check, origins, err)) {
    std::fprintf(stderr, "argos: internal error: the converted configuration does not load: %s\n", err.c_str());
    return 2;
  }
  std::fputs(res.yaml.c_str(), stdout);
  for (const auto& n : res.notes) std::fprintf(stderr, "argos: note: %s\n", n.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace argos;
  // A reader of -w - that goes away (`| head`) is an output that failed,
  // said and counted like a full disk, not the end of every other output.
  std::signal(SIGPIPE, SIG_IGN);
  // Descriptors 0 to 2 closed by the caller would go to the first files
  // opened, and -w - would then write into one of them: they are taken by
  // /dev/null, and -w - is refused when standard output was closed.
  const bool stdout_closed = ::fcntl(STDOUT_FILENO, F_GETFD) < 0;
  for (int fd = 0; fd < 3; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0) continue;
    const int n = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (n >= 0 && n != fd) ::close(n);
  }
  SensorConfig built;
  ConfigOrigins origins;
  CliRequest req;
  std::string err;
  // Reading the configuration may block (-F on a FIFO no one writes): a
  // signal then ends the process as it would any command.
  const int pa = build_config(argc, argv, req, built, origins, err);
  // From here a stop asked for during start-up (EAL, table set-up) is kept
  // and honoured as soon as the workers run. (A shell starts background
  // jobs with SIGINT ignored; installing the handler replaces that too.)
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_hangup);  // reopen the output files (logrotate)
  std::signal(SIGUSR1, on_usr1);
  std::signal(SIGUSR2, SIG_IGN);
  if (pa == 1 && req.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (pa == 1) return convert_argus_conf(req.from_argus_conf);
  if (pa == 2) {
    std::fprintf(stderr, "argos: %s\n%s", err.c_str(), req.file_error ? "" : "(argos -h for usage)\n");
    return 2;
  }
  // --print-config shows what the file and the flags make, checked as
  // --check-portable checks it, except that it may lack an input and an
  // output: the defaults alone print as a template.
  if (req.print_config) {
    // Without an input, any of the three kinds will do: a template of
    // DPDK or live settings is as valid as one for files.
    const bool no_input = built.read_files.empty() && built.interfaces.empty() && built.dpdk_ports.empty();
    std::string first_err;
    bool valid = false;
    for (int kind = 0; kind < (no_input ? 3 : 1) && !valid; ++kind) {
      SensorConfig whole = built;
      if (no_input && kind == 0) whole.read_files.emplace_back("input.pcap");
      if (no_input && kind == 1) whole.interfaces.emplace_back("eth0");
      if (no_input && kind == 2) whole.dpdk_ports.push_back({"net_null0", 0});
      if (whole.files.empty() && whole.udp.empty() && whole.server_port == 0) {
        FileOutputConfig placeholder;
        placeholder.path = "output.argus";
        whole.files.push_back(placeholder);
      }
      valid = validate_config(whole, origins, ValidateScope::kPortable, err);
      if (kind == 0) first_err = err;
    }
    if (!valid) {
      std::fprintf(stderr, "argos: %s\n", first_err.c_str());
      return 2;
    }
    std::fputs(print_config(built).c_str(), stdout);
    return 0;
  }
  // -b, as argus: the capture filter as compiled for the first input, then
  // exit; nothing is written (no filter: nothing to print).
  if (req.print_filter) {
    if (built.read_files.empty() && built.interfaces.empty()) {
      std::fprintf(stderr, "argos: -b prints the capture filter of a libpcap input: give -r FILE or -i IFACE\n");
      return 2;
    }
    if (built.bpf_filter.empty()) return 0;
    const std::string first = built.read_files.empty() ? std::string() : built.read_files[0];
    if (!print_filter_program(first, built.interfaces.empty() ? std::string() : built.interfaces[0],
                              built.bpf_filter, built.bpf_optimize, err)) {
      std::fprintf(stderr, "argos: -b: %s\n", err.c_str());
      return 2;
    }
    return 0;
  }
  const ValidateScope scope = req.check_portable ? ValidateScope::kPortable : ValidateScope::kThisHost;
  ConfigFault fault = ConfigFault::kConfig;
  if (!validate_config(built, origins, scope, err, &fault)) {
    std::fprintf(stderr, "argos: %s\n", err.c_str());
    return fault == ConfigFault::kHostState ? kExitHostState : 2;
  }
  for (const auto& f : built.files) {
    if (f.path == "-" && stdout_closed) {
      std::fprintf(stderr, "argos: -w -: standard output is closed\n");
      return 2;
    }
  }
  for (const auto& n : built.notes) std::fprintf(stderr, "argos: note: %s\n", n.c_str());
  // The core plan, as the start will make it (without the NIC's NUMA node,
  // which needs the EAL): a core list or a worker count this machine cannot
  // take is said here.
  if (req.check_config && built.pin_threads) {
    CorePlanRequest plan_req;
    plan_req.workers = built.workers;
    plan_req.core_list = built.cores;
    Topology topo;
    CorePlan plan;
    if (!load_machine_topology(topo, err) || !plan_cores(topo.get(), plan_req, plan, err)) {
      std::fprintf(stderr, "argos: core plan: %s\n", err.c_str());
      return 2;
    }
  }
  if (req.check_config || req.check_portable) {
    std::fprintf(stderr, "argos: configuration OK%s%s\n", req.config_file.empty() ? "" : ": ",
                 req.config_file.c_str());
    return 0;
  }
  // The daemon runs in "/": relative paths are resolved before it leaves.
  if (built.daemon) make_paths_absolute(built);
  // From here on the configuration is frozen.
  const SensorConfig cfg = std::move(built);
  const bool live = !cfg.interfaces.empty();
  const bool dpdk = !cfg.dpdk_ports.empty();
  const uint32_t exit_when_idle_ms = static_cast<uint32_t>(std::llround(cfg.exit_when_idle_s * 1000));

  // Daemon: detach before any thread exists (the EAL, the log pump and the
  // workers all start threads). The original process waits until start-up
  // succeeds or fails, so the shell still sees a start-up error and exit 2.
  if (cfg.daemon) {
    if (!daemon_detach(err)) {
      std::fprintf(stderr, "argos: cannot detach: %s\n", err.c_str());
      return 2;
    }
    daemon_close_inherited();
  }
  // From here a start-up error is said on stderr (the log once the pump
  // runs) and, for a daemon, handed to the waiting parent.
  PidFile pid_file;
  LogPump log_pump;
  auto startup_error = [&](const std::string& msg, int status = 2) {
    // A daemon's starter prints the message itself: said here as well only
    // when it goes to the log, not to the same terminal a second time.
    if (!daemon_starter_waiting() || log_pump.running()) std::fprintf(stderr, "argos: %s\n", msg.c_str());
    pid_file.remove();  // nothing runs: no pid to name (gone before the starter exits)
    daemon_failed(msg, status);
    log_pump.stop();
    return status;
  };
  if (!cfg.pid_file.empty() && !pid_file.create(cfg.pid_file, err)) return startup_error(err);
  const std::string log_to = cfg.log_to == "auto" ? (cfg.daemon ? "syslog" : "stderr") : cfg.log_to;
  if (log_to != "stderr" &&
      !log_pump.start(log_to == "syslog" ? LogPump::Target::kSyslog : LogPump::Target::kFile, cfg.log_file, err))
    return startup_error("log: " + err);

  // Inputs and outputs are checked before any packet is read.
  PcapFileSource source(cfg.read_files, cfg.bpf_filter, cfg.bpf_optimize);
  std::atomic<uint64_t> follow_clock{0};  // -f: the followed file's packet time while it is quiet
  if (cfg.follow) source.follow_last(&follow_clock);
  source.stop_on(&g_stop);
  PcapLiveConfig lcfg;
  lcfg.interfaces = cfg.interfaces;
  lcfg.bpf_filter = cfg.bpf_filter;
  lcfg.bpf_optimize = cfg.bpf_optimize;
  lcfg.snaplen = cfg.snaplen;
  lcfg.promiscuous = cfg.promiscuous;
  lcfg.buffer_bytes = static_cast<uint32_t>(cfg.pcap_buffer_bytes);
  PcapLiveSource live_source(lcfg);
#if ARGOS_HAVE_DPDK
  // DPDK: the EAL from --eal, then each port with its queues (symmetric RSS
  // when it has several), all before any output is opened.
  std::vector<uint16_t> dpdk_ports;  // port ids, in configuration order
  RssQueueMap rss_map;  // the first port's: which queue (worker) a flow is on
  if (dpdk) {
    std::vector<std::string> eal_args = {"argos"};
    // DPDK's libraries log at INFO by default: a dozen lines on every start
    // (CPUs detected, IOVA mode, ...) that say nothing wrong. Unless the
    // EAL words set a level, only notices, warnings and errors are shown.
    bool log_level_given = false;
    for (const std::string& w : cfg.eal_args) log_level_given |= w.rfind("--log-level", 0) == 0;
    if (!log_level_given) eal_args.push_back("--log-level=lib.*:notice");
    eal_args.insert(eal_args.end(), cfg.eal_args.begin(), cfg.eal_args.end());
    // The EAL binds the calling thread to its main lcore, and every thread
    // started later would inherit that one CPU: the workers and the
    // exporter of --no-pin would share it. The CPUs the sensor was given
    // are restored (pinned threads are pinned each on its own below).
    cpu_set_t given;
    const bool have_given = sched_getaffinity(0, sizeof given, &given) == 0;
    if (!dpdk_eal_init(eal_args, err)) return startup_error(err);
    if (have_given) pthread_setaffinity_np(pthread_self(), sizeof given, &given);
    for (size_t i = 0; i < cfg.dpdk_ports.size(); ++i) {
      std::string note;
      RssQueueMap map;
      const int id = dpdk_port_open(cfg.dpdk_ports[i].name, static_cast<uint16_t>(port_queues(cfg, i)), cfg.mbufs,
                                    note, map, err);
      if (i == 0) {
        rss_map = std::move(map);
      } else if (id >= 0 && !rss_maps_agree(rss_map, map)) {
        note += (note.empty() ? "" : "; ") + std::string("ports '") + cfg.dpdk_ports[0].name + "' and '" +
                cfg.dpdk_ports[i].name +
                "' spread flows over their queues differently (redirection tables or hash input): the two "
                "directions of a flow may reach two workers and be reported in halves";
      }
      if (id < 0) {
        for (uint16_t open_id : dpdk_ports) dpdk_port_close(open_id);
        return startup_error(err);
      }
      dpdk_ports.push_back(static_cast<uint16_t>(id));
      if (!note.empty()) std::fprintf(stderr, "argos: note: %s\n", note.c_str());
    }
  }
  // The ports' counters, summed; per queue in port order, with each queue's
  // "PORT/QUEUE" name in `names`.
  auto ports_stats = [&](DpdkPortStats& sum, std::vector<std::string>* names = nullptr) {
    sum = DpdkPortStats{};
    if (names) names->clear();
    for (size_t i = 0; i < dpdk_ports.size(); ++i) {
      DpdkPortStats ps;
      if (!dpdk_port_stats(dpdk_ports[i], static_cast<uint16_t>(port_queues(cfg, i)), ps)) return false;
      sum.received += ps.received;
      sum.missed += ps.missed;
      sum.no_mbuf += ps.no_mbuf;
      sum.errors += ps.errors;
      sum.queue_received.insert(sum.queue_received.end(), ps.queue_received.begin(), ps.queue_received.end());
      sum.queue_errors.insert(sum.queue_errors.end(), ps.queue_errors.begin(), ps.queue_errors.end());
      for (size_t q = 0; names && q < ps.queue_received.size(); ++q)
        names->push_back(cfg.dpdk_ports[i].name + "/" + std::to_string(q));
    }
    return !dpdk_ports.empty();
  };
#else
  if (dpdk) {
    return startup_error("-i dpdk:" + cfg.dpdk_ports[0].name + ": this argos was built without DPDK (meson option dpdk)");
  }
#endif
  if (!dpdk && (live ? !live_source.open(err) : !source.validate(err)))
    return startup_error(err, live && live_source.open_failed_on_host_state() ? kExitHostState : 2);
  // Core plan (hwloc): workers on the NIC's NUMA node first, one per
  // physical core, the export and main threads off the worker cores; an
  // explicit --cores list wins. Computed before anything starts.
  CorePlan plan;
  bool pinned = false;
  Topology topo;  // kept: the flow tables are bound to nodes with it below
  if (cfg.pin_threads) {
    CorePlanRequest req;
    req.workers = cfg.workers;
    req.core_list = cfg.cores;
#if ARGOS_HAVE_DPDK
    // The first port's node: several ports of one sensor are normally on one NIC.
    if (dpdk) req.nic_numa_node = dpdk_port_numa_node(dpdk_ports[0]);
#endif
    if (!load_machine_topology(topo, err) || !plan_cores(topo.get(), req, plan, err))
      return startup_error("core plan: " + err);
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
  // Per sink, its record filter (files and UDP pushes may have one), nullptr:
  // every record.
  std::vector<std::unique_ptr<RecordFilter>> filters;
  std::vector<const RecordFilter*> filter_ptrs;
  const RecordFilter::Context filter_context{cfg.monitor_id, cfg.app_bytes, cfg.bidir_timestamps};
  // The next sink's filter ("" = none); false with err when it does not compile.
  auto add_filter = [&](const std::string& text) {
    filter_ptrs.push_back(nullptr);
    if (text.empty()) return true;
    filters.push_back(std::make_unique<RecordFilter>());
    filter_ptrs.back() = filters.back().get();
    return filters.back()->compile(text, err, filter_context);
  };
  bool rotating = false;
  for (const auto& f : cfg.files) {
    FileRotation rotation;
    rotation.max_bytes = f.rotate_bytes;
    rotation.interval_s = static_cast<uint32_t>(f.rotate_interval_s);
    rotation.utc = f.rotate_utc;
    rotating |= rotation.max_bytes || rotation.interval_s;
    auto s = std::make_unique<FileSink>();
    if (!cfg.chroot.empty()) s->set_root(chroot_root(cfg));
    if (!s->open(f.path, err, rotation)) return startup_error(err);
    sink_ptrs.push_back(s.get());
    if (!add_filter(f.filter)) return startup_error(err);  // validated already
    sinks.push_back(std::move(s));
  }
  for (const auto& out : cfg.udp) {
    auto u = std::make_unique<UdpSink>();
    if (!u->open(udp_url(out.address), err)) return startup_error("-w " + err);
    sink_ptrs.push_back(u.get());
    if (!add_filter(out.filter)) return startup_error(err);  // validated already
    udp_sinks.push_back(std::move(u));
  }
  std::unique_ptr<StreamServer> server;
  StreamServerConfig server_cfg;
  server_cfg.port = static_cast<uint16_t>(cfg.server_port);
  server_cfg.bind_addrs = cfg.server_bind;
  server_cfg.max_clients = cfg.server_max_clients;
  server_cfg.client_buffer_bytes = cfg.server_client_buffer_bytes;
  server_cfg.filter_context = filter_context;
  server_cfg.client_timeout_ms = static_cast<uint32_t>(cfg.server_client_timeout_s * 1000.0);
  for (const auto& a : cfg.server_allow) {
    Cidr net;
    std::string why;
    if (parse_cidr(a, net, why)) server_cfg.allow.push_back(net);  // checked by validate_config
  }
  if (cfg.server_port) {
    server = std::make_unique<StreamServer>(server_cfg);
    if (!server->open(err)) return startup_error("-P " + std::to_string(cfg.server_port) + ": " + err);
    sink_ptrs.push_back(server.get());
    std::string where;
    for (const auto& b : server_cfg.bind_addrs)
      where += (where.empty() ? "" : ", ") + (b.find(':') != std::string::npos ? "[" + b + "]" : b) + ":" +
               std::to_string(server->port());
    std::fprintf(stderr, "argos: serving Argus records on %s\n", where.c_str());
  }

  const uint32_t nw = cfg.workers;
  std::vector<std::unique_ptr<FlowTable>> tables;
  std::vector<std::unique_ptr<BatchChannel>> channels;
  std::vector<std::unique_ptr<WorkerCounters>> counters;
  std::vector<BatchChannel*> channel_ptrs;
  const uint32_t record_batches = record_buffer_batches(cfg);
  for (uint32_t w = 0; w < nw; ++w) {
    tables.push_back(std::make_unique<FlowTable>(flow_table_config(cfg, w)));
    if (!tables.back()->ok())
      return startup_error("cannot allocate a flow table of " + std::to_string(cfg.flow_capacity) +
                           " flows (worker " + std::to_string(w) + ")");
    channels.push_back(std::make_unique<BatchChannel>(record_batches));
    if (!channels.back()->ok())
      return startup_error("cannot allocate the record batches of worker " + std::to_string(w));
    channel_ptrs.push_back(channels.back().get());
    counters.push_back(std::make_unique<WorkerCounters>());
    // The table and the batch pool on the worker's NUMA node, bound before
    // the worker first touches them. Best effort: a kernel without NUMA
    // support leaves them where first touched (the pinned worker's node).
    const int node = pinned ? plan.workers[w].numa_node : -1;
    if (node >= 0) {
      std::string why;
      const FlowTable::MemoryRegion regions[] = {
          tables[w]->bucket_memory(), tables[w]->entry_memory(), tables[w]->extra_memory(),
          {channels[w]->region(), channels[w]->region_bytes()}};
      for (const auto& r : regions) {
        if (!r.addr) continue;  // no extras without -Z or -m
        if (!bind_memory_to_node(topo.get(), r.addr, r.bytes, node, why)) {
          if (w == 0) std::fprintf(stderr, "argos: note: flow tables not bound to NUMA nodes: %s\n", why.c_str());
          break;
        }
      }
    }
  }

  // Everything that needs root is open: capture, ports, sockets, files,
  // memory. -c confines the sensor to its directory now, then -u/-g give
  // root up, before the first packet; the files this sensor created go to
  // that user, who reopens them later.
  if (!cfg.chroot.empty()) {
    // What is reached later is reached through what is open now: the pcap
    // files still to be read, the log file's directory (SIGHUP), the local
    // time zone (interval rotation names), the syslog socket (opened).
    if (!live && !dpdk && !source.preopen(err)) return startup_error(err);
    if (!log_pump.keep_directory(err) || !pid_file.keep_directory(err)) return startup_error(err);
    ::tzset();
    if (::chroot(cfg.chroot.c_str()) != 0 || ::chdir("/") != 0)
      return startup_error("-c " + cfg.chroot + ": cannot confine the sensor to it: " + std::strerror(errno));
    for (auto& s : sinks) s->set_root("");
  }
  {
    RunAs as;
    if (!resolve_run_as(cfg.user, cfg.group, as, err)) return startup_error(err);
    if (as.active()) {
      std::vector<std::string> handed;
      for (auto& s : sinks) handed.push_back(s->hand_over(as.uid, as.gid));
      handed.push_back(pid_file.hand_over(as.uid, as.gid));
      handed.push_back(log_pump.hand_over(as.uid, as.gid));
      for (const auto& h : handed)
        if (!h.empty()) std::fprintf(stderr, "argos: note: %s\n", h.c_str());
      if (!drop_privileges(as, err, live)) return startup_error(err);
    }
  }

  ExportConfig ecfg;
  ecfg.encode.srcid = cfg.monitor_id;
  ecfg.encode.app_bytes = cfg.app_bytes;
  ecfg.encode.packet_size = cfg.packet_size;
  ecfg.encode.mac = cfg.mac;
  ecfg.encode.bidir_timestamps = cfg.bidir_timestamps;
  ecfg.encode.jitter = cfg.jitter;
  ecfg.encode.unidirectional = cfg.flow_type == "unidirectional";
  ecfg.encode.tcp_perf = cfg.tcp_perf;
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
  Exporter exporter(ecfg, channel_ptrs, sink_ptrs, mar_counters, filter_ptrs);
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
    if (live) {
      const CaptureStats cs = live_source.published_stats();
      line += " capture_received=" + std::to_string(cs.received) + " capture_dropped=" + std::to_string(cs.dropped) +
              " capture_if_dropped=" + std::to_string(cs.if_dropped);
    }
#if ARGOS_HAVE_DPDK
    DpdkPortStats ps;
    if (dpdk && ports_stats(ps))
      line += " queue_received=" + slash_list(ps.queue_received) + " queue_errors=" + slash_list(ps.queue_errors) +
              " port_missed=" + std::to_string(ps.missed) + " port_no_mbuf=" + std::to_string(ps.no_mbuf);
#endif
    return line;
  };
  // Housekeeping off the packet path: the stats line, and the log file
  // reopened after SIGHUP (logrotate moves it as it moves the outputs).
  std::atomic<bool> finished{false};
  std::thread stats_thread;
  const bool log_to_file = log_to == "file";
  {
    stats_thread = std::thread([&] {
      const auto period = std::chrono::duration<double>(cfg.stats_interval_s > 0 ? cfg.stats_interval_s : 1.0);
      auto next = std::chrono::steady_clock::now() + period;
      while (!finished.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (log_to_file && g_log_reopen.exchange(false, std::memory_order_relaxed)) log_pump.reopen();
        if (g_stats_now.exchange(false, std::memory_order_relaxed))
          std::fprintf(stderr, "%s\n", stats_line().c_str());
        if (cfg.stats_interval_s <= 0 || std::chrono::steady_clock::now() < next) continue;
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
    const bool live_port = live_input(cfg);
    c.batch_policy = live_port ? BatchPolicy::kDrop : BatchPolicy::kWait;
    c.live_clock = live_port;
    if (cfg.follow) c.idle_clock = &follow_clock;
    c.user_bytes = cfg.user_data_bytes;
    c.stop = &g_stop;
  }

  CaptureStats capture;
  std::vector<CaptureStats> capture_each;  // per interface
  bool have_capture_stats = false;
#if ARGOS_HAVE_DPDK
  DpdkPortStats port_stats;
  std::vector<std::string> queue_names;
  bool have_port_stats = false;
#endif
  // Start-up is over: a daemon's starter may exit 0 now.
  daemon_ready();
  // --wait-clients N: the input waits until N stream clients have started,
  // so they receive every record of a replay.
  while (server && server->started_clients() < cfg.wait_clients && !g_stop.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(10));

  // Runs a source with every worker: directly with one worker; with several
  // through the software dispatcher (this thread reads and fans packets out
  // by a symmetric flow hash).
  uint64_t dispatch_stop_drops = 0;  // packets taken from the input that no worker got at a stop
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
      // Workers behind a libpcap capture may nap up to 4 ms when idle: the
      // kernel's capture buffer holds what arrives while the reader waits
      // for a ring with room.
      ring_sources.push_back(std::make_unique<RingSource>(*rings.back(), live ? 4000 : 200));
    }
    std::vector<std::thread> workers;
    for (uint32_t w = 0; w < nw; ++w)
      workers.emplace_back([&, w] {
        pin_worker(w);
        run_worker(*ring_sources[w], ctxs[w]);
      });
    dispatch_stop_drops += run_dispatcher(src, ring_ptrs, &g_stop);
    for (auto& t : workers) t.join();
  };

  if (dpdk) {
#if ARGOS_HAVE_DPDK
    // One worker per receive queue index: with several ports (one link, a
    // tap's two ports) worker q reads queue q of each, merged in time
    // order. A single queue (per port) shared by several workers goes
    // through the software dispatcher, as a libpcap source does.
    const uint32_t per_port = port_queues(cfg, 0);
    // Several queues: ICMP errors pass to the worker RSS gives the flow
    // they quote (every port has as many queues, read by the same workers).
    std::unique_ptr<IcmpExchange> icmp;
    if (per_port > 1) {
      std::vector<WorkerCounters*> wcs;
      for (uint32_t w = 0; w < nw; ++w) wcs.push_back(counters[w].get());
      icmp = std::make_unique<IcmpExchange>(nw, rss_map, wcs);
      for (uint32_t w = 0; w < nw; ++w) ctxs[w].icmp = &icmp->peer(w);
    }
    std::vector<std::unique_ptr<DpdkRxQueue>> queues;  // port-major: port i's queue q at i * per_port + q
    for (size_t i = 0; i < dpdk_ports.size(); ++i)
      for (uint16_t q = 0; q < per_port; ++q)
        queues.push_back(std::make_unique<DpdkRxQueue>(dpdk_ports[i], q, exit_when_idle_ms));
    auto run_queues = [&](auto& sources) {
      if (sources.size() > 1) {
        std::vector<std::thread> workers;
        for (uint32_t w = 0; w < nw; ++w)
          workers.emplace_back([&, w] {
            pin_worker(w);
            run_worker(*sources[w], ctxs[w]);
          });
        for (auto& t : workers) t.join();
      } else {
        run_source(*sources[0]);
      }
    };
    if (dpdk_ports.size() == 1) {
      run_queues(queues);
    } else {
      std::vector<std::unique_ptr<DpdkLinkSource>> links;
      for (uint32_t q = 0; q < per_port; ++q) {
        std::vector<DpdkRxQueue*> lanes;
        for (size_t i = 0; i < dpdk_ports.size(); ++i) lanes.push_back(queues[i * per_port + q].get());
        links.push_back(std::make_unique<DpdkLinkSource>(lanes, exit_when_idle_ms > 0));
      }
      run_queues(links);
    }
    have_port_stats = ports_stats(port_stats, &queue_names);
#endif
  } else {
    // -N: a libpcap input counted and cut to its packets A+1..B, then
    // paced (-T) as it is read.
    auto ranged = [&](auto& src, auto&& run) {
      if (cfg.packets_last == 0) return run(src);
      PacketRange<std::remove_reference_t<decltype(src)>> range(src, cfg.packets_skip, cfg.packets_last);
      run(range);
    };
    if (live) {
      ranged(live_source, run_source);
      // Read once the workers have stopped: only the capturing thread may
      // read the kernel's counters while it runs.
      have_capture_stats = live_source.capture_stats(capture, &capture_each);
    } else if (cfg.pace_factor > 0) {
      ranged(source, [&](auto& src) {
        PacedSource<std::remove_reference_t<decltype(src)>> paced(src, cfg.pace_factor);
        run_source(paced);
      });
    } else {
      ranged(source, run_source);
    }
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
      std::fprintf(stderr, "argos: '%s': %llu records lost (no file could be opened, or a write failed)\n",
                   s->path().c_str(),
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
  if (live && live_source.failures())
    line += " capture.failures=" + std::to_string(live_source.failures());
#if ARGOS_HAVE_DPDK
  if (have_port_stats)
    line += " port.received=" + std::to_string(port_stats.received) +
            " port.missed=" + std::to_string(port_stats.missed) +
            " port.no_mbuf=" + std::to_string(port_stats.no_mbuf) +
            " port.errors=" + std::to_string(port_stats.errors);
#endif
  if (rotating) {
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
  if (dispatch_stop_drops) line += " dispatch.stop_drops=" + std::to_string(dispatch_stop_drops);
  line += " workers=" + std::to_string(nw) + " bytes_per_flow=" + std::to_string(tables[0]->bytes_per_flow());
  // The deepest any worker's record buffer was used, in batches of 256
  // reports, against its size: what --record-buffer has to cover.
  uint32_t peak_batches = 0;
  for (const auto& ch : channels) peak_batches = std::max(peak_batches, ch->batches_touched());
  line += " record_buffer.peak_batches=" + std::to_string(peak_batches) +
          " record_buffer.batches=" + std::to_string(record_batches);
  if (g_stop.load()) line += " stopped_by_signal=1";
  std::fprintf(stderr, "%s\n", line.c_str());
  if (const uint64_t lost = wc[static_cast<unsigned>(WorkerCounter::kRecordsDropped)])
    std::fprintf(stderr,
                 "argos: note: %llu reports found their worker's record buffer full (%llu reports): the "
                 "outputs fell behind a burst of reports; --record-buffer sets its size\n",
                 static_cast<unsigned long long>(lost),
                 static_cast<unsigned long long>(uint64_t{record_batches} * RecordBatch::kCapacity));
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
  for (size_t i = 0; have_capture_stats && capture_each.size() > 1 && i < capture_each.size(); ++i)
    std::fprintf(stderr, "argos: interface %s: received=%llu dropped=%llu if_dropped=%llu\n",
                 live_source.interface_name(i).c_str(), static_cast<unsigned long long>(capture_each[i].received),
                 static_cast<unsigned long long>(capture_each[i].dropped),
                 static_cast<unsigned long long>(capture_each[i].if_dropped));
#if ARGOS_HAVE_DPDK
  for (size_t q = 0; have_port_stats && port_stats.queue_received.size() > 1 && q < port_stats.queue_received.size(); ++q)
    std::fprintf(stderr, "argos: queue %zu: received=%llu errors=%llu port=%s\n", q,
                 static_cast<unsigned long long>(port_stats.queue_received[q]),
                 static_cast<unsigned long long>(port_stats.queue_errors[q]), queue_names[q].c_str());
#endif

  int rc = 0;
  for (const auto& e : live ? live_source.errors() : source.errors()) {
    std::fprintf(stderr, "argos: %s\n", e.c_str());
    rc = 1;
  }
  if (!write_ok) rc = 1;
#if ARGOS_HAVE_DPDK
  if (dpdk) {
    for (uint16_t id : dpdk_ports) dpdk_port_close(id);
    dpdk_eal_cleanup();
  }
#endif
  // The summary above is in the log; the pid file goes last.
  log_pump.stop();
  pid_file.remove();
  return rc;
}
