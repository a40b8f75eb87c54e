// One flow report: what a worker hands to the exporter. Plain data, fixed
// size, oriented so that "src" is the flow's initiator (argus-format.md 6.2,
// choice (a): logical order, REVERSE never set).
#pragma once

#include <cstdint>

#include "flowtable/flow_key.h"

namespace argos {

// Record causes (argus-format.md section 3).
inline constexpr uint8_t kCauseStart = 0x10;
inline constexpr uint8_t kCauseStatus = 0x20;
inline constexpr uint8_t kCauseTimeout = 0x40;
inline constexpr uint8_t kCauseShutdown = 0x60;

// Argus TCP status bits (argus-format.md section 6.5).
inline constexpr uint32_t kTcpSawSyn = 0x00000001;
inline constexpr uint32_t kTcpSawSynSent = 0x00000002;
inline constexpr uint32_t kTcpEstablished = 0x00000004;
inline constexpr uint32_t kTcpFinSeen = 0x00000008;
inline constexpr uint32_t kTcpFinAcked = 0x00000010;
inline constexpr uint32_t kTcpNormalClose = 0x00000020;
inline constexpr uint32_t kTcpSrcRetrans = 0x00000100;
inline constexpr uint32_t kTcpDstRetrans = 0x00000200;
inline constexpr uint32_t kTcpSrcWindowShut = 0x00000400;
inline constexpr uint32_t kTcpDstWindowShut = 0x00000800;
inline constexpr uint32_t kTcpSrcReset = 0x00001000;
inline constexpr uint32_t kTcpDstReset = 0x00002000;
inline constexpr uint32_t kTcpSrcCongested = 0x00004000;
inline constexpr uint32_t kTcpDstCongested = 0x00008000;
inline constexpr uint32_t kTcpSrcOutOfOrder = 0x00010000;
inline constexpr uint32_t kTcpDstOutOfOrder = 0x00020000;
inline constexpr uint32_t kTcpSrcDuplicates = 0x00040000;
inline constexpr uint32_t kTcpDstDuplicates = 0x00080000;

// Record flags (FlowRecord::flags).
inline constexpr uint8_t kRecHasVlan = 0x01;
inline constexpr uint8_t kRecHasMpls = 0x02;
inline constexpr uint8_t kRecIsIp = 0x04;
inline constexpr uint8_t kRecTcp = 0x08;        // TCP network DSR applies
inline constexpr uint8_t kRecFragments = 0x10;  // the flow carried IP fragments
inline constexpr uint8_t kRecArpReply = 0x20;   // arp_responder_mac is valid
inline constexpr uint8_t kRecIcmpMapped = 0x40; // an ICMP error referred to this flow
inline constexpr uint8_t kRecHasMacs = 0x80;    // mac_src and mac_dst are valid (-m)

// An ICMP error attached to the flow it refers to (ICMP-mapped DSR).
struct IcmpMapped {
  uint8_t type;
  uint8_t code;
  uint8_t pad[2];
  uint8_t icmp_src[4];   // sender of the ICMP error
  uint8_t icmp_dst[4];
  uint8_t inner_src[4];  // addresses of the quoted packet
  uint8_t inner_dst[4];
  uint32_t gateway;
};

// Per-direction counters of one report. Index 0 = src, 1 = dst.
struct DirMetrics {
  uint64_t bytes;      // wire bytes, link header included
  uint64_t app_bytes;  // transport payload bytes
  uint64_t last_ns;    // last packet time in this direction
  uint64_t first_ns;   // first packet time in this direction (bidirectional timestamps)
  uint32_t pkts;       // a report spans one status interval: 32 bits suffice
  uint32_t encaps;     // union of kEnc* bits seen
  uint32_t mpls_lse;   // first label stack entry seen
  uint16_t vlan_tci;   // innermost TCI seen
  uint16_t ip_id;      // IP id of the latest packet (argus reports the latest)
  uint8_t ttl;         // TTL / hop limit of the latest packet
  uint8_t tos;         // TOS / traffic class of the latest packet
  uint8_t has_vlan;
  uint8_t has_mpls;
  uint8_t fragments;  // IP fragments were seen in this direction
  uint8_t ip_opts;    // kIpOpt* bits seen
  // No packet in this report, but ttl/tos/ip_id hold the direction's latest
  // from an earlier one: argus reports them as long as the flow lives.
  uint8_t attrs_carried;
  uint8_t pad;
  uint16_t min_size;  // smallest and largest frame (wire length), with -Z
  uint16_t max_size;
};

// TCP per-direction figures of a report (TCP_PERF direction block).
struct TcpDir {
  uint32_t seqbase;   // start of this report's sequence range
  uint32_t seq_high;  // highest seq + len seen
  uint32_t ack;       // last ack sent, less one (argus's); 0: none
  uint32_t payload_bytes;
  uint32_t unacked_bytes;  // sent and not acknowledged by the other side's last ack
  uint32_t retrans;   // retransmitted packets in this report
  uint32_t status;    // kTcp* bits seen from this side
  uint16_t win;       // last advertised window (unscaled)
  uint8_t flags;      // OR of TCP flag bytes
  uint8_t wscale;
};

struct TcpMetrics {
  uint32_t status;      // connection status bits
  uint32_t options;     // kTcpOpt* bits
  uint32_t synack_us;   // SYN to SYN-ACK
  uint32_t ackdat_us;   // SYN-ACK to the handshake ACK
  TcpDir dir[2];
  uint8_t fsm_state;    // BSD FSM state number
  uint8_t pad[7];
};

// ESP sequence numbers of a report (ESP network DSR), as argus follows
// them: `last_seq` the highest seen (its state carries over to later
// reports), `lost` the numbers skipped less those that came late, and in
// `status` what happened to the sequence in this report.
inline constexpr uint32_t kEspGap = 0x00000010;         // a number was skipped
inline constexpr uint32_t kEspDuplicate = 0x00002000;   // the highest number came again
inline constexpr uint32_t kEspOutOfOrder = 0x00010000;  // a number below the highest came
struct EspMetrics {
  uint32_t status;
  uint32_t last_seq;
  uint32_t lost;
};

// -J: inter-packet interval statistics of one direction and kind (active:
// within a burst of data; idle: after a pause or the other side's turn), in
// microseconds. n == 0: no such interval.
struct JitterStats {
  uint32_t n;
  uint32_t min_us;
  uint32_t max_us;
  float mean_us;
  float stddev_us;  // population standard deviation
};

struct FlowRecord {
  FlowKey key;        // logical orientation: src = initiator
  uint64_t start_ns;  // report start: src's first packet, or dst's if src sent none
  uint64_t last_ns;   // last packet of this report
  DirMetrics dir[2];
  union {
    TcpMetrics tcp;  // with kRecTcp
    EspMetrics esp;  // ESP flows (IP protocol 50)
  };
  uint32_t seq;       // flow id (Transport DSR sequence), stable across reports
  uint8_t cause;      // kCause*
  uint8_t flags;      // kRec*
  uint8_t arp_responder_mac[6];
  IcmpMapped icmp;    // valid with kRecIcmpMapped
  uint8_t mac_src[6]; // with kRecHasMacs: the initiator's and the responder's
  uint8_t mac_dst[6]; // addresses, from the flow's first packet
  uint8_t mac_multipath;  // later packets used other addresses
  // -U: the first user bytes of each direction in this report, at
  // user_buf[0 ..) and user_buf[kMaxUserBytes ..). The buffer belongs to
  // whoever holds the record (a batch slot, the table's scratch); the table
  // writes into it when it is set and leaves user_len zero otherwise.
  uint16_t user_len[2];
  uint16_t user_capacity;  // the -U value: the DSR's size field
  uint8_t* user_buf;
  JitterStats jitter[2][2];  // [direction][0 = active, 1 = idle]; all zero without -J
};

// Largest -U value: user bytes kept per direction and report.
inline constexpr uint32_t kMaxUserBytes = 256;

}  // namespace argos
