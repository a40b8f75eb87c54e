#include "config/argus_conf.h"
#include "export/record_filter.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

namespace argos {

namespace {

// Argus's timer bookkeeping tops out here (its sample argus.conf says so).
constexpr uint64_t kMaxSeconds = 65534;
// Durations end up as nanoseconds downstream; finer digits would turn a
// value that passed the "> 0" check into zero.
constexpr size_t kMaxFractionDigits = 9;
// pcap_set_buffer_size() takes an int.
constexpr uint64_t kMaxPcapBufferBytes = 2147483647;
// One packet's worth of payload; argus adds its 96 header bytes to the snap length.
constexpr uint64_t kMaxCaptureDataBytes = 65535;
constexpr uint64_t kMaxPort = 65535;
constexpr const char* kDefaultUdpPort = "561";
constexpr const char* kDefaultPidDir = "/var/run";
constexpr std::string_view kUdpScheme = "argus-udp://";

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Argus compares only three letters, so "YES please" is yes and "ye" or
// "true" are no. Reproduced on purpose: the converted file must mean the same.
bool argus_yes(std::string_view v) { return v.size() >= 3 && equals_nocase(v.substr(0, 3), "yes"); }

bool parse_uint(std::string_view v, uint64_t max, uint64_t& out) {
  if (v.empty()) return false;
  out = 0;
  for (char c : v) {
    if (!is_digit(c)) return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');  // out <= max < 2^60 here, so no overflow
    if (out > max) return false;
  }
  return true;
}

// Decimal seconds in (0, 65534] as a YAML duration. Works on the digits
// rather than a double so "0.1" stays "0.1s" and "05.50" becomes "5.5s".
bool parse_seconds(std::string_view v, bool allow_fraction, std::string& yaml) {
  const size_t dot = v.find('.');
  std::string_view whole_digits = v.substr(0, dot);
  std::string_view frac_digits = dot == std::string_view::npos ? std::string_view() : v.substr(dot + 1);
  if (whole_digits.empty() && frac_digits.empty()) return false;
  for (char c : whole_digits) {
    if (!is_digit(c)) return false;
  }
  for (char c : frac_digits) {
    if (!is_digit(c)) return false;
  }
  while (!whole_digits.empty() && whole_digits.front() == '0') whole_digits.remove_prefix(1);
  while (!frac_digits.empty() && frac_digits.back() == '0') frac_digits.remove_suffix(1);
  if (!frac_digits.empty() && !allow_fraction) return false;
  if (frac_digits.size() > kMaxFractionDigits || whole_digits.size() > 5) return false;
  uint64_t whole = 0;
  if (!whole_digits.empty() && !parse_uint(whole_digits, kMaxSeconds, whole)) return false;
  if (whole == 0 && frac_digits.empty()) return false;
  if (whole == kMaxSeconds && !frac_digits.empty()) return false;
  yaml = std::to_string(whole);
  if (!frac_digits.empty()) {
    yaml += '.';
    yaml += frac_digits;
  }
  yaml += 's';
  return true;
}

// K, M and G are powers of 1000 in argus, not 1024.
bool parse_buffer_size(std::string_view v, uint64_t& bytes) {
  uint64_t scale = 1;
  if (!v.empty()) {
    switch (lower(v.back())) {
      case 'k': scale = 1000; break;
      case 'm': scale = 1000 * 1000; break;
      case 'g': scale = 1000 * 1000 * 1000; break;
      default: break;
    }
  }
  if (scale != 1) v.remove_suffix(1);
  uint64_t count = 0;
  if (!parse_uint(v, kMaxPcapBufferBytes, count) || count == 0) return false;
  if (count > kMaxPcapBufferBytes / scale) return false;
  bytes = count * scale;
  return true;
}

// YAML double-quoted scalar. Control characters are escaped because a raw
// CR inside a value would end the line for a YAML reader.
std::string yaml_quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string q = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      q += '\\';
      q += c;
    } else if (c == '\t') {
      q += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      q += "\\x";
      q += kHex[u >> 4];
      q += kHex[u & 0xf];
    } else {
      q += c;
    }
  }
  q += '"';
  return q;
}

// Comment text must stay on its line (see yaml_quote).
std::string comment_safe(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) c = '?';
  }
  return out;
}

// One NAME=value line after the file syntax has been applied.
struct Line {
  int number = 0;
  std::string_view name;
  std::string_view value;  // quotes and trailing comment removed
  std::string source;      // NAME=value as written (minus a // comment), for the YAML comment
};

// A YAML key's value and the argus lines it came from. line == 0: not set.
struct Setting {
  int line = 0;
  std::string value;
  std::vector<std::string> sources;
};

struct ListItem {
  int line = 0;
  std::string text;  // the YAML item; for interfaces, the raw value until finish() picks one
  std::string source;
};

enum Field : int {
  kMonitorId,
  kDaemon,
  kPidFile,
  kUser,
  kGroup,
  kChroot,
  kMarInterval,
  kInterface,
  kPromiscuous,
  kFilter,
  kFilterOptimize,
  kBufferSize,
  kStatusInterval,
  kFlowType,
  kFlowKey,
  kTcpTimeout,
  kIpTimeout,
  kIcmpTimeout,
  kIgmpTimeout,
  kFragTimeout,
  kArpTimeout,
  kOtherTimeout,
  kTcpPerf,
  kAppBytes,
  kMac,
  kJitter,
  kPacketSize,
  kResponseTime,
  kUserData,
  kBidirectionalTimestamps,
  kStartRecords,
  kTrackDuplicates,
  kFieldCount
};

// Where each field goes; emission walks this table in order.
struct Place {
  const char* section;
  const char* group;  // an intermediate map, or nullptr
  const char* key;
};

constexpr Place kPlaces[kFieldCount] = {
    {"sensor", nullptr, "monitor_id"},
    {"sensor", nullptr, "daemon"},
    {"sensor", nullptr, "pid_file"},
    {"sensor", nullptr, "user"},
    {"sensor", nullptr, "group"},
    {"sensor", nullptr, "chroot"},
    {"sensor", nullptr, "mar_interval"},
    {"input", nullptr, "interface"},
    {"input", nullptr, "promiscuous"},
    {"input", nullptr, "filter"},
    {"input", nullptr, "filter_optimize"},
    {"input", nullptr, "buffer_size"},
    {"flows", nullptr, "status_interval"},
    {"flows", nullptr, "type"},
    {"flows", nullptr, "key"},
    {"flows", "idle_timeout", "tcp"},
    {"flows", "idle_timeout", "ip"},
    {"flows", "idle_timeout", "icmp"},
    {"flows", "idle_timeout", "igmp"},
    {"flows", "idle_timeout", "fragment"},
    {"flows", "idle_timeout", "arp"},
    {"flows", "idle_timeout", "other"},
    {"metrics", nullptr, "tcp_perf"},
    {"metrics", nullptr, "app_bytes"},
    {"metrics", nullptr, "mac"},
    {"metrics", nullptr, "jitter"},
    {"metrics", nullptr, "packet_size"},
    {"metrics", nullptr, "response_time"},
    {"metrics", nullptr, "user_data"},
    {"metrics", nullptr, "bidirectional_timestamps"},
    {"metrics", nullptr, "start_records"},
    {"metrics", nullptr, "track_duplicates"},
};

enum class Kind { kYesNo, kInterval, kTimeout, kString, kBufferSize, kDataLength };

// Options that map one-to-one onto a field.
struct PlainOption {
  const char* name;
  Kind kind;
  Field field;
};

constexpr PlainOption kPlainOptions[] = {
    {"ARGUS_DAEMON", Kind::kYesNo, kDaemon},
    {"ARGUS_MAR_STATUS_INTERVAL", Kind::kInterval, kMarInterval},
    {"ARGUS_GO_PROMISCUOUS", Kind::kYesNo, kPromiscuous},
    {"ARGUS_FILTER_OPTIMIZER", Kind::kYesNo, kFilterOptimize},
    {"ARGUS_FILTER", Kind::kString, kFilter},
    {"ARGUS_SETUSER_ID", Kind::kString, kUser},
    {"ARGUS_SETGROUP_ID", Kind::kString, kGroup},
    {"ARGUS_CHROOT_DIR", Kind::kString, kChroot},
    {"ARGUS_PCAP_BUF_SIZE", Kind::kBufferSize, kBufferSize},
    {"ARGUS_FLOW_STATUS_INTERVAL", Kind::kInterval, kStatusInterval},
    {"ARGUS_TCP_TIMEOUT", Kind::kTimeout, kTcpTimeout},
    {"ARGUS_IP_TIMEOUT", Kind::kTimeout, kIpTimeout},
    {"ARGUS_ICMP_TIMEOUT", Kind::kTimeout, kIcmpTimeout},
    {"ARGUS_IGMP_TIMEOUT", Kind::kTimeout, kIgmpTimeout},
    {"ARGUS_FRAG_TIMEOUT", Kind::kTimeout, kFragTimeout},
    {"ARGUS_ARP_TIMEOUT", Kind::kTimeout, kArpTimeout},
    {"ARGUS_OTHER_TIMEOUT", Kind::kTimeout, kOtherTimeout},
    {"ARGUS_GENERATE_TCP_PERF_METRIC", Kind::kYesNo, kTcpPerf},
    {"ARGUS_GENERATE_APPBYTE_METRIC", Kind::kYesNo, kAppBytes},
    {"ARGUS_GENERATE_MAC_DATA", Kind::kYesNo, kMac},
    {"ARGUS_GENERATE_JITTER_DATA", Kind::kYesNo, kJitter},
    {"ARGUS_GENERATE_PACKET_SIZE", Kind::kYesNo, kPacketSize},
    {"ARGUS_GENERATE_RESPONSE_TIME_DATA", Kind::kYesNo, kResponseTime},
    {"ARGUS_CAPTURE_DATA_LEN", Kind::kDataLength, kUserData},
    {"ARGUS_GENERATE_BIDIRECTIONAL_TIMESTAMPS", Kind::kYesNo, kBidirectionalTimestamps},
    {"ARGUS_GENERATE_START_RECORDS", Kind::kYesNo, kStartRecords},
    {"ARGUS_TRACK_DUPLICATES", Kind::kYesNo, kTrackDuplicates},
};

// When an option without an Argos equivalent still needs no note: its value
// already describes what Argos does, so nothing is lost in translation.
enum class SameAsArgos { kNever, kWhenNo, kWhenYes };

struct IgnoredOption {
  const char* name;
  SameAsArgos same;
  const char* why;
};

constexpr IgnoredOption kIgnoredOptions[] = {
    {"ARGUS_DEBUG_LEVEL", SameAsArgos::kNever, "argos has no debug levels"},
    {"ARGUS_EVENT_DATA", SameAsArgos::kNever, "EVENT records are not produced"},
    {"ARGUS_ENV", SameAsArgos::kNever, "not applied; set environment variables in the service definition"},
    {"ARGUS_PACKET_CAPTURE_FILE", SameAsArgos::kNever, "writing the packets seen to a pcap file is not supported"},
    {"ARGUS_PACKET_CAPTURE_ON_ERROR", SameAsArgos::kWhenNo,
     "writing unclassified packets to a pcap file is not supported"},
    {"ARGUS_TUNNEL_DISCOVERY", SameAsArgos::kWhenNo, "tunnel discovery is not supported"},
    {"ARGUS_SELF_SYNCHRONIZE", SameAsArgos::kWhenNo, "self-synchronised reporting is not supported"},
    {"ARGUS_KEYSTROKE", SameAsArgos::kWhenNo, "keystroke detection is not supported"},
    {"ARGUS_CAPTURE_FULL_CONTROL_DATA", SameAsArgos::kWhenNo, "control-plane capture is not supported"},
    {"ARGUS_MIN_SSF", SameAsArgos::kNever, "SASL is not supported"},
    {"ARGUS_MAX_SSF", SameAsArgos::kNever, "SASL is not supported"},
    {"ARGUS_COLLECTOR", SameAsArgos::kNever, "argus ignores it as well"},
};

// Keystroke detection has a family of tuning options; none apply.
constexpr std::string_view kKeystrokePrefix = "ARGUS_KEYSTROKE";

// Interface forms (argus-config.md 2.3): eth0, eth0/srcid, and ind:, dup:,
// bond: groups of comma-separated members, nested with []. The members'
// plain names, in order; "all" (ind:all) is no name. What the forms say
// beyond the names comes back in the flags.
struct InterfaceForm {
  std::vector<std::string> names;
  bool source_ids = false;    // a member carried /srcid
  bool independent = false;   // ind: (separate flow models in argus)
  bool all = false;           // ind:all
};
InterfaceForm parse_interface_form(std::string_view v) {
  InterfaceForm f;
  std::string flat;
  for (size_t i = 0; i < v.size();) {
    bool prefix = false;
    for (std::string_view p : {"ind:", "dup:", "bond:"}) {
      if (v.substr(i).substr(0, p.size()) == p) {
        f.independent |= p == "ind:";
        i += p.size();
        prefix = true;
        break;
      }
    }
    if (prefix) continue;
    if (v[i] != '[' && v[i] != ']') flat += v[i];
    ++i;
  }
  for (size_t start = 0; start <= flat.size();) {
    const size_t comma = std::min(flat.find(',', start), flat.size());
    std::string name = flat.substr(start, comma - start);
    if (const size_t slash = name.find('/'); slash != std::string::npos) {
      name.resize(slash);
      f.source_ids = true;
    }
    if (name == "all")
      f.all = true;
    else if (!name.empty())
      f.names.push_back(name);
    start = comma + 1;
  }
  return f;
}

// host, host:port, [v6] or [v6]:port as "host:port". A bare IPv6 address
// (two or more colons) gets brackets so the port stays unambiguous.
bool udp_target(std::string_view v, std::string& target) {
  std::string host;
  std::string_view port = kDefaultUdpPort;
  if (!v.empty() && v.front() == '[') {
    const size_t close = v.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    host = std::string(v.substr(0, close + 1));
    const std::string_view rest = v.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
    }
  } else if (std::count(v.begin(), v.end(), ':') > 1) {
    host = "[" + std::string(v) + "]";
  } else {
    const size_t colon = v.find(':');
    host = std::string(v.substr(0, colon));
    if (colon != std::string_view::npos) port = v.substr(colon + 1);
  }
  uint64_t port_number = 0;
  if (host.empty() || !parse_uint(port, kMaxPort, port_number) || port_number == 0) return false;
  target = host + ":" + std::to_string(port_number);
  return true;
}

class Converter {
 public:
  explicit Converter(const std::string& file_name) : file_(file_name) {}

  bool run(std::string_view text, ArgusConfResult& out, std::string& err) {
    int number = 0;
    while (!text.empty() || number == 0) {
      ++number;
      const size_t end = text.find('\n');
      std::string_view raw = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
      if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
      Line line;
      bool is_setting = false;
      if (!split(raw, number, line, is_setting)) break;
      if (is_setting && !apply(line)) break;
    }
    if (!error_.empty()) {
      err = error_;
      return false;
    }
    finish();
    out.yaml = emit();
    std::stable_sort(notes_.begin(), notes_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& n : notes_) out.notes.push_back(file_ + ":" + std::to_string(n.first) + ": " + n.second);
    return true;
  }

 private:
  bool fail(int number, std::string_view message) {
    error_ = file_ + ":" + std::to_string(number) + ": " + std::string(message);
    return false;
  }

  bool fail_value(const Line& l, std::string_view expected) {
    return fail(l.number, std::string(l.name) + ": expected " + std::string(expected) + ", got \"" +
                              std::string(l.value) + "\"");
  }

  void note(int number, std::string_view name, std::string_view why) {
    notes_.emplace_back(number, std::string(name) + ": " + std::string(why));
  }

  // The file syntax of argus-config.md section 1.
  bool split(std::string_view raw, int number, Line& line, bool& is_setting) {
    const std::string_view body = trim(raw);
    if (body.empty() || body.front() == '#' || body.front() == '!') return true;
    const size_t eq = body.find('=');
    const std::string_view name = body.substr(0, eq);
    const bool name_ok = eq != std::string_view::npos && !name.empty() && !is_digit(name.front()) &&
                         std::all_of(name.begin(), name.end(), [](char c) {
                           return c == '_' || is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z');
                         });
    if (!name_ok) {
      if (eq != std::string_view::npos && !name.empty() && is_space(name.back())) {
        return fail(number, std::string(trim(name)) + ": no spaces are allowed around '='");
      }
      return fail(number, "expected NAME=value, a comment (# or !) or a blank line");
    }
    std::string_view value = body.substr(eq + 1);
    // argus would read " yes" as no; better to stop than to guess.
    if (!trim(value).empty() && is_space(value.front())) {
      return fail(number, std::string(name) + ": no spaces are allowed around '='");
    }
    std::string_view written = value;
    if (!value.empty() && value.front() == '"') {
      const size_t close = value.find('"', 1);
      if (close == std::string_view::npos) return fail(number, std::string(name) + ": missing closing quote");
      const std::string_view after = value.substr(close + 1);
      const bool comment_only = !after.empty() && is_space(after.front()) && starts_with(trim(after), "//");
      if (!trim(after).empty() && !comment_only) {
        return fail(number, std::string(name) + ": unexpected text after the closing quote");
      }
      written = value.substr(0, close + 1);
      value = value.substr(1, close - 1);
    } else {
      // Only " //" starts a comment, so argus-udp://host survives.
      for (size_t i = 1; i + 1 < value.size(); ++i) {
        if (value[i] == '/' && value[i + 1] == '/' && is_space(value[i - 1])) {
          value = value.substr(0, i);
          break;
        }
      }
      value = trim(value);
      written = value;
    }
    line.number = number;
    line.name = name;
    line.value = value;
    line.source = std::string(name) + "=" + std::string(written);
    is_setting = true;
    return true;
  }

  // Single-valued options: the last assignment wins, as in argus.
  void assign(Setting& s, const Line& l, std::string value) {
    if (s.line != 0) {
      note(l.number, l.name,
           "replaces the value from line " + std::to_string(s.line) + " (the last one wins, as in argus)");
    }
    s.line = l.number;
    s.value = std::move(value);
    s.sources.assign(1, l.source);
  }

  bool apply(const Line& l) {
    for (const PlainOption& o : kPlainOptions) {
      if (l.name == o.name) return apply_plain(l, o);
    }
    if (l.name == "ARGUS_MONITOR_ID") {
      // `hostname` is run by argus on the sensor host; its answer is not known here.
      if (!l.value.empty() && l.value.front() == '`') {
        assign(fields_[kMonitorId], l, "");  // for the note when it replaces an earlier id
        fields_[kMonitorId] = Setting();
        note(l.number, l.name, "command substitution is not supported; set sensor.monitor_id by hand");
        return true;
      }
      // A number or an IPv4 address as it is; a double-quoted word is a
      // string id, which sensor.monitor_id writes in its quotes; a bare
      // word is a host name argus would resolve, which is not done here.
      SourceId id;
      const std::string value(l.value);
      if (parse_source_id(value.c_str(), id)) {
        assign(fields_[kMonitorId], l, yaml_quote(value));
      } else if (l.source.find('"') != std::string::npos && !value.empty()) {
        assign(fields_[kMonitorId], l, yaml_quote("\"" + value + "\""));
        if (value.size() > 4) note(l.number, l.name, "a string id keeps its first 4 characters, as in argus");
      } else {
        note(l.number, l.name,
             "\"" + value + "\" is neither a number nor an IPv4 address; host names are not resolved here: set "
             "sensor.monitor_id by hand");
      }
      return true;
    }
    if (l.name == "ARGUS_SET_PID") {
      assign(set_pid_, l, std::string(l.value));
      return true;
    }
    if (l.name == "ARGUS_PID_PATH") {
      if (l.value.empty()) return fail_value(l, "a directory");
      assign(pid_path_, l, std::string(l.value));
      return true;
    }
    if (l.name == "ARGUS_INTERFACE") {
      if (l.value.empty()) return fail_value(l, "an interface name");
      interfaces_.push_back(ListItem{l.number, std::string(l.value), l.source});
      return true;
    }
    if (l.name == "ARGUS_OUTPUT_FILE" || l.name == "ARGUS_OUTPUT_STREAM") return apply_output(l);
    if (l.name == "ARGUS_ACCESS_PORT") {
      uint64_t port = 0;
      if (!parse_uint(l.value, kMaxPort, port)) return fail_value(l, "a port from 0 to 65535 (0 = off)");
      assign(access_port_, l, std::to_string(port));
      return true;
    }
    if (l.name == "ARGUS_BIND_IP") {
      std::string_view rest = l.value;
      for (;;) {
        const size_t comma = rest.find(',');
        const std::string_view address = trim(rest.substr(0, comma));
        if (address.empty()) return fail_value(l, "comma-separated addresses");
        binds_.push_back(ListItem{l.number, yaml_quote(address), l.source});
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
      }
      return true;
    }
    if (l.name == "ARGUS_FLOW_TYPE") {
      assign(flow_type_, l, std::string(l.value));
      return true;
    }
    if (l.name == "ARGUS_FLOW_KEY") {
      assign(flow_key_, l, std::string(l.value));
      return true;
    }
    for (const IgnoredOption& o : kIgnoredOptions) {
      if (l.name != o.name) continue;
      const bool same = (o.same == SameAsArgos::kWhenNo && equals_nocase(l.value, "no")) ||
                        (o.same == SameAsArgos::kWhenYes && argus_yes(l.value));
      if (!same) note(l.number, l.name, std::string("no Argos equivalent, ignored: ") + o.why);
      return true;
    }
    if (starts_with(l.name, kKeystrokePrefix)) {
      note(l.number, l.name, "no Argos equivalent, ignored: keystroke detection is not supported");
      return true;
    }
    note(l.number, l.name, "unknown option, ignored");
    return true;
  }

  bool apply_plain(const Line& l, const PlainOption& o) {
    std::string yaml;
    switch (o.kind) {
      case Kind::kYesNo:
        yaml = argus_yes(l.value) ? "true" : "false";
        break;
      case Kind::kInterval:
        if (!parse_seconds(l.value, true, yaml)) {
          return fail_value(l, "seconds, more than 0 and at most 65534 (fractions allowed)");
        }
        // Argos sends MARs at most once a second.
        if (o.field == kMarInterval && std::strtod(std::string(l.value).c_str(), nullptr) < 1)
          return fail_value(l, "seconds from 1 to 65534 (argos sends management records at most once a second)");
        break;
      case Kind::kTimeout:
        if (!parse_seconds(l.value, false, yaml)) return fail_value(l, "whole seconds from 1 to 65534");
        break;
      case Kind::kString:
        yaml = yaml_quote(l.value);
        break;
      case Kind::kBufferSize: {
        uint64_t bytes = 0;
        if (!parse_buffer_size(l.value, bytes)) {
          return fail_value(l, "a byte count from 1 to 2147483647, optionally with a K, M or G suffix");
        }
        yaml = std::to_string(bytes);
        break;
      }
      case Kind::kDataLength: {
        uint64_t bytes = 0;
        if (!parse_uint(l.value, kMaxCaptureDataBytes, bytes)) return fail_value(l, "a byte count from 0 to 65535");
        yaml = std::to_string(bytes);
        break;
      }
    }
    assign(fields_[o.field], l, std::move(yaml));
    return true;
  }

  // The value is a target and an optional record filter (Argus filter language).
  bool apply_output(const Line& l) {
    const size_t gap = l.value.find_first_of(" \t");
    const std::string_view target = l.value.substr(0, gap);
    std::string_view filter = gap == std::string_view::npos ? std::string_view() : trim(l.value.substr(gap));
    if (target.empty()) return fail_value(l, "an output file or argus-udp://host[:port]");
    if (filter.size() >= 2 && filter.front() == '"' && filter.back() == '"') filter = filter.substr(1, filter.size() - 2);
    // An output keeps its record filter when Argos reads it the same way.
    std::string why;
    RecordFilter rf;
    const bool keep = !filter.empty() && rf.compile(std::string(filter), why);
    // The filter goes under the item's first key (list at indent 4).
    const std::string with_filter = keep ? "\n      filter: " + yaml_quote(filter) : std::string();
    if (keep) filter = {};
    const bool stream = l.name == "ARGUS_OUTPUT_STREAM";
    if (stream || starts_with(target, kUdpScheme)) {
      const std::string_view host_port = starts_with(target, kUdpScheme) ? target.substr(kUdpScheme.size()) : target;
      std::string yaml;
      if (!udp_target(host_port, yaml)) return fail_value(l, "argus-udp://host[:port] with a port from 1 to 65535");
      udp_.push_back(ListItem{l.number, keep ? "address: " + yaml_quote(yaml) + with_filter : yaml_quote(yaml), l.source});
    } else {
      files_.push_back(ListItem{l.number, "path: " + yaml_quote(target) + with_filter, l.source});
    }
    if (!filter.empty())
      note(l.number, l.name,
           "record filter \"" + std::string(filter) + "\" dropped (" + why + "); Argos sends every record to this output");
    return true;
  }

  // Settings that depend on more than one line are resolved once the whole file is read.
  void finish() {
    if (set_pid_.line != 0 && argus_yes(set_pid_.value)) {
      std::string dir = pid_path_.line != 0 ? pid_path_.value : kDefaultPidDir;
      while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
      const std::string path = (dir == "/" ? "" : dir) + "/argos.pid";
      Setting& pid = fields_[kPidFile];
      pid.line = set_pid_.line;
      pid.value = yaml_quote(path);
      pid.sources = set_pid_.sources;
      if (pid_path_.line != 0) pid.sources.push_back(pid_path_.sources.front());
      note(set_pid_.line, "ARGUS_SET_PID",
           "the pid file is " + path + "; argus named it after the program and the interface");
    } else if (pid_path_.line != 0) {
      note(pid_path_.line, "ARGUS_PID_PATH", "ignored, as in argus, because ARGUS_SET_PID is not yes");
    }

    // Every member of every line, read together as one link (argos has
    // one flow table for all its interfaces): what dup: and bond: mean.
    std::vector<std::string> names;
    std::vector<std::string> sources;
    int first_line = 0;
    for (const ListItem& i : interfaces_) {
      const InterfaceForm f = parse_interface_form(i.text);
      if (f.all) note(i.line, "ARGUS_INTERFACE", "\"" + i.text + "\": every interface (all) is not supported; name them");
      if (f.source_ids)
        note(i.line, "ARGUS_INTERFACE", "\"" + i.text + "\": a source id per interface is not supported; -e sets one for all");
      if (f.independent && f.names.size() > 1)
        note(i.line, "ARGUS_INTERFACE",
             "\"" + i.text + "\": argus keeps a flow model per interface; argos reads its interfaces as one link");
      for (const std::string& n : f.names) {
        if (std::find(names.begin(), names.end(), n) != names.end()) continue;
        names.push_back(n);
        if (first_line == 0) first_line = i.line;
        if (std::find(sources.begin(), sources.end(), i.source) == sources.end()) sources.push_back(i.source);
      }
    }
    if (names.size() == 1) {
      fields_[kInterface] = Setting{first_line, yaml_quote(names[0]), sources};
    } else if (!names.empty()) {
      std::string list;
      for (const std::string& n : names) list += (list.empty() ? "[" : ", ") + yaml_quote(n);
      fields_[kInterface] = Setting{first_line, list + "]", sources};
    }

    if (flow_type_.line != 0) {
      // Bidirectional is Argos's default, as argus's: nothing to say.
      if (equals_nocase(flow_type_.value, "Unidirectional")) {
        fields_[kFlowType] = flow_type_;
        fields_[kFlowType].value = "unidirectional";
      } else if (!equals_nocase(flow_type_.value, "Bidirectional")) {
        note(flow_type_.line, "ARGUS_FLOW_TYPE",
             "\"" + flow_type_.value + "\" is neither Bidirectional nor Unidirectional; ignored");
      }
    }
    // The 5-tuple or the address pair; other keys have no equivalent.
    if (flow_key_.line != 0 && equals_nocase(flow_key_.value, "LAYER_3_MATRIX")) {
      fields_[kFlowKey] = flow_key_;
      fields_[kFlowKey].value = "layer_3_matrix";
      // argus's flows are unidirectional with any key but the 5-tuple,
      // unless ARGUS_FLOW_TYPE says otherwise.
      if (flow_type_.line == 0) {
        fields_[kFlowType] = flow_key_;
        fields_[kFlowType].value = "unidirectional";
      }
    } else if (flow_key_.line != 0 && !equals_nocase(flow_key_.value, "CLASSIC_5_TUPLE")) {
      note(flow_key_.line, "ARGUS_FLOW_KEY",
           "no Argos equivalent, ignored: flows are keyed by the 5-tuple (or LAYER_3_MATRIX alone)");
    }

    if (access_port_.line == 0 || access_port_.value == "0") {
      for (const ListItem& b : binds_) {
        note(b.line, "ARGUS_BIND_IP", "ignored because ARGUS_ACCESS_PORT is unset or 0 (no listener)");
      }
      binds_.clear();
    }
  }

  static void comment(std::string& y, int indent, const std::string& source) {
    y.append(static_cast<size_t>(indent), ' ');
    y += "# ";
    y += comment_safe(source);
    y += '\n';
  }

  // A block list; a comment precedes each run of items from the same line.
  static void emit_list(std::string& y, int indent, const char* key, const std::vector<ListItem>& items) {
    y.append(static_cast<size_t>(indent), ' ');
    y += key;
    y += ":\n";
    int last_line = 0;
    for (const ListItem& i : items) {
      if (i.line != last_line) comment(y, indent + 2, i.source);
      last_line = i.line;
      y.append(static_cast<size_t>(indent + 2), ' ');
      y += "- ";
      y += i.text;
      y += '\n';
    }
  }

  std::string emit() const {
    std::string y = "# Argos configuration converted from the argus configuration file " + comment_safe(file_) +
                    ".\n# Each setting is preceded by the argus option it came from.\n";
    const size_t header_size = y.size();
    const char* section = nullptr;
    const char* group = nullptr;
    for (int f = 0; f < kFieldCount; ++f) {
      const Setting& s = fields_[f];
      if (s.line == 0) continue;
      const Place& p = kPlaces[f];
      if (section == nullptr || std::strcmp(section, p.section) != 0) {
        y += p.section;
        y += ":\n";
        section = p.section;
        group = nullptr;
      }
      if (p.group != nullptr && (group == nullptr || std::strcmp(group, p.group) != 0)) {
        y += "  ";
        y += p.group;
        y += ":\n";
      }
      group = p.group;
      const int indent = p.group != nullptr ? 4 : 2;
      for (const std::string& source : s.sources) comment(y, indent, source);
      y.append(static_cast<size_t>(indent), ' ');
      y += p.key;
      y += ": ";
      y += s.value;
      y += '\n';
    }
    const bool server = access_port_.line != 0 && access_port_.value != "0";
    if (!files_.empty() || !udp_.empty() || server) {
      y += "outputs:\n";
      if (!files_.empty()) emit_list(y, 2, "files", files_);
      if (!udp_.empty()) emit_list(y, 2, "udp", udp_);
      if (server) {
        y += "  server:\n";
        comment(y, 4, access_port_.sources.front());
        y += "    port: " + access_port_.value + "\n";
        if (!binds_.empty()) emit_list(y, 4, "bind", binds_);
      }
    }
    // Keep the document a map even when the file sets nothing we carry over.
    if (y.size() == header_size) y += "{}\n";
    return y;
  }

  std::string file_;
  std::string error_;
  std::vector<std::pair<int, std::string>> notes_;  // line, "NAME: why"
  Setting fields_[kFieldCount];
  Setting set_pid_;
  Setting pid_path_;
  Setting access_port_;
  Setting flow_type_;
  Setting flow_key_;
  std::vector<ListItem> interfaces_;
  std::vector<ListItem> files_;
  std::vector<ListItem> udp_;
  std::vector<ListItem> binds_;
};

}  // namespace

bool argus_conf_to_yaml(const std::string& text, const std::string& file_name, ArgusConfResult& out,
                        std::string& err) {
  Converter converter(file_name);
  ArgusConfResult result;
  if (!converter.run(text, result, err)) return false;
  out = std::move(result);
  return true;
}

}  // namespace argos
