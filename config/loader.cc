#include "config/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "config/options.h"

namespace argos {

namespace {

// yaml-cpp recurses once per nesting level: a hostile file of a hundred
// thousand '[' would exhaust the stack before it could complain.
constexpr int kMaxNesting = 64;

std::string mark_text(const std::string& file, const YAML::Mark& m) {
  if (m.is_null()) return file;
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

// Deepest flow-style bracket nesting and block indentation, roughly: enough
// to refuse pathological input before the parser recurses into it.
bool nesting_ok(const std::string& text, int& line_out) {
  int depth = 0, line = 1;
  char quote = 0;
  for (char c : text) {
    if (c == '\n') ++line;
    if (quote) {
      if (c == quote || c == '\n') quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    if (c == '#') quote = '\n';  // a comment runs to the end of the line
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (depth > kMaxNesting) {
      line_out = line;
      return false;
    }
  }
  return true;
}

// False when the text holds a second document: a "---" marker after
// content, or content after a "..." end marker; `line_out` names the line.
// Markers are only markers in column 0, so a line scan finds every one.
// `has_content` tells whether anything but comments and directives is there.
bool single_document(const std::string& text, int& line_out, bool& has_content) {
  bool content = false, ended = false;
  int line = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string l = text.substr(pos, end - pos);
    ++line;
    pos = end + 1;
    const bool start_marker = l.rfind("---", 0) == 0 && (l.size() == 3 || std::isspace(static_cast<unsigned char>(l[3])));
    const bool end_marker = l.rfind("...", 0) == 0 && (l.size() == 3 || std::isspace(static_cast<unsigned char>(l[3])));
    const size_t first = l.find_first_not_of(" \t\r", start_marker || end_marker ? 3 : 0);
    const bool text_here = first != std::string::npos && l[first] != '#' && !(first == 0 && l[0] == '%');
    if (start_marker && (content || ended)) {
      line_out = line;
      return false;
    }
    if (end_marker) {
      ended = content;
      continue;
    }
    if (text_here) {
      if (ended) {
        line_out = line;
        return false;
      }
      content = true;
    }
  }
  has_content = content;
  return true;
}

class Loader {
 public:
  Loader(const std::string& file, SensorConfig& cfg, ConfigOrigins& origins)
      : file_(file), cfg_(cfg), origins_(origins) {}

  bool load(const YAML::Node& root) {
    if (!root || root.IsNull()) return true;  // an empty file: nothing to change
    if (!root.IsMap()) return fail(root.Mark(), "", "the file must be a map of settings (sensor:, input:, flows:, ...)");
    return walk(root, "");
  }

  const std::string& error() const { return err_; }

 private:
  bool fail(const YAML::Mark& m, const std::string& key, const std::string& why) {
    err_ = mark_text(file_, m) + ": " + (key.empty() ? "" : key + ": ") + why;
    return false;
  }

  static bool is_group(const std::string& path) {
    const std::string prefix = path + ".";
    for (const auto& o : option_table())
      if (std::strncmp(o.key, prefix.c_str(), prefix.size()) == 0) return true;
    return false;
  }

  static const char* type_name(const YAML::Node& n) {
    if (n.IsMap()) return "a map";
    if (n.IsSequence()) return "a list";
    if (n.IsNull()) return "nothing";
    return "a value";
  }

  bool walk(const YAML::Node& map, const std::string& prefix) {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      // Copies: the iterator hands out a temporary pair.
      const YAML::Node k = it->first;
      const YAML::Node v = it->second;
      if (!k.IsScalar()) return fail(k.Mark(), prefix, "a key must be a plain word");
      const std::string name = k.Scalar();
      const std::string path = prefix.empty() ? name : prefix + "." + name;
      if (!seen.insert(name).second) return fail(k.Mark(), path, "given twice in the same map");
      if (const OptionSpec* spec = find_option_by_key(path)) {
        if (!apply(*spec, k, v, path)) return false;
        continue;
      }
      if (is_group(path)) {
        if (v.IsNull()) continue;  // "flows:" with nothing under it
        if (!v.IsMap()) return fail(v.Mark(), path, std::string("expected a map of settings, found ") + type_name(v));
        if (!walk(v, path)) return false;
        continue;
      }
      const std::string hint = closest_key(path);
      return fail(k.Mark(), path, "unknown key" + (hint.empty() ? std::string() : " (did you mean " + hint + "?)"));
    }
    return true;
  }

  bool scalar(const OptionSpec& spec, const YAML::Node& v, const std::string& path) {
    std::string why;
    // A bare number is seconds in this file; a setting whose flag counts
    // another unit (--exit-when-idle MS) would read it as that unit, so
    // here it must say which.
    if (spec.kind == OptionKind::kSeconds && spec.bare_unit && std::strcmp(spec.bare_unit, "s") != 0 && !v.Scalar().empty() &&
        v.Scalar().find_first_not_of("0123456789.") == std::string::npos)
      return fail(v.Mark(), path, "'" + v.Scalar() + "' needs a unit (" + v.Scalar() + "ms or " + v.Scalar() +
                  "s): " + spec.flag + " counts " + spec.bare_unit + ", other durations here count seconds");
    if (!parse_option_value(spec, v.Scalar(), cfg_, why)) return fail(v.Mark(), path, why);
    return true;
  }

  bool apply(const OptionSpec& spec, const YAML::Node& k, const YAML::Node& v, const std::string& path) {
    origins_[path] = mark_text(file_, v.IsNull() ? k.Mark() : v.Mark());
    switch (spec.kind) {
      case OptionKind::kTextList:
      case OptionKind::kCountList: {
        if (spec.kind == OptionKind::kTextList)
          spec.as_text_list(cfg_).clear();
        else
          spec.as_count_list(cfg_).clear();
        if (v.IsNull()) return true;  // "allow:" alone: an empty list
        if (v.IsScalar()) return scalar(spec, v, path);  // one item without brackets
        if (!v.IsSequence()) return fail(v.Mark(), path, std::string("expected a list, found ") + type_name(v));
        for (size_t i = 0; i < v.size(); ++i) {
          const YAML::Node item = v[i];
          const std::string ipath = path + "[" + std::to_string(i) + "]";
          if (!item.IsScalar())
            return fail(item.Mark(), ipath, std::string("expected a value, found ") + type_name(item));
          origins_[ipath] = mark_text(file_, item.Mark());
          if (!scalar(spec, item, ipath)) return false;
        }
        return true;
      }
      case OptionKind::kFiles:
        return files(v, path);
      case OptionKind::kPorts:
        return ports(v, path);
      case OptionKind::kUdp:
        return udp(v, path);
      case OptionKind::kText:
        if (v.IsNull()) {
          spec.as_text(cfg_).clear();
          return true;
        }
        [[fallthrough]];
      default:
        if (v.IsNull()) return fail(k.Mark(), path, "has no value");
        if (!v.IsScalar()) return fail(v.Mark(), path, std::string("expected a value, found ") + type_name(v));
        return scalar(spec, v, path);
    }
  }

  // One item of a list setting: a scalar (its main field alone) or a map of
  // scalar fields out of `keys`, the first being the main field, required.
  // `set(field, value, path)` stores one field; false once it has failed.
  template <typename Set>
  bool entry(const YAML::Node& item, const std::string& ipath, const char* what, const char* main_noun,
             std::initializer_list<const char*> keys, Set set) {
    origins_[ipath] = mark_text(file_, item.Mark());
    const std::string main = *keys.begin();
    if (item.IsScalar()) return set(main, item, ipath);
    if (!item.IsMap())
      return fail(item.Mark(), ipath, std::string("expected a ") + main_noun + " or a map, found " + type_name(item));
    std::string known;
    for (const char* k : keys) known += std::string(known.empty() ? "" : ", ") + k;
    std::set<std::string> seen;
    for (auto it = item.begin(); it != item.end(); ++it) {
      // Copies: the iterator hands out a temporary pair.
      const YAML::Node k = it->first;
      const YAML::Node val = it->second;
      if (!k.IsScalar()) return fail(k.Mark(), ipath, "a key must be a plain word");
      const std::string name = k.Scalar();
      const std::string kpath = ipath + "." + name;
      if (!seen.insert(name).second) return fail(k.Mark(), kpath, "given twice in the same map");
      if (std::find_if(keys.begin(), keys.end(), [&](const char* x) { return name == x; }) == keys.end())
        return fail(k.Mark(), kpath, std::string("unknown key (a ") + what + " has " + known + ")");
      if (!val.IsScalar()) return fail(val.IsNull() ? k.Mark() : val.Mark(), kpath, "expected a value");
      origins_[kpath] = mark_text(file_, val.Mark());
      if (!set(name, val, kpath)) return false;
    }
    if (!seen.count(main)) return fail(item.Mark(), ipath, std::string("a ") + what + " needs a " + main);
    return true;
  }

  // outputs.files: a list of paths or of {path, rotate_size, rotate_interval, rotate_utc, filter}.
  bool files(const YAML::Node& v, const std::string& path) {
    cfg_.files.clear();
    if (v.IsNull()) return true;
    if (!v.IsSequence()) return fail(v.Mark(), path, std::string("expected a list of files, found ") + type_name(v));
    for (size_t i = 0; i < v.size(); ++i) {
      const YAML::Node item = v[i];
      const std::string ipath = path + "[" + std::to_string(i) + "]";
      FileOutputConfig f;
      const bool ok = entry(item, ipath, "file", "path",
                            {"path", "rotate_size", "rotate_interval", "rotate_utc", "filter"},
                            [&](const std::string& name, const YAML::Node& val, const std::string& kpath) {
        const std::string text = val.Scalar();
        if (name == "path") {
          f.path = text;
        } else if (name == "rotate_size") {
          if (!parse_bytes_text(text, f.rotate_bytes))
            return fail(val.Mark(), kpath, "'" + text + "' is not a size in bytes (e.g. 100MiB, 1GiB)");
          if (f.rotate_bytes && f.rotate_bytes < 4096)
            return fail(val.Mark(), kpath, "'" + text + "' is too small: at least 4096 bytes (0 = off)");
        } else if (name == "filter") {
          f.filter = text;
        } else if (name == "rotate_interval") {
          if (!parse_seconds_text(text, "s", f.rotate_interval_s) || !whole_seconds_u32(f.rotate_interval_s))
            return fail(val.Mark(), kpath, "'" + text + "' is not a whole number of seconds (e.g. 3600s, 60m, 1h)");
        } else if (!parse_bool_text(text, f.rotate_utc)) {
          return fail(val.Mark(), kpath, "'" + text + "' is not true or false");
        }
        return true;
      });
      if (!ok) return false;
      if (f.path.empty()) return fail(item.Mark(), ipath, "an empty path");
      cfg_.files.push_back(f);
    }
    return true;
  }

  // outputs.udp: a list of HOST[:PORT] or of {address, filter}; one alone
  // stands for a list of one.
  bool udp(const YAML::Node& v, const std::string& path) {
    cfg_.udp.clear();
    return items(v, path, "collectors", [&](const YAML::Node& item, const std::string& ipath) {
      return udp_entry(item, ipath);
    });
  }

  // A list setting whose items may be maps: null is an empty list, one item
  // alone a list of one; `each(item, path)` reads an item.
  template <typename Each>
  bool items(const YAML::Node& v, const std::string& path, const char* plural, Each each) {
    if (v.IsNull()) return true;
    if (v.IsScalar()) return each(v, path + "[0]");
    if (!v.IsSequence()) return fail(v.Mark(), path, std::string("expected a list of ") + plural + ", found " + type_name(v));
    for (size_t i = 0; i < v.size(); ++i)
      if (!each(v[i], path + "[" + std::to_string(i) + "]")) return false;
    return true;
  }

  bool udp_entry(const YAML::Node& item, const std::string& ipath) {
    UdpOutputConfig u;
    const bool ok = entry(item, ipath, "collector", "HOST[:PORT]", {"address", "filter"},
                          [&](const std::string& name, const YAML::Node& val, const std::string&) {
      (name == "address" ? u.address : u.filter) = val.Scalar();
      return true;
    });
    if (!ok) return false;
    if (u.address.empty()) return fail(item.Mark(), ipath, "an empty address");
    cfg_.udp.push_back(u);
    return true;
  }

  // input.dpdk.ports: a list of names or of {name, rx_queues}; one name alone
  // stands for a list of one.
  bool ports(const YAML::Node& v, const std::string& path) {
    cfg_.dpdk_ports.clear();
    return items(v, path, "ports", [&](const YAML::Node& item, const std::string& ipath) { return port(item, ipath); });
  }

  bool port(const YAML::Node& item, const std::string& ipath) {
    DpdkPortConfig p;
    const bool ok = entry(item, ipath, "port", "port name", {"name", "rx_queues"},
                          [&](const std::string& name, const YAML::Node& val, const std::string& kpath) {
      if (name == "name") {
        p.name = val.Scalar();
        return true;
      }
      // The same range as input.dpdk.rx_queues, through its parser.
      SensorConfig scratch;
      std::string why;
      if (!parse_option_value(*find_option_by_key("input.dpdk.rx_queues"), val.Scalar(), scratch, why))
        return fail(val.Mark(), kpath, why);
      p.rx_queues = scratch.rx_queues;
      return true;
    });
    if (!ok) return false;
    if (p.name.empty()) return fail(item.Mark(), ipath, "an empty port name");
    cfg_.dpdk_ports.push_back(p);
    return true;
  }

  const std::string& file_;
  SensorConfig& cfg_;
  ConfigOrigins& origins_;
  std::string err_;
};

}  // namespace

namespace {
// yaml-cpp 0.7 takes a quoted scalar that is never closed to run to the end
// of the file, swallowing every setting after it into one value. A quoted
// scalar's mark is its opening quote: the text from there must close it.
bool quote_closed(const std::string& text, size_t at) {
  const char q = text[at];
  for (size_t i = at + 1; i < text.size(); ++i) {
    if (q == '"' && text[i] == '\\') {
      ++i;  // an escape: the next character is part of the value
    } else if (text[i] == q) {
      if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' inside single quotes is one quote
        continue;
      }
      return true;
    }
  }
  return false;
}

// The first quoted scalar of `n` that is never closed, through keys, values
// and items. Nodes reached again through an alias (same mark) are skipped,
// so a file of nested aliases costs its size, not their expansion.
bool find_unclosed_quote(const YAML::Node& n, const std::string& text, std::set<int>& seen, YAML::Mark& at) {
  const YAML::Mark m = n.Mark();
  if (!seen.insert(m.pos).second) return false;
  if (n.IsScalar()) {
    if (m.pos < 0 || static_cast<size_t>(m.pos) >= text.size()) return false;
    const char c = text[static_cast<size_t>(m.pos)];
    if ((c == '"' || c == '\'') && !quote_closed(text, static_cast<size_t>(m.pos))) {
      at = m;
      return true;
    }
    return false;
  }
  if (n.IsMap()) {
    for (const auto& kv : n)
      if (find_unclosed_quote(kv.first, text, seen, at) || find_unclosed_quote(kv.second, text, seen, at)) return true;
  } else if (n.IsSequence()) {
    for (const auto& item : n)
      if (find_unclosed_quote(item, text, seen, at)) return true;
  }
  return false;
}
}  // namespace

bool load_config_text(const std::string& text, const std::string& file_name, SensorConfig& cfg,
                      ConfigOrigins& origins, std::string& err) {
  int line = 0;
  if (!nesting_ok(text, line)) {
    err = file_name + ":" + std::to_string(line) + ": nested more than " + std::to_string(kMaxNesting) + " levels deep";
    return false;
  }
  if (text.find('\0') != std::string::npos) {
    err = file_name + ": not a text file (it holds NUL bytes)";
    return false;
  }
  // A second document is refused before parsing: yaml-cpp 0.7's LoadAll
  // loops forever on some malformed streams (a stray ',' at the top), Load
  // reads one document only and does not.
  int second = 0;
  bool has_content = false;
  if (!single_document(text, second, has_content)) {
    err = file_name + ":" + std::to_string(second) + ":1: a second YAML document: one configuration per file";
    return false;
  }
  // yaml-cpp reports syntax errors (and only those: values are read as text
  // here, never converted by it) with exceptions; none leaves the loader.
  try {
    const YAML::Node root = YAML::Load(text);
    // yaml-cpp reads some malformed text (a lone ",") as an empty document.
    if (has_content && (!root || root.IsNull())) {
      err = file_name + ":1:1: no settings found: the file must be a YAML map of settings";
      return false;
    }
    std::set<int> seen;
    YAML::Mark open_quote;
    if (find_unclosed_quote(root, text, seen, open_quote)) {
      err = mark_text(file_name, open_quote) + ": this quote is never closed (the rest of the file would be its value)";
      return false;
    }
    Loader loader(file_name, cfg, origins);
    if (!loader.load(root)) {
      err = loader.error();
      return false;
    }
    return true;
  } catch (const YAML::Exception& e) {
    err = mark_text(file_name, e.mark) + ": " + (e.msg.empty() ? "not valid YAML" : e.msg);
  } catch (const std::exception& e) {
    err = file_name + ": " + e.what();
  }
  return false;
}

bool load_config_file(const std::string& path, SensorConfig& cfg, ConfigOrigins& origins, std::string& err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = "cannot read configuration file '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes) {
      err = path + ": larger than " + std::to_string(kMaxConfigBytes >> 20) + " MiB: not a configuration file";
      return false;
    }
  }
  if (in.bad()) {
    err = "cannot read configuration file '" + path + "': " + std::strerror(errno);
    return false;
  }
  return load_config_text(text, path, cfg, origins, err);
}

std::string print_config(const SensorConfig& given) {
  SensorConfig cfg = given;  // the accessors hand out references
  YAML::Emitter out;
  out << YAML::Comment("argos configuration: every setting, as in effect") << YAML::Newline;
  out << YAML::BeginMap;
  std::vector<std::string> open;  // group path segments currently open
  for (const OptionSpec& o : option_table()) {
    std::vector<std::string> segs;
    std::stringstream ss(o.key);
    for (std::string s; std::getline(ss, s, '.');) segs.push_back(s);
    const std::string leaf = segs.back();
    segs.pop_back();
    size_t common = 0;
    while (common < open.size() && common < segs.size() && open[common] == segs[common]) ++common;
    while (open.size() > common) {
      out << YAML::EndMap;
      open.pop_back();
    }
    while (open.size() < segs.size()) {
      out << YAML::Key << segs[open.size()] << YAML::Value << YAML::BeginMap;
      open.push_back(segs[open.size()]);
    }
    out << YAML::Key << leaf << YAML::Value;
    bool udp_block = false;
    switch (o.kind) {
      case OptionKind::kBool:
        out << (o.as_bool(cfg) ? "true" : "false");
        break;
      case OptionKind::kCount:
        out << o.as_count(cfg);
        break;
      case OptionKind::kBytes:
        out << format_bytes(o.as_bytes(cfg));
        break;
      case OptionKind::kSeconds:
        out << format_seconds(o.as_double(cfg));
        break;
      case OptionKind::kNumber: {
        char b[32];
        std::snprintf(b, sizeof b, "%.12g", o.as_double(cfg));
        out << b;
        break;
      }
      case OptionKind::kText:
      case OptionKind::kChoice:
        out << YAML::DoubleQuoted << o.as_text(cfg);
        break;
      case OptionKind::kTextList:
        out << YAML::Flow << YAML::BeginSeq;
        for (const auto& s : o.as_text_list(cfg)) out << YAML::DoubleQuoted << s;
        out << YAML::EndSeq;
        break;
      case OptionKind::kCountList:
        out << YAML::Flow << YAML::BeginSeq;
        for (uint32_t v : o.as_count_list(cfg)) out << v;
        out << YAML::EndSeq;
        break;
      case OptionKind::kPorts:
        out << YAML::Flow << YAML::BeginSeq;
        for (const auto& p : cfg.dpdk_ports) {
          if (!p.rx_queues) {  // input.dpdk.rx_queues applies: the name alone says so
            out << YAML::DoubleQuoted << p.name;
            continue;
          }
          out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << p.name
              << YAML::Key << "rx_queues" << YAML::Value << p.rx_queues << YAML::EndMap;
        }
        out << YAML::EndSeq;
        break;
      case OptionKind::kUdp:
        // Addresses alone on one line; a block of maps once one has a filter.
        for (const auto& u : cfg.udp) udp_block |= !u.filter.empty();
        if (!udp_block) {
          out << YAML::Flow << YAML::BeginSeq;
          for (const auto& u : cfg.udp) out << YAML::DoubleQuoted << u.address;
          out << YAML::EndSeq;
          break;
        }
        out << YAML::BeginSeq;
        for (const auto& u : cfg.udp)
          out << YAML::BeginMap << YAML::Key << "address" << YAML::Value << YAML::DoubleQuoted << u.address
              << YAML::Key << "filter" << YAML::Value << YAML::DoubleQuoted << u.filter << YAML::EndMap;
        out << YAML::EndSeq;
        break;
      case OptionKind::kFiles:
        if (cfg.files.empty()) {
          out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
          break;
        }
        out << YAML::BeginSeq;
        for (const auto& f : cfg.files) {
          out << YAML::BeginMap << YAML::Key << "path" << YAML::Value << YAML::DoubleQuoted << f.path;
          out << YAML::Key << "rotate_size" << YAML::Value << format_bytes(f.rotate_bytes);
          out << YAML::Key << "rotate_interval" << YAML::Value << format_seconds(f.rotate_interval_s);
          out << YAML::Key << "rotate_utc" << YAML::Value << (f.rotate_utc ? "true" : "false");
          out << YAML::Key << "filter" << YAML::Value << YAML::DoubleQuoted << f.filter;
          out << YAML::EndMap;
        }
        out << YAML::EndSeq;
        break;
    }
    // (A comment after a block list would land on its last item.)
    if (o.kind != OptionKind::kFiles && !(o.kind == OptionKind::kUdp && udp_block))
      out << YAML::Comment(std::string(o.help) + (o.flag ? std::string(" [") + o.flag + "]" : std::string()));
  }
  while (!open.empty()) {
    out << YAML::EndMap;
    open.pop_back();
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace argos
