// Bounded packet parser. Every header read is preceded by a length check
// against the captured bytes; loops over tags, labels and extension headers
// have fixed limits.
#include "dataplane/parser.h"

#include <emmintrin.h>  // SSE2: part of the x86-64 baseline

#include <cstring>

namespace argos {

namespace {

// Only the head of ParsedPacket is cleared: tail fields are written before
// any flag that makes them valid is set. Seven 16-byte stores (a libc memset
// or a `rep stos` costs more than the rest of a short parse).
[[gnu::always_inline]] inline void clear_head(ParsedPacket& out) {
  static_assert(kParsedHeadBytes <= 112 && sizeof(ParsedPacket) >= 112);
  auto* bytes = reinterpret_cast<unsigned char*>(&out);
  const __m128i zero = _mm_setzero_si128();
  for (unsigned i = 0; i < 112; i += 16) _mm_storeu_si128(reinterpret_cast<__m128i*>(bytes + i), zero);
}

// argus follows tag, label and extension stacks as deep as the packet
// goes (a 300-tag frame is still its UDP flow) and GRE nested fifty deep.
// Each step consumes at least 4 bytes, so the packet bounds the loops
// anyway; past 64 levels a stack is hostile, not a network's, and the
// frame is counted and accounted to its L2 flow.
constexpr unsigned kMaxVlanTags = 64;
constexpr unsigned kMaxMplsLabels = 64;
constexpr unsigned kMaxIPv6Ext = 64;
constexpr unsigned kMaxGreDepth = 64;

constexpr uint16_t kEthIPv4 = 0x0800;
constexpr uint16_t kEthArp = 0x0806;
constexpr uint16_t kEthRarp = 0x8035;
constexpr uint16_t kEthVlan = 0x8100;
constexpr uint16_t kEthQinQ = 0x88a8;
constexpr uint16_t kEthQinQOld = 0x9100;
constexpr uint16_t kEthIPv6 = 0x86dd;
constexpr uint16_t kEthMpls = 0x8847;
constexpr uint16_t kEthMplsMc = 0x8848;
constexpr uint16_t kEthPppoeSess = 0x8864;
constexpr uint16_t kEthTeb = 0x6558;  // transparent Ethernet bridging (GRE)

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIgmp = 2;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoGre = 47;
constexpr uint8_t kProtoEsp = 50;
constexpr uint8_t kProtoIcmp6 = 58;
constexpr uint8_t kProtoSctp = 132;

inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// Where user data (-U) starts: `skip` bytes into the part of the datagram at
// `p` that holds `span` bytes (the capture may hold fewer; the worker checks).
inline void set_user(ParsedPacket& out, const uint8_t* p, uint32_t skip, uint32_t span) {
  if (span <= skip) {
    out.user_start = nullptr;
    out.user_span = 0;
    return;
  }
  out.user_start = p + skip;
  const uint32_t n = span - skip;
  out.user_span = static_cast<uint16_t>(n > 0xffff ? 0xffff : n);
}
inline uint32_t rd32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

const char* const kResultNames[] = {
    ARGOS_PARSE_RESULTS(ARGOS_COUNTER_NAME)
};
const char* const kResultDescs[] = {
    ARGOS_PARSE_RESULTS(ARGOS_COUNTER_DESCRIPTION)
};

// Parser cursor over one frame. `end` never moves; `p` only moves forward
// after a length check.
struct Cursor {
  const uint8_t* p;
  const uint8_t* end;
  size_t left() const { return static_cast<size_t>(end - p); }
};

// An L2 key for frames that carry no (usable) IP: MACs plus EtherType/SAPs.
void make_ether_key(ParsedPacket& out, uint16_t ethertype, uint8_t dsap, uint8_t ssap) {
  FlowKey& k = out.key;
  std::memset(&k, 0, sizeof k);
  k.kind = KeyKind::kEther;
  std::memcpy(k.src, out.mac_src, 6);
  std::memcpy(k.dst, out.mac_dst, 6);
  k.aux = static_cast<uint32_t>(ethertype) << 16 | static_cast<uint32_t>(dsap) << 8 | ssap;
}

bool is_icmp_echo_like(uint8_t type) {
  return type == 8 || type == 0 || type == 13 || type == 14 || type == 15 || type == 16 ||
         type == 17 || type == 18;
}
// Request type for an ICMPv4 query/reply pair.
uint8_t icmp_request_type(uint8_t type) {
  switch (type) {
    case 0: return 8;
    case 14: return 13;
    case 16: return 15;
    case 18: return 17;
    default: return type;
  }
}
bool icmp_is_reply(uint8_t type) { return type == 0 || type == 14 || type == 16 || type == 18; }

void swap_endpoints(FlowKey& k) {
  uint8_t t[16];
  std::memcpy(t, k.src, 16);
  std::memcpy(k.src, k.dst, 16);
  std::memcpy(k.dst, t, 16);
}

ParseResult parse_l4(Cursor c, uint8_t proto, uint32_t l4_len, bool later_fragment,
                     ParsedPacket& out, unsigned quote_depth = 0);
ParseResult parse_ipv4(Cursor c, ParsedPacket& out, unsigned gre_depth, unsigned quote_depth = 0);
ParseResult parse_ipv6(Cursor c, ParsedPacket& out, unsigned gre_depth);

// GRE (RFC 2784/2890): follow IPv4, IPv6 and bridged Ethernet payloads, as
// argus does, so the flow is the inner conversation.
ParseResult parse_gre(Cursor c, ParsedPacket& out, unsigned gre_depth, bool& decapsulated) {
  decapsulated = false;
  if (gre_depth >= kMaxGreDepth) return ParseResult::kTunnelDepth;
  if (c.left() < 4) return ParseResult::kTruncatedTunnel;
  const uint16_t flags = rd16(c.p);
  const uint16_t ptype = rd16(c.p + 2);
  if ((flags & 0x0007) != 0) return ParseResult::kOk;  // not version 0: keep outer key
  size_t hlen = 4;
  if (flags & 0x8000) hlen += 4;  // checksum + reserved
  if (flags & 0x2000) hlen += 4;  // key
  if (flags & 0x1000) hlen += 4;  // sequence
  if (c.left() < hlen) return ParseResult::kTruncatedTunnel;
  Cursor in{c.p + hlen, c.end};
  if (ptype == kEthIPv4 || ptype == kEthIPv6) {
    ParsedPacket inner = out;
    inner.encaps |= kEncGre;
    // The inner packet starts a key and fragment state of its own.
    std::memset(&inner.key, 0, sizeof inner.key);
    inner.frag = FragKind::kNone;
    inner.more_frags = false;
    inner.frag_id = 0;
    inner.frag_offset_bytes = 0;
    ParseResult r = ptype == kEthIPv4 ? parse_ipv4(in, inner, gre_depth + 1)
                                      : parse_ipv6(in, inner, gre_depth + 1);
    if (inner.key.kind == KeyKind::kIPv4 || inner.key.kind == KeyKind::kIPv6 ||
        inner.key.kind == KeyKind::kIPv4Frag || inner.key.kind == KeyKind::kIPv6Frag) {
      out = inner;
      decapsulated = true;
      return r;
    }
    // No usable inner packet: the outer one stays the flow, as with argus,
    // and the tunnel is what was wrong (an inner IP error would read as the
    // outer header's, and the frame would go to an L2 flow).
    const bool inner_ip_error = r == ParseResult::kBadIPv4 || r == ParseResult::kTruncatedIPv4 ||
                                r == ParseResult::kBadIPv6 || r == ParseResult::kTruncatedIPv6;
    return r == ParseResult::kOk || inner_ip_error ? ParseResult::kTruncatedTunnel : r;
  }
  (void)kEthTeb;
  return ParseResult::kOk;
}

ParseResult parse_ipv4(Cursor c, ParsedPacket& out, unsigned gre_depth, unsigned quote_depth) {
  if (c.left() < 20) return ParseResult::kTruncatedIPv4;
  const uint8_t* ip = c.p;
  const unsigned ihl = (ip[0] & 0x0f) * 4u;
  const uint16_t total = rd16(ip + 2);
  if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl) return ParseResult::kBadIPv4;
  if (c.left() < ihl) return ParseResult::kTruncatedIPv4;

  FlowKey& k = out.key;  // all zero: the caller cleared it
  k.kind = KeyKind::kIPv4;
  std::memcpy(k.src, ip + 12, 4);
  std::memcpy(k.dst, ip + 16, 4);
  k.proto = ip[9];
  out.is_ip = true;
  out.tos = ip[1];
  out.ttl = ip[8];
  out.ip_id = rd16(ip + 4);
  out.from_key_dst = false;

  // Options: which kinds are present (bounded by IHL).
  for (unsigned i = 20; i < ihl;) {
    const uint8_t opt = ip[i];
    if (opt == 0) break;
    if (opt == 1) {
      ++i;
      continue;
    }
    switch (opt) {
      case 7: out.ip_opts |= kIpOptRecordRoute; break;
      case 68: out.ip_opts |= kIpOptTimestamp; break;
      case 130: out.ip_opts |= kIpOptSecurity; break;
      case 131: out.ip_opts |= kIpOptLsrr; break;
      case 136: out.ip_opts |= kIpOptSatId; break;
      case 137: out.ip_opts |= kIpOptSsrr; break;
      case 148: out.ip_opts |= kIpOptRouterAlert; break;
      default: break;
    }
    if (i + 1 >= ihl || ip[i + 1] < 2) break;
    i += ip[i + 1];
  }
  const uint16_t fragword = rd16(ip + 6);
  const uint16_t frag_off = static_cast<uint16_t>((fragword & 0x1fff) * 8u);
  out.more_frags = (fragword & 0x2000) != 0;
  out.frag_offset_bytes = frag_off;
  if (frag_off != 0 || out.more_frags) {
    out.frag = frag_off != 0 ? FragKind::kLater : FragKind::kFirst;
    out.frag_id = out.ip_id;
  }
  const uint32_t l4_len = total - ihl;
  if (out.frag != FragKind::kNone) out.frag_bytes = static_cast<uint16_t>(l4_len);  // (a tail field: fragments only)
  Cursor l4{ip + ihl, c.end};
  if (out.frag == FragKind::kLater) {
    out.payload_bytes = l4_len;
    const ParseResult r = parse_l4(l4, k.proto, l4_len, true, out, quote_depth);
    set_user(out, ip, 0, total);  // argus captures a later fragment from its IP header
    return r;
  }
  if (k.proto == kProtoGre) {
    bool decap = false;
    ParseResult r = parse_gre(l4, out, gre_depth, decap);
    if (decap) return r;
    if (r != ParseResult::kOk) {
      (void)parse_l4(l4, k.proto, l4_len, false, out, quote_depth);  // the outer GRE flow's payload
      return r;
    }
  }
  return parse_l4(l4, k.proto, l4_len, false, out, quote_depth);
}

bool ipv6_is_ext(uint8_t nh) {
  return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51 || nh == 135 || nh == 139 ||
         nh == 140;
}

ParseResult parse_ipv6(Cursor c, ParsedPacket& out, unsigned gre_depth) {
  if (c.left() < 40) return ParseResult::kTruncatedIPv6;
  const uint8_t* ip = c.p;
  if ((ip[0] >> 4) != 6) return ParseResult::kBadIPv6;
  FlowKey& k = out.key;  // all zero: the caller cleared it
  k.kind = KeyKind::kIPv6;
  std::memcpy(k.src, ip + 8, 16);
  std::memcpy(k.dst, ip + 24, 16);
  out.is_ip = true;
  out.tos = static_cast<uint8_t>((rd16(ip) >> 4) & 0xff);
  out.ttl = ip[7];
  out.from_key_dst = false;
  uint32_t remaining = rd16(ip + 4);  // payload length per the header
  uint8_t nh = ip[6];
  Cursor p{ip + 40, c.end};
  ParseResult status = ParseResult::kOk;
  for (unsigned depth = 0; ipv6_is_ext(nh); ++depth) {
    if (depth >= kMaxIPv6Ext) {
      status = ParseResult::kIPv6ExtDepth;
      break;
    }
    if (p.left() < 8) {
      status = ParseResult::kTruncatedIPv6Ext;
      break;
    }
    size_t hlen;
    if (nh == 44) {  // fragment header: fixed 8 bytes
      hlen = 8;
      const uint16_t offw = rd16(p.p + 2);
      out.frag_offset_bytes = static_cast<uint16_t>(offw & 0xfff8);
      out.more_frags = (offw & 1) != 0;
      out.frag_id = rd32(p.p + 4);
      // Only later fragments are marked: argus keys each IPv6 fragment train
      // on its own, without adding it to the flow of the first fragment.
      if (out.frag_offset_bytes != 0) out.frag = FragKind::kLater;
    } else if (nh == 51) {  // AH: length in 4-byte units minus 2
      hlen = (static_cast<size_t>(p.p[1]) + 2) * 4;
    } else {
      hlen = (static_cast<size_t>(p.p[1]) + 1) * 8;
    }
    if (p.left() < hlen) {
      status = ParseResult::kTruncatedIPv6Ext;
      break;
    }
    nh = p.p[0];
    remaining = remaining >= hlen ? static_cast<uint32_t>(remaining - hlen) : 0;
    p.p += hlen;
    if (out.frag == FragKind::kLater) break;
  }
  k.proto = nh;
  if (status != ParseResult::kOk) {
    out.payload_bytes = remaining;
    return status;
  }
  if (out.frag == FragKind::kLater) {
    out.payload_bytes = remaining;
    return parse_l4(p, nh, remaining, true, out);
  }
  if (nh == kProtoGre) {
    bool decap = false;
    ParseResult r = parse_gre(p, out, gre_depth, decap);
    if (decap) return r;
    if (r != ParseResult::kOk) {
      (void)parse_l4(p, nh, remaining, false, out);  // the outer GRE flow's payload
      return r;
    }
  }
  return parse_l4(p, nh, remaining, false, out);
}

ParseResult parse_l4(Cursor c, uint8_t proto, uint32_t l4_len, bool later_fragment,
                     ParsedPacket& out, unsigned quote_depth) {
  FlowKey& k = out.key;
  // User data (-U) as argus captures it: from the transport header on,
  // moved past it below for TCP and UDP.
  set_user(out, c.p, 0, l4_len);
  if (later_fragment) {
    // Non-first fragment: no transport header. The flow table attaches it to
    // the flow of its first fragment, or keys it on the fragment id.
    k.kind = k.kind == KeyKind::kIPv6 ? KeyKind::kIPv6Frag : KeyKind::kIPv4Frag;
    k.aux = out.frag_id;
    k.flags |= kKeyNoCanon;
    return ParseResult::kOk;
  }
  const bool v6 = k.kind == KeyKind::kIPv6;
  switch (proto) {
    case kProtoTcp: {
      // An IPv4 datagram too short for the whole header has no ports in
      // argus's records, however many bytes were captured (IPv6's payload
      // length is not held to this: argus reads its ports all the same).
      // Its flags, sequence and window still count, as they do for argus.
      const bool short_datagram = !v6 && l4_len < 20;
      if (c.left() < 4) return ParseResult::kTruncatedL4;
      if (!short_datagram) {
        k.sport = rd16(c.p);
        k.dport = rd16(c.p + 2);
      }
      if (c.left() < 20) return ParseResult::kTruncatedL4;
      out.has_tcp = true;
      out.tcp_seq = rd32(c.p + 4);
      out.tcp_ack = rd32(c.p + 8);
      const unsigned doff = (c.p[12] >> 4) * 4u;
      out.tcp_flags = c.p[13];
      out.tcp_win = rd16(c.p + 14);
      out.payload_bytes = l4_len > doff ? l4_len - doff : 0;
      set_user(out, c.p, doff, l4_len);
      // Options: bounded by both the data offset and the captured bytes.
      const size_t opt_end = doff < c.left() ? doff : c.left();
      size_t i = 20;
      while (i < opt_end) {
        const uint8_t kind = c.p[i];
        if (kind == 0) break;
        if (kind == 1) {
          ++i;
          continue;
        }
        if (i + 1 >= opt_end) break;
        const uint8_t len = c.p[i + 1];
        if (len < 2 || i + len > opt_end) break;
        switch (kind) {
          case 2: out.tcp_options |= kTcpOptMss; break;
          case 3:
            out.tcp_options |= kTcpOptWscale;
            if (len >= 3) out.tcp_wscale = c.p[i + 2];
            break;
          case 4: out.tcp_options |= kTcpOptSackOk; break;
          case 5: out.tcp_options |= kTcpOptSack; break;
          case 8: out.tcp_options |= kTcpOptTimestamp; break;
          default: break;
        }
        i += len;
      }
      // A header that claims more (or less) than is there is counted; its
      // ports and flags are still used, as argus uses them.
      return (short_datagram || doff < 20 || doff > c.left()) ? ParseResult::kTruncatedL4 : ParseResult::kOk;
    }
    case kProtoUdp: {
      if (c.left() < 4 || (!v6 && l4_len < 8)) return ParseResult::kTruncatedL4;
      k.sport = rd16(c.p);
      k.dport = rd16(c.p + 2);
      out.payload_bytes = l4_len >= 8 ? l4_len - 8 : 0;
      set_user(out, c.p, 8, l4_len);
      // DNS over IPv4: argus keys each transaction id as its own flow (over
      // IPv6 it does not: an A and AAAA lookup from one port is one flow).
      if (!v6 && (k.sport == 53 || k.dport == 53) && c.left() >= 10) k.aux = rd16(c.p + 8);
      return c.left() < 8 ? ParseResult::kTruncatedL4 : ParseResult::kOk;
    }
    case kProtoSctp: {
      if (c.left() < 4) return ParseResult::kTruncatedL4;
      k.sport = rd16(c.p);
      k.dport = rd16(c.p + 2);
      out.payload_bytes = l4_len;  // argus counts SCTP's common header as application bytes
      return ParseResult::kOk;
    }
    case kProtoEsp: {
      if (c.left() < 8) return ParseResult::kTruncatedL4;
      k.aux = rd32(c.p);
      out.esp_seq = rd32(c.p + 4);
      out.payload_bytes = l4_len;
      return ParseResult::kOk;
    }
    case kProtoIgmp: {
      // argus keys IGMP by the group a message names, where it names one
      // (a leave goes to 224.0.0.2 but is about its group). A version 3
      // report has no group there (the field counts its records): it
      // keeps its IP destination, where argus shows the count as an address.
      // Each message type is a flow of its own, as in argus (a report and
      // the leave that follows are two records).
      if (v6 || c.left() < 8) break;
      k.aux = c.p[0];
      if (c.p[0] != 0x22 && rd32(c.p + 4) != 0) std::memcpy(k.dst, c.p + 4, 4);
      break;
    }
    case kProtoIcmp: {
      if (v6) break;
      if (c.left() < 4) return ParseResult::kTruncatedL4;
      const uint8_t type = c.p[0];
      const uint8_t code = c.p[1];
      out.icmp_type = type;
      out.icmp_code = code;
      out.payload_bytes = l4_len;
      k.flags |= kKeyNoCanon;
      if (is_icmp_echo_like(type)) {
        k.sport = static_cast<uint16_t>(icmp_request_type(type) << 8);
        // Echo exchanges are keyed by id and sequence; argus keys timestamp,
        // information and address-mask exchanges by their type alone.
        if (c.left() >= 8 && (type == 8 || type == 0)) {
          k.dport = rd16(c.p + 4);
          k.aux = rd16(c.p + 6);
        }
        if (icmp_is_reply(type)) {
          swap_endpoints(k);
          out.from_key_dst = true;
        }
        return c.left() < 8 ? ParseResult::kTruncatedL4 : ParseResult::kOk;
      }
      k.sport = static_cast<uint16_t>(type << 8 | code);
      // Errors quote the offending IP header: key on what it refers to.
      if ((type == 3 || type == 4 || type == 5 || type == 11 || type == 12) && c.left() >= 8 + 20) {
        const uint8_t* q = c.p + 8;
        out.icmp_gateway = rd32(c.p + 4);
        if (quote_depth == 0) {
          // The quoted packet's own key (one level deep: a quote inside a
          // quote is not followed).
          ParsedPacket inner;
          std::memset(&inner, 0, sizeof inner);
          parse_ipv4(Cursor{q, c.end}, inner, 0, 1);
          if (inner.is_ip && inner.key.kind == KeyKind::kIPv4 && inner.frag != FragKind::kLater) {
            out.inner_key = inner.key;
            out.has_inner = true;
          }
        }
        const unsigned qihl = (q[0] & 0x0f) * 4u;
        // argus counts an error's application bytes as the quoted
        // datagram's payload per its own IP header, quoted whole or not.
        const unsigned qtotal = rd16(q + 2);
        out.payload_bytes = qtotal > qihl ? qtotal - qihl : 0;
        // User data likewise: the quoted datagram after its IP header.
        set_user(out, q, qihl, l4_len > 8 ? l4_len - 8 : 0);
        // What else keys the error, as argus 3.0.8.2 keys it: for protocol
        // and port unreachable the quoted protocol and destination port; for
        // net and host unreachable and redirects the quoted destination
        // address, all four bytes, in the order argus writes them (bytes 16
        // to 19 of the key: see the encoder); for every other error nothing,
        // so that one router's time-exceeded messages are one flow.
        if (type == 3 && (code == 2 || code == 3)) {
          k.tp_p = q[9];
          if (qihl >= 20 && c.left() >= 8 + qihl + 4) k.dport = rd16(q + qihl + 2);
        } else if ((type == 3 && (code == 0 || code == 1)) || type == 5) {
          k.dport = static_cast<uint16_t>(q[16] | q[17] << 8);
          k.aux = static_cast<uint16_t>(q[18] | q[19] << 8);
        }
      }
      return ParseResult::kOk;
    }
    case kProtoIcmp6: {
      if (!v6) break;
      if (c.left() < 4) return ParseResult::kTruncatedL4;
      uint8_t type = c.p[0];
      const uint8_t code = c.p[1];
      out.icmp_type = type;
      out.icmp_code = code;
      out.payload_bytes = l4_len;
      k.flags |= kKeyNoCanon;
      bool reply = false;
      switch (type) {
        case 129: type = 128; reply = true; break;  // echo reply onto the request
        // Neighbour discovery: argus keys solicitation and advertisement as
        // one conversation between the two addresses, whoever asked.
        case 134: type = 133; k.flags &= static_cast<uint8_t>(~kKeyNoCanon); break;
        case 136: type = 135; k.flags &= static_cast<uint8_t>(~kKeyNoCanon); break;
        case 133:
        case 135: k.flags &= static_cast<uint8_t>(~kKeyNoCanon); break;
        default: break;
      }
      k.sport = static_cast<uint16_t>(type << 8 | code);
      if (reply) {
        swap_endpoints(k);
        out.from_key_dst = true;
      }
      return ParseResult::kOk;
    }
    default: break;
  }
  out.payload_bytes = l4_len;
  return ParseResult::kOk;
}

// ARP and RARP (`rarp`: EtherType 0x8035, which argus keys by the message's
// target protocol address and both hardware addresses, every packet from
// the key's source side).
ParseResult parse_arp(Cursor c, ParsedPacket& out, bool rarp) {
  if (c.left() < 8) return ParseResult::kTruncatedArp;
  const uint16_t hrd = rd16(c.p);
  const uint16_t pro = rd16(c.p + 2);
  const uint8_t hln = c.p[4];
  const uint8_t pln = c.p[5];
  const uint16_t op = rd16(c.p + 6);
  if (hln != 6 || pln != 4 || c.left() < 8u + 2u * (hln + pln)) return ParseResult::kTruncatedArp;
  const uint8_t* sha = c.p + 8;
  const uint8_t* spa = sha + 6;
  const uint8_t* tha = spa + 4;
  const uint8_t* tpa = tha + 6;
  FlowKey& k = out.key;
  std::memset(&k, 0, sizeof k);
  k.kind = rarp ? KeyKind::kRarp : KeyKind::kArp;
  k.flags = kKeyNoCanon;
  k.sport = hrd;
  k.dport = pro;
  if (rarp) {
    std::memcpy(k.src, sha, 6);
    std::memcpy(k.dst, tpa, 4);
    std::memcpy(k.dst + 4, tha, 6);
  } else if (op == 2) {  // reply: fold onto the request (requester = target)
    std::memcpy(k.src, tpa, 4);
    std::memcpy(k.src + 4, tha, 6);
    std::memcpy(k.dst, spa, 4);
    std::memcpy(out.arp_responder_mac, sha, 6);
    out.from_key_dst = true;
  } else {
    std::memcpy(k.src, spa, 4);
    std::memcpy(k.src + 4, sha, 6);
    std::memcpy(k.dst, tpa, 4);
  }
  if (!rarp && op != 1 && op != 2) k.aux = op;  // other operations stay apart
  // argus's user data for ARP is what follows the message: the frame's
  // trailer, if it has one.
  const uint32_t msg = 8u + 2u * (hln + pln);
  set_user(out, c.p, msg, static_cast<uint32_t>(c.left()));
  return ParseResult::kOk;
}

// After the link layer: dispatch on EtherType. `l2_ok` tells whether MACs
// exist for the L2 fallback key.
ParseResult parse_ethertype(Cursor c, uint16_t type, ParsedPacket& out) {
  // MPLS label stack.
  if (type == kEthMpls || type == kEthMplsMc) {
    out.encaps |= kEncMpls;
    unsigned n = 0;
    for (;;) {
      if (n >= kMaxMplsLabels) {
        make_ether_key(out, type, 0, 0);
        return ParseResult::kMplsDepth;
      }
      if (c.left() < 4) {
        make_ether_key(out, type, 0, 0);
        return ParseResult::kTruncatedMpls;
      }
      const uint32_t lse = rd32(c.p);
      if (n == 0) {
        out.mpls_lse = lse;
        out.has_mpls = true;
      }
      c.p += 4;
      ++n;
      if (lse & 0x100) break;  // bottom of stack
    }
    if (c.left() < 1) {
      make_ether_key(out, type, 0, 0);
      return ParseResult::kTruncatedMpls;
    }
    type = (c.p[0] >> 4) == 6 ? kEthIPv6 : kEthIPv4;
  }
  ParseResult r;
  switch (type) {
    case kEthIPv4:
      r = parse_ipv4(c, out, 0);
      break;
    case kEthIPv6:
      r = parse_ipv6(c, out, 0);
      break;
    case kEthArp:
    case kEthRarp:
      r = parse_arp(c, out, type == kEthRarp);
      if (r == ParseResult::kOk) return r;
      make_ether_key(out, type, 0, 0);
      return r;
    default:
      make_ether_key(out, type, 0, 0);
      set_user(out, c.p, 0, static_cast<uint32_t>(c.left()));  // argus: what follows the link header
      return ParseResult::kOk;
  }
  if (!out.is_ip || r == ParseResult::kBadIPv4 || r == ParseResult::kTruncatedIPv4 ||
      r == ParseResult::kBadIPv6 || r == ParseResult::kTruncatedIPv6) {
    // No usable IP header: account the frame to an L2 flow, as argus does.
    out.is_ip = false;
    out.frag = FragKind::kNone;
    make_ether_key(out, type, 0, 0);
    set_user(out, c.p, 0, static_cast<uint32_t>(c.left()));  // the whole datagram, as argus keeps it
  }
  return r;
}

ParseResult parse_ethernet(Cursor c, ParsedPacket& out) {
  if (c.left() < 14) return ParseResult::kTruncatedL2;
  std::memcpy(out.mac_dst, c.p, 6);
  std::memcpy(out.mac_src, c.p + 6, 6);
  out.has_macs = true;
  out.encaps |= kEncEther;
  uint16_t type = rd16(c.p + 12);
  c.p += 14;
  // VLAN tags: 802.1Q, 802.1ad and the old 0x9100 QinQ. The innermost TCI is
  // kept, as argus does.
  for (unsigned n = 0; type == kEthVlan || type == kEthQinQ || type == kEthQinQOld; ++n) {
    if (n >= kMaxVlanTags) {
      make_ether_key(out, type, 0, 0);
      return ParseResult::kTagDepth;
    }
    if (c.left() < 4) {
      make_ether_key(out, type, 0, 0);
      return ParseResult::kTruncatedTag;
    }
    out.encaps |= kEncVlan;
    out.has_vlan = true;
    out.vlan_tci = rd16(c.p);
    type = rd16(c.p + 2);
    c.p += 4;
  }
  if (type == kEthPppoeSess) {
    out.encaps |= kEncPppoe;
    if (c.left() < 8) {
      make_ether_key(out, type, 0, 0);
      return ParseResult::kTruncatedTag;
    }
    const uint16_t ppp = rd16(c.p + 6);
    c.p += 8;
    if (ppp == 0x0021) {
      type = kEthIPv4;
    } else if (ppp == 0x0057) {
      type = kEthIPv6;
    } else {
      make_ether_key(out, kEthPppoeSess, 0, 0);
      return ParseResult::kOk;
    }
  } else if (type < 0x0600) {
    // 802.3 length field: LLC, possibly SNAP.
    out.encaps |= kEncLlc;
    if (c.left() < 3) {
      make_ether_key(out, 0, 0, 0);
      return ParseResult::kTruncatedTag;
    }
    const uint8_t dsap = c.p[0];
    const uint8_t ssap = c.p[1];
    if (dsap == 0xaa && ssap == 0xaa && c.left() >= 8) {
      const uint16_t snap_type = rd16(c.p + 6);
      if (snap_type == kEthIPv4 || snap_type == kEthIPv6 || snap_type == kEthArp) {
        c.p += 8;
        return parse_ethertype(c, snap_type, out);
      }
    }
    make_ether_key(out, 0, dsap, ssap);
    // User data (-U) follows the LLC header (and a SNAP header), within the
    // 802.3 length.
    const uint32_t llc_len = type < c.left() ? type : static_cast<uint32_t>(c.left());
    const uint32_t hdr = (dsap == 0xaa && ssap == 0xaa) ? 8 : (c.left() >= 3 && (c.p[2] & 0x03) != 0x03) ? 4 : 3;
    set_user(out, c.p, hdr, llc_len);
    return ParseResult::kOk;
  }
  return parse_ethertype(c, type, out);
}

}  // namespace

const char* parse_result_name(ParseResult r) {
  return static_cast<unsigned>(r) < kParseResultCount ? kResultNames[static_cast<unsigned>(r)]
                                                      : "parse.unknown";
}
const char* parse_result_description(ParseResult r) {
  return static_cast<unsigned>(r) < kParseResultCount ? kResultDescs[static_cast<unsigned>(r)]
                                                      : "";
}

bool link_type_supported(int linktype) {
  switch (linktype) {
    case kLinkNull:
    case kLinkEthernet:
    case kLinkRawDlt:
    case kLinkRawDlt14:
    case kLinkRaw:
    case kLinkLoop:
    case kLinkSll:
    case kLinkIPv4:
    case kLinkIPv6:
    case kLinkSll2:
      return true;
    default:
      return false;
  }
}

ParseResult parse_packet_general(const uint8_t* data, uint32_t caplen, uint16_t linktype,
                                 ParsedPacket& out) {
  clear_head(out);
  Cursor c{data, data + caplen};
  switch (linktype) {
    case kLinkEthernet:
      return parse_ethernet(c, out);
    case kLinkSll:
    case kLinkSll2: {
      const size_t hlen = linktype == kLinkSll ? 16 : 20;
      if (c.left() < hlen) return ParseResult::kTruncatedL2;
      const uint16_t proto = linktype == kLinkSll ? rd16(c.p + 14) : rd16(c.p);
      const uint8_t* addr = linktype == kLinkSll ? c.p + 6 : c.p + 12;
      const uint8_t alen = linktype == kLinkSll ? c.p[5] : c.p[11];
      std::memset(out.mac_dst, 0, 6);
      std::memset(out.mac_src, 0, 6);
      // A cooked header has MACs as far as argus is concerned: the sender's
      // when it is an Ethernet address, zeros otherwise (its MAC DSR then
      // holds zeros; raw IP has none).
      if (alen == 6) std::memcpy(out.mac_src, addr, 6);
      out.has_macs = true;
      out.encaps |= kEncSll | kEncEther;
      // argus counts cooked-capture frames from the network header on.
      out.wire_trim = static_cast<uint8_t>(hlen);
      c.p += hlen;
      if (proto == kEthVlan || proto == kEthQinQ) {
        // A cooked capture keeps tags in the payload: hand it to the tag loop
        // through a synthetic view is not possible, so read one tag here.
        if (c.left() < 4) return ParseResult::kTruncatedTag;
        out.encaps |= kEncVlan;
        out.has_vlan = true;
        out.vlan_tci = rd16(c.p);
        const uint16_t inner = rd16(c.p + 2);
        c.p += 4;
        return parse_ethertype(c, inner, out);
      }
      return parse_ethertype(c, proto, out);
    }
    case kLinkRawDlt:
    case kLinkRawDlt14:
    case kLinkRaw:
    case kLinkIPv4:
    case kLinkIPv6: {
      if (c.left() < 1) return ParseResult::kTruncatedL2;
      const unsigned v = c.p[0] >> 4;
      ParseResult r = v == 6 ? parse_ipv6(c, out, 0) : parse_ipv4(c, out, 0);
      if (!out.is_ip) out.key.kind = KeyKind::kNone;
      return r;
    }
    case kLinkNull:
    case kLinkLoop: {
      if (c.left() < 4) return ParseResult::kTruncatedL2;
      // NULL stores the family in host order of the capturing machine: accept
      // either order. LOOP is network order.
      uint32_t fam = rd32(c.p);
      if (fam > 0xffff) fam = (fam >> 24) | ((fam >> 8) & 0xff00);
      c.p += 4;
      ParseResult r = (fam == 24 || fam == 28 || fam == 30 || fam == 10)
                          ? parse_ipv6(c, out, 0)
                          : parse_ipv4(c, out, 0);
      if (!out.is_ip) out.key.kind = KeyKind::kNone;
      return r;
    }
    default:
      return ParseResult::kUnsupportedLink;
  }
}

namespace {

// The common case, Ethernet / IPv4 without options or fragmentation / TCP
// without options or UDP other than DNS, decoded straight through. Returns
// false for anything else, which the general parser then takes; for what it
// accepts it fills `out` exactly as the general parser would.
inline bool parse_fast_ipv4(const uint8_t* d, uint32_t caplen, ParsedPacket& out) {
  if (caplen < 14 + 20 + 8 || rd16(d + 12) != kEthIPv4) return false;
  const uint8_t* ip = d + 14;
  const uint16_t total = rd16(ip + 2);
  const uint8_t proto = ip[9];
  // The whole transport header within the datagram, or the general parser.
  if (ip[0] != 0x45 || total < (proto == kProtoTcp ? 40 : 28) || (rd16(ip + 6) & 0x3fff) != 0) return false;
  const uint8_t* l4 = ip + 20;
  const uint32_t l4_len = total - 20u;
  const uint16_t sport = rd16(l4);
  const uint16_t dport = rd16(l4 + 2);
  if (proto == kProtoTcp) {
    if (caplen < 14 + 20 + 20 || (l4[12] >> 4) != 5) return false;
  } else if (proto != kProtoUdp || sport == 53 || dport == 53) {
    return false;
  }
  std::memcpy(out.mac_dst, d, 6);
  std::memcpy(out.mac_src, d + 6, 6);
  out.has_macs = true;
  out.encaps = kEncEther;
  FlowKey& k = out.key;
  k.kind = KeyKind::kIPv4;
  std::memcpy(k.src, ip + 12, 4);
  std::memcpy(k.dst, ip + 16, 4);
  k.proto = proto;
  k.sport = sport;
  k.dport = dport;
  out.is_ip = true;
  out.tos = ip[1];
  out.ttl = ip[8];
  out.ip_id = rd16(ip + 4);
  if (proto == kProtoTcp) {
    out.has_tcp = true;
    out.tcp_seq = rd32(l4 + 4);
    out.tcp_ack = rd32(l4 + 8);
    out.tcp_flags = l4[13];
    out.tcp_win = rd16(l4 + 14);
    out.payload_bytes = l4_len > 20 ? l4_len - 20 : 0;
    set_user(out, l4, 20, l4_len);
  } else {
    out.payload_bytes = l4_len >= 8 ? l4_len - 8 : 0;
    set_user(out, l4, 8, l4_len);
  }
  return true;
}

}  // namespace

ParseResult parse_packet(const uint8_t* data, uint32_t caplen, uint16_t linktype,
                         ParsedPacket& out) {
  if (linktype == kLinkEthernet) {
    clear_head(out);
    if (parse_fast_ipv4(data, caplen, out)) return ParseResult::kOk;
  }
  return parse_packet_general(data, caplen, linktype, out);
}

}  // namespace argos
