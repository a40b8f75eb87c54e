#include "export/record_filter.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstdlib>
#include <cstring>

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

}  // namespace

class RecordFilter::Parser {
 public:
  Parser(RecordFilter& f, std::vector<std::string> toks, std::string& err)
      : f_(f), toks_(std::move(toks)), err_(err) {}

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
  bool at(const char* a, const char* b = nullptr) const {
    return pos_ < toks_.size() && (toks_[pos_] == a || (b && toks_[pos_] == b));
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

  int32_t expr() {
    int32_t left = term();
    while (left >= 0 && at("or", "||")) {
      ++pos_;
      const int32_t right = term();
      if (right < 0) return -1;
      left = binary(Op::kOr, left, right);
    }
    return left;
  }
  int32_t term() {
    int32_t left = factor();
    while (left >= 0 && at("and", "&&")) {
      ++pos_;
      const int32_t right = factor();
      if (right < 0) return -1;
      left = binary(Op::kAnd, left, right);
    }
    return left;
  }
  int32_t factor() {
    if (pos_ >= toks_.size()) return error("the filter ends where a primitive was expected");
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
        if (!qualifies) return proto;
        const int32_t port = primitive();
        return port < 0 ? -1 : binary(Op::kAnd, proto, port);
      }
    }
    std::string kind = w;
    if (w == "src" || w == "dst") {
      n.side = w == "src" ? Side::kSrc : Side::kDst;
      if (pos_ >= toks_.size()) return error("'" + w + "' ends the filter");
      kind = toks_[pos_++];
    }
    if (pos_ >= toks_.size()) return error("'" + kind + "' needs a value");
    const std::string& v = toks_[pos_++];
    if (kind == "host" || kind == "net") {
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
    if (kind == "port") {
      uint64_t p = 0;
      if (!parse_number(v, 65535, p)) return error("'" + v + "' is not a port number");
      n.op = Op::kPort;
      n.port = static_cast<uint16_t>(p);
      return add(n);
    }
    if (kind == "pkts" || kind == "bytes") {
      static const char* const kCmp[] = {"gt", "lt", "eq"};
      int cmp = -1;
      for (int c = 0; c < 3; ++c)
        if (v == kCmp[c]) cmp = c;
      if (cmp < 0) return error("'" + kind + " " + v + "': the comparison is gt, lt or eq");
      if (pos_ >= toks_.size() || !parse_number(toks_[pos_], UINT64_MAX >> 1, n.value))
        return error("'" + kind + " " + v + "' needs a number");
      ++pos_;
      n.op = Op::kCount;
      n.field = kind == "bytes";
      n.cmp = static_cast<uint8_t>(cmp);
      return add(n);
    }
    --pos_;  // name the word itself
    return error("'" + kind + "' is not supported in record filters (protocols, host, net, port, pkts, bytes; "
                "and, or, not, parentheses)");
  }

  RecordFilter& f_;
  std::vector<std::string> toks_;
  size_t pos_ = 0;
  std::string& err_;
};

bool RecordFilter::compile(const std::string& text, std::string& err) {
  nodes_.clear();
  root_ = -1;
  text_ = text;
  err.clear();
  Parser p(*this, tokens(text), err);
  if (!p.run()) {
    nodes_.clear();
    err = "record filter '" + text + "': " + err;
    return false;
  }
  return true;
}

bool RecordFilter::directed() const {
  for (const Node& n : nodes_)
    if (n.side != Side::kEither) return true;
  return false;
}

bool RecordFilter::addr_match(const Node& n, const FlowRecord& r) const {
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
  return (n.side != Side::kDst && in(k.src)) || (n.side != Side::kSrc && in(k.dst));
}

bool RecordFilter::eval(int32_t i, const FlowRecord& r) const {
  const Node& n = nodes_[static_cast<size_t>(i)];
  const FlowKey& k = r.key;
  switch (n.op) {
    case Op::kAnd: return eval(n.a, r) && eval(n.b, r);
    case Op::kOr: return eval(n.a, r) || eval(n.b, r);
    case Op::kNot: return !eval(n.a, r);
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
    case Op::kNet: return addr_match(n, r);
    case Op::kPort: {
      if (!(is_ipv4(k) || is_ipv6(k)) || (k.proto != 6 && k.proto != 17 && k.proto != 132)) return false;
      return (n.side != Side::kDst && k.sport == n.port) || (n.side != Side::kSrc && k.dport == n.port);
    }
    case Op::kCount: {
      // Without src or dst, either direction may match, as for addresses
      // and ports (ra's reading: "pkts eq 1" is a side with one packet).
      auto test = [&](unsigned d) {
        const uint64_t v = n.field ? r.dir[d].bytes : uint64_t{r.dir[d].pkts};
        return n.cmp == 0 ? v > n.value : n.cmp == 1 ? v < n.value : v == n.value;
      };
      return (n.side != Side::kDst && test(0)) || (n.side != Side::kSrc && test(1));
    }
  }
  return false;
}

}  // namespace argos
