#include "config/cli.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>

#include "config/loader.h"
#include "config/options.h"
#include "export/record_filter.h"

namespace argos {

namespace {

bool is_regular_or_fifo(const char* path) {
  struct stat st;
  return ::stat(path, &st) == 0 && (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode));
}

std::vector<std::string> split(const std::string& s, bool on_space) {
  std::vector<std::string> out;
  std::string item;
  if (on_space) {
    std::istringstream words(s);
    while (words >> item) out.push_back(item);
    return out;
  }
  // Empty items are kept ("0,,1", "0,"): the caller refuses them, since a
  // list with a hole is more likely a typo than a wish.
  std::istringstream list(s);
  while (std::getline(list, item, ',')) out.push_back(item);
  if (!s.empty() && s.back() == ',') out.emplace_back();
  return out;
}

// Flags handled here rather than by the option table, with whether they take a value.
struct SpecialFlag {
  const char* flag;
  bool takes_value;
};
constexpr SpecialFlag kSpecial[] = {
    {"-F", true},           {"-X", false},           {"-h", false},         {"--help", false},
    {"--print-config", false}, {"--check-config", false}, {"--check-portable", false},
    {"--from-argus-conf", true}, {"--rotate-size", true}, {"--rotate-interval", true}, {"--rotate-utc", false},
    {"--foreground", false}, {"-b", false},
};

const SpecialFlag* special(const std::string& a) {
  for (const auto& s : kSpecial)
    if (a == s.flag) return &s;
  return nullptr;
}

bool known_flag(const std::string& a) { return special(a) || find_option_by_flag(a); }

bool flag_takes_value(const std::string& a) {
  if (const SpecialFlag* s = special(a)) return s->takes_value;
  const OptionSpec* o = find_option_by_flag(a);
  return o && o->kind != OptionKind::kBool;
}

// The command line as getopt would split it, as argus reads it: "-mAJZ"
// is -m -A -J -Z, "-S5" is -S 5, "-mS 5" is -m -S 5, "--flows=4096" is
// --flows 4096, and "--" ends the flags (the words after it are the
// capture filter). A flag's value is never split.
std::vector<std::string> getopt_words(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {  // kept: build_config reads no flag from here on
      for (; i < argc; ++i) out.emplace_back(argv[i]);
      break;
    }
    if (known_flag(a)) {
      out.push_back(a);
      if (flag_takes_value(a) && i + 1 < argc) out.emplace_back(argv[++i]);
      continue;
    }
    const size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos && known_flag(a.substr(0, eq)) &&
        flag_takes_value(a.substr(0, eq))) {
      out.push_back(a.substr(0, eq));
      out.push_back(a.substr(eq + 1));
      continue;
    }
    if (a.size() > 2 && a[0] == '-' && a[1] != '-' && known_flag(a.substr(0, 2))) {
      // Short flags run together; a flag that takes a value takes the rest.
      std::vector<std::string> parts;
      bool whole = true;
      bool wants_next = false;  // the last flag takes the next word as its value
      for (size_t k = 1; k < a.size(); ++k) {
        const std::string f = std::string("-") + a[k];
        if (!known_flag(f)) {
          whole = false;
          break;
        }
        parts.push_back(f);
        if (flag_takes_value(f)) {
          if (k + 1 < a.size())
            parts.push_back(a.substr(k + 1));
          else
            wants_next = true;
          break;
        }
      }
      if (whole) {
        out.insert(out.end(), parts.begin(), parts.end());
        if (wants_next && i + 1 < argc) out.emplace_back(argv[++i]);
        continue;
      }
    }
    out.push_back(a);
  }
  return out;
}

}  // namespace

int build_config(int argc_in, char** argv_in, CliRequest& req, SensorConfig& cfg, ConfigOrigins& origins,
                 std::string& err) {
  // The getopt reading of the words, then as if given so.
  std::vector<std::string> words = getopt_words(argc_in, argv_in);
  std::vector<char*> ptrs;
  ptrs.push_back(argv_in[0]);
  for (std::string& w : words) ptrs.push_back(w.data());
  ptrs.push_back(nullptr);
  char** argv = ptrs.data();
  // Flags end at "--"; every word after it is the capture filter.
  int argc = static_cast<int>(words.size()) + 1;
  std::vector<std::string> after_dashes;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") != 0) continue;
    after_dashes.assign(argv + i + 1, argv + argc);
    argc = i;
    break;
  }
  // Pass 1: the requests and the configuration file, which the other flags override.
  bool defaults_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const SpecialFlag* s = special(a);
    if (a == "-h" || a == "--help") req.help = true;
    if (a == "-X") defaults_only = true;
    if (a == "--print-config") req.print_config = true;
    if (a == "-b") req.print_filter = true;
    if (a == "--check-config") req.check_config = true;
    if (a == "--check-portable") req.check_portable = true;
    if (s && s->takes_value) {
      if (i + 1 >= argc) {
        err = a + " needs a value";
        return 2;
      }
      if (a == "-F") req.config_file = argv[i + 1];
      if (a == "--from-argus-conf") req.from_argus_conf = argv[i + 1];
      ++i;
    } else if (!s) {
      // Skip a table flag's value so it is not taken for a request.
      const OptionSpec* o = find_option_by_flag(a);
      if (o && o->kind != OptionKind::kBool) ++i;
    }
  }
  if (req.help || !req.from_argus_conf.empty()) return 1;
  if (!req.config_file.empty()) {
    if (!load_config_file(req.config_file, cfg, origins, err)) {
      req.file_error = true;
      return 2;
    }
  } else if (!defaults_only) {
    const char* env = std::getenv("ARGOS_DEFAULT_CONFIG");
    const std::string def = env && *env ? env : kDefaultConfigPath;
    if (::access(def.c_str(), F_OK) == 0) {
      if (!load_config_file(def, cfg, origins, err)) {
        req.file_error = true;
        return 2;
      }
      req.config_file = def;
    }
  }

  // Pass 2: every other flag, over the file.
  std::vector<std::string> filter_words;
  bool cli_input = false, cli_output = false;
  std::set<const OptionSpec*> cli_lists;  // lists the command line has started replacing
  uint64_t rotate_bytes = 0;
  double rotate_interval_s = 0;
  bool rotate_utc = false, rotate_given = false;
  auto origin = [&](const std::string& key, const std::string& flag) { origins[key] = "cli:" + flag; };
  // A command-line input replaces the file's input, whatever its kind.
  auto take_input = [&]() {
    if (cli_input) return;
    cli_input = true;
    cfg.read_files.clear();
    cfg.interfaces.clear();
    cfg.dpdk_ports.clear();
    for (auto it = origins.begin(); it != origins.end();)
      it = it->first.rfind("input.files", 0) == 0 || it->first.rfind("input.interface", 0) == 0 ||
                   it->first.rfind("input.dpdk.ports", 0) == 0
               ? origins.erase(it)
               : std::next(it);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* what) -> const char* {
      if (i + 1 >= argc) {
        err = a + " needs " + what;
        return nullptr;
      }
      return argv[++i];
    };
    if (const SpecialFlag* s = special(a)) {
      if (a == "--rotate-size" || a == "--rotate-interval") {
        const char* v = value("a number");
        if (!v) return 2;
        rotate_given = true;
        if (a == "--rotate-size") {
          if (!parse_bytes_text(v, rotate_bytes)) {
            err = a + ": '" + v + "' is not a size in bytes (e.g. 100MiB)";
            return 2;
          }
          if (rotate_bytes < 4096) {
            err = a + ": '" + v + "' is too small: at least 4096 bytes";
            return 2;
          }
        } else if (!parse_seconds_text(v, "s", rotate_interval_s) || rotate_interval_s < 1 ||
                   !whole_seconds_u32(rotate_interval_s)) {
          err = a + ": '" + v + "' is not a whole number of seconds, at least 1 (e.g. 3600, 60m)";
          return 2;
        }
        continue;
      }
      if (a == "--foreground") {  // -d's opposite, for service managers
        cfg.daemon = false;
        origin("sensor.daemon", a);
        continue;
      }
      if (a == "--rotate-utc") {
        rotate_utc = rotate_given = true;
        continue;
      }
      if (s->takes_value) ++i;
      continue;
    }
    if (a == "-r") {
      const char* f = value("a file name");
      if (!f) return 2;
      take_input();
      cfg.read_files.emplace_back(f);
      // argus reads "-r a.pcap b.pcap": further words naming files are inputs.
      while (i + 1 < argc && argv[i + 1][0] != '-' && is_regular_or_fifo(argv[i + 1])) cfg.read_files.emplace_back(argv[++i]);
      origin("input.files", "-r");
      continue;
    }
    if (a == "-i") {
      const char* f = value("an interface name");
      if (!f) return 2;
      const bool dpdk_port = std::strncmp(f, "dpdk:", 5) == 0;
      // Several DPDK ports, each with its workers, or several libpcap
      // interfaces read as one; not the two kinds together.
      if (cli_input && (dpdk_port ? !cfg.interfaces.empty() : !cfg.dpdk_ports.empty())) {
        err = "-i: libpcap interfaces and DPDK ports (-i dpdk:PORT) cannot be mixed";
        return 2;
      }
      take_input();
      if (dpdk_port) {
        if (!f[5]) {
          err = "-i dpdk:PORT needs a PCI address or a vdev name";
          return 2;
        }
        cfg.dpdk_ports.push_back({f + 5, 0});
        origin("input.dpdk.ports[" + std::to_string(cfg.dpdk_ports.size() - 1) + "]", "-i");
        origin("input.dpdk.ports", "-i");
      } else {
        cfg.interfaces.push_back(f);
        origin("input.interface[" + std::to_string(cfg.interfaces.size() - 1) + "]", "-i");
        origin("input.interface", "-i");
      }
      continue;
    }
    if (a == "-w") {
      const char* f = value("a file name");
      if (!f) return 2;
      // As argus: -w on the command line replaces the outputs of the file.
      if (!cli_output) {
        cli_output = true;
        cfg.files.clear();
        cfg.udp.clear();
      }
      const std::string w = f;
      // As argus: a word right after the target, not a flag, is the
      // output's record filter (-w FILE "tcp and port 80"); the capture
      // filter is the words after the other flags.
      std::string filter;
      if (i + 1 < argc && argv[i + 1][0] != '-') {
        filter = argv[++i];
        RecordFilter rf;
        std::string why;
        if (!rf.compile(filter, why)) {
          err = "-w " + w + ": " + why + " (the word right after -w TARGET is that output's record filter, as "
                "with argus; a capture filter goes at the end, after the last flag: -w " + w + " -r FILE 'tcp[13] & 2 != 0')";
          return 2;
        }
      }
      if (w.rfind("argus-udp://", 0) == 0) {
        cfg.udp.push_back({w.substr(12), filter});
        origin("outputs.udp[" + std::to_string(cfg.udp.size() - 1) + "]", "-w");
        origin("outputs.udp", "-w");
      } else {
        FileOutputConfig fo;
        fo.path = w;
        fo.filter = filter;
        cfg.files.push_back(fo);
        origin("outputs.files[" + std::to_string(cfg.files.size() - 1) + "]", "-w");
        origin("outputs.files", "-w");
      }
      continue;
    }
    const OptionSpec* o = find_option_by_flag(a);
    if (o) {
      origin(o->key, a);
      if (o->kind == OptionKind::kBool) {
        o->as_bool(cfg) = o->flag_sets;
        continue;
      }
      const char* v = value("a value");
      if (!v) return 2;
      std::string why;
      if (o->kind == OptionKind::kTextList || o->kind == OptionKind::kCountList) {
        // The first use on the command line replaces the file's list; repeats add.
        if (cli_lists.insert(o).second) {
          if (o->kind == OptionKind::kTextList)
            o->as_text_list(cfg).clear();
          else
            o->as_count_list(cfg).clear();
        }
        const bool words = std::strcmp(o->flag, "--eal") == 0;  // EAL arguments are split like a shell line
        const auto items = split(v, words);
        if (items.empty() && !words) {
          err = a + ": '" + v + "' is an empty list";
          return 2;
        }
        for (const auto& item : items)
          if (item.empty()) {
            err = a + ": '" + v + "' has an empty item";
            return 2;
          }
        for (const auto& item : items) {
          const size_t n = o->kind == OptionKind::kTextList ? o->as_text_list(cfg).size() : o->as_count_list(cfg).size();
          origin(std::string(o->key) + "[" + std::to_string(n) + "]", a);
          if (!parse_option_value(*o, item, cfg, why)) {
            err = a + ": " + why;
            return 2;
          }
        }
        continue;
      }
      if (!parse_option_value(*o, v, cfg, why)) {
        err = a + ": " + why;
        return 2;
      }
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      const std::string hint = closest_flag(a);
      err = "unknown option " + a + (hint.empty() ? std::string() : " (did you mean " + hint + "?)");
      return 2;
    }
    filter_words.push_back(a);
  }
  filter_words.insert(filter_words.end(), after_dashes.begin(), after_dashes.end());
  if (!filter_words.empty()) {
    cfg.bpf_filter.clear();
    for (size_t i = 0; i < filter_words.size(); ++i) cfg.bpf_filter += (i ? " " : "") + filter_words[i];
    origin("input.filter", "filter expression");
  }
  // --rotate-size and --rotate-interval apply to every file output.
  if (rotate_given) {
    // Rotation applies to output files; without one it would be ignored
    // without a word (the YAML form of the same setting is refused too).
    bool rotatable = false;
    for (const FileOutputConfig& f : cfg.files) rotatable |= f.path != "-";
    if (!rotatable) {
      err = std::string(rotate_interval_s > 0 ? "--rotate-interval" : rotate_bytes ? "--rotate-size" : "--rotate-utc") +
            ": no output file to rotate (give -w FILE; standard output, UDP push and the server do not rotate)";
      return 2;
    }
    for (size_t i = 0; i < cfg.files.size(); ++i) {
      FileOutputConfig& f = cfg.files[i];
      if (f.path == "-") continue;
      if (rotate_bytes) f.rotate_bytes = rotate_bytes;
      if (rotate_interval_s > 0) f.rotate_interval_s = rotate_interval_s;
      if (rotate_utc) f.rotate_utc = true;
      origin("outputs.files[" + std::to_string(i) + "]", rotate_interval_s > 0 ? "--rotate-interval" : "--rotate-size");
    }
  }
  return 0;
}

}  // namespace argos
