#include "export/record_filter.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace argos {

namespace {

enum ProtoWord : uint8_t { kWordTcp, kWordUdp, kWordIcmp, kWordIgmp, kWordIp, kWordIpv4, kWordIpv6, kWordArp, kWordMan };

struct NamedProto {
  const char* word;
  ProtoWord proto;
};
constexpr NamedProto kProtoWords[] = {{"tcp", kWordTcp},   {"udp", kWordUdp},   {"icmp", kWordIcmp},
                                      {"igmp", kWordIgmp}, {"ip", kWordIp},     {"ipv4", kWordIpv4},
                                      {"ipv6", kWordIpv6}, {"arp", kWordArp},   {"rarp", kWordArp},
                                      {"man", kWordMan}};

// Words that test a property of the record: TCP state, fragments, ICMP
// messages, multicast. TCP words with a side (reset, retrans, ...) take src
// or dst.
enum FlagWord : uint8_t {
  kFlagSyn, kFlagSynAck, kFlagFin, kFlagFinAck, kFlagReset, kFlagRetrans, kFlagOutOfOrder, kFlagWinShut, kFlagEcn,
  kFlagFrag, kFlagEcho, kFlagUnreach, kFlagRedirect, kFlagTimexed, kFlagMulticast
};
struct NamedFlag {
  const char* word;
  FlagWord flag;
};
constexpr NamedFlag kFlags[] = {
    {"syn", kFlagSyn},         {"synack", kFlagSynAck},         {"fin", kFlagFin},
    {"finack", kFlagFinAck},   {"reset", kFlagReset},           {"retrans", kFlagRetrans},
    {"outoforder", kFlagOutOfOrder}, {"winshut", kFlagWinShut}, {"ecn", kFlagEcn},
    {"frag", kFlagFrag},       {"echo", kFlagEcho},             {"unreach", kFlagUnreach},
    {"redirect", kFlagRedirect}, {"timexed", kFlagTimexed},     {"multicast", kFlagMulticast}};

// Numeric fields compared with gt, gte, lt, lte or eq, per direction.
enum Field : uint8_t { kFieldPkts, kFieldBytes, kFieldAppBytes, kFieldTtl, kFieldTos, kFieldSeq };
struct NamedField {
  const char* word;
  Field field;
  uint64_t max;
};
// (ra 3.0.8 selects flows without any VLAN tag or MPLS label for "vid gt 0"
// and "mid gt 0": vid, vpri and mid are not taken.)
constexpr NamedField kFields[] = {{"pkts", kFieldPkts, UINT64_MAX >> 1},
                                  {"bytes", kFieldBytes, UINT64_MAX >> 1},
                                  {"appbytes", kFieldAppBytes, UINT64_MAX >> 1},
                                  {"ttl", kFieldTtl, 255},
                                  {"tos", kFieldTos, 255},
                                  {"seq", kFieldSeq, UINT32_MAX}};
// Derived quantities, compared as real numbers: "dur gt 0.5", "rate gt 10.5".
enum Measure : uint8_t { kMeasureDur, kMeasureRate, kMeasureLoad };
struct NamedMeasure {
  const char* word;
  Measure measure;
};
constexpr NamedMeasure kMeasures[] = {{"dur", kMeasureDur}, {"rate", kMeasureRate}, {"load", kMeasureLoad}};
enum Cmp : uint8_t { kCmpGt, kCmpGte, kCmpLt, kCmpLte, kCmpEq };
struct NamedCmp {
  const char* word;
  Cmp cmp;
};
constexpr NamedCmp kCmps[] = {{"gt", kCmpGt}, {"gte", kCmpGte}, {"lt", kCmpLt}, {"lte", kCmpLte}, {"eq", kCmpEq}};

template <typename T>
bool compare(T v, uint8_t cmp, T against) {
  switch (cmp) {
    case kCmpGt: return v > against;
    case kCmpGte: return v >= against;
    case kCmpLt: return v < against;
    case kCmpLte: return v <= against;
    default: return v == against;
  }
}

bool is_ipv4(const FlowKey& k) { return k.kind == KeyKind::kIPv4 || k.kind == KeyKind::kIPv4Frag; }
bool is_ipv6(const FlowKey& k) { return k.kind == KeyKind::kIPv6 || k.kind == KeyKind::kIPv6Frag; }

// Splits on blanks; parentheses and '!' stand alone, "&&" and "||" too.
std::vector<std::string> tokens(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(' || c == ')' || (c == '!' && (i + 1 >= s.size() || s[i + 1] != '='))) {
      out.emplace_back(1, c);
      ++i;
    } else if ((c == '&' || c == '|') && i + 1 < s.size() && s[i + 1] == c) {
      out.emplace_back(2, c);
      i += 2;
    } else {
      size_t j = i;
      while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != '(' && s[j] != ')') ++j;
      out.push_back(s.substr(i, j - i));
      i = j;
    }
  }
  return out;
}

bool parse_number(const std::string& t, uint64_t max, uint64_t& v) {
  if (t.empty() || t.size() > 19 || t.find_first_not_of("0123456789") != std::string::npos) return false;
  v = std::strtoull(t.c_str(), nullptr, 10);
  return v <= max;
}

// A decimal as ra reads one in "rate gt 10.5": an optional minus, digits,
// an optional fraction; no exponent, no units.
bool parse_decimal(const std::string& t, double& v) {
  size_t i = t.size() > 1 && t[0] == '-' ? 1 : 0;
  const size_t digits = t.find_first_not_of("0123456789", i);
  size_t end = digits;
  if (end != std::string::npos && t[end] == '.') end = t.find_first_not_of("0123456789", end + 1);
  if (end != std::string::npos || t.size() > 40 || digits == i || t[t.size() - 1] == '.') return false;
  v = std::strtod(t.c_str(), nullptr);
  return true;
}

}  // namespace

class RecordFilter::Parser {
 public:
  Parser(RecordFilter& f, std::vector<std::string> toks, std::string& err, const SourceId& own)
      : f_(f), toks_(std::move(toks)), own_(own), err_(err) {}


  bool run() {
    if (toks_.empty()) return fail("an empty filter");
    const int32_t root = expr();
    if (root < 0) return false;
    if (pos_ < toks_.size()) return fail("'" + toks_[pos_] + "' where 'and', 'or' or the end was expected");
    f_.root_ = root;
    return true;
  }

 private:
  bool fail(const std::string& why) {
    if (err_.empty()) err_ = why;
    return false;
  }
  // The same, for the node builders: no node.
  int32_t error(const std::string& why) {
    fail(why);
    return -1;
  }
  bool at(const char* a, const char* b = nullptr, const char* c = nullptr) const {
    return pos_ < toks_.size() && (toks_[pos_] == a || (b && toks_[pos_] == b) || (c && toks_[pos_] == c));
  }
  int32_t add(const Node& n) {
    f_.nodes_.push_back(n);
    return static_cast<int32_t>(f_.nodes_.size() - 1);
  }
  int32_t binary(Op op, int32_t a, int32_t b) {
    Node n{};
    n.op = op;
    n.a = a;
    n.b = b;
    return add(n);
  }

  int32_t expr() { return chain(Op::kOr, "or", "||", &Parser::term); }
  int32_t term() { return chain(Op::kAnd, "and", "&&", &Parser::factor); }
  // Operands of `next` joined by `op` (either spelling), left to right.
  int32_t chain(Op op, const char* word, const char* symbol, int32_t (Parser::*next)()) {
    int32_t left = (this->*next)();
    while (left >= 0 && at(word, symbol)) {
      ++pos_;
      const int32_t right = (this->*next)();
      if (right < 0) return -1;
      left = binary(op, left, right);
    }
    return left;
  }
  int32_t factor() {
    if (pos_ >= toks_.size()) return error("the filter ends where a primitive was expected");
    // A filter can come from the network (a stream client's FILTER:): the
    // recursion is bounded so that no text can exhaust the stack.
    if (at("not", "!", "(") && ++depth_ > kMaxDepth)
      return error("nested deeper than " + std::to_string(kMaxDepth) + " levels of parentheses and 'not'");
    if (at("not", "!")) {
      ++pos_;
      const int32_t inner = factor();
      return inner < 0 ? -1 : binary(Op::kNot, inner, -1);
    }
    if (at("(")) {
      ++pos_;
      const int32_t inner = expr();
      if (inner < 0) return -1;
      if (!at(")")) return error("a '(' without its ')'");
      ++pos_;
      return inner;
    }
    return primitive();
  }

  // A word that names a primitive or an operator: anything else in a
  // primitive's place is an id that takes the most recent keyword.
  static bool keyword(const std::string& w) {
    static const char* const kWords[] = {"src", "dst", "host", "net", "port", "ether", "srcid", "encaps", "not",
                                         "and", "or", "!", "(", ")", "&&", "||"};
    for (const char* k : kWords)
      if (w == k) return true;
    for (const NamedProto& p : kProtoWords)
      if (w == p.word) return true;
    for (const NamedField& f : kFields)
      if (w == f.word) return true;
    for (const NamedMeasure& m : kMeasures)
      if (w == m.word) return true;
    for (const NamedFlag& f : kFlags)
      if (w == f.word) return true;
    return false;
  }

  int32_t primitive() {
    Node n{};
    const std::string& w = toks_[pos_++];
    for (const NamedProto& p : kProtoWords) {
      if (w == p.word) {
        n.op = Op::kProto;
        n.proto = p.proto;
        const int32_t proto = add(n);
        // "tcp port 80", "udp dst port 53": the protocol qualifies the port
        // primitive that follows, as ra reads it.
        const bool qualifies = (p.proto == kWordTcp || p.proto == kWordUdp) &&
                               (at("port") || (at("src", "dst") && pos_ + 1 < toks_.size() && toks_[pos_ + 1] == "port"));
        if (!qualifies) {
          last_ = -1;  // an id after "tcp" has no keyword to repeat
          return proto;
        }
        const int32_t port = primitive();
        if (port < 0) return -1;
        last_proto_ = proto;
        return binary(Op::kAnd, proto, port);
      }
    }
    // An id alone repeats the most recent keyword: "port 53 or 443",
    // "tcp dst port 80 or 8080", "host A or B".
    if (!keyword(w) && last_ >= 0) {
      n = f_.nodes_[static_cast<size_t>(last_)];
      n.a = n.b = -1;
      --pos_;
      const int32_t id = value(n, n.op == Op::kPort ? "port" : n.op == Op::kNet ? "net" : "host");
      if (id < 0 || last_proto_ < 0) return id;
      Node q = f_.nodes_[static_cast<size_t>(last_proto_)];
      return binary(Op::kAnd, add(q), id);
    }
    last_proto_ = -1;
    std::string kind = w;
    if (w == "src" || w == "dst") {
      n.side = w == "src" ? Side::kSrc : Side::kDst;
      if (pos_ >= toks_.size()) return error("'" + w + "' ends the filter");
      kind = toks_[pos_++];
      // "src 10.0.0.1": an address without a type is a host, as in ra.
      if (!keyword(kind) && kind.find_first_of(".:") != std::string::npos) {
        --pos_;
        kind = "host";
      }
    } else if (!keyword(w) && w.find_first_of(".:") != std::string::npos) {
      --pos_;
      kind = "host";
    }
    if (kind == "ether" && n.side == Side::kEither) return ether(n);
    if (kind == "srcid" && n.side == Side::kEither) return srcid(n);
    if (kind == "encaps" && n.side == Side::kEither) return encaps(n);
    if (kind == "host" || kind == "net" || kind == "port") {
      const int32_t id = value(n, kind);
      if (id >= 0) last_ = id;
      return id;
    }
    for (const NamedFlag& f : kFlags) {
      if (kind != f.word) continue;
      n.op = Op::kFlag;
      n.proto = f.flag;
      return add(n);
    }
    for (const NamedField& f : kFields) {
      if (kind != f.word) continue;
      if (pos_ >= toks_.size()) return error("'" + kind + "' needs a value");
      n.cmp = comparison();
      if (pos_ >= toks_.size() || !parse_number(toks_[pos_], f.max, n.value))
        return error("'" + kind + "' needs a number" + (f.max < UINT32_MAX ? " up to " + std::to_string(f.max) : "") +
                     " (comparisons: gt, gte, lt, lte, eq)");
      ++pos_;
      n.op = Op::kCount;
      n.field = f.field;
      return add(n);
    }
    for (const NamedMeasure& m : kMeasures) {
      if (kind != m.word) continue;
      if (pos_ >= toks_.size()) return error("'" + kind + "' needs a value");
      n.cmp = comparison();
      if (pos_ >= toks_.size() || !parse_decimal(toks_[pos_], n.threshold))
        return error("'" + kind + "' needs a number such as 10 or 0.5 (comparisons: gt, gte, lt, lte, eq)");
      ++pos_;
      n.op = Op::kMeasure;
      n.field = m.measure;
      return add(n);
    }
    --pos_;  // name the word itself
    return error("'" + kind + "' is not supported in record filters (protocols, host, net, port, pkts, bytes, "
                "appbytes, ttl, tos, seq, dur, rate, load, TCP and ICMP words, frag, multicast, ether, srcid; "
                "and, or, not, parentheses)");
  }

  // The comparison word at pos_, taken; without one "ttl 1" is "ttl eq 1".
  uint8_t comparison() {
    for (const NamedCmp& c : kCmps)
      if (toks_[pos_] == c.word) {
        ++pos_;
        return c.cmp;
      }
    return kCmpEq;
  }

  // "srcid ID", after "srcid": every record of this sensor carries its own
  // id, so the primitive is a constant. ra compares the 32-bit value of a
  // number or IPv4 id and never matches a string id.
  int32_t srcid(Node& n) {
    if (pos_ >= toks_.size()) return error("'srcid' needs a value");
    const std::string& v = toks_[pos_++];
    SourceId want;
    if (v.empty() || v[0] == '"' || !parse_source_id(v.c_str(), want))
      return error("'" + v + "' is not a numeric or IPv4 source id (names are not looked up)");
    n.op = Op::kConst;
    n.v6 = own_.type != SrcIdType::kString && own_.value == want.value;
    return add(n);
  }

  // "encaps LAYER", after "encaps": the layer among those either side's
  // packets came in (the encapsulation DSR's bitmaps).
  int32_t encaps(Node& n) {
    static const struct {
      const char* word;
      uint32_t bit;  // argus's encapsulation bit (argus-format.md 6.14)
    } kLayers[] = {{"eth", 0x02},       {"802q", 0x04},     {"llc", 0x08},      {"pppoe", 0x10},
                   {"isl", 0x20},       {"gre", 0x40},      {"ah", 0x80},       {"ipnip", 0x100},
                   {"ipnip6", 0x200},   {"hdlc", 0x400},    {"chdlc", 0x800},   {"atm", 0x1000},
                   {"sll", 0x2000},     {"arc", 0x10000},   {"wlan", 0x20000},  {"prism", 0x40000},
                   {"avs", 0x80000},    {"teredo", 0x400000}, {"juniper", 0x2000000}, {"erspan", 0x4000000}};
    // (ra 3.0.8 cannot read "encaps mpls", "encaps fddi" or "encaps slip":
    // they are refused here too.)
    if (pos_ >= toks_.size()) return error("'encaps' needs a layer (eth, 802q, llc, pppoe, gre, sll, ...)");
    const std::string& v = toks_[pos_++];
    for (const auto& l : kLayers)
      if (v == l.word) {
        n.op = Op::kEncaps;
        n.value = l.bit;
        return add(n);
      }
    return error("'" + v + "' is not an encapsulation layer (eth, 802q, llc, pppoe, gre, sll, ...)");
  }

  // "ether host|src|dst MAC" or "ether proto N", after "ether".
  int32_t ether(Node& n) {
    if (pos_ + 1 < toks_.size() && at("proto")) {
      ++pos_;
      const std::string& v = toks_[pos_++];
      char* end = nullptr;
      const bool hex = v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X');
      const unsigned long t = std::strtoul(v.c_str(), &end, hex ? 16 : 10);
      if (v.empty() || v.size() > 8 || *end != '\0' || t > 0xffff || !std::isdigit(static_cast<unsigned char>(v[0])))
        return error("'" + v + "' is not an EtherType (0x0800, 2048, 0x86dd, 0x0806, 0x88cc, ...)");
      n.op = Op::kEtherType;
      n.value = t;
      return add(n);
    }
    if (pos_ + 1 >= toks_.size() || !(at("host") || at("src") || at("dst")))
      return error("'ether' takes host, src or dst and a MAC address (ether src 00:11:22:33:44:55), or proto "
                   "and an EtherType (ether proto 0x86dd)");
    const std::string& q = toks_[pos_++];
    n.side = q == "src" ? Side::kSrc : q == "dst" ? Side::kDst : Side::kEither;
    const std::string& v = toks_[pos_++];
    unsigned b[6];
    char tail = 0;
    if (std::sscanf(v.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
      return error("'" + v + "' is not a MAC address (six hex bytes: 00:11:22:33:44:55)");
    for (int i = 0; i < 6; ++i) n.addr[i] = static_cast<uint8_t>(b[i]);
    n.op = Op::kEther;
    return add(n);
  }

  // The id of a host, net or port primitive, at pos_.
  int32_t value(Node& n, const std::string& kind) {
    if (pos_ >= toks_.size()) return error("'" + kind + "' needs a value");
    const std::string& v = toks_[pos_++];
    if (kind == "port") {
      // (ra 3.0.8 selects flows outside a port range such as "100-200":
      // ranges are not taken.)
      uint64_t p = 0;
      if (!parse_number(v, 65535, p)) return error("'" + v + "' is not a port number");
      n.op = Op::kPort;
      n.port = static_cast<uint16_t>(p);
      return add(n);
    }
    std::string a = v;
    if (kind == "net") {
      const size_t slash = v.find('/');
      uint64_t len = 0;
      if (slash == std::string::npos) return error("net '" + v + "' needs a prefix length (ADDR/LEN)");
      a = v.substr(0, slash);
      n.v6 = a.find(':') != std::string::npos;
      if (!parse_number(v.substr(slash + 1), n.v6 ? 128 : 32, len))
        return error("'" + v + "' is not a network (ADDR/LEN)");
      n.prefix = static_cast<uint8_t>(len);
    }
    n.v6 = a.find(':') != std::string::npos;
    if (inet_pton(n.v6 ? AF_INET6 : AF_INET, a.c_str(), n.addr) != 1)
      return error("'" + a + "' is not an IPv4 or IPv6 address (host names are not looked up)");
    if (kind == "host") n.prefix = n.v6 ? 128 : 32;
    n.op = kind == "host" ? Op::kHost : Op::kNet;
    return add(n);
  }

  RecordFilter& f_;
  std::vector<std::string> toks_;
  const SourceId own_;
  size_t pos_ = 0;
  static constexpr int kMaxDepth = 64;
  int depth_ = 0;            // parentheses and 'not's opened so far
  int32_t last_ = -1;        // the latest host, net or port primitive
  int32_t last_proto_ = -1;  // and the tcp/udp that qualified it
  std::string& err_;
};

bool RecordFilter::compile(const std::string& text, std::string& err, const Context& ctx) {
  nodes_.clear();
  root_ = -1;
  text_ = text;
  err.clear();
  app_bytes_ = ctx.app_bytes;
  bidir_timestamps_ = ctx.bidir_timestamps;
  Parser p(*this, tokens(text), err, ctx.srcid);
  if (!p.run()) {
    nodes_.clear();
    // (A filter from the network may be long: the message quotes its start.)
    const std::string quoted = text.size() <= 120 ? text : text.substr(0, 120) + "...";
    err = "record filter '" + quoted + "': " + err;
    return false;
  }
  return true;
}

// Field `f` of direction d; false when ra would not compare it.
bool RecordFilter::field_value(uint8_t f, const FlowRecord& r, unsigned d, uint64_t& v) const {
  const DirMetrics& m = r.dir[d];
  switch (f) {
    case kFieldPkts: v = m.pkts; return true;
    case kFieldBytes: v = m.bytes; return true;
    case kFieldAppBytes: v = app_bytes_ ? m.app_bytes : 0; return true;
    case kFieldTtl:
    case kFieldTos:
      // As ra reads them: IPv4 only, and 0 for a side without attributes.
      if (!is_ipv4(r.key)) return false;
      v = (!m.pkts && !m.attrs_carried) ? 0 : f == kFieldTtl ? m.ttl : m.tos;
      return true;
    case kFieldSeq: v = r.seq; return true;
    default: return false;
  }
}

// Measure `m` of direction d, computed from what the record carries, at
// the microsecond resolution its times are written with.
double RecordFilter::measure(uint8_t m, const FlowRecord& r, unsigned d) const {
  const uint64_t record_us = r.last_ns / 1000 - r.start_ns / 1000;
  if (m == kMeasureDur) return static_cast<double>(record_us) / 1e6;
  const DirMetrics& s = r.dir[d];
  if (s.pkts < 2) return 0;
  // With bidirectional timestamps the side's own first and last packets.
  const uint64_t span_us = bidir_timestamps_ ? s.last_ns / 1000 - s.first_ns / 1000 : record_us;
  if (span_us == 0) return 0;
  const double span_s = static_cast<double>(span_us) / 1e6;
  if (m == kMeasureRate) return static_cast<double>(s.pkts - 1) / span_s;
  return 8.0 * static_cast<double>(s.bytes - s.bytes / s.pkts) / span_s;
}

bool RecordFilter::flag(const Node& n, const FlowRecord& r, bool src, bool dst, bool swap) {
  const FlowKey& k = r.key;
  // ra reads syn and fin from the segments of this report (their status
  // bits stay set for the connection's later reports), the others from the
  // record's status word.
  auto segment = [&](uint8_t tcp_flag) {
    return (r.flags & kRecTcp) && ((src && (r.tcp.dir[0].flags & tcp_flag)) || (dst && (r.tcp.dir[1].flags & tcp_flag)));
  };
  auto sided = [&](uint32_t s_bit, uint32_t d_bit) {
    return (r.flags & kRecTcp) && ((src && (r.tcp.status & s_bit)) || (dst && (r.tcp.status & d_bit)));
  };
  // ICMP words: an IPv4 ICMP flow of that type, or a flow an ICMP error of
  // that type was mapped onto; ra does not apply them to ICMPv6.
  const bool icmp4 = is_ipv4(k) && k.proto == 1;
  const uint8_t icmp_type = static_cast<uint8_t>(k.sport >> 8);
  auto icmp_is = [&](uint8_t type) {
    return (icmp4 && icmp_type == type) || ((r.flags & kRecIcmpMapped) && r.icmp.type == type);
  };
  switch (n.proto) {
    case kFlagSyn: return segment(0x02);
    case kFlagSynAck: return sided(kTcpSawSynSent, kTcpSawSynSent);
    case kFlagFin: return segment(0x01);
    case kFlagFinAck: return sided(kTcpFinAcked, kTcpFinAcked);
    case kFlagReset: return sided(kTcpSrcReset, kTcpDstReset);
    case kFlagRetrans: return sided(kTcpSrcRetrans, kTcpDstRetrans);
    case kFlagOutOfOrder: return sided(kTcpSrcOutOfOrder, kTcpDstOutOfOrder);
    case kFlagWinShut: return sided(kTcpSrcWindowShut, kTcpDstWindowShut);
    case kFlagEcn: return sided(kTcpSrcCongested, kTcpDstCongested);
    case kFlagFrag: return (src && r.dir[0].fragments) || (dst && r.dir[1].fragments);
    case kFlagEcho: return icmp_is(8) || icmp_is(0);
    case kFlagUnreach: return icmp_is(3);
    case kFlagRedirect: return icmp_is(5);
    case kFlagTimexed: return icmp_is(11);
    case kFlagMulticast:  // IPv4 only, and the limited broadcast counts (dst 224.0.0.0 and above)
      return is_ipv4(k) && (swap ? k.src : k.dst)[0] >= 224;
    default: return false;
  }
}

bool RecordFilter::directed() const {
  for (const Node& n : nodes_)
    if (n.side != Side::kEither) return true;
  return false;
}

bool RecordFilter::addr_match(const Node& n, const FlowRecord& r, bool src, bool dst) {
  const FlowKey& k = r.key;
  // ARP flows carry the protocol addresses (sender and target) as IPv4.
  const bool v4 = is_ipv4(k) || k.kind == KeyKind::kArp || k.kind == KeyKind::kRarp;
  if (n.v6 ? !is_ipv6(k) : !v4) return false;
  auto in = [&](const uint8_t* a) {
    const unsigned full = n.prefix / 8, rest = n.prefix % 8;
    if (std::memcmp(a, n.addr, full) != 0) return false;
    if (rest == 0) return true;
    const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (a[full] & mask) == (n.addr[full] & mask);
  };
  // A RARP key's one protocol address is the target's (its source side
  // holds a hardware address).
  return (src && k.kind != KeyKind::kRarp && in(k.src)) || (dst && in(k.dst));
}

bool RecordFilter::eval(int32_t i, const FlowRecord& r, bool swap) const {
  const Node& n = nodes_[static_cast<size_t>(i)];
  const FlowKey& k = r.key;
  // Which of the record's sides the primitive looks at: "src" is the
  // record's dst when it is turned around.
  bool src = n.side != Side::kDst, dst = n.side != Side::kSrc;
  if (swap) std::swap(src, dst);
  switch (n.op) {
    case Op::kAnd: return eval(n.a, r, swap) && eval(n.b, r, swap);
    case Op::kOr: return eval(n.a, r, swap) || eval(n.b, r, swap);
    case Op::kNot: return !eval(n.a, r, swap);
    case Op::kProto:
      switch (n.proto) {
        case kWordTcp: return (is_ipv4(k) || is_ipv6(k)) && k.proto == 6;
        case kWordUdp: return (is_ipv4(k) || is_ipv6(k)) && k.proto == 17;
        case kWordIcmp: return is_ipv4(k) && k.proto == 1;
        case kWordIgmp: return is_ipv4(k) && k.proto == 2;
        case kWordIp: return is_ipv4(k) || is_ipv6(k);
        case kWordIpv4: return is_ipv4(k);
        case kWordIpv6: return is_ipv6(k);
        case kWordArp: return k.kind == KeyKind::kArp || k.kind == KeyKind::kRarp;
        default: return false;  // man: management records, never a flow
      }
    case Op::kHost:
    case Op::kNet: return addr_match(n, r, src, dst);
    case Op::kPort: {
      if (!(is_ipv4(k) || is_ipv6(k)) || (k.proto != 6 && k.proto != 17 && k.proto != 132)) return false;
      return (src && k.sport == n.port) || (dst && k.dport == n.port);
    }
    case Op::kFlag: return flag(n, r, src, dst, swap);
    case Op::kConst: return n.v6 != 0;
    case Op::kEncaps:  // a side without packets in the report writes no layers
      return ((r.dir[0].pkts ? r.dir[0].encaps : 0) | (r.dir[1].pkts ? r.dir[1].encaps : 0)) & n.value;
    case Op::kEtherType: {
      // As ra reads it: the EtherType of the record's family (IPv4 0x0800,
      // IPv6 0x86dd, ARP 0x0806: a RARP key is written in ARP's form), and
      // a non-IP Ethernet flow's own type (0 for LLC frames).
      uint64_t type = 0;
      if (is_ipv4(k)) type = 0x0800;
      else if (is_ipv6(k)) type = 0x86dd;
      else if (k.kind == KeyKind::kArp || k.kind == KeyKind::kRarp) type = 0x0806;
      else if (k.kind == KeyKind::kEther) type = k.aux >> 16;
      else return false;
      return type == n.value;
    }
    case Op::kEther:  // only records that carry the MAC addresses (-m)
      return (r.flags & kRecHasMacs) && ((src && std::memcmp(r.mac_src, n.addr, 6) == 0) ||
                                         (dst && std::memcmp(r.mac_dst, n.addr, 6) == 0));
    case Op::kCount: {
      // Without src or dst, either direction may match, as for addresses
      // and ports (ra's reading: "pkts eq 1" is a side with one packet).
      auto test = [&](unsigned d) {
        uint64_t v = 0;
        return field_value(n.field, r, d, v) && compare(v, n.cmp, n.value);
      };
      return (src && test(0)) || (dst && test(1));
    }
    case Op::kMeasure: {
      auto test = [&](unsigned d) { return compare(measure(n.field, r, d), n.cmp, n.threshold); };
      return (src && test(0)) || (dst && test(1));
    }
  }
  return false;
}

}  // namespace argos
