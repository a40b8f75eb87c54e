// Per-packet facts the parser extracts and the flow table consumes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "flowtable/flow_key.h"

namespace argos {

// Argus encapsulation bits (argus-format.md section 6.14).
inline constexpr uint32_t kEncMpls = 0x01;
inline constexpr uint32_t kEncEther = 0x02;
inline constexpr uint32_t kEncVlan = 0x04;
inline constexpr uint32_t kEncLlc = 0x08;
inline constexpr uint32_t kEncPppoe = 0x10;
inline constexpr uint32_t kEncGre = 0x40;
inline constexpr uint32_t kEncSll = 0x2000;

// Argus TCP option bits (argus-format.md section 6.5).
inline constexpr uint32_t kTcpOptMss = 0x00100000;
inline constexpr uint32_t kTcpOptWscale = 0x00200000;
inline constexpr uint32_t kTcpOptSackOk = 0x00400000;
inline constexpr uint32_t kTcpOptSack = 0x00800000;
inline constexpr uint32_t kTcpOptTimestamp = 0x04000000;
// The connection's SYN offered ECN (ECE and CWR, RFC 3168): argus's "src
// ECN" option bit, set from the flags rather than an option (ra: `S`).
inline constexpr uint32_t kTcpOptSrcEcn = 0x40000000;

// Argus IP-option indicator bits (IP-attribute DSR options word).
inline constexpr uint8_t kIpOptRecordRoute = 0x01;
inline constexpr uint8_t kIpOptTimestamp = 0x02;
inline constexpr uint8_t kIpOptSecurity = 0x04;
inline constexpr uint8_t kIpOptLsrr = 0x08;
inline constexpr uint8_t kIpOptSatId = 0x10;
inline constexpr uint8_t kIpOptSsrr = 0x20;
inline constexpr uint8_t kIpOptRouterAlert = 0x40;

// TCP header flag bits.
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;
inline constexpr uint8_t kTcpEce = 0x40;
inline constexpr uint8_t kTcpCwr = 0x80;

enum class FragKind : uint8_t { kNone = 0, kFirst = 1, kLater = 2 };

// Per-packet facts. `key` is in the sender's orientation except where the
// protocol fixes it (ICMP replies, ARP replies): then `from_key_dst` is set.
struct ParsedPacket {
  // --- Head: every field here is cleared by the parser for each packet. ---
  FlowKey key;
  uint32_t encaps;         // kEnc* bits of the layers passed
  uint32_t payload_bytes;  // transport payload per the IP lengths (not caplen)
  union {
    uint32_t tcp_seq;
    uint32_t esp_seq;  // ESP: the sequence number (argus counts gaps in it as loss)
  };
  uint32_t tcp_ack;
  uint32_t tcp_options;    // kTcpOpt* seen in this segment
  uint32_t frag_id;        // IP fragment identification when frag != kNone
  uint32_t mpls_lse;       // top label stack entry when has_mpls
  uint16_t vlan_tci;       // innermost 802.1Q TCI when has_vlan
  uint16_t tcp_win;
  uint16_t ip_id;
  uint16_t frag_offset_bytes;
  uint8_t tcp_flags;
  uint8_t tcp_wscale;
  uint8_t ttl;
  uint8_t tos;
  uint8_t icmp_type;
  uint8_t icmp_code;
  uint8_t wire_trim;  // link-header bytes argus leaves out of byte counts (Linux SLL)
  uint8_t ip_opts;    // kIpOpt* bits of the IPv4 options present
  bool from_key_dst;
  bool has_inner;     // inner_key and icmp_gateway are valid
  bool has_vlan;
  bool has_mpls;
  bool has_macs;      // mac_src and mac_dst are valid
  bool is_ip;
  bool has_tcp;       // a full 20-byte TCP header was present
  bool more_frags;
  FragKind frag;
  // Where the bytes argus captures as user data (-U) start in the frame
  // (for TCP and UDP the transport payload; for other IP protocols their
  // header on; for a later fragment its IP header on), and how many the
  // datagram holds from there. Valid only while the frame is.
  uint16_t user_span;
  const uint8_t* user_start;
  // --- Tail: valid only as the head's flags say; not cleared per packet. ---
  uint8_t mac_src[6];
  uint8_t mac_dst[6];
  uint8_t arp_responder_mac[6];  // ARP reply sender hardware address (ARP replies)
  uint32_t icmp_gateway;         // redirect gateway (ICMP word 2), when has_inner
  uint16_t frag_bytes;           // IPv4 fragment (frag != kNone): the IP payload bytes it carries
  // ICMP errors: the key of the packet the error quotes, in that packet's
  // orientation, so the error can be attached to the flow it refers to.
  FlowKey inner_key;
  // Filled by the caller of the parser, not by it:
  uint32_t wire_len;  // original frame length (Argus byte counts)
  uint64_t ts_ns;     // packet time
  uint64_t clock_ns;  // input time before this packet (timers due up to it have run); 0 = unknown
  // With -U: this packet's user bytes, copied out of the frame by the
  // worker (the frame may be gone when the table reads them).
  const uint8_t* user;
  uint16_t user_len;
};

// The input clock moves back when a packet comes more than this before it
// (captures spliced out of time order, a stray timestamp far in the
// future): what follows runs its timers on its own time, as argus's follow
// packet time. Smaller disorder (interfaces interleaved, a capture a little
// out of order) leaves the clock where it is.
inline constexpr uint64_t kClockStepBackNs = 1'000'000'000ULL;

// Bytes of ParsedPacket the parser clears before it fills a packet in.
inline constexpr size_t kParsedHeadBytes = __builtin_offsetof(ParsedPacket, mac_src);


}  // namespace argos
