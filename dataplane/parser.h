// Packet parser: a pure, bounded function from captured bytes to a flow key
// and the per-packet facts the flow table needs. No allocation, no state.
#pragma once

#include <cstdint>
#include <cstring>

#include "flowtable/counter_table.h"

#include "dataplane/packet.h"
#include "flowtable/packet_facts.h"

namespace argos {

// Every outcome of parse_packet(). Non-kOk values are counted per reason by
// the worker; "fallback" outcomes still produce a usable (coarser) key so the
// packet is accounted to a flow, exactly one counter moves per packet.
#define ARGOS_PARSE_RESULTS(X)                                                        \
  X(kOk, "parse.ok", "packets parsed into a full flow key")                          \
  X(kUnsupportedLink, "parse.unsupported_link", "link type the parser does not know") \
  X(kTruncatedL2, "parse.truncated_l2", "frame shorter than its link-layer header")  \
  X(kTagDepth, "parse.tag_depth", "more VLAN tags than the parser follows")          \
  X(kTruncatedTag, "parse.truncated_tag", "VLAN/PPPoE/LLC header cut short")         \
  X(kMplsDepth, "parse.mpls_depth", "MPLS label stack deeper than the parser follows") \
  X(kTruncatedMpls, "parse.truncated_mpls", "MPLS label stack cut short")            \
  X(kTruncatedIPv4, "parse.truncated_ipv4", "IPv4 header cut short (L2 key used)")    \
  X(kBadIPv4, "parse.bad_ipv4", "IPv4 version/IHL/total length impossible (L2 key used)") \
  X(kTruncatedIPv6, "parse.truncated_ipv6", "IPv6 header cut short (L2 key used)")    \
  X(kBadIPv6, "parse.bad_ipv6", "IPv6 version field wrong (L2 key used)")            \
  X(kIPv6ExtDepth, "parse.ipv6_ext_depth", "IPv6 extension chain longer than followed") \
  X(kTruncatedIPv6Ext, "parse.truncated_ipv6_ext", "IPv6 extension header cut short") \
  X(kTruncatedL4, "parse.truncated_l4", "transport header cut short (ports kept if present)") \
  X(kTruncatedArp, "parse.truncated_arp", "ARP body cut short (L2 key used)")         \
  X(kTunnelDepth, "parse.tunnel_depth", "GRE nesting deeper than followed")          \
  X(kTruncatedTunnel, "parse.truncated_tunnel", "GRE header cut short")

enum class ParseResult : uint8_t {
  ARGOS_PARSE_RESULTS(ARGOS_COUNTER_ENUMERATOR)
      kCount
};
inline constexpr unsigned kParseResultCount = static_cast<unsigned>(ParseResult::kCount);
const char* parse_result_name(ParseResult r);
const char* parse_result_description(ParseResult r);

// Parses one frame of the given link type. Never reads outside
// [data, data + caplen). On a non-kOk result `out` is still a valid packet
// whose key may be coarser (an L2 key) when the frame has MAC addresses;
// out.key.kind == KeyKind::kNone when no key can be formed at all (unknown
// link type, frame shorter than its link header, or no usable IP header on
// a link without MAC addresses): such packets are counted, not accounted.
ParseResult parse_packet(const uint8_t* data, uint32_t caplen, uint16_t linktype,
                         ParsedPacket& out);

// The same without the common-case shortcut parse_packet takes for plain
// Ethernet/IPv4/TCP-or-UDP frames. Both give identical results; tests and the
// fuzzer compare them.
ParseResult parse_packet_general(const uint8_t* data, uint32_t caplen, uint16_t linktype,
                                 ParsedPacket& out);

// Copies up to `max` user bytes of a parsed frame to `dst` (bounded by the
// datagram and by what was captured) and points the packet at them.
inline void copy_user_bytes(const PacketView& v, uint32_t max, uint8_t* dst, ParsedPacket& p) {
  uint32_t n = 0;
  const uint8_t* s = p.user_start;
  if (s && s >= v.data && s < v.data + v.caplen) {
    const uint32_t captured = static_cast<uint32_t>(v.data + v.caplen - s);
    n = p.user_span < captured ? p.user_span : captured;
    if (n > max) n = max;
    std::memcpy(dst, s, n);
  }
  p.user = dst;
  p.user_len = static_cast<uint16_t>(n);
}

}  // namespace argos
