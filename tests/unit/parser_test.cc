// Parser tests: a table of hand-built frames, each with a description, the
// expected ParseResult and the key fields and facts that must come out.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>

#include "dataplane/parser.h"
#include "frames.h"

namespace argos {
// Readable names in assertion messages.
inline void PrintTo(ParseResult r, std::ostream* os) { *os << parse_result_name(r); }
inline void PrintTo(KeyKind k, std::ostream* os) { *os << "KeyKind(" << static_cast<int>(k) << ")"; }
}  // namespace argos

namespace argos::test {
namespace {

// What a fixture expects; unset fields are not checked.
struct Expect {
  std::optional<KeyKind> kind{};
  std::optional<Bytes> src{};  // key.src, compared over all 16 bytes (zero padded)
  std::optional<Bytes> dst{};
  std::optional<uint8_t> proto{};
  std::optional<uint16_t> sport{};
  std::optional<uint16_t> dport{};
  std::optional<uint32_t> aux{};
  std::optional<uint8_t> tp_p{};
  std::optional<uint8_t> key_flags{};
  std::optional<uint32_t> encaps{};
  std::optional<uint16_t> vlan_tci{};    // innermost tag; implies has_vlan
  std::optional<uint32_t> mpls_label{};  // label of the top entry; implies has_mpls
  std::optional<uint8_t> ttl{};
  std::optional<uint32_t> payload_bytes{};
  std::optional<uint8_t> tcp_flags{};
  std::optional<uint32_t> tcp_seq{};
  std::optional<uint32_t> tcp_options{};
  std::optional<bool> from_key_dst{};
  std::optional<FragKind> frag{};
  std::optional<bool> is_ip{};
  std::optional<uint8_t> wire_trim{};
  // Anything else a fixture needs to look at.
  std::function<void(const ParsedPacket&)> extra{};
};

struct ParserCase {
  std::string desc;
  uint16_t link;
  Bytes frame;
  ParseResult result;
  Expect expect;
};

Bytes padded(const Bytes& b) {
  Bytes out(b);
  out.resize(16, 0);
  return out;
}
Bytes cut(const Bytes& b, size_t n) { return Bytes(b.begin(), b.begin() + static_cast<long>(n)); }

// Checks one optional expectation.
template <class T, class U>
void expect_field(const std::optional<T>& want, const U& got, const char* what) {
  if (want) {
    EXPECT_EQ(got, static_cast<U>(*want)) << what;
  }
}

void check(const ParsedPacket& p, const Expect& e) {
  const FlowKey& k = p.key;
  expect_field(e.kind, k.kind, "key.kind");
  if (e.src) {
    EXPECT_EQ(Bytes(k.src, k.src + 16), padded(*e.src)) << "key.src";
  }
  if (e.dst) {
    EXPECT_EQ(Bytes(k.dst, k.dst + 16), padded(*e.dst)) << "key.dst";
  }
  expect_field(e.proto, k.proto, "key.proto");
  expect_field(e.sport, k.sport, "key.sport");
  expect_field(e.dport, k.dport, "key.dport");
  expect_field(e.aux, k.aux, "key.aux");
  expect_field(e.tp_p, k.tp_p, "key.tp_p");
  expect_field(e.key_flags, k.flags, "key.flags");
  expect_field(e.encaps, p.encaps, "encaps");
  if (e.vlan_tci) {
    EXPECT_TRUE(p.has_vlan);
    EXPECT_EQ(p.vlan_tci, *e.vlan_tci) << "vlan_tci";
  }
  if (e.mpls_label) {
    EXPECT_TRUE(p.has_mpls);
    EXPECT_EQ(p.mpls_lse >> 12, *e.mpls_label) << "mpls label";
  }
  expect_field(e.ttl, p.ttl, "ttl");
  expect_field(e.payload_bytes, p.payload_bytes, "payload_bytes");
  expect_field(e.tcp_flags, p.tcp_flags, "tcp_flags");
  expect_field(e.tcp_seq, p.tcp_seq, "tcp_seq");
  expect_field(e.tcp_options, p.tcp_options, "tcp_options");
  expect_field(e.from_key_dst, p.from_key_dst, "from_key_dst");
  if (e.frag) {
    EXPECT_EQ(static_cast<int>(p.frag), static_cast<int>(*e.frag)) << "frag";
  }
  expect_field(e.is_ip, p.is_ip, "is_ip");
  expect_field(e.wire_trim, p.wire_trim, "wire_trim");
  EXPECT_EQ(k.pad, 0u) << "key padding must stay zero";
  if (e.extra) e.extra(p);
}

// ---- building blocks shared by several fixtures ---------------------------

const Ip4 kGreOuterA{192, 0, 2, 1};
const Ip4 kGreOuterB{192, 0, 2, 2};
const Mac kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const Mac kZeroMac{0, 0, 0, 0, 0, 0};
const Mac kStpMac{0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};

Bytes udp4(uint8_t ttl = 64) {
  return ipv4({.proto = kIpUdp, .ttl = ttl}, udp(1000, 2000, payload(10)));
}
Bytes udp6() { return ipv6({.nh = kIpUdp}, udp(1000, 2000, payload(10))); }
Bytes tcp4_syn() {
  return ipv4({.proto = kIpTcp}, tcp({.seq = 1000, .flags = kTcpSyn, .options = syn_options(7)}));
}
// The quoted packet inside an ICMP error: IP header and 8 bytes of UDP.
Bytes quoted_udp() {
  return ipv4({.src = kIpA, .dst = kIpB, .proto = kIpUdp, .total_len = 28 + 32},
              udp(5000, 6000));
}

// A UDP/IPv4 5-tuple expectation A:1000 -> B:2000.
Expect udp4_key(uint32_t encaps) {
  return {.kind = KeyKind::kIPv4, .src = bytes_of(kIpA), .dst = bytes_of(kIpB), .proto = kIpUdp,
          .sport = 1000, .dport = 2000, .encaps = encaps, .payload_bytes = 10, .is_ip = true};
}
Expect udp6_key(uint32_t encaps) {
  return {.kind = KeyKind::kIPv6, .src = bytes_of(kIp6A), .dst = bytes_of(kIp6B),
          .proto = kIpUdp, .sport = 1000, .dport = 2000, .encaps = encaps, .payload_bytes = 10,
          .is_ip = true};
}
// The L2 key a frame falls back to when its network header is unusable.
Expect ether_key(uint16_t ethertype, uint8_t dsap = 0, uint8_t ssap = 0) {
  return {.kind = KeyKind::kEther, .src = bytes_of(kMacA), .dst = bytes_of(kMacB), .proto = 0,
          .sport = 0, .dport = 0,
          .aux = static_cast<uint32_t>(ethertype) << 16 | static_cast<uint32_t>(dsap) << 8 | ssap,
          .is_ip = false};
}
Expect none_key() { return {.kind = KeyKind::kNone}; }

Bytes nested_gre(int depth) {
  Bytes inner = udp4();
  for (int i = 0; i < depth; ++i)
    inner = ipv4({.src = kGreOuterA, .dst = kGreOuterB, .proto = kIpGre}, gre(kEthIPv4, inner));
  return inner;
}

constexpr uint32_t kAllSynOpts = kTcpOptMss | kTcpOptWscale | kTcpOptSackOk | kTcpOptTimestamp;

std::vector<ParserCase> well_formed_cases() {
  std::vector<ParserCase> v;
  const uint32_t E = kEncEther;

  // -- Ethernet, IPv4, transports.
  v.push_back({"Ethernet IPv4 TCP SYN with MSS, wscale, SACK-permitted, timestamps",
               kLinkEthernet, eth(kEthIPv4) + tcp4_syn(), ParseResult::kOk,
               {.kind = KeyKind::kIPv4, .src = bytes_of(kIpA), .dst = bytes_of(kIpB),
                .proto = kIpTcp, .sport = 40000, .dport = 80, .aux = 0, .key_flags = 0,
                .encaps = E, .ttl = 64, .payload_bytes = 0, .tcp_flags = kTcpSyn,
                .tcp_seq = 1000, .tcp_options = kAllSynOpts, .from_key_dst = false,
                .frag = FragKind::kNone, .is_ip = true,
                .extra = [](const ParsedPacket& p) {
                  EXPECT_TRUE(p.has_tcp);
                  EXPECT_EQ(p.tcp_wscale, 7);
                  EXPECT_EQ(p.tcp_win, 8192);
                  EXPECT_TRUE(p.has_macs);
                  EXPECT_EQ(Bytes(p.mac_src, p.mac_src + 6), bytes_of(kMacA));
                  EXPECT_EQ(Bytes(p.mac_dst, p.mac_dst + 6), bytes_of(kMacB));
                }}});
  v.push_back({"Ethernet IPv4 TCP PSH-ACK with 18 payload bytes", kLinkEthernet,
               eth_ipv4({.ttl = 55, .tos = 0x10},
                        tcp({.sport = 80, .dport = 40000, .seq = 5001, .ack = 1019,
                             .flags = kTcpPsh | kTcpAck, .win = 512},
                            payload(18))),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv4, .sport = 80, .dport = 40000, .ttl = 55,
                .payload_bytes = 18, .tcp_flags = kTcpPsh | kTcpAck, .tcp_seq = 5001,
                .tcp_options = 0, .extra = [](const ParsedPacket& p) {
                  EXPECT_EQ(p.tcp_ack, 1019u);
                  EXPECT_EQ(p.tcp_win, 512);
                  EXPECT_EQ(p.tos, 0x10);
                  EXPECT_EQ(p.ip_id, 1);
                }}});
  v.push_back({"IPv4 with a router-alert option (IHL 6) carrying UDP", kLinkEthernet,
               eth_ipv4({.proto = kIpUdp, .options = {0x94, 0x04, 0x00, 0x00}},
                        udp(1000, 2000, payload(10))),
               ParseResult::kOk, [] {
                 Expect e = udp4_key(kEncEther);
                 e.extra = [](const ParsedPacket& p) { EXPECT_EQ(p.ip_opts, kIpOptRouterAlert); };
                 return e;
               }()});
  v.push_back({"IPv4 with record-route, NOP and timestamp options (IHL 8)", kLinkEthernet,
               eth_ipv4({.proto = kIpUdp,
                         .options = {7, 7, 4, 0, 0, 0, 0, 1, 68, 4, 5, 0}},
                        udp(1000, 2000, payload(10))),
               ParseResult::kOk, [] {
                 Expect e = udp4_key(kEncEther);
                 e.extra = [](const ParsedPacket& p) {
                   EXPECT_EQ(p.ip_opts, kIpOptRecordRoute | kIpOptTimestamp);
                 };
                 return e;
               }()});
  v.push_back({"IPv4 option with an impossible length: options ignored, packet kept",
               kLinkEthernet,
               eth_ipv4({.proto = kIpUdp, .options = {0x94, 0x01, 0x00, 0x00}},
                        udp(1000, 2000, payload(10))),
               ParseResult::kOk, udp4_key(kEncEther)});
  v.push_back({"IPv4 UDP, TTL 33", kLinkEthernet, eth(kEthIPv4) + udp4(33), ParseResult::kOk,
               [] { Expect e = udp4_key(kEncEther); e.ttl = 33; return e; }()});
  v.push_back({"DNS query over UDP: transaction id in key.aux", kLinkEthernet,
               eth_ipv4({.proto = kIpUdp}, udp(33000, 53, dns_query(0xbeef))), ParseResult::kOk,
               {.kind = KeyKind::kIPv4, .proto = kIpUdp, .sport = 33000, .dport = 53,
                .aux = 0xbeef, .payload_bytes = 12}});
  v.push_back({"DNS response over UDP: transaction id in key.aux", kLinkEthernet,
               eth_ipv4({.src = kIpB, .dst = kIpA, .proto = kIpUdp},
                        udp(53, 33000, dns_query(0x0102))),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv4, .sport = 53, .dport = 33000, .aux = 0x0102}});
  v.push_back({"UDP to a port other than 53 keeps aux zero", kLinkEthernet,
               eth_ipv4({.proto = kIpUdp}, udp(33000, 5353, dns_query(0xbeef))), ParseResult::kOk,
               {.kind = KeyKind::kIPv4, .aux = 0}});
  v.push_back({"SCTP", kLinkEthernet,
               eth_ipv4({.proto = kIpSctp}, sctp(5000, 38412, payload(20))), ParseResult::kOk,
               // argus counts the 12-byte common header as application bytes.
               {.kind = KeyKind::kIPv4, .proto = kIpSctp, .sport = 5000, .dport = 38412,
                .payload_bytes = 12 + 20}});
  v.push_back({"ESP: SPI in key.aux", kLinkEthernet,
               eth_ipv4({.proto = kIpEsp}, esp(0x1000abcd, 1)), ParseResult::kOk,
               {.kind = KeyKind::kIPv4, .proto = kIpEsp, .sport = 0, .dport = 0,
                .aux = 0x1000abcd, .payload_bytes = 24}});

  // -- ICMP.
  v.push_back({"ICMP echo request: type 8 in sport, id in dport, sequence in aux", kLinkEthernet,
               eth_ipv4({.proto = kIpIcmp}, icmp_echo(8, 0x04ca, 1)), ParseResult::kOk,
               {.kind = KeyKind::kIPv4, .src = bytes_of(kIpA), .dst = bytes_of(kIpB),
                .proto = kIpIcmp, .sport = 0x0800, .dport = 0x04ca, .aux = 1,
                .key_flags = kKeyNoCanon, .payload_bytes = 16, .from_key_dst = false,
                .extra = [](const ParsedPacket& p) { EXPECT_EQ(p.icmp_type, 8); }}});
  v.push_back({"ICMP echo reply: keyed from the requester's side", kLinkEthernet,
               eth_ipv4_rev({.src = kIpB, .dst = kIpA, .proto = kIpIcmp}, icmp_echo(0, 0x04ca, 1)),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv4, .src = bytes_of(kIpA), .dst = bytes_of(kIpB),
                .proto = kIpIcmp, .sport = 0x0800, .dport = 0x04ca, .aux = 1,
                .key_flags = kKeyNoCanon, .from_key_dst = true,
                .extra = [](const ParsedPacket& p) { EXPECT_EQ(p.icmp_type, 0); }}});
  v.push_back({"ICMP port unreachable quoting UDP: inner key and quoted ports", kLinkEthernet,
               eth_ipv4_rev({.src = kIpB, .dst = kIpA, .proto = kIpIcmp},
                            icmp(3, 3, 0, quoted_udp())),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv4, .src = bytes_of(kIpB), .dst = bytes_of(kIpA),
                .proto = kIpIcmp, .sport = 0x0303, .dport = 6000, .tp_p = kIpUdp,
                // As argus: the quoted datagram's payload per its own IP header.
                .key_flags = kKeyNoCanon, .payload_bytes = 40,
                .extra = [](const ParsedPacket& p) {
                  ASSERT_TRUE(p.has_inner);
                  const FlowKey& in = p.inner_key;
                  EXPECT_EQ(static_cast<int>(in.kind), static_cast<int>(KeyKind::kIPv4));
                  EXPECT_EQ(Bytes(in.src, in.src + 4), bytes_of(kIpA));
                  EXPECT_EQ(Bytes(in.dst, in.dst + 4), bytes_of(kIpB));
                  EXPECT_EQ(in.proto, kIpUdp);
                  EXPECT_EQ(in.sport, 5000);
                  EXPECT_EQ(in.dport, 6000);
                  EXPECT_EQ(p.icmp_type, 3);
                  EXPECT_EQ(p.icmp_code, 3);
                }}});
  // As argus 3.0.8.2 keys errors: a time exceeded by nothing of the quoted
  // packet (a router's answers to one traceroute are one flow), a host
  // unreachable by the quoted destination's four bytes, in the order argus
  // writes them at key bytes 16-19 (dport, then aux, each little-endian).
  v.push_back({"ICMP time exceeded: nothing of the quoted packet in the key",
               kLinkEthernet,
               eth_ipv4_rev({.src = kIpB, .dst = kIpA, .proto = kIpIcmp},
                            icmp(11, 0, 0,
                                 ipv4({.src = kIpA, .dst = {192, 168, 7, 9}, .proto = kIpTcp},
                                      Bytes(8, 0)))),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv4, .proto = kIpIcmp, .sport = 0x0b00, .dport = 0,
                .tp_p = 0, .extra = [](const ParsedPacket& p) {
                  EXPECT_TRUE(p.has_inner);
                  EXPECT_EQ(p.key.aux, 0u);
                }}});
  v.push_back({"ICMP host unreachable: the quoted destination's four bytes in the key",
               kLinkEthernet,
               eth_ipv4_rev({.src = kIpB, .dst = kIpA, .proto = kIpIcmp},
                            icmp(3, 1, 0,
                                 ipv4({.src = kIpA, .dst = {192, 168, 7, 9}, .proto = kIpUdp},
                                      Bytes(8, 0)))),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv4, .proto = kIpIcmp, .sport = 0x0301, .dport = 0xa8c0,
                .tp_p = 0, .extra = [](const ParsedPacket& p) { EXPECT_EQ(p.key.aux, 0x0907u); }}});

  // -- IPv6 and ICMPv6.
  v.push_back({"IPv6 with hop-by-hop, routing and destination-options headers, then TCP",
               kLinkEthernet,
               eth(kEthIPv6) +
                   ipv6({.nh = kIp6HopByHop, .hlim = 33},
                        ip6_ext(kIp6Routing,
                                ip6_ext(kIp6DestOpts,
                                        ip6_ext(kIpTcp,
                                                tcp({.flags = kTcpAck, .win = 100}, payload(5)),
                                                16)))),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv6, .src = bytes_of(kIp6A), .dst = bytes_of(kIp6B),
                .proto = kIpTcp, .sport = 40000, .dport = 80, .encaps = E, .ttl = 33,
                .payload_bytes = 5, .tcp_flags = kTcpAck, .tcp_seq = 1000, .is_ip = true}});
  // argus keys each IPv6 fragment train on its own: the first fragment is an
  // ordinary packet of its flow, not the head of a train.
  v.push_back({"IPv6 first fragment (offset 0, M=1) of UDP: an ordinary packet", kLinkEthernet,
               eth(kEthIPv6) + ipv6({.nh = kIp6Fragment},
                                    ip6_frag(kIpUdp, 0, true, 0xabcdef01,
                                             udp(1000, 2000, payload(10)))),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv6, .proto = kIpUdp, .sport = 1000, .dport = 2000,
                .payload_bytes = 10, .frag = FragKind::kNone}});
  v.push_back({"IPv6 later fragment: fragment key with the 32-bit id", kLinkEthernet,
               eth(kEthIPv6) +
                   ipv6({.nh = kIp6Fragment}, ip6_frag(kIpUdp, 1448, false, 0xabcdef01, payload(100))),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv6Frag, .src = bytes_of(kIp6A), .dst = bytes_of(kIp6B),
                .proto = kIpUdp, .sport = 0, .dport = 0, .aux = 0xabcdef01,
                .key_flags = kKeyNoCanon, .payload_bytes = 100, .frag = FragKind::kLater}});
  v.push_back({"ICMPv6 echo request", kLinkEthernet,
               eth(kEthIPv6) + ipv6({.nh = kIpIcmp6}, icmp_echo(128, 7, 1)), ParseResult::kOk,
               {.kind = KeyKind::kIPv6, .src = bytes_of(kIp6A), .dst = bytes_of(kIp6B),
                .proto = kIpIcmp6, .sport = 128 << 8, .key_flags = kKeyNoCanon,
                .payload_bytes = 16, .from_key_dst = false}});
  v.push_back({"ICMPv6 echo reply: folded onto the request", kLinkEthernet,
               eth(kEthIPv6) + ipv6({.src = kIp6B, .dst = kIp6A, .nh = kIpIcmp6},
                                    icmp_echo(129, 7, 1)),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv6, .src = bytes_of(kIp6A), .dst = bytes_of(kIp6B),
                .proto = kIpIcmp6, .sport = 128 << 8, .key_flags = kKeyNoCanon,
                .from_key_dst = true}});
  v.push_back({"ICMPv6 neighbour solicitation: canonicalisable pair key", kLinkEthernet,
               eth(kEthIPv6) + ipv6({.nh = kIpIcmp6, .hlim = 255},
                                    icmp(135, 0, 0, bytes_of(kIp6B))),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv6, .src = bytes_of(kIp6A), .dst = bytes_of(kIp6B),
                .proto = kIpIcmp6, .sport = 135 << 8, .key_flags = 0, .ttl = 255,
                .from_key_dst = false}});
  v.push_back({"ICMPv6 neighbour advertisement: keyed as a solicitation", kLinkEthernet,
               eth(kEthIPv6) + ipv6({.src = kIp6B, .dst = kIp6A, .nh = kIpIcmp6, .hlim = 255},
                                    icmp(136, 0, 0x60000000, bytes_of(kIp6B))),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv6, .src = bytes_of(kIp6B), .dst = bytes_of(kIp6A),
                .proto = kIpIcmp6, .sport = 135 << 8, .key_flags = 0, .from_key_dst = false,
                .extra = [](const ParsedPacket& p) { EXPECT_EQ(p.icmp_type, 136); }}});

  // -- IPv4 fragments.
  v.push_back({"IPv4 first fragment (MF, offset 0): ports parsed, frag first", kLinkEthernet,
               eth_ipv4({.proto = kIpUdp, .id = 0x1234, .frag = kIp4MoreFrags},
                        udp(5000, 6000, payload(100))),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv4, .proto = kIpUdp, .sport = 5000, .dport = 6000,
                .frag = FragKind::kFirst, .extra = [](const ParsedPacket& p) {
                  EXPECT_EQ(p.frag_id, 0x1234u);
                  EXPECT_TRUE(p.more_frags);
                }}});
  v.push_back({"IPv4 later fragment (offset 1480): fragment key with the IP id", kLinkEthernet,
               eth_ipv4({.proto = kIpUdp, .id = 0x1234, .frag = 1480 / 8}, payload(100)),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv4Frag, .src = bytes_of(kIpA), .dst = bytes_of(kIpB),
                .proto = kIpUdp, .sport = 0, .dport = 0, .aux = 0x1234,
                .key_flags = kKeyNoCanon, .payload_bytes = 100, .frag = FragKind::kLater,
                .extra = [](const ParsedPacket& p) {
                  EXPECT_EQ(p.frag_offset_bytes, 1480);
                  EXPECT_FALSE(p.more_frags);
                }}});

  // -- ARP and non-IP.
  v.push_back({"ARP request: requester's address and MAC in src, target in dst", kLinkEthernet,
               eth(kEthArp, kBroadcast, kMacA) + arp(1, kMacA, kIpA, kZeroMac, kIpB),
               ParseResult::kOk,
               {.kind = KeyKind::kArp, .src = bytes_of(kIpA) + bytes_of(kMacA),
                .dst = bytes_of(kIpB), .sport = 1, .dport = kEthIPv4, .aux = 0,
                .key_flags = kKeyNoCanon, .encaps = E, .from_key_dst = false,
                .is_ip = false}});
  v.push_back({"ARP reply: folded onto the request, responder MAC kept", kLinkEthernet,
               eth(kEthArp, kMacA, kMacB) + arp(2, kMacB, kIpB, kMacA, kIpA), ParseResult::kOk,
               {.kind = KeyKind::kArp, .src = bytes_of(kIpA) + bytes_of(kMacA),
                .dst = bytes_of(kIpB), .key_flags = kKeyNoCanon, .from_key_dst = true,
                .extra = [](const ParsedPacket& p) {
                  EXPECT_EQ(Bytes(p.arp_responder_mac, p.arp_responder_mac + 6), bytes_of(kMacB));
                }}});
  v.push_back({"Non-IP EtherType 0x88b5: L2 key with the EtherType", kLinkEthernet,
               eth(kEthLocalExp) + payload(46), ParseResult::kOk,
               [] { Expect e = ether_key(kEthLocalExp); e.encaps = kEncEther; return e; }()});
  v.push_back({"802.3 LLC (STP BPDU): L2 key with DSAP/SSAP", kLinkEthernet,
               eth_8023(llc(0x42, 0x42) + payload(35), kStpMac, kMacA), ParseResult::kOk,
               {.kind = KeyKind::kEther, .src = bytes_of(kMacA), .dst = bytes_of(kStpMac),
                .aux = 0x00004242, .encaps = kEncEther | kEncLlc, .is_ip = false}});
  v.push_back({"LLC/SNAP carrying IPv4 UDP", kLinkEthernet, eth_8023(snap(kEthIPv4) + udp4()),
               ParseResult::kOk, udp4_key(kEncEther | kEncLlc)});

  // -- Tags, labels, PPPoE.
  v.push_back({"802.1Q tag (PCP 3, VLAN 100)", kLinkEthernet,
               eth(kEthVlan) + vlan_tag(0x6064, kEthIPv4) + udp4(), ParseResult::kOk,
               [] { Expect e = udp4_key(kEncEther | kEncVlan); e.vlan_tci = 0x6064; return e; }()});
  v.push_back({"802.1ad QinQ: 0x88a8 outer, 0x8100 inner, innermost TCI kept", kLinkEthernet,
               eth(kEthQinQ) + vlan_tag(201, kEthVlan) + vlan_tag(0x90c8, kEthIPv4) + udp4(),
               ParseResult::kOk,
               [] { Expect e = udp4_key(kEncEther | kEncVlan); e.vlan_tci = 0x90c8; return e; }()});
  v.push_back({"Old QinQ: 0x9100 outer, 0x8100 inner", kLinkEthernet,
               eth(kEthQinQOld) + vlan_tag(300, kEthVlan) + vlan_tag(0x2065, kEthIPv4) + udp4(),
               ParseResult::kOk,
               [] { Expect e = udp4_key(kEncEther | kEncVlan); e.vlan_tci = 0x2065; return e; }()});
  v.push_back({"Stacked 0x8100 0x8100 tags", kLinkEthernet,
               eth(kEthVlan) + vlan_tag(201, kEthVlan) + vlan_tag(200, kEthIPv6) + udp6(),
               ParseResult::kOk,
               [] { Expect e = udp6_key(kEncEther | kEncVlan); e.vlan_tci = 200; return e; }()});
  v.push_back({"MPLS stack of two labels carrying IPv4: top label kept", kLinkEthernet,
               eth(kEthMpls) + mpls(1000, false) + mpls(2000, true) + udp4(), ParseResult::kOk,
               [] {
                 Expect e = udp4_key(kEncEther | kEncMpls);
                 e.mpls_label = 1000;
                 e.extra = [](const ParsedPacket& p) { EXPECT_EQ(p.mpls_lse, mpls_lse(1000, false)); };
                 return e;
               }()});
  v.push_back({"MPLS single label carrying IPv6", kLinkEthernet,
               eth(kEthMpls) + mpls(16, true) + udp6(), ParseResult::kOk,
               [] { Expect e = udp6_key(kEncEther | kEncMpls); e.mpls_label = 16; return e; }()});
  v.push_back({"802.1Q then MPLS", kLinkEthernet,
               eth(kEthVlan) + vlan_tag(7, kEthMpls) + mpls(1000, true) + udp4(), ParseResult::kOk,
               [] {
                 Expect e = udp4_key(kEncEther | kEncVlan | kEncMpls);
                 e.vlan_tci = 7;
                 e.mpls_label = 1000;
                 return e;
               }()});
  v.push_back({"PPPoE session carrying IPv4", kLinkEthernet,
               eth(kEthPppoe) + pppoe(0x0021, udp4()), ParseResult::kOk,
               udp4_key(kEncEther | kEncPppoe)});
  v.push_back({"PPPoE session carrying IPv6", kLinkEthernet,
               eth(kEthPppoe) + pppoe(0x0057, udp6()), ParseResult::kOk,
               udp6_key(kEncEther | kEncPppoe)});
  v.push_back({"PPPoE session carrying LCP: L2 key", kLinkEthernet,
               eth(kEthPppoe) + pppoe(0xc021, payload(10)), ParseResult::kOk,
               [] { Expect e = ether_key(kEthPppoe); e.encaps = kEncEther | kEncPppoe; return e; }()});

  // -- Tunnels.
  v.push_back({"GRE carrying IPv4: the inner conversation is the key", kLinkEthernet,
               eth(kEthIPv4) + nested_gre(1), ParseResult::kOk, udp4_key(kEncEther | kEncGre)});
  v.push_back({"GRE with checksum, key and sequence carrying IPv6", kLinkEthernet,
               eth_ipv4({.src = kGreOuterA, .dst = kGreOuterB, .proto = kIpGre},
                        gre(kEthIPv6, udp6(), 0xb000)),
               ParseResult::kOk, udp6_key(kEncEther | kEncGre)});
  v.push_back({"GRE version 1 (PPTP): outer key kept", kLinkEthernet,
               eth_ipv4({.src = kGreOuterA, .dst = kGreOuterB, .proto = kIpGre},
                        gre(0x880b, payload(8), 0x0001)),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv4, .src = bytes_of(kGreOuterA), .dst = bytes_of(kGreOuterB),
                .proto = kIpGre, .encaps = E}});

  // -- Other link types.
  v.push_back({"Linux SLL (113) IPv4: SLL and Ethernet bits, 16 link bytes trimmed", kLinkSll,
               sll(kEthIPv4) + udp4(), ParseResult::kOk,
               [] {
                 Expect e = udp4_key(kEncSll | kEncEther);
                 e.wire_trim = 16;
                 e.extra = [](const ParsedPacket& p) {
                   EXPECT_EQ(Bytes(p.mac_src, p.mac_src + 6), bytes_of(kMacA));
                 };
                 return e;
               }()});
  v.push_back({"Linux SLL (113) with an 802.1Q tag", kLinkSll,
               sll(kEthVlan) + vlan_tag(100, kEthIPv4) + udp4(), ParseResult::kOk,
               [] {
                 Expect e = udp4_key(kEncSll | kEncEther | kEncVlan);
                 e.vlan_tci = 100;
                 return e;
               }()});
  v.push_back({"Linux SLL2 (276) IPv6: 20 link bytes trimmed", kLinkSll2,
               sll2(kEthIPv6) + udp6(), ParseResult::kOk,
               [] { Expect e = udp6_key(kEncSll | kEncEther); e.wire_trim = 20; return e; }()});
  v.push_back({"Raw IP (101) IPv4", kLinkRaw, udp4(), ParseResult::kOk, udp4_key(0)});
  v.push_back({"Raw IP (101) IPv6", kLinkRaw, udp6(), ParseResult::kOk, udp6_key(0)});
  v.push_back({"DLT_RAW (12) IPv4", kLinkRawDlt, udp4(), ParseResult::kOk, udp4_key(0)});
  v.push_back({"DLT_RAW (12) IPv6", kLinkRawDlt, udp6(), ParseResult::kOk, udp6_key(0)});
  v.push_back({"DLT_RAW (14) IPv4", kLinkRawDlt14, udp4(), ParseResult::kOk, udp4_key(0)});
  v.push_back({"LINKTYPE_IPV4 (228)", kLinkIPv4, udp4(), ParseResult::kOk, udp4_key(0)});
  v.push_back({"LINKTYPE_IPV6 (229)", kLinkIPv6, udp6(), ParseResult::kOk, udp6_key(0)});
  v.push_back({"NULL (0), AF_INET little-endian", kLinkNull, null_hdr(2, false) + udp4(),
               ParseResult::kOk, udp4_key(0)});
  v.push_back({"NULL (0), AF_INET big-endian", kLinkNull, null_hdr(2, true) + udp4(),
               ParseResult::kOk, udp4_key(0)});
  v.push_back({"NULL (0), AF_INET6 (BSD 30) little-endian", kLinkNull,
               null_hdr(30, false) + udp6(), ParseResult::kOk, udp6_key(0)});
  v.push_back({"NULL (0), AF_INET6 (Linux 10) big-endian", kLinkNull, null_hdr(10, true) + udp6(),
               ParseResult::kOk, udp6_key(0)});
  v.push_back({"LOOP (108), AF_INET big-endian", kLinkLoop, null_hdr(2, true) + udp4(),
               ParseResult::kOk, udp4_key(0)});
  v.push_back({"LOOP (108), AF_INET little-endian", kLinkLoop, null_hdr(2, false) + udp4(),
               ParseResult::kOk, udp4_key(0)});
  v.push_back({"LOOP (108), AF_INET6 (BSD 24) big-endian", kLinkLoop, null_hdr(24, true) + udp6(),
               ParseResult::kOk, udp6_key(0)});
  v.push_back({"LOOP (108), AF_INET6 (BSD 28) little-endian", kLinkLoop,
               null_hdr(28, false) + udp6(), ParseResult::kOk, udp6_key(0)});
  return v;
}

std::vector<ParserCase> malformed_cases() {
  std::vector<ParserCase> v;
  const Bytes tcp_frame = eth(kEthIPv4) + ipv4({}, tcp({.flags = kTcpAck}, payload(10)));

  // -- Link layer.
  v.push_back({"Unsupported link type (105, 802.11)", 105, eth(kEthIPv4) + udp4(),
               ParseResult::kUnsupportedLink, none_key()});
  v.push_back({"Ethernet header cut to 10 bytes", kLinkEthernet, cut(tcp_frame, 10),
               ParseResult::kTruncatedL2, none_key()});
  v.push_back({"SLL header cut to 12 bytes", kLinkSll, cut(sll(kEthIPv4), 12),
               ParseResult::kTruncatedL2, none_key()});
  v.push_back({"SLL2 header cut to 19 bytes", kLinkSll2, cut(sll2(kEthIPv4), 19),
               ParseResult::kTruncatedL2, none_key()});
  v.push_back({"NULL header cut to 3 bytes", kLinkNull, {2, 0, 0}, ParseResult::kTruncatedL2,
               none_key()});
  v.push_back({"Raw IP with no bytes", kLinkRaw, {}, ParseResult::kTruncatedL2, none_key()});

  // -- Tags, labels, LLC.
  // argus follows stacks as deep as the packet goes: 64 levels are
  // followed, the 65th is refused as hostile.
  const auto tags = [&](int n) {
    Bytes f = eth(kEthVlan);
    for (int i = 0; i < n - 1; ++i) f = f + vlan_tag(static_cast<uint16_t>(10 + i), kEthVlan);
    return f + vlan_tag(static_cast<uint16_t>(9 + n), kEthIPv4) + udp4();
  };
  const auto tagged = [](int n) {
    Expect e = udp4_key(kEncEther | kEncVlan);
    e.vlan_tci = static_cast<uint16_t>(9 + n);  // the innermost tag's
    return e;
  };
  v.push_back({"Five VLAN tags: followed to the UDP flow", kLinkEthernet, tags(5), ParseResult::kOk,
               tagged(5)});
  v.push_back({"64 VLAN tags: followed to the UDP flow", kLinkEthernet, tags(64), ParseResult::kOk,
               tagged(64)});
  v.push_back({"65 VLAN tags: more than the parser follows", kLinkEthernet, tags(65),
               ParseResult::kTagDepth, ether_key(kEthVlan)});
  v.push_back({"802.1Q tag cut after the TCI", kLinkEthernet, eth(kEthVlan) + Bytes{0x00, 0x64},
               ParseResult::kTruncatedTag, ether_key(kEthVlan)});
  v.push_back({"SLL 802.1Q tag cut short", kLinkSll, sll(kEthVlan) + Bytes{0x00},
               ParseResult::kTruncatedTag, none_key()});
  v.push_back({"PPPoE session header cut short", kLinkEthernet,
               eth(kEthPppoe) + Bytes{0x11, 0x00, 0x00, 0x01},
               ParseResult::kTruncatedTag, ether_key(kEthPppoe)});
  v.push_back({"802.3 frame too short for an LLC header", kLinkEthernet,
               eth(2) + Bytes{0x42, 0x42}, ParseResult::kTruncatedTag, ether_key(0)});
  const auto labels = [&](int n, bool bottom) {
    Bytes f = eth(kEthMpls);
    for (int i = 0; i < n; ++i) f = f + mpls(static_cast<uint32_t>(100 + i), bottom && i == n - 1);
    return f + udp4();
  };
  const auto labelled = [] {
    Expect e = udp4_key(kEncEther | kEncMpls);
    e.mpls_label = 100;  // the top entry's
    return e;
  };
  v.push_back({"MPLS stack of nine labels: followed to the UDP flow", kLinkEthernet, labels(9, true),
               ParseResult::kOk, labelled()});
  v.push_back({"MPLS stack of 64 labels: followed to the UDP flow", kLinkEthernet, labels(64, true),
               ParseResult::kOk, labelled()});
  v.push_back({"MPLS stack of 65 labels without bottom-of-stack", kLinkEthernet, labels(65, false),
               ParseResult::kMplsDepth, ether_key(kEthMpls)});
  v.push_back({"MPLS stack ends without bottom-of-stack", kLinkEthernet,
               eth(kEthMpls) + mpls(100, false) + mpls(200, false), ParseResult::kTruncatedMpls,
               ether_key(kEthMpls)});
  v.push_back({"MPLS bottom label with nothing after it", kLinkEthernet,
               eth(kEthMpls) + mpls(100, true), ParseResult::kTruncatedMpls, ether_key(kEthMpls)});

  // -- IPv4.
  v.push_back({"IPv4 IHL 4 (< 5): L2 key", kLinkEthernet,
               eth_ipv4({.proto = kIpUdp, .ihl_words = 4}, udp(1, 2)), ParseResult::kBadIPv4,
               ether_key(kEthIPv4)});
  v.push_back({"IPv4 total length 16 < IHL 20: L2 key", kLinkEthernet,
               eth_ipv4({.proto = kIpUdp, .total_len = 16}, udp(1, 2)), ParseResult::kBadIPv4,
               ether_key(kEthIPv4)});
  v.push_back({"IPv4 EtherType with version 5: L2 key", kLinkEthernet,
               eth_ipv4({.proto = kIpUdp, .version = 5}, udp(1, 2)), ParseResult::kBadIPv4,
               ether_key(kEthIPv4)});
  v.push_back({"IPv4 header cut at 19 bytes: L2 key", kLinkEthernet,
               cut(eth(kEthIPv4) + udp4(), 14 + 19), ParseResult::kTruncatedIPv4,
               ether_key(kEthIPv4)});
  v.push_back({"IPv4 options (IHL 15) cut short: L2 key", kLinkEthernet,
               cut(eth_ipv4({.proto = kIpUdp, .options = Bytes(40, 1)}, udp(1, 2)), 14 + 30),
               ParseResult::kTruncatedIPv4, ether_key(kEthIPv4)});
  v.push_back({"Raw IPv4 header cut short: no key", kLinkRaw, cut(udp4(), 12),
               ParseResult::kTruncatedIPv4, none_key()});

  // -- IPv6.
  v.push_back({"IPv6 EtherType with version 4 in the header: L2 key", kLinkEthernet,
               eth(kEthIPv6) + ipv6({.nh = kIpUdp, .version = 4}, udp(1, 2)),
               ParseResult::kBadIPv6, ether_key(kEthIPv6)});
  v.push_back({"IPv6 header cut at 30 bytes: L2 key", kLinkEthernet,
               cut(eth(kEthIPv6) + udp6(), 14 + 30), ParseResult::kTruncatedIPv6,
               ether_key(kEthIPv6)});
  const auto chain = [&](int n) {
    Bytes c = udp(1000, 2000, payload(4));
    for (int i = 0; i < n; ++i) c = ip6_ext(i == 0 ? kIpUdp : kIp6DestOpts, c);
    return c;
  };
  v.push_back({"IPv6 chain of 64 extension headers: followed to UDP", kLinkEthernet,
               eth(kEthIPv6) + ipv6({.nh = kIp6DestOpts}, chain(64)), ParseResult::kOk,
               {.kind = KeyKind::kIPv6, .src = bytes_of(kIp6A), .proto = kIpUdp, .sport = 1000, .dport = 2000,
                .payload_bytes = 4, .is_ip = true}});
  const Bytes long_chain = chain(65);
  v.push_back({"IPv6 chain of 65 extension headers: deeper than followed", kLinkEthernet,
               eth(kEthIPv6) + ipv6({.nh = kIp6DestOpts}, long_chain), ParseResult::kIPv6ExtDepth,
               {.kind = KeyKind::kIPv6, .src = bytes_of(kIp6A), .proto = kIp6DestOpts,
                .sport = 0, .dport = 0}});
  v.push_back({"IPv6 hop-by-hop header claiming 16 bytes with 8 captured", kLinkEthernet,
               eth(kEthIPv6) + ipv6({.nh = kIp6HopByHop, .payload_len = 16},
                                    Bytes{kIpUdp, 1, 0, 0, 0, 0, 0, 0}),
               ParseResult::kTruncatedIPv6Ext, {.kind = KeyKind::kIPv6}});
  v.push_back({"IPv6 extension header cut below 8 bytes", kLinkEthernet,
               eth(kEthIPv6) + ipv6({.nh = kIp6Routing, .payload_len = 8}, Bytes{kIpUdp, 0, 0}),
               ParseResult::kTruncatedIPv6Ext, {.kind = KeyKind::kIPv6}});

  // -- Transport.
  v.push_back({"TCP header cut to 2 bytes: no ports", kLinkEthernet,
               cut(tcp_frame, 14 + 20 + 2), ParseResult::kTruncatedL4,
               {.kind = KeyKind::kIPv4, .proto = kIpTcp, .sport = 0, .dport = 0}});
  v.push_back({"TCP header cut to 10 bytes: ports kept", kLinkEthernet,
               cut(tcp_frame, 14 + 20 + 10), ParseResult::kTruncatedL4,
               {.kind = KeyKind::kIPv4, .proto = kIpTcp, .sport = 40000, .dport = 80,
                .extra = [](const ParsedPacket& p) { EXPECT_FALSE(p.has_tcp); }}});
  // The datagram's length, not the frame's, decides whether ports exist
  // (the frame may hold padding past it): as argus keys them.
  v.push_back({"TCP SYN in a 24-byte datagram: no ports, flags still read", kLinkEthernet,
               eth_ipv4({.proto = kIpTcp, .total_len = 24}, tcp({.sport = 1000, .dport = 2000, .flags = kTcpSyn})),
               ParseResult::kTruncatedL4,
               {.kind = KeyKind::kIPv4, .proto = kIpTcp, .sport = 0, .dport = 0, .payload_bytes = 0,
                .tcp_flags = kTcpSyn, .extra = [](const ParsedPacket& p) { EXPECT_TRUE(p.has_tcp); }}});
  v.push_back({"TCP in a 40-byte datagram: whole header, ports kept", kLinkEthernet,
               eth_ipv4({.proto = kIpTcp, .total_len = 40}, tcp({.sport = 1000, .dport = 2000, .flags = kTcpSyn})),
               ParseResult::kOk, {.kind = KeyKind::kIPv4, .proto = kIpTcp, .sport = 1000, .dport = 2000}});
  v.push_back({"UDP in a 27-byte datagram (padding behind it): no ports", kLinkEthernet,
               eth_ipv4({.proto = kIpUdp, .total_len = 27}, udp(1000, 2000, payload(10))),
               ParseResult::kTruncatedL4, {.kind = KeyKind::kIPv4, .proto = kIpUdp, .sport = 0, .dport = 0}});
  v.push_back({"UDP in a 28-byte datagram: ports kept", kLinkEthernet,
               eth_ipv4({.proto = kIpUdp, .total_len = 28}, udp(1000, 2000, payload(10))),
               ParseResult::kOk,
               {.kind = KeyKind::kIPv4, .proto = kIpUdp, .sport = 1000, .dport = 2000, .payload_bytes = 0}});
  v.push_back({"IPv6 payload length 4 short of UDP's header: ports read, as argus", kLinkEthernet,
               eth(kEthIPv6) + ipv6({.nh = kIpUdp, .payload_len = 4}, udp(1000, 2000, payload(10))),
               ParseResult::kOk, {.kind = KeyKind::kIPv6, .proto = kIpUdp, .sport = 1000, .dport = 2000}});
  v.push_back({"TCP data offset 4 (< 5)", kLinkEthernet,
               eth_ipv4({}, tcp({.flags = kTcpAck, .doff_words = 4})), ParseResult::kTruncatedL4,
               {.kind = KeyKind::kIPv4, .sport = 40000, .dport = 80}});
  // The header says 60 bytes of TCP header; only the fixed 20 were captured
  // (snap length). Ports and flags stay usable, but the header is cut short.
  v.push_back({"TCP data offset 15 beyond the captured bytes", kLinkEthernet,
               eth_ipv4({.total_len = 20 + 60}, tcp({.flags = kTcpSyn, .doff_words = 15})),
               ParseResult::kTruncatedL4,
               {.kind = KeyKind::kIPv4, .sport = 40000, .dport = 80, .tcp_flags = kTcpSyn}});
  v.push_back({"UDP header cut to 6 bytes: ports kept", kLinkEthernet,
               cut(eth(kEthIPv4) + udp4(), 14 + 20 + 6), ParseResult::kTruncatedL4,
               {.kind = KeyKind::kIPv4, .proto = kIpUdp, .sport = 1000, .dport = 2000}});
  v.push_back({"ICMP echo cut to 6 bytes", kLinkEthernet,
               cut(eth_ipv4({.proto = kIpIcmp}, icmp_echo(8, 1, 1)), 14 + 20 + 6),
               ParseResult::kTruncatedL4, {.kind = KeyKind::kIPv4, .proto = kIpIcmp, .sport = 0x0800}});
  v.push_back({"ESP cut before the sequence number", kLinkEthernet,
               cut(eth_ipv4({.proto = kIpEsp}, esp(7, 1)), 14 + 20 + 6), ParseResult::kTruncatedL4,
               {.kind = KeyKind::kIPv4, .proto = kIpEsp}});
  v.push_back({"SCTP cut to 2 bytes", kLinkEthernet,
               cut(eth_ipv4({.proto = kIpSctp}, sctp(1, 2)), 14 + 20 + 2),
               ParseResult::kTruncatedL4, {.kind = KeyKind::kIPv4, .proto = kIpSctp}});

  // -- ARP.
  v.push_back({"ARP body cut short: L2 key", kLinkEthernet,
               cut(eth(kEthArp) + arp(1, kMacA, kIpA, kZeroMac, kIpB), 14 + 20),
               ParseResult::kTruncatedArp, ether_key(kEthArp)});
  Bytes arp_hln8 = arp(1, kMacA, kIpA, kZeroMac, kIpB);
  arp_hln8[4] = 8;
  v.push_back({"ARP with hardware length 8: L2 key", kLinkEthernet, eth(kEthArp) + arp_hln8,
               ParseResult::kTruncatedArp, ether_key(kEthArp)});

  // -- Tunnels.
  const Ip4Hdr gre_outer{.src = kGreOuterA, .dst = kGreOuterB, .proto = kIpGre};
  const Expect outer_key{.kind = KeyKind::kIPv4, .src = bytes_of(kGreOuterA),
                         .dst = bytes_of(kGreOuterB), .proto = kIpGre};
  v.push_back({"GRE header cut to 2 bytes: outer key", kLinkEthernet,
               eth_ipv4(gre_outer, Bytes{0x00, 0x00}), ParseResult::kTruncatedTunnel, outer_key});
  v.push_back({"GRE with the key flag but no key: outer key", kLinkEthernet,
               eth_ipv4(gre_outer, Bytes{0x20, 0x00, 0x08, 0x00}), ParseResult::kTruncatedTunnel,
               outer_key});
  v.push_back({"GRE nested fifty deep: followed to the UDP inside, as argus does", kLinkEthernet,
               eth(kEthIPv4) + nested_gre(50), ParseResult::kOk, {.kind = KeyKind::kIPv4, .proto = kIpUdp}});
  v.push_back({"GRE nested 65 deep: deeper than followed", kLinkEthernet,
               eth(kEthIPv4) + nested_gre(65), ParseResult::kTunnelDepth,
               {.kind = KeyKind::kIPv4, .proto = kIpGre}});
  // An inner packet that is no IP packet: the outer GRE flow, not an L2 one
  // (argus keeps the tunnel's endpoints); the tunnel is counted.
  v.push_back({"GRE around a cut IPv4 header: outer key", kLinkEthernet,
               eth_ipv4(gre_outer, gre(kEthIPv4, Bytes{0x45, 0x00, 0x00})), ParseResult::kTruncatedTunnel,
               outer_key});
  return v;
}

std::vector<ParserCase> all_cases() {
  std::vector<ParserCase> v = well_formed_cases();
  for (auto& c : malformed_cases()) v.push_back(std::move(c));
  return v;
}

void PrintTo(const ParserCase& c, std::ostream* os) { *os << '"' << c.desc << '"'; }

class ParserFixture : public ::testing::TestWithParam<ParserCase> {};

TEST_P(ParserFixture, Parses) {
  const ParserCase& c = GetParam();
  SCOPED_TRACE(c.desc);
  ParsedPacket p;
  std::memset(&p, 0xa5, sizeof p);  // only the head is cleared by the parser
  const ParseResult r =
      parse_packet(c.frame.data(), static_cast<uint32_t>(c.frame.size()), c.link, p);
  EXPECT_EQ(r, c.result);
  check(p, c.expect);
}

std::string case_name(const ::testing::TestParamInfo<ParserCase>& info) {
  std::string s = std::to_string(info.index) + "_";
  for (char ch : info.param.desc) {
    const bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (alnum) {
      s += ch;
    } else if (s.back() != '_') {
      s += '_';
    }
  }
  while (s.back() == '_') s.pop_back();
  return s;
}

INSTANTIATE_TEST_SUITE_P(Frames, ParserFixture, ::testing::ValuesIn(all_cases()), case_name);

TEST(ParserTable, EveryParseResultIsExercised) {
  std::set<ParseResult> seen;
  for (const ParserCase& c : all_cases()) seen.insert(c.result);
  for (unsigned i = 0; i < kParseResultCount; ++i) {
    EXPECT_TRUE(seen.count(static_cast<ParseResult>(i)))
        << "no fixture expects " << parse_result_name(static_cast<ParseResult>(i));
  }
}

TEST(ParserTable, ResultNamesAreDistinctAndDescribed) {
  std::set<std::string> names;
  for (unsigned i = 0; i < kParseResultCount; ++i) {
    const auto r = static_cast<ParseResult>(i);
    const std::string name = parse_result_name(r);
    EXPECT_EQ(name.rfind("parse.", 0), 0u) << name;
    EXPECT_NE(std::string(parse_result_description(r)), "") << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kParseResultCount);
}

TEST(ParserTable, LinkTypesSupported) {
  for (int lt : {0, 1, 12, 14, 101, 108, 113, 228, 229, 276}) EXPECT_TRUE(link_type_supported(lt)) << lt;
  for (int lt : {105, 127, 9, 50}) EXPECT_FALSE(link_type_supported(lt)) << lt;
}

// The first `len` bytes of `frame` in a heap block of exactly that size, so
// a read past the captured bytes is a read past the block (ASan sees it).
std::unique_ptr<uint8_t[]> exact_copy(const Bytes& frame, size_t len) {
  std::unique_ptr<uint8_t[]> buf(new uint8_t[len]);
  if (len) std::memcpy(buf.get(), frame.data(), len);
  return buf;
}

// Every prefix of a valid TCP/IPv4/Ethernet frame: never reads past the
// captured bytes and reports the layer that was cut.
TEST(ParserTruncation, EveryCutOfTcpIpv4EthernetFrame) {
  const Bytes frame = eth(kEthIPv4) +
                      ipv4({}, tcp({.seq = 7, .flags = kTcpPsh | kTcpAck}, payload(10)));
  ASSERT_EQ(frame.size(), 64u);
  for (size_t len = 0; len <= frame.size(); ++len) {
    SCOPED_TRACE("caplen " + std::to_string(len));
    const auto buf = exact_copy(frame, len);
    ParsedPacket p;
    const ParseResult r = parse_packet(buf.get(), static_cast<uint32_t>(len), kLinkEthernet, p);
    if (len < 14) {
      EXPECT_EQ(r, ParseResult::kTruncatedL2);
      EXPECT_EQ(p.key.kind, KeyKind::kNone);
    } else if (len < 34) {
      EXPECT_EQ(r, ParseResult::kTruncatedIPv4);
      EXPECT_EQ(p.key.kind, KeyKind::kEther);
      EXPECT_EQ(p.key.aux, 0x08000000u);
    } else if (len < 38) {
      EXPECT_EQ(r, ParseResult::kTruncatedL4);
      EXPECT_EQ(p.key.kind, KeyKind::kIPv4);
      EXPECT_EQ(p.key.sport, 0);
    } else if (len < 54) {
      EXPECT_EQ(r, ParseResult::kTruncatedL4);
      EXPECT_EQ(p.key.kind, KeyKind::kIPv4);
      EXPECT_EQ(p.key.sport, 40000);
      EXPECT_EQ(p.key.dport, 80);
      EXPECT_FALSE(p.has_tcp);
    } else {
      EXPECT_EQ(r, ParseResult::kOk);
      EXPECT_TRUE(p.has_tcp);
      EXPECT_EQ(p.tcp_seq, 7u);
      // Payload comes from the IP lengths, not from what was captured.
      EXPECT_EQ(p.payload_bytes, 10u);
    }
  }
}

// Every prefix of every fixture: no crash, no read past the end, and the
// documented key contract holds.
TEST(ParserTruncation, EveryCutOfEveryFixture) {
  for (const ParserCase& c : all_cases()) {
    for (size_t len = 0; len <= c.frame.size(); ++len) {
      const auto buf = exact_copy(c.frame, len);
      ParsedPacket p;
      std::memset(&p, 0xa5, sizeof p);
      const ParseResult r = parse_packet(buf.get(), static_cast<uint32_t>(len), c.link, p);
      ASSERT_LT(static_cast<unsigned>(r), kParseResultCount) << c.desc << " caplen " << len;
      if (r == ParseResult::kOk) {
        EXPECT_NE(p.key.kind, KeyKind::kNone) << c.desc << " caplen " << len;
      }
      if (r == ParseResult::kUnsupportedLink || r == ParseResult::kTruncatedL2) {
        EXPECT_EQ(p.key.kind, KeyKind::kNone) << c.desc << " caplen " << len;
      }
      EXPECT_EQ(p.key.pad, 0u);
    }
  }
}

// ---- keys of the two directions of protocol exchanges ---------------------

ParsedPacket parse_eth(const Bytes& frame) { return parsed(frame, 0); }

TEST(ParserPairs, IcmpEchoReplyKeyEqualsRequestKey) {
  const ParsedPacket req = parse_eth(eth_ipv4({.proto = kIpIcmp}, icmp_echo(8, 99, 5)));
  const ParsedPacket rep =
      parse_eth(eth_ipv4_rev({.src = kIpB, .dst = kIpA, .proto = kIpIcmp}, icmp_echo(0, 99, 5)));
  EXPECT_TRUE(req.key == rep.key);
  EXPECT_FALSE(req.from_key_dst);
  EXPECT_TRUE(rep.from_key_dst);
  // A different sequence number is a different exchange.
  const ParsedPacket next = parse_eth(eth_ipv4({.proto = kIpIcmp}, icmp_echo(8, 99, 6)));
  EXPECT_FALSE(req.key == next.key);
}

TEST(ParserPairs, IcmpTimestampReplyFoldsOntoRequest) {
  const ParsedPacket req = parse_eth(eth_ipv4({.proto = kIpIcmp}, icmp_echo(13, 1, 1, Bytes(12, 0))));
  const ParsedPacket rep = parse_eth(
      eth_ipv4_rev({.src = kIpB, .dst = kIpA, .proto = kIpIcmp}, icmp_echo(14, 1, 1, Bytes(12, 0))));
  EXPECT_TRUE(req.key == rep.key);
  EXPECT_EQ(rep.key.sport, 13 << 8);
}

TEST(ParserPairs, Icmpv6EchoReplyKeyEqualsRequestKey) {
  const ParsedPacket req = parse_eth(eth(kEthIPv6) + ipv6({.nh = kIpIcmp6}, icmp_echo(128, 7, 1)));
  const ParsedPacket rep = parse_eth(
      eth(kEthIPv6) + ipv6({.src = kIp6B, .dst = kIp6A, .nh = kIpIcmp6}, icmp_echo(129, 7, 1)));
  EXPECT_TRUE(req.key == rep.key);
  EXPECT_TRUE(rep.from_key_dst);
}

TEST(ParserPairs, NeighbourSolicitationAndAdvertisementShareACanonicalKey) {
  const ParsedPacket ns = parse_eth(
      eth(kEthIPv6) + ipv6({.nh = kIpIcmp6, .hlim = 255}, icmp(135, 0, 0, bytes_of(kIp6B))));
  const ParsedPacket na = parse_eth(
      eth(kEthIPv6) + ipv6({.src = kIp6B, .dst = kIp6A, .nh = kIpIcmp6, .hlim = 255},
                           icmp(136, 0, 0x60000000, bytes_of(kIp6B))));
  FlowKey a = ns.key, b = na.key;
  EXPECT_FALSE(a == b);
  const bool sa = flow_key_canonicalize(a);
  const bool sb = flow_key_canonicalize(b);
  EXPECT_NE(sa, sb);
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a.sport, 135 << 8) << "type/code stay in sport when the key is turned";
}

TEST(ParserPairs, ArpReplyKeyEqualsRequestKey) {
  const ParsedPacket req = parse_eth(eth(kEthArp, kBroadcast, kMacA) + arp(1, kMacA, kIpA, kZeroMac, kIpB));
  const ParsedPacket rep = parse_eth(eth(kEthArp, kMacA, kMacB) + arp(2, kMacB, kIpB, kMacA, kIpA));
  EXPECT_TRUE(req.key == rep.key);
  EXPECT_FALSE(req.from_key_dst);
  EXPECT_TRUE(rep.from_key_dst);
}

TEST(ParserPairs, UdpDirectionsCanonicaliseToOneKey) {
  const ParsedPacket ab = parse_eth(udp_frame(kIpA, 1000, kIpB, 2000));
  const ParsedPacket ba = parse_eth(udp_frame(kIpB, 2000, kIpA, 1000));
  FlowKey a = ab.key, b = ba.key;
  flow_key_canonicalize(a);
  flow_key_canonicalize(b);
  EXPECT_TRUE(a == b);
}

TEST(ParserPairs, EachDnsTransactionIsItsOwnKey) {
  const ParsedPacket q1 = parse_eth(eth_ipv4({.proto = kIpUdp}, udp(33000, 53, dns_query(1))));
  const ParsedPacket q2 = parse_eth(eth_ipv4({.proto = kIpUdp}, udp(33000, 53, dns_query(2))));
  EXPECT_FALSE(q1.key == q2.key);
}

TEST(ParserPairs, LaterFragmentsOfOneDatagramShareAKey) {
  const ParsedPacket f2 =
      parse_eth(eth_ipv4({.proto = kIpUdp, .id = 77, .frag = kIp4MoreFrags | 185}, payload(1480)));
  const ParsedPacket f3 = parse_eth(eth_ipv4({.proto = kIpUdp, .id = 77, .frag = 370}, payload(40)));
  EXPECT_TRUE(f2.key == f3.key);
  EXPECT_TRUE(f2.more_frags);
  EXPECT_FALSE(f3.more_frags);
}

}  // namespace
}  // namespace argos::test
