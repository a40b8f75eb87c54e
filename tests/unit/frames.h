// Frame builders for the unit tests: each function writes one protocol header
// (in network order) in front of the payload it is given, so a fixture reads
// outside-in, e.g. eth(kEthIPv4) + ipv4({.proto = 17}, udp(1000, 53, dns)).
// Length fields are computed from the payload unless a test overrides them.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "dataplane/packet.h"
#include "dataplane/parser.h"
#include "flowtable/packet_facts.h"

namespace argos::test {

using Bytes = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;
using Ip4 = std::array<uint8_t, 4>;
using Ip6 = std::array<uint8_t, 16>;

// EtherTypes and IP protocols used by the fixtures.
inline constexpr uint16_t kEthIPv4 = 0x0800;
inline constexpr uint16_t kEthArp = 0x0806;
inline constexpr uint16_t kEthVlan = 0x8100;
inline constexpr uint16_t kEthQinQ = 0x88a8;
inline constexpr uint16_t kEthQinQOld = 0x9100;
inline constexpr uint16_t kEthIPv6 = 0x86dd;
inline constexpr uint16_t kEthMpls = 0x8847;
inline constexpr uint16_t kEthPppoe = 0x8864;
inline constexpr uint16_t kEthLocalExp = 0x88b5;  // IEEE local experimental

inline constexpr uint8_t kIpIcmp = 1;
inline constexpr uint8_t kIpTcp = 6;
inline constexpr uint8_t kIpUdp = 17;
inline constexpr uint8_t kIpGre = 47;
inline constexpr uint8_t kIpEsp = 50;
inline constexpr uint8_t kIpIcmp6 = 58;
inline constexpr uint8_t kIpSctp = 132;
inline constexpr uint8_t kIp6HopByHop = 0;
inline constexpr uint8_t kIp6Routing = 43;
inline constexpr uint8_t kIp6Fragment = 44;
inline constexpr uint8_t kIp6DestOpts = 60;

inline constexpr Mac kMacA{0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
inline constexpr Mac kMacB{0x00, 0x66, 0x77, 0x88, 0x99, 0xaa};
inline constexpr Ip4 kIpA{10, 0, 0, 1};
inline constexpr Ip4 kIpB{10, 0, 0, 2};
inline constexpr Ip6 kIp6A{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
inline constexpr Ip6 kIp6B{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};

// ---- byte helpers ---------------------------------------------------------

inline Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
inline void put8(Bytes& b, uint8_t v) { b.push_back(v); }
inline void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
template <size_t N>
inline void put(Bytes& b, const std::array<uint8_t, N>& a) {
  b.insert(b.end(), a.begin(), a.end());
}
template <size_t N>
inline Bytes bytes_of(const std::array<uint8_t, N>& a) {
  return Bytes(a.begin(), a.end());
}
// `n` bytes of recognisable filler.
inline Bytes payload(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>('a' + i % 26);
  return b;
}
inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t rd32(const uint8_t* p) {
  return static_cast<uint32_t>(rd16(p)) << 16 | rd16(p + 2);
}

// ---- link layers ----------------------------------------------------------

inline Bytes eth(uint16_t type, const Mac& dst = kMacB, const Mac& src = kMacA) {
  Bytes b;
  put(b, dst);
  put(b, src);
  put16(b, type);
  return b;
}
// An 802.3 frame: the type field holds the length of what follows.
inline Bytes eth_8023(const Bytes& llc_and_data, const Mac& dst = kMacB, const Mac& src = kMacA) {
  return eth(static_cast<uint16_t>(llc_and_data.size()), dst, src) + llc_and_data;
}
// The four bytes after a VLAN TPID: TCI, then the next EtherType.
inline Bytes vlan_tag(uint16_t tci, uint16_t next_type) {
  Bytes b;
  put16(b, tci);
  put16(b, next_type);
  return b;
}
inline uint32_t mpls_lse(uint32_t label, bool bottom, uint8_t ttl = 64, uint8_t tc = 0) {
  return label << 12 | static_cast<uint32_t>(tc) << 9 | (bottom ? 0x100u : 0u) | ttl;
}
inline Bytes mpls(uint32_t label, bool bottom, uint8_t ttl = 64) {
  Bytes b;
  put32(b, mpls_lse(label, bottom, ttl));
  return b;
}
// PPPoE session header (RFC 2516) and the PPP protocol field.
inline Bytes pppoe(uint16_t ppp_proto, const Bytes& data, uint16_t session = 0x0001) {
  Bytes b{0x11, 0x00};
  put16(b, session);
  put16(b, static_cast<uint16_t>(data.size() + 2));
  put16(b, ppp_proto);
  return b + data;
}
inline Bytes llc(uint8_t dsap, uint8_t ssap, uint8_t control = 0x03) { return {dsap, ssap, control}; }
inline Bytes snap(uint16_t type) {
  Bytes b{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00};
  put16(b, type);
  return b;
}
// Linux cooked capture v1 (LINKTYPE 113), 16 bytes.
inline Bytes sll(uint16_t proto, const Mac& src = kMacA, uint16_t pkttype = 0) {
  Bytes b;
  put16(b, pkttype);
  put16(b, 1);  // ARPHRD_ETHER
  put16(b, 6);
  put(b, src);
  put16(b, 0);
  put16(b, proto);
  return b;
}
// Linux cooked capture v2 (LINKTYPE 276), 20 bytes.
inline Bytes sll2(uint16_t proto, const Mac& src = kMacA) {
  Bytes b;
  put16(b, proto);
  put16(b, 0);
  put32(b, 2);  // interface index
  put16(b, 1);  // ARPHRD_ETHER
  put8(b, 0);   // packet type
  put8(b, 6);   // address length
  put(b, src);
  put16(b, 0);
  return b;
}
// BSD loopback header: the address family in either byte order.
inline Bytes null_hdr(uint32_t family, bool big_endian) {
  Bytes b;
  if (big_endian) {
    put32(b, family);
  } else {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(family >> (8 * i)));
  }
  return b;
}

// ---- network layers -------------------------------------------------------

struct Ip4Hdr {
  Ip4 src = kIpA;
  Ip4 dst = kIpB;
  uint8_t proto = kIpTcp;
  uint8_t ttl = 64;
  uint8_t tos = 0;
  uint16_t id = 1;
  uint16_t frag = 0;   // flags and offset word: 0x2000 = MF, low 13 bits = offset / 8
  Bytes options{};     // a multiple of 4 bytes
  int ihl_words = -1;  // override of the header length field
  int total_len = -1;  // override of the total length field
  uint8_t version = 4;
};
inline constexpr uint16_t kIp4MoreFrags = 0x2000;

inline Bytes ipv4(const Ip4Hdr& h, const Bytes& data) {
  const size_t hlen = 20 + h.options.size();
  const uint8_t ihl = static_cast<uint8_t>(h.ihl_words >= 0 ? h.ihl_words : hlen / 4);
  const uint16_t total = static_cast<uint16_t>(h.total_len >= 0 ? h.total_len : hlen + data.size());
  Bytes b;
  put8(b, static_cast<uint8_t>(h.version << 4 | (ihl & 0x0f)));
  put8(b, h.tos);
  put16(b, total);
  put16(b, h.id);
  put16(b, h.frag);
  put8(b, h.ttl);
  put8(b, h.proto);
  put16(b, 0);  // checksum: the parser does not verify it
  put(b, h.src);
  put(b, h.dst);
  b.insert(b.end(), h.options.begin(), h.options.end());
  return b + data;
}

struct Ip6Hdr {
  Ip6 src = kIp6A;
  Ip6 dst = kIp6B;
  uint8_t nh = kIpTcp;
  uint8_t hlim = 64;
  uint8_t tclass = 0;
  int payload_len = -1;  // override
  uint8_t version = 6;
};

inline Bytes ipv6(const Ip6Hdr& h, const Bytes& data) {
  Bytes b;
  put32(b, static_cast<uint32_t>(h.version) << 28 | static_cast<uint32_t>(h.tclass) << 20);
  put16(b, static_cast<uint16_t>(h.payload_len >= 0 ? h.payload_len : data.size()));
  put8(b, h.nh);
  put8(b, h.hlim);
  put(b, h.src);
  put(b, h.dst);
  return b + data;
}
// Hop-by-hop, routing or destination-options header of `len` bytes (a
// multiple of 8), padded with zeros (PAD1 options; routing type 0, no
// segments left).
inline Bytes ip6_ext(uint8_t next, const Bytes& data, size_t len = 8) {
  Bytes b{next, static_cast<uint8_t>(len / 8 - 1)};
  b.resize(len, 0);
  return b + data;
}
inline Bytes ip6_frag(uint8_t next, uint16_t offset_bytes, bool more, uint32_t id,
                      const Bytes& data) {
  Bytes b{next, 0};
  put16(b, static_cast<uint16_t>((offset_bytes & 0xfff8) | (more ? 1 : 0)));
  put32(b, id);
  return b + data;
}

// ---- transport layers -----------------------------------------------------

struct TcpHdr {
  uint16_t sport = 40000;
  uint16_t dport = 80;
  uint32_t seq = 1000;
  uint32_t ack = 0;
  uint8_t flags = kTcpSyn;
  uint16_t win = 8192;
  Bytes options{};     // a multiple of 4 bytes
  int doff_words = -1;  // override of the data offset
};

inline Bytes tcp(const TcpHdr& h, const Bytes& data = {}) {
  const uint8_t doff =
      static_cast<uint8_t>(h.doff_words >= 0 ? h.doff_words : (20 + h.options.size()) / 4);
  Bytes b;
  put16(b, h.sport);
  put16(b, h.dport);
  put32(b, h.seq);
  put32(b, h.ack);
  put8(b, static_cast<uint8_t>(doff << 4));
  put8(b, h.flags);
  put16(b, h.win);
  put16(b, 0);  // checksum
  put16(b, 0);  // urgent pointer
  b.insert(b.end(), h.options.begin(), h.options.end());
  return b + data;
}
// A Linux-style SYN option block: MSS, SACK-permitted, timestamps, NOP,
// window scale. 20 bytes.
inline Bytes syn_options(uint8_t wscale = 7) {
  Bytes b{2, 4, 0x05, 0xb4, 4, 2, 8, 10};
  put32(b, 0x01020304);
  put32(b, 0);
  b.insert(b.end(), {1, 3, 3, wscale});
  return b;
}
inline Bytes udp(uint16_t sport, uint16_t dport, const Bytes& data = {}) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, static_cast<uint16_t>(8 + data.size()));
  put16(b, 0);
  return b + data;
}
// A DNS query header with the given transaction id (no questions).
inline Bytes dns_query(uint16_t txid) {
  Bytes b;
  put16(b, txid);
  put16(b, 0x0100);
  b.resize(12, 0);
  return b;
}
inline Bytes sctp(uint16_t sport, uint16_t dport, const Bytes& data = {}) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, 0x11223344);  // verification tag
  put32(b, 0);           // checksum
  return b + data;
}
// ICMP message: type, code, checksum, then the 4-byte "rest of header"
// (echo id and sequence, or the unused/gateway word of an error).
inline Bytes icmp(uint8_t type, uint8_t code, uint32_t rest, const Bytes& data = {}) {
  Bytes b{type, code, 0, 0};
  put32(b, rest);
  return b + data;
}
inline Bytes icmp_echo(uint8_t type, uint16_t id, uint16_t seq, const Bytes& data = payload(8)) {
  return icmp(type, 0, static_cast<uint32_t>(id) << 16 | seq, data);
}
inline Bytes esp(uint32_t spi, uint32_t seq, const Bytes& data = payload(16)) {
  Bytes b;
  put32(b, spi);
  put32(b, seq);
  return b + data;
}
inline Bytes arp(uint16_t op, const Mac& sha, const Ip4& spa, const Mac& tha, const Ip4& tpa) {
  Bytes b;
  put16(b, 1);
  put16(b, kEthIPv4);
  put8(b, 6);
  put8(b, 4);
  put16(b, op);
  put(b, sha);
  put(b, spa);
  put(b, tha);
  put(b, tpa);
  return b;
}
inline Bytes gre(uint16_t ptype, const Bytes& data, uint16_t flags = 0) {
  Bytes b;
  put16(b, flags);
  put16(b, ptype);
  if (flags & 0x8000) put32(b, 0);           // checksum + reserved
  if (flags & 0x2000) put32(b, 0xdeadbeef);  // key
  if (flags & 0x1000) put32(b, 7);           // sequence
  return b + data;
}

// ---- parsing helpers ------------------------------------------------------

// Parses `frame` as the worker does, filling in what the worker adds (wire
// length minus the trimmed link header, packet time, input clock).
inline ParsedPacket parsed(const Bytes& frame, uint64_t ts_ns, uint16_t link = kLinkEthernet,
                           ParseResult* result = nullptr) {
  ParsedPacket p;
  // The parser clears only the head of ParsedPacket; tail fields are valid
  // only as the head's flags say. Garbage here makes any other use show.
  std::memset(&p, 0xa5, sizeof p);
  const ParseResult r = parse_packet(frame.data(), static_cast<uint32_t>(frame.size()), link, p);
  if (result) *result = r;
  const uint32_t wire = static_cast<uint32_t>(frame.size());
  p.wire_len = wire > p.wire_trim ? wire - p.wire_trim : 0;
  p.ts_ns = ts_ns;
  p.clock_ns = 0;  // input clock unknown: the table keeps its own
  return p;
}

inline constexpr uint64_t kSec = 1'000'000'000ULL;
inline constexpr uint64_t kMs = 1'000'000ULL;

// Common frames: IPv4 over Ethernet between A and B.
inline Bytes eth_ipv4(const Ip4Hdr& ip, const Bytes& l4) { return eth(kEthIPv4) + ipv4(ip, l4); }
inline Bytes eth_ipv4_rev(const Ip4Hdr& ip, const Bytes& l4) {
  return eth(kEthIPv4, kMacA, kMacB) + ipv4(ip, l4);
}
inline Bytes udp_frame(const Ip4& src, uint16_t sport, const Ip4& dst, uint16_t dport,
                       size_t len = 32) {
  return eth(kEthIPv4) + ipv4({.src = src, .dst = dst, .proto = kIpUdp}, udp(sport, dport, payload(len)));
}

}  // namespace argos::test
