// TCP tracking tests: table-driven segment sequences run through tcp_track(),
// then the per-report behaviour through the flow table.
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "dataplane/parser.h"
#include "table_util.h"

namespace argos::test {
namespace {

constexpr unsigned kInit = 0;  // segment from the initiator
constexpr unsigned kResp = 1;  // segment from the responder

struct Seg {
  unsigned dir;
  uint8_t flags;
  uint32_t seq;
  uint32_t ack = 0;
  uint32_t len = 0;
  uint16_t win = 8192;
  uint32_t options = 0;
  uint8_t wscale = 0;
  uint16_t ip_id = 0;  // the IPv4 header's id field, as the parser reads it
};

struct TcpCase {
  std::string desc;
  std::vector<Seg> segs;
  uint32_t want_set;    // status bits that must be set
  uint32_t want_clear;  // status bits that must not be set
  std::optional<uint32_t> src_retrans{};
  std::optional<uint32_t> dst_retrans{};
};
void PrintTo(const TcpCase& c, std::ostream* os) { *os << '"' << c.desc << '"'; }

constexpr uint8_t S = kTcpSyn, A = kTcpAck, F = kTcpFin, R = kTcpRst, P = kTcpPsh, E = kTcpEce, C = kTcpCwr;
constexpr uint32_t kRetransBits = kTcpSrcRetrans | kTcpDstRetrans;
constexpr uint32_t kResetBits = kTcpSrcReset | kTcpDstReset;

// Client 1000 -> server 5000 handshake; the next client byte is 1001.
std::vector<Seg> handshake(uint32_t cseq = 1000, uint32_t sseq = 5000) {
  return {{kInit, S, cseq}, {kResp, S | A, sseq, cseq + 1}, {kInit, A, cseq + 1, sseq + 1}};
}
// A data segment (PSH+ACK) carrying IPv4 id `id` as the header holds it.
Seg data(unsigned dir, uint32_t seq, uint32_t ack, uint32_t len, uint16_t id) {
  Seg s{dir, kTcpPsh | kTcpAck, seq, ack, len};
  s.ip_id = id;
  return s;
}
// The header value whose bytes argus, reading them little-endian, takes for
// `v`: ids below are written as argus compares them.
constexpr uint16_t as_argus(uint16_t v) { return static_cast<uint16_t>(v << 8 | v >> 8); }
std::vector<Seg> operator+(std::vector<Seg> a, const std::vector<Seg>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

ParsedPacket segment(const Seg& s) {
  ParsedPacket p;
  std::memset(&p, 0, sizeof p);
  p.has_tcp = true;
  p.tcp_flags = s.flags;
  p.tcp_seq = s.seq;
  p.tcp_ack = s.ack;
  p.payload_bytes = s.len;
  p.tcp_win = s.win;
  p.tcp_options = s.options;
  p.tcp_wscale = s.wscale;
  p.ip_id = s.ip_id;
  return p;
}

// Runs the segments through tcp_track(), as the table does: 10 ms apart,
// or at the times `at_ns` gives. The handshake times go to *hs_out when
// given.
TcpState track(const std::vector<Seg>& segs, TcpRare* hs_out = nullptr, const std::vector<uint64_t>& at_ns = {},
               bool track_dups = false) {
  TcpState t;
  TcpRare hs{};
  std::memset(&t, 0, sizeof t);
  for (size_t i = 0; i < segs.size(); ++i)
    tcp_track(t, hs, segment(segs[i]), segs[i].dir, at_ns.empty() ? kT0 + i * 10 * kMs : at_ns[i], i == 0,
              track_dups);
  if (hs_out) *hs_out = hs;
  return t;
}

std::vector<TcpCase> cases() {
  const uint32_t wrap = 0xfffffff0u;  // client ISN 16 bytes below 2^32
  return {
      {"bare SYN: SAW_SYN only, SYN_SENT state", {{kInit, S, 1000}}, kTcpSawSyn,
       kTcpSawSynSent | kTcpEstablished},
      {"three-way handshake: SAW_SYN, SAW_SYN_SENT, ESTABLISHED", handshake(),
       kTcpSawSyn | kTcpSawSynSent | kTcpEstablished, kRetransBits | kResetBits | kTcpFinSeen,
       0, 0},
      {"SYN-ACK seen first (SYN missed): SAW_SYN_SENT", {{kInit, S | A, 5000, 1001}},
       kTcpSawSynSent, kTcpSawSyn | kTcpEstablished},
      {"flow picked up mid-stream: ESTABLISHED", {{kInit, A, 1001, 5001}, {kResp, A, 5001, 1001}},
       kTcpEstablished, kTcpSawSyn | kTcpSawSynSent},
      {"a resend running past the highest number moves the resend mark only to it: the next segment follows on",
       handshake() + std::vector<Seg>{{kResp, P | A, 5001, 1001, 100}, {kResp, P | A, 5051, 1001, 100},
                                      {kResp, P | A, 5101, 1001, 100}},
       kTcpDstRetrans, kTcpSrcRetrans, 0, 1},
      {"FIN from the initiator, not yet acknowledged", handshake() + std::vector<Seg>{{kInit, F | A, 1001, 5001}},
       kTcpFinSeen, kTcpFinAcked},
      {"FIN after data, acknowledged by the responder (FIN-ACK)",
       handshake() + std::vector<Seg>{{kInit, P | A, 1001, 5001, 10}, {kInit, F | A, 1011, 5001}, {kResp, A, 5001, 1012}},
       kTcpFinSeen | kTcpFinAcked, kResetBits},
      {"FIN both ways after data, each acknowledged",
       handshake() + std::vector<Seg>{{kInit, P | A, 1001, 5001, 10},
                                      {kResp, P | A, 5001, 1011, 10},
                                      {kInit, F | A, 1011, 5011},
                                      {kResp, F | A, 5011, 1012},
                                      {kInit, A, 1012, 5012}},
       kTcpFinSeen | kTcpFinAcked, kResetBits | kRetransBits},
      // argus takes a FIN as acknowledged by an ack of exactly one past the
      // side's highest data, which after a handshake without data is still
      // the SYN's number: the usual ack of a bare FIN is one more than that.
      {"FIN both ways, no data: argus sees no FIN-ACK",
       handshake() + std::vector<Seg>{{kInit, F | A, 1001, 5001},
                                      {kResp, F | A, 5001, 1002},
                                      {kInit, A, 1002, 5002}},
       kTcpFinSeen, kTcpFinAcked | kResetBits | kRetransBits},
      {"FIN acknowledged by a data segment: no FIN-ACK",
       handshake() + std::vector<Seg>{{kInit, P | A, 1001, 5001, 10}, {kInit, F | A, 1011, 5001}, {kResp, P | A, 5001, 1012, 10}},
       kTcpFinSeen, kTcpFinAcked},
      {"flow picked up at its FIN: never established, its FIN never acknowledged",
       {{kInit, F | A, 1001, 5001}, {kResp, A, 5001, 1002}, {kResp, P | A, 5001, 1002, 10}},
       kTcpFinSeen, kTcpFinAcked | kTcpEstablished},
      {"flow picked up at a FIN carrying data: established, no FIN of either side counts",
       {{kInit, P | F | A, 1001, 5001, 50}, {kResp, F | A, 5001, 1052}, {kInit, A, 1052, 5002}},
       kTcpEstablished, kTcpFinSeen | kTcpFinAcked},
      {"FIN after a reset that closed the connection: ignored",
       handshake() + std::vector<Seg>{{kInit, P | A, 1001, 5001, 10}, {kInit, R, 1011}, {kResp, F | A, 5001, 1011}},
       kTcpSrcReset, kTcpFinSeen},
      {"FIN after a gap in the data, acknowledged past it: no FIN-ACK",
       handshake() + std::vector<Seg>{{kInit, P | A, 1001, 5001, 10}, {kInit, F | A, 1021, 5001}, {kResp, A, 5001, 1022}},
       kTcpFinSeen, kTcpFinAcked | kResetBits},
      {"RST from the initiator: SRC_RESET", handshake() + std::vector<Seg>{{kInit, R, 1001}},
       kTcpSrcReset, kTcpDstReset},
      {"RST from the responder: DST_RESET", handshake() + std::vector<Seg>{{kResp, R | A, 5001, 1001}},
       kTcpDstReset, kTcpSrcReset},
      {"RST answering a SYN (port closed): DST_RESET", {{kInit, S, 1000}, {kResp, R | A, 0, 1001}},
       kTcpSawSyn | kTcpDstReset, kTcpEstablished | kTcpSrcReset},
      {"initiator sends the same data segment twice: SRC retransmission",
       handshake() + std::vector<Seg>{{kInit, P | A, 1001, 5001, 100}, {kInit, P | A, 1001, 5001, 100}},
       kTcpSrcRetrans, kTcpDstRetrans | kTcpSrcOutOfOrder, 1, 0},
      {"responder sends the same data segment twice: DST retransmission",
       handshake() + std::vector<Seg>{{kResp, P | A, 5001, 1001, 200}, {kResp, P | A, 5001, 1001, 200}},
       kTcpDstRetrans, kTcpSrcRetrans, 0, 1},
      {"data resent after the peer acknowledged it: retransmission",
       handshake() + std::vector<Seg>{{kInit, P | A, 1001, 5001, 100},
                                      {kResp, A, 5001, 1101},
                                      {kInit, P | A, 1001, 5001, 100}},
       kTcpSrcRetrans, kTcpDstRetrans, 1, 0},
      {"acknowledged data resent with a window (8192) at least its length: retransmission",
       handshake() + std::vector<Seg>{{kResp, P | A, 5001, 1001, 200},
                                      {kInit, A, 1001, 5201},
                                      {kResp, P | A, 5001, 1001, 200}},
       kTcpDstRetrans, kTcpSrcRetrans | kTcpDstOutOfOrder, 0, 1},
      {"acknowledged data resent with a window below its length (spurious timeout): argus flags nothing",
       handshake() + std::vector<Seg>{{kResp, P | A, 5001, 1001, 200},
                                      {kInit, A, 1001, 5201},
                                      {kResp, P | A, 5001, 1001, 200, 199}},
       0, kRetransBits | kTcpDstOutOfOrder, 0, 0},
      {"the resent segment's own window decides, not the first copy's",
       handshake() + std::vector<Seg>{{kInit, P | A, 1001, 5001, 100, 50},
                                      {kResp, A, 5001, 1101},
                                      {kInit, P | A, 1001, 5001, 100, 100}},
       kTcpSrcRetrans, kTcpDstRetrans, 1, 0},
      {"the window is shifted right by the sender's scale: 4444 >> 4 = 277 < 318, no retransmission",
       {{kInit, S, 1000, 0, 0, 8192, kTcpOptWscale, 8}, {kResp, S | A, 5000, 1001, 0, 5760, kTcpOptWscale, 4},
        {kInit, A, 1001, 5001}, {kResp, P | A, 5001, 1001, 318, 4444}, {kInit, A, 1001, 5319},
        {kResp, P | A, 5001, 1001, 318, 4444}},
       0, kRetransBits, 0, 0},
      {"... and 8191 >> 4 = 511 >= 318: retransmission",
       {{kInit, S, 1000, 0, 0, 8192, kTcpOptWscale, 8}, {kResp, S | A, 5000, 1001, 0, 5760, kTcpOptWscale, 4},
        {kInit, A, 1001, 5001}, {kResp, P | A, 5001, 1001, 318, 8191}, {kInit, A, 1001, 5319},
        {kResp, P | A, 5001, 1001, 318, 8191}},
       kTcpDstRetrans, kTcpSrcRetrans, 0, 1},
      {"unacknowledged data resent with a small window is still a retransmission",
       handshake() + std::vector<Seg>{{kInit, P | A, 1001, 5001, 100, 50}, {kInit, P | A, 1001, 5001, 100, 50}},
       kTcpSrcRetrans, kTcpDstRetrans, 1, 0},
      {"SYN sent twice: retransmission", {{kInit, S, 1000}, {kInit, S, 1000}}, kTcpSrcRetrans, 0, 1},
      {"a flow opened by a SYN-ACK (one side captured): the SYN-ACK again is a retransmission",
       {{kInit, S | A, 5000, 1001}, {kInit, S | A, 5000, 1001}}, kTcpSrcRetrans, kTcpDstRetrans, 1, 0},
      {"in-order data: no retransmission",
       handshake() + std::vector<Seg>{{kInit, P | A, 1001, 5001, 100},
                                      {kInit, P | A, 1101, 5001, 100},
                                      {kInit, P | A, 1201, 5001, 100}},
       0, kRetransBits | kTcpSrcOutOfOrder, 0, 0},
      {"sequence numbers wrapping past 2^32 are not retransmissions",
       handshake(wrap) + std::vector<Seg>{{kInit, P | A, wrap + 1, 5001, 100},          // ends at 0x55
                                          {kInit, P | A, wrap + 101, 5001, 100},        // 0x00000055
                                          {kResp, A, 5001, wrap + 201},                 // acks 0xb9
                                          {kInit, P | A, wrap + 201, 5001, 100}},       // 0x000000b9
       kTcpEstablished, kRetransBits | kTcpSrcOutOfOrder, 0, 0},
      {"a resend after the wrap is still a retransmission",
       handshake(wrap) + std::vector<Seg>{{kInit, P | A, wrap + 1, 5001, 100},
                                          {kInit, P | A, wrap + 101, 5001, 100},
                                          {kInit, P | A, wrap + 101, 5001, 100}},
       kTcpSrcRetrans, kTcpDstRetrans, 1, 0},
      {"the first data after the handshake opens no gap: a segment below it is a resend",
       handshake() + std::vector<Seg>{{kInit, P | A, 1101, 5001, 100}, {kInit, P | A, 1001, 5001, 100}},
       kTcpSrcRetrans, kTcpSrcOutOfOrder, 1, 0},
      {"picked up mid-stream, before the other side is heard: no resend, nothing out of order",
       {{kInit, P | A, 1001, 5001, 100, 8192, 0, 0, as_argus(5)},
        {kInit, P | A, 1101, 5001, 100, 8192, 0, 0, as_argus(4)},
        {kInit, P | A, 1101, 5001, 100, 8192, 0, 0, as_argus(6)}},
       0, kRetransBits | kTcpSrcOutOfOrder, 0, 0},
      {"segment filling a gap arrives out of order, not resent",
       handshake() + std::vector<Seg>{{kInit, P | A, 1001, 5001, 100},
                                      {kInit, P | A, 1201, 5001, 100},
                                      {kInit, P | A, 1101, 5001, 100}},
       kTcpSrcOutOfOrder, kRetransBits, 0, 0},
      {"segment filling a gap after the receiver acknowledged up to the gap (asked for it): "
       "retransmission, not out of order",
       handshake() + std::vector<Seg>{{kResp, P | A, 5001, 1001, 100},
                                      {kResp, P | A, 5201, 1001, 100},
                                      {kInit, A, 1001, 5101},
                                      {kResp, P | A, 5101, 1001, 100}},
       kTcpDstRetrans, kTcpDstOutOfOrder | kTcpSrcRetrans, 0, 1},
      {"an ack short of the gap does not ask for it: the late segment is out of order",
       handshake() + std::vector<Seg>{{kResp, P | A, 5001, 1001, 100},
                                      {kResp, P | A, 5201, 1001, 100},
                                      {kInit, A, 1001, 5051},
                                      {kResp, P | A, 5101, 1001, 100}},
       kTcpDstOutOfOrder, kRetransBits, 0, 0},
      {"IPv4 id a little below the side's previous data segment's (as argus reads it): out of order",
       handshake() + std::vector<Seg>{data(kInit, 1001, 5001, 100, as_argus(2000)),
                                      data(kInit, 1101, 5001, 50, as_argus(1900))},
       kTcpSrcOutOfOrder, kRetransBits | kTcpDstOutOfOrder, 0, 0},
      {"the same for the responder: DST out of order",
       handshake() + std::vector<Seg>{data(kResp, 5001, 1001, 100, as_argus(2000)),
                                      data(kResp, 5101, 1001, 50, as_argus(1999))},
       kTcpDstOutOfOrder, kRetransBits | kTcpSrcOutOfOrder, 0, 0},
      {"ids 0x0100 then 0x00ff go down in network order but up as argus reads them: in order",
       handshake() + std::vector<Seg>{data(kInit, 1001, 5001, 100, 0x0100), data(kInit, 1101, 5001, 50, 0x00ff)},
       0, kRetransBits | kTcpSrcOutOfOrder, 0, 0},
      {"an id 5000 or more below (a wrapped counter, a random id): in order",
       handshake() + std::vector<Seg>{data(kInit, 1001, 5001, 100, as_argus(6000)),
                                      data(kInit, 1101, 5001, 50, as_argus(1000))},
       0, kRetransBits | kTcpSrcOutOfOrder, 0, 0},
      {"4999 below: out of order",
       handshake() + std::vector<Seg>{data(kInit, 1001, 5001, 100, as_argus(6000)),
                                      data(kInit, 1101, 5001, 50, as_argus(1001))},
       kTcpSrcOutOfOrder, kRetransBits, 0, 0},
      {"unacknowledged data sent again with a lower id: out of order, not a retransmission",
       handshake() + std::vector<Seg>{data(kInit, 1001, 5001, 100, as_argus(2000)),
                                      data(kInit, 1001, 5001, 100, as_argus(1900))},
       kTcpSrcOutOfOrder, kRetransBits, 0, 0},
      {"acknowledged data sent again with a lower id: a retransmission",
       handshake() + std::vector<Seg>{data(kInit, 1001, 5001, 100, as_argus(2000)),
                                      {kResp, A, 5001, 1101},
                                      data(kInit, 1001, 5001, 100, as_argus(1900))},
       kTcpSrcRetrans, kTcpSrcOutOfOrder, 1, 0},
      {"ids compare with the previous data segment, not the highest: a resend above it is resent",
       handshake() + std::vector<Seg>{data(kInit, 1001, 5001, 100, as_argus(2000)),
                                      data(kInit, 1101, 5001, 50, as_argus(1900)),
                                      data(kInit, 1001, 5001, 100, as_argus(1901))},
       kTcpSrcOutOfOrder | kTcpSrcRetrans, 0, 1, 0},
      {"pure ACKs neither compare their id nor set it",
       handshake() + std::vector<Seg>{data(kInit, 1001, 5001, 100, as_argus(1000)),
                                      Seg{kInit, A, 1101, 5001, 0, 8192, 0, 0, as_argus(999)},
                                      Seg{kInit, A, 1101, 5001, 0, 8192, 0, 0, as_argus(3000)},
                                      data(kInit, 1101, 5001, 50, as_argus(2000))},
       0, kRetransBits | kTcpSrcOutOfOrder, 0, 0},
      {"a gap filled after the receiver asked, with a lower id: out of order, not resent",
       handshake() + std::vector<Seg>{data(kInit, 1001, 5001, 100, as_argus(2000)),
                                      data(kInit, 1201, 5001, 50, as_argus(2100)),
                                      {kResp, A, 5001, 1101},
                                      data(kInit, 1101, 5001, 100, as_argus(2050))},
       kTcpSrcOutOfOrder, kRetransBits, 0, 0},
      {"zero window from the responder: DST_WINDOW_SHUT",
       handshake() + std::vector<Seg>{{kResp, A, 5001, 1001, 0, 0}}, kTcpDstWindowShut,
       kTcpSrcWindowShut},
      {"zero window from the initiator: SRC_WINDOW_SHUT",
       handshake() + std::vector<Seg>{{kInit, A, 1001, 5001, 0, 0}}, kTcpSrcWindowShut,
       kTcpDstWindowShut},
      {"zero window on a RST is not a shut window",
       handshake() + std::vector<Seg>{{kResp, R, 5001, 0, 0, 0}}, kTcpDstReset,
       kTcpSrcWindowShut | kTcpDstWindowShut},
      // Jumps forward: argus's mark moves by a segment's length only.
      {"a first data segment past the handshake's number, copied: the copy is the data after argus's mark, no resend",
       handshake() + std::vector<Seg>{{kResp, P | A, 5051, 1001, 50}, {kResp, P | A, 5051, 1001, 50}}, 0,
       kRetransBits | kTcpDstOutOfOrder, 0, 0},
      {"that copy moved the mark on: the next two copies are resends",
       handshake() + std::vector<Seg>{{kResp, P | A, 5051, 1001, 50}, {kResp, P | A, 5051, 1001, 50},
                                      {kResp, P | A, 5051, 1001, 50}, {kResp, P | A, 5051, 1001, 50}},
       kTcpDstRetrans, 0, 0, 2},
      {"the same across the wrap of the sequence space (the jump lands past 2^32)",
       handshake(1000, 0xffffffd0u) + std::vector<Seg>{{kResp, P | A, 3, 1001, 50}, {kResp, P | A, 3, 1001, 50},
                                                       {kResp, P | A, 3, 1001, 50}, {kResp, P | A, 3, 1001, 50}},
       kTcpDstRetrans, kTcpDstOutOfOrder, 0, 2},
      {"a jump shorter than its segment: the copy starts below the mark and is a resend",
       handshake() + std::vector<Seg>{{kResp, P | A, 5026, 1001, 50}, {kResp, P | A, 5026, 1001, 50}},
       kTcpDstRetrans, 0, 0, 1},
      {"after a jump, a copy ending below the side's highest number came out of order",
       handshake() + std::vector<Seg>{{kResp, P | A, 5051, 1001, 100}, {kResp, P | A, 5051, 1001, 50}},
       kTcpDstOutOfOrder, kRetransBits, 0, 0},
      {"a jump within the report: its first copy is no resend, the second is",
       handshake() + std::vector<Seg>{{kResp, P | A, 5001, 1001, 50}, {kResp, P | A, 5101, 1001, 50},
                                      {kResp, P | A, 5101, 1001, 50}, {kResp, P | A, 5101, 1001, 50}},
       kTcpDstRetrans, 0, 0, 1},
      {"the other side acknowledging after the jump: the copy is a resend",
       handshake() + std::vector<Seg>{{kResp, P | A, 5001, 1001, 50}, {kResp, P | A, 5101, 1001, 50},
                                      {kInit, A, 1001, 5051}, {kResp, P | A, 5101, 1001, 50}},
       kTcpDstRetrans, 0, 0, 1},
      {"the other side acknowledging before the jump only: the copy is no resend",
       handshake() + std::vector<Seg>{{kResp, P | A, 5001, 1001, 50}, {kInit, A, 1001, 5051},
                                      {kResp, P | A, 5101, 1001, 50}, {kResp, P | A, 5101, 1001, 50}},
       0, kRetransBits, 0, 0},
      {"data at the other side's acknowledgement fills the gap as a resend, not out of order",
       handshake() + std::vector<Seg>{{kResp, P | A, 5001, 1001, 50}, {kInit, A, 1001, 5051},
                                      {kResp, P | A, 5101, 1001, 50}, {kResp, P | A, 5051, 1001, 50}},
       kTcpDstRetrans, kTcpDstOutOfOrder, 0, 1},
      {"data filling the gap up to the highest number, before the other side answers: a resend from below the mark",
       handshake() + std::vector<Seg>{{kResp, P | A, 5001, 1001, 50}, {kResp, P | A, 5101, 1001, 50},
                                      {kResp, P | A, 5051, 1001, 100}},
       kTcpDstRetrans, kTcpDstOutOfOrder, 0, 1},
      {"late data takes the mark on: once it reaches the highest number, a copy is a resend again",
       handshake() + std::vector<Seg>{{kResp, P | A, 5101, 1001, 100}, {kResp, P | A, 5051, 1001, 100},
                                      {kResp, P | A, 5061, 1001, 10}},
       kTcpDstRetrans | kTcpDstOutOfOrder, 0, 0, 1},
      {"after the side's FIN, a resend starting below it counts twice, also when it runs past it",
       handshake() + std::vector<Seg>{{kResp, P | A, 5001, 1001, 150}, {kResp, F | A, 5151, 1001},
                                      {kResp, P | A, 5101, 1001, 100}},
       kTcpDstRetrans, kTcpDstOutOfOrder, 0, 2},
      {"the copy of a jumped segment that carried a FIN is a resend (once)",
       handshake() + std::vector<Seg>{{kResp, P | A | F, 5051, 1001, 50}, {kResp, P | A, 5051, 1001, 50}},
       kTcpDstRetrans, 0, 0, 1},
      {"ECN-echo on a connection whose SYN did not offer ECN marks nothing",
       handshake() + std::vector<Seg>{{kInit, A | E, 1001, 5001}, {kResp, A | E, 5001, 1001}}, 0,
       kTcpSrcCongested | kTcpDstCongested | kTcpOptSrcEcn},
      {"ECN-setup SYN: the offer is noted (argus's src ECN option), the SYN's own ECE marks nothing",
       {{kInit, S | E | C, 1000}, {kResp, S | A, 5000, 1001}, {kInit, A, 1001, 5001}}, kTcpOptSrcEcn,
       kTcpSrcCongested | kTcpDstCongested},
      {"a SYN with ECE alone (no CWR) offers nothing: later echoes mark nothing",
       {{kInit, S | E, 1000}, {kResp, S | A | E, 5000, 1001}, {kInit, A | E, 1001, 5001}}, 0,
       kTcpSrcCongested | kTcpDstCongested | kTcpOptSrcEcn},
      {"after the offer, the SYN-ACK's accepting ECE marks the destination (server) side",
       {{kInit, S | E | C, 1000}, {kResp, S | A | E, 5000, 1001}, {kInit, A, 1001, 5001}},
       kTcpOptSrcEcn | kTcpDstCongested, kTcpSrcCongested},
      {"after the offer, the client's echo marks the source side, even if the server declined",
       {{kInit, S | E | C, 1000}, {kResp, S | A, 5000, 1001}, {kInit, A | E, 1001, 5001}},
       kTcpOptSrcEcn | kTcpSrcCongested, kTcpDstCongested},
  };
}

class TcpTrack : public ::testing::TestWithParam<TcpCase> {};

TEST_P(TcpTrack, StatusBits) {
  const TcpCase& c = GetParam();
  SCOPED_TRACE(c.desc);
  TcpRare hs;
  const TcpState t = track(c.segs, &hs);
  EXPECT_EQ(t.status & c.want_set, c.want_set) << std::hex << "status 0x" << t.status;
  EXPECT_EQ(t.status & c.want_clear, 0u) << std::hex << "status 0x" << t.status;
  if (c.src_retrans) {
    EXPECT_EQ(hs.retrans[0], *c.src_retrans);
  }
  if (c.dst_retrans) {
    EXPECT_EQ(hs.retrans[1], *c.dst_retrans);
  }
}

std::string tcp_case_name(const ::testing::TestParamInfo<TcpCase>& info) {
  std::string s = std::to_string(info.index) + "_";
  for (char ch : info.param.desc) {
    if (std::isalnum(static_cast<unsigned char>(ch))) {
      s += ch;
    } else if (s.back() != '_') {
      s += '_';
    }
  }
  while (s.back() == '_') s.pop_back();
  return s;
}

INSTANTIATE_TEST_SUITE_P(Segments, TcpTrack, ::testing::ValuesIn(cases()), tcp_case_name);

TEST(TcpTrackDetail, HandshakeTimesAndSequenceRanges) {
  TcpRare hs;
  const TcpState t = track(handshake() + std::vector<Seg>{{kInit, P | A, 1001, 5001, 18},
                                                            {kResp, P | A, 5001, 1019, 30}},
                           &hs);
  EXPECT_EQ(hs.synack_us, 10000u);
  EXPECT_EQ(hs.ackdat_us, 10000u);
  EXPECT_EQ(t.dir[0].seqbase, 1000u);
  EXPECT_EQ(t.dir[0].seq_high, 1019u);
  EXPECT_EQ(t.dir[1].seqbase, 5000u);
  EXPECT_EQ(t.dir[1].seq_high, 5031u);
  EXPECT_EQ(t.dir[1].ack, 1019u);
  EXPECT_EQ(t.dir[0].flags, S | A | P);
  EXPECT_EQ(tcp_dir_status(t, 0), kTcpEstablished) << "the initiator's ACK completed the handshake";
  EXPECT_EQ(tcp_dir_status(t, 1), kTcpSawSynSent) << "the responder sent the SYN-ACK";
}

// argus marks a side's own resend, reset, zero window and out-of-order data
// in its block with both sides' bits; the connection word names the side.
TEST(TcpTrackDetail, BlocksCarryBothSidesBitsForTheirOwnEvents) {
  const TcpState t = track(handshake() + std::vector<Seg>{data(kInit, 1001, 5001, 100, 3),
                                                          data(kInit, 1001, 5001, 100, 4),
                                                          {kResp, R | A, 5001, 1101}});
  EXPECT_EQ(t.status & (kRetransBits | kResetBits), kTcpSrcRetrans | kTcpDstReset) << std::hex << t.status;
  EXPECT_EQ(tcp_dir_status(t, 0), kTcpEstablished | kRetransBits) << std::hex << tcp_dir_status(t, 0);
  EXPECT_EQ(tcp_dir_status(t, 1), kTcpSawSynSent | kResetBits) << std::hex << tcp_dir_status(t, 1);
}

// A flow picked up mid-stream: argus judges the other side's data by no
// acknowledgement of the flow's first segment, only by the side's later ones.
TEST(TcpTrackDetail, FirstSegmentsAcknowledgementJudgesNothing) {
  TcpRare hs;
  track({{kInit, A, 1001, 5101}, data(kResp, 5001, 1001, 100, 3), data(kResp, 5001, 1001, 100, 4)}, &hs);
  EXPECT_EQ(hs.retrans[1], 0u) << "data below the first segment's ack, and its copy, are no resends";
  track({{kInit, A, 1001, 5101}, data(kResp, 5001, 1001, 100, 3), {kInit, A, 1001, 5101},
         data(kResp, 5001, 1001, 100, 4)},
        &hs);
  EXPECT_EQ(hs.retrans[1], 1u) << "once the side acknowledges again, a copy of acknowledged data is one";
}

// ARGUS_TRACK_DUPLICATES: a data segment with the id of its side's previous
// data segment is a copy made on the way, not a resend by the sender.
TEST(TcpTrackDuplicates, SameIdIsADuplicateNotAResend) {
  const std::vector<Seg> segs = handshake() + std::vector<Seg>{data(kInit, 1001, 5001, 100, 3),
                                                               data(kInit, 1001, 5001, 100, 3)};
  TcpRare hs;
  TcpState t = track(segs, &hs, {}, true);
  EXPECT_EQ(t.status & (kTcpSrcDuplicates | kTcpDstDuplicates), kTcpSrcDuplicates) << std::hex << t.status;
  EXPECT_EQ(t.status & kRetransBits, 0u);
  EXPECT_EQ(hs.retrans[0], 0u);
  EXPECT_EQ(tcp_dir_status(t, 0) & kTcpSrcDuplicates, kTcpSrcDuplicates);
  // Without tracking the copy is an ordinary resend.
  t = track(segs, &hs);
  EXPECT_EQ(t.status & (kTcpSrcDuplicates | kTcpDstDuplicates), 0u);
  EXPECT_EQ(hs.retrans[0], 1u);
}

TEST(TcpTrackDuplicates, ResponderDuplicateIsMarkedInTheInitiatorsBlock) {
  const TcpState t = track(handshake() + std::vector<Seg>{data(kResp, 5001, 1001, 100, 9),
                                                          data(kResp, 5001, 1001, 100, 9)},
                           nullptr, {}, true);
  EXPECT_EQ(t.status & (kTcpSrcDuplicates | kTcpDstDuplicates), kTcpDstDuplicates) << std::hex << t.status;
  EXPECT_EQ(tcp_dir_status(t, 0) & (kTcpSrcDuplicates | kTcpDstDuplicates), kTcpDstDuplicates);
  EXPECT_EQ(tcp_dir_status(t, 1) & (kTcpSrcDuplicates | kTcpDstDuplicates), 0u);
}

TEST(TcpTrackDuplicates, IdZeroAndTheFlowsFirstSegmentNeverMatch) {
  TcpRare hs;
  TcpState t = track(handshake() + std::vector<Seg>{data(kInit, 1001, 5001, 100, 0), data(kInit, 1001, 5001, 100, 0)},
                     &hs, {}, true);
  EXPECT_EQ(t.status & kTcpSrcDuplicates, 0u) << "id 0 (and IPv6, which has none) is no id";
  EXPECT_EQ(hs.retrans[0], 1u);
  t = track({data(kInit, 1001, 5001, 100, 7), data(kInit, 1001, 5001, 100, 7)}, &hs, {}, true);
  EXPECT_EQ(t.status & kTcpSrcDuplicates, 0u) << "a flow picked up mid-stream keeps no id of its first segment";
}

TEST(TcpTrackDuplicates, ItsSequenceAckAndFinAreNotTracked) {
  TcpRare hs;
  const TcpState t = track(handshake() + std::vector<Seg>{data(kResp, 5001, 1001, 10, 2),
                                                          data(kInit, 1001, 5001, 100, 3),
                                                          {kInit, P | A | F, 1101, 5011, 100, 8192, 0, 0, 3}},
                           &hs, {}, true);
  EXPECT_EQ(t.dir[0].seq_high, 1101u) << "the duplicate's new data does not move the highest sequence number";
  EXPECT_EQ(t.dir[0].ack, 5001u) << "nor does its acknowledgement count";
  EXPECT_EQ(t.status & kTcpFinSeen, 0u) << "nor its FIN";
  EXPECT_EQ(t.dir[0].flags & F, F) << "its flags do";
}

// After a duplicate copying earlier data, argus takes the side's next new
// segment that follows on for a resend, unless the other side spoke.
TEST(TcpTrackDuplicates, NextSegmentAfterADuplicateCopy) {
  TcpRare hs;
  const std::vector<Seg> dup = handshake() + std::vector<Seg>{data(kInit, 1001, 5001, 100, 3),
                                                              data(kInit, 1001, 5001, 100, 3)};
  track(dup + std::vector<Seg>{data(kInit, 1101, 5001, 100, 4)}, &hs, {}, true);
  EXPECT_EQ(hs.retrans[0], 1u) << "follows on: a resend";
  track(dup + std::vector<Seg>{{kResp, A, 5001, 1101}, data(kInit, 1101, 5001, 100, 4)}, &hs, {}, true);
  EXPECT_EQ(hs.retrans[0], 0u) << "the other side's ACK between clears the mark";
  track(dup + std::vector<Seg>{data(kInit, 1201, 5001, 100, 4), data(kInit, 1301, 5001, 100, 5)}, &hs, {}, true);
  EXPECT_EQ(hs.retrans[0], 0u) << "a jump ahead is no resend, and spends the mark";
  track(handshake() + std::vector<Seg>{data(kInit, 1001, 5001, 100, 3), data(kInit, 1101, 5001, 100, 3),
                                       data(kInit, 1201, 5001, 100, 4)},
        &hs, {}, true);
  EXPECT_EQ(hs.retrans[0], 0u) << "a duplicate carrying new data leaves no mark";
}

TEST(TcpTrackDetail, OptionsAndWindowScaleComeFromTheSyn) {
  const uint32_t opts = kTcpOptMss | kTcpOptWscale | kTcpOptSackOk | kTcpOptTimestamp;
  const TcpState t = track({{kInit, S, 1000, 0, 0, 64240, opts, 7},
                              {kResp, S | A, 5000, 1001, 0, 65160, opts, 9},
                              {kInit, A, 1001, 5001, 0, 502, kTcpOptTimestamp, 0}});
  EXPECT_EQ(t.options(), opts);
  EXPECT_EQ(t.status & kTcpOptMask, opts) << "options share the connection word";
  EXPECT_EQ(t.dir[0].bits & kTcpDirWscaleMask, 7);
  EXPECT_EQ(t.dir[1].bits & kTcpDirWscaleMask, 9);
  EXPECT_EQ(t.dir[0].win, 502) << "last advertised window, unscaled";
}

TEST(TcpTrackDetail, ReturnsTrueForARetransmission) {
  TcpState t;
  TcpRare hs{};
  std::memset(&t, 0, sizeof t);
  const std::vector<Seg> segs = handshake();
  for (size_t i = 0; i < segs.size(); ++i)
    EXPECT_FALSE(tcp_track(t, hs, segment(segs[i]), segs[i].dir, kT0 + i * kMs, i == 0));
  const Seg data{kInit, P | A, 1001, 5001, 100};
  EXPECT_FALSE(tcp_track(t, hs, segment(data), kInit, kT0 + 10 * kMs, false));
  EXPECT_TRUE(tcp_track(t, hs, segment(data), kInit, kT0 + 20 * kMs, false));
  EXPECT_EQ(tcp_dir_status(t, 0) & kTcpSrcRetrans, kTcpSrcRetrans);
  EXPECT_EQ(tcp_dir_status(t, 1), kTcpSawSynSent) << "the other side resent nothing";
}

TEST(TcpTrackDetail, HandshakeIsTimedFromTheLastSynAndGoesOnAfterARefusalOnly) {
  // argus times SYN to SYN-ACK from the last SYN sent.
  TcpRare hs;
  track({{kInit, S, 1000}, {kInit, S, 1000}, {kResp, S | A, 5000, 1001}, {kInit, A, 1001, 5001}}, &hs);
  EXPECT_EQ(hs.synack_us, 10000u) << "from the resent SYN, not the first";
  EXPECT_EQ(hs.ackdat_us, 10000u);
  // The responder refuses the SYN (its reset acknowledges it), then
  // accepts it after all: the handshake goes on, timed from the SYN.
  TcpState t = track({{kInit, S, 1000}, {kResp, R | A, 0, 1001}, {kResp, S | A, 5000, 1001},
                      {kInit, A, 1001, 5001}},
                     &hs);
  EXPECT_EQ(hs.synack_us, 20000u) << "a refusal leaves the handshake open";
  EXPECT_EQ(hs.ackdat_us, 10000u);
  EXPECT_TRUE(t.status & kTcpEstablished);
  EXPECT_FALSE(hs.flags & kHsClosed);
  // The initiator's own reset of its SYN is a refusal too, and the SYN-ACK
  // is timed from the reset.
  t = track({{kInit, S, 1000}, {kInit, R, 1001}, {kResp, S | A, 5000, 1001}, {kInit, A, 1001, 5001}}, &hs);
  EXPECT_EQ(hs.synack_us, 10000u);
  EXPECT_TRUE(t.status & kTcpEstablished);
}

TEST(TcpTrackDetail, HandshakeTimesAreBetweenMicrosecondStamps) {
  // argus truncates each packet's time to microseconds before it subtracts:
  // 127.521774 ms between .000505488 and .128027262 is 127522 us, and the
  // ACK 87.895 us later (at .128115157) is 88 us.
  TcpRare hs;
  track({{kInit, S, 1000}, {kResp, S | A, 5000, 1001}, {kInit, A, 1001, 5001}}, &hs,
        {kT0 + 505488, kT0 + 128027262, kT0 + 128115157});
  EXPECT_EQ(hs.synack_us, 127522u);
  EXPECT_EQ(hs.ackdat_us, 88u);
}

TEST(TcpTrackDetail, AResetOtherThanARefusalClosesTheConnection) {
  // A reset that does not acknowledge the SYN, or one after the SYN-ACK:
  // argus takes no later SYN-ACK or ACK for a handshake step (no timing, no
  // SYN-ACK or established bit), also in later reports.
  struct Case {
    const char* what;
    std::vector<Seg> steps;
  };
  const Case cases[] = {
      {"responder's reset without ACK",
       {{kInit, S, 1000}, {kResp, R, 0}, {kResp, S | A, 5000, 1001}, {kInit, A, 1001, 5001}}},
      {"responder's reset acknowledging something else",
       {{kInit, S, 1000}, {kResp, R | A, 0, 1005}, {kResp, S | A, 5000, 1001}, {kInit, A, 1001, 5001}}},
  };
  for (const Case& c : cases) {
    TcpRare hs;
    const TcpState t = track(c.steps, &hs);
    EXPECT_TRUE(hs.flags & kHsClosed) << c.what;
    EXPECT_EQ(hs.synack_us, 0u) << c.what;
    EXPECT_EQ(hs.ackdat_us, 0u) << c.what;
    EXPECT_FALSE(t.status & (kTcpSawSynSent | kTcpEstablished)) << c.what;
  }
  TcpRare hs;
  const TcpState t = track({{kInit, S, 1000}, {kResp, S | A, 5000, 1001}, {kResp, R | A, 5001, 1001},
                            {kInit, A, 1001, 5001}},
                           &hs);
  EXPECT_TRUE(hs.flags & kHsClosed) << "the responder's reset after its SYN-ACK";
  EXPECT_EQ(hs.synack_us, 10000u);
  EXPECT_EQ(hs.ackdat_us, 0u);
  EXPECT_FALSE(t.status & kTcpEstablished) << "the ACK after the reset establishes nothing";
}

TEST(TcpTrackDetail, ConnectionAttemptStartedAfreshAndSimultaneousOpen) {
  TcpRare hs;
  // A second SYN with a new ISN is a resend; the base stays the first ISN.
  TcpState t = track({{kInit, S, 1000}, {kInit, S, 900000}}, &hs);
  EXPECT_TRUE(t.status & kTcpSrcRetrans);
  EXPECT_EQ(hs.retrans[0], 1u);
  EXPECT_EQ(t.dir[0].seqbase, 1000u);
  // A SYN-ACK sent again acknowledging the new SYN: resent, and the ACK
  // after it goes untimed (argus times from a SYN-ACK of the first SYN only).
  t = track({{kInit, S, 1000}, {kResp, S | A, 5000, 1001}, {kInit, S, 900000}, {kResp, S | A, 7000, 900001},
             {kInit, A, 900001, 7001}},
            &hs);
  EXPECT_EQ(t.status & kRetransBits, kRetransBits);
  EXPECT_EQ(hs.synack_us, 10000u);
  EXPECT_EQ(hs.ackdat_us, 0u);
  // ... one acknowledging the first SYN times the ACK from itself.
  track({{kInit, S, 1000}, {kResp, S | A, 5000, 1001}, {kInit, S, 900000}, {kResp, S | A, 7000, 1001},
         {kInit, A, 1001, 7001}},
        &hs);
  EXPECT_EQ(hs.ackdat_us, 10000u);
  // Simultaneous open, as argus counts it: every SYN after the connection's
  // first, and every SYN-ACK after its first, is a resend, from either side.
  // The responder's bare SYN is one, and gives its side no base; the
  // initiator's SYN-ACK, the first, is not, and leaves the SYN-ACK untimed;
  // the responder's SYN-ACK after it is a resend that times the ACK.
  t = track({{kInit, S, 1000}, {kResp, S, 5000}, {kInit, S | A, 1000, 5001}, {kResp, S | A, 5000, 1001},
             {kInit, A, 1001, 5001}},
            &hs);
  EXPECT_EQ(hs.retrans[1], 2u);
  EXPECT_EQ(hs.retrans[0], 0u);
  EXPECT_EQ(hs.synack_us, 0u);
  EXPECT_EQ(hs.ackdat_us, 10000u);
  EXPECT_EQ(t.dir[1].seqbase, 5000u) << "the responder's base from its SYN-ACK";
  // Without the responder's SYN-ACK the ACK goes untimed.
  track({{kInit, S, 1000}, {kResp, S, 5000}, {kInit, S | A, 1000, 5001}, {kInit, A, 1001, 5001}}, &hs);
  EXPECT_EQ(hs.ackdat_us, 0u);
  // The responder's SYN-ACK first: timed from the SYN (its own SYN between
  // changes nothing); the initiator's SYN-ACK after it is a resend.
  track({{kInit, S, 1000}, {kResp, S, 5000}, {kResp, S | A, 5000, 1001}, {kInit, S | A, 1000, 5001},
         {kInit, A, 1001, 5001}},
        &hs);
  EXPECT_EQ(hs.retrans[0], 1u);
  EXPECT_EQ(hs.retrans[1], 1u);
  EXPECT_EQ(hs.synack_us, 20000u);
  EXPECT_EQ(hs.ackdat_us, 20000u);
  // The responder's bare SYN, then its ACK: the base is the ACK's own
  // number, and that ACK establishes the connection.
  t = track({{kInit, S, 1000}, {kResp, S, 5000}, {kResp, A, 5001, 1001}}, &hs);
  EXPECT_EQ(hs.retrans[1], 1u);
  EXPECT_EQ(t.dir[1].seqbase, 5001u);
  EXPECT_TRUE(t.status & kTcpEstablished);
}

TEST(TcpTrackDetail, FirstAckWithoutSynOrResetEstablishesFromEitherSide) {
  TcpRare hs;
  TcpState t = track({{kInit, S, 1000}, {kResp, S | A, 5000, 1001}, {kResp, A, 5001, 1001}}, &hs);
  EXPECT_TRUE(t.status & kTcpEstablished) << "the responder's ACK";
  EXPECT_EQ(hs.ackdat_us, 0u) << "only the initiator's ACK is timed";
  t = track({{kInit, S, 1000}, {kResp, A, 5001, 1001}});
  EXPECT_TRUE(t.status & kTcpEstablished) << "no SYN-ACK on record";
  t = track({{kInit, S, 1000}, {kResp, R | A, 0, 1001}});
  EXPECT_FALSE(t.status & kTcpEstablished) << "a reset answering the SYN";
  t = track({{kInit, S, 1000}, {kResp, S | A, 5000, 1001}, {kInit, R | A, 1001, 5001}});
  EXPECT_FALSE(t.status & kTcpEstablished) << "the initiator's reset after the SYN-ACK";
}

TEST(TcpTrackDetail, SequenceBaseAndHighestAsArgusReportsThem) {
  // The SYN takes no place in the highest sequence number (a later report's
  // base), and a flow picked up mid-stream has its base one before its first
  // sequence number, where a SYN would have been.
  TcpState t = track(handshake());
  EXPECT_EQ(t.dir[0].seqbase, 1000u);
  EXPECT_EQ(t.dir[0].seq_high, 1000u);
  EXPECT_EQ(t.dir[1].seq_high, 5000u);
  t = track({{kInit, P | A, 7000, 300, 100}, {kResp, A, 300, 7100}});
  EXPECT_EQ(t.dir[0].seqbase, 6999u);
  EXPECT_EQ(t.dir[0].seq_high, 7100u);
  EXPECT_EQ(t.dir[1].seqbase, 300u) << "the other side's first segment, a pure ACK: its own number";
  // Wrapping: a base just past 2^32 - 1, data across the wrap.
  t = track({{kInit, S, 0xffffffffu}, {kResp, S | A, 5000, 0}, {kInit, A, 0, 5001},
             {kInit, P | A, 0, 5001, 100}});
  EXPECT_EQ(t.dir[0].seqbase, 0xffffffffu);
  EXPECT_EQ(t.dir[0].seq_high, 100u);
}

TEST(TcpTrackDetail, WindowLeavesOutZeroWindowsAndALaterFin) {
  // The record's window is the last one advertised, but not a zero window
  // (that shows as window shut) and not a FIN's, unless the FIN is all the
  // side has sent.
  TcpState t = track(handshake() + std::vector<Seg>{{kResp, A, 5001, 1001, 0, 500},
                                                     {kResp, A, 5001, 1001, 0, 0},
                                                     {kResp, F | A, 5001, 1001, 0, 900}});
  EXPECT_EQ(t.dir[1].win, 500);
  EXPECT_EQ(t.status & kTcpDstWindowShut, kTcpDstWindowShut) << "the zero window shows as window shut";
  t = track({{kInit, F | A, 7000, 300, 0, 900}});
  EXPECT_EQ(t.dir[0].win, 900);
}

// ---- through the flow table, from real frames -----------------------------

const Ip4 kClient{192, 168, 1, 10};
const Ip4 kServer{192, 168, 1, 20};

ParsedPacket tcp_pkt(unsigned dir, uint8_t flags, uint32_t seq, uint32_t ack, size_t len,
                     uint64_t ts, uint16_t win = 8192) {
  const TcpHdr h{.sport = static_cast<uint16_t>(dir == kInit ? 40000 : 80),
                 .dport = static_cast<uint16_t>(dir == kInit ? 80 : 40000),
                 .seq = seq, .ack = ack, .flags = flags, .win = win};
  const Ip4Hdr ip{.src = dir == kInit ? kClient : kServer, .dst = dir == kInit ? kServer : kClient};
  return parsed(eth_ipv4(ip, tcp(h, payload(len))), ts);
}

TEST(TcpThroughTable, RetransmissionBitIsPerReportConnectionBitsPersist) {
  FlowTable t(table_config());
  Collector out;
  feed(t,
       {tcp_pkt(kInit, S, 1000, 0, 0, kT0), tcp_pkt(kResp, S | A, 5000, 1001, 0, kT0 + 10 * kMs),
        tcp_pkt(kInit, A, 1001, 5001, 0, kT0 + 20 * kMs),
        tcp_pkt(kInit, P | A, 1001, 5001, 100, kT0 + 30 * kMs),
        tcp_pkt(kInit, P | A, 1001, 5001, 100, kT0 + 40 * kMs),  // same seq again
        // next status interval: new data only
        tcp_pkt(kInit, P | A, 1101, 5001, 100, kT0 + 6 * kSec),
        tcp_pkt(kResp, A, 5001, 1201, 0, kT0 + 6 * kSec + 10 * kMs)},
       out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  const FlowRecord& r1 = out.recs[0];
  const FlowRecord& r2 = out.recs[1];
  EXPECT_TRUE(r1.flags & kRecTcp);
  EXPECT_EQ(r1.tcp.status & kTcpSrcRetrans, kTcpSrcRetrans);
  EXPECT_EQ(r1.tcp.dir[0].retrans, 1u);
  EXPECT_EQ(r2.tcp.status & kTcpSrcRetrans, 0u) << "retransmission bits are per report";
  EXPECT_EQ(r2.tcp.dir[0].retrans, 0u);
  const uint32_t conn = kTcpSawSyn | kTcpSawSynSent | kTcpEstablished;
  EXPECT_EQ(r2.tcp.status & conn, conn) << "connection state carries over";
  EXPECT_EQ(r2.tcp.dir[0].seqbase, 1101u) << "the next report's range starts where the last ended";
  EXPECT_EQ(r2.tcp.dir[0].seq_high, 1201u);
  EXPECT_EQ(r2.tcp.dir[0].payload_bytes, 100u);
}

TEST(TcpThroughTable, ResponderFirstSegmentIsNotTheInitiator) {
  // A SYN-ACK seen before any SYN: the sender of the first packet is src.
  FlowTable t(table_config());
  Collector out;
  feed(t, {tcp_pkt(kResp, S | A, 5000, 1001, 0, kT0), tcp_pkt(kInit, A, 1001, 5001, 0, kT0 + kMs)},
       out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  EXPECT_EQ(Bytes(out.recs[0].key.src, out.recs[0].key.src + 4), bytes_of(kServer));
  EXPECT_EQ(out.recs[0].key.sport, 80);
  EXPECT_EQ(out.recs[0].tcp.status & kTcpSawSynSent, kTcpSawSynSent);
}

TEST(TcpThroughTable, MidStreamSegmentsBeforeThePeerIsHeardAreNotCounted) {
  // Picked up mid-stream: after the first segment, argus leaves a side's
  // data out of the TCP byte count and the highest sequence number until the
  // other side is heard (ra then shows the gap); -A counts every byte.
  FlowTable t(table_config());
  Collector out;
  feed(t,
       {tcp_pkt(kInit, P | A, 7000, 300, 100, kT0), tcp_pkt(kInit, P | A, 7100, 300, 100, kT0 + kMs),
        tcp_pkt(kResp, A, 300, 7200, 0, kT0 + 2 * kMs), tcp_pkt(kInit, P | A, 7200, 300, 100, kT0 + 3 * kMs)},
       out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  const FlowRecord& r = out.recs[0];
  EXPECT_EQ(r.tcp.dir[0].seqbase, 6999u);
  EXPECT_EQ(r.tcp.dir[0].payload_bytes, 200u);
  EXPECT_EQ(r.tcp.dir[0].seq_high, 7300u);
  EXPECT_EQ(r.dir[0].app_bytes, 300u);
  // A flow that began with a SYN counts everything.
  FlowTable t2(table_config());
  Collector out2;
  feed(t2,
       {tcp_pkt(kInit, S, 1000, 0, 0, kT0), tcp_pkt(kInit, A, 1001, 5001, 0, kT0 + kMs),
        tcp_pkt(kInit, P | A, 1001, 5001, 100, kT0 + 2 * kMs)},
       out2);
  t2.flush_all(0, out2);
  ASSERT_EQ(out2.recs.size(), 1u);
  EXPECT_EQ(out2.recs[0].tcp.dir[0].payload_bytes, 100u);
}

TEST(TcpThroughTable, ZeroWindowSetsWindowShutForThatSide) {
  FlowTable t(table_config());
  Collector out;
  feed(t, {tcp_pkt(kInit, S, 1000, 0, 0, kT0), tcp_pkt(kResp, S | A, 5000, 1001, 0, kT0 + kMs),
           tcp_pkt(kInit, A, 1001, 5001, 0, kT0 + 2 * kMs),
           tcp_pkt(kResp, A, 5001, 1001, 0, kT0 + 3 * kMs, 0)},
       out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  EXPECT_EQ(out.recs[0].tcp.status & kTcpDstWindowShut, kTcpDstWindowShut);
  EXPECT_EQ(out.recs[0].tcp.status & kTcpSrcWindowShut, 0u);
}

// The records of `pkts` through a fresh table, every flow flushed at the end.
std::vector<FlowRecord> through_table(const std::vector<ParsedPacket>& pkts) {
  FlowTable t(table_config());
  Collector out;
  feed(t, pkts, out);
  t.flush_all(0, out);
  return out.recs;
}

std::vector<ParsedPacket> operator+(std::vector<ParsedPacket> a, const std::vector<ParsedPacket>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(TcpThroughTable, CopyOfAMidStreamFirstSegmentDependsOnItsSendersAddress) {
  // Picked up mid-stream, the other side heard, then a copy of the first
  // segment: no resend when the first segment came from the lower IPv4
  // address (first in argus's storage order), a resend from the higher.
  for (unsigned first : {kInit, kResp}) {
    const auto r = through_table({tcp_pkt(first, P | A, 7000, 301, 50, kT0),
                                  tcp_pkt(first ^ 1, A, 301, 7000, 0, kT0 + kMs),
                                  tcp_pkt(first, P | A, 7000, 301, 50, kT0 + 2 * kMs)});
    ASSERT_EQ(r.size(), 1u);
    // The record's src is the first segment's sender.
    EXPECT_EQ(r[0].tcp.dir[0].retrans, first == kInit ? 0u : 1u)
        << (first == kInit ? "from the lower address" : "from the higher address");
  }
}

TEST(TcpThroughTable, CopyOfAMidStreamFirstSegmentWithAFinIsAResendFromEitherAddress) {
  // The same with a FIN on the first segment (data and FIN: argus counts no
  // FIN of the flow), the other side acknowledging half of it or none: the
  // segment's data counts as sent whichever endpoint sent it, so a copy of
  // its second half is a resend from the lower address too.
  for (unsigned first : {kInit, kResp}) {
    for (uint32_t acked : {7050u, 7000u}) {
      const auto r = through_table({tcp_pkt(first, P | A | F, 7000, 301, 100, kT0),
                                    tcp_pkt(first ^ 1, A, 301, acked, 0, kT0 + kMs),
                                    tcp_pkt(first, P | A, 7050, 301, 50, kT0 + 2 * kMs)});
      ASSERT_EQ(r.size(), 1u);
      EXPECT_EQ(r[0].tcp.dir[0].retrans, 1u)
          << (first == kInit ? "from the lower address" : "from the higher address") << ", acknowledged to "
          << acked;
      EXPECT_EQ(r[0].tcp.status & kTcpFinSeen, 0u);
    }
  }
}

TEST(TcpThroughTable, ResendsAfterAMidStreamFirstSegmentWithAFinCountAsAfterAFin) {
  // Picked up at the initiator's data and FIN (0-100 past 7000), the other
  // side acknowledging 100 or 50: in that report a copy counts two resends,
  // as after a FIN, when it starts in the first segment below the
  // acknowledgement or past the segment below the side's highest number;
  // one otherwise, and one in a later report.
  struct Case {
    const char* what;
    uint32_t acked;
    std::vector<std::pair<uint32_t, uint32_t>> data;  // the initiator's segments after the ACK: seq, len
    uint64_t pause_ns;                                // before them
    uint32_t want;
  };
  const Case cases[] = {
      {"copy 50-100, all acknowledged", 7100, {{7050, 50}}, 0, 2},
      {"copy 0-50, half acknowledged", 7050, {{7000, 50}}, 0, 2},
      {"copy 50-100 from the acknowledgement", 7050, {{7050, 50}}, 0, 1},
      {"new data 100-150, then a copy of it", 7100, {{7100, 50}, {7100, 50}}, 0, 2},
      {"copy 50-100 in the next report", 7100, {{7050, 50}}, 6 * kSec, 1},
  };
  for (const Case& c : cases) {
    std::vector<ParsedPacket> pkts = {tcp_pkt(kInit, P | A | F, 7000, 301, 100, kT0),
                                      tcp_pkt(kResp, A, 301, c.acked, 0, kT0 + kMs)};
    uint64_t ts = kT0 + 2 * kMs + c.pause_ns;
    for (const auto& [seq, len] : c.data) pkts.push_back(tcp_pkt(kInit, P | A, seq, 301, len, ts += kMs));
    const auto r = through_table(pkts);
    ASSERT_FALSE(r.empty()) << c.what;
    EXPECT_EQ(r.back().tcp.dir[0].retrans, c.want) << c.what;
  }
}

TEST(TcpThroughTable, TheOtherSidesFirstAcknowledgementPlacesAMidStreamSide) {
  // Picked up at the initiator's data (0-100 past 7000, no SYN), the
  // responder silent until a later report, where its first acknowledgement
  // comes before the initiator's next data (100-150) and a copy of it. argus
  // places the initiator at that acknowledgement: below the data, the new
  // segment jumps from it and its copy is neither a resend nor out of
  // order; at the data's end, the copy is a resend. An acknowledgement in
  // the first report already, or one after the jump, leaves the rule.
  struct Case {
    const char* what;
    std::vector<uint32_t> early_acks;  // the responder's, in the first report
    uint32_t ack;                      // its acknowledgement in the later report
    bool acks_the_jump;                // then acknowledges 150 and the initiator copies 150-200
    uint32_t want;
  };
  const Case cases[] = {
      {"acknowledging none of the data", {}, 7000, false, 0},
      {"acknowledging half of it", {}, 7050, false, 0},
      {"acknowledging all of it", {}, 7100, false, 1},
      {"having acknowledged none of it in the first report", {7000}, 7000, false, 1},
      {"none, then acknowledging the jump", {}, 7000, true, 1},
  };
  for (const Case& c : cases) {
    std::vector<ParsedPacket> pkts = {tcp_pkt(kInit, P | A, 7000, 301, 100, kT0)};
    uint64_t ts = kT0;
    for (uint32_t a : c.early_acks) pkts.push_back(tcp_pkt(kResp, A, 301, a, 0, ts += kMs));
    ts = kT0 + 6 * kSec;
    pkts.push_back(tcp_pkt(kResp, A, 301, c.ack, 0, ts));
    pkts.push_back(tcp_pkt(kInit, P | A, 7100, 301, 50, ts += kMs));
    pkts.push_back(tcp_pkt(kInit, P | A, 7100, 301, 50, ts += kMs));
    if (c.acks_the_jump) {
      pkts.push_back(tcp_pkt(kResp, A, 301, 7150, 0, ts += kMs));
      pkts.push_back(tcp_pkt(kInit, P | A, 7150, 301, 50, ts += kMs));
      pkts.push_back(tcp_pkt(kInit, P | A, 7150, 301, 50, ts += kMs));
    }
    const auto r = through_table(pkts);
    ASSERT_EQ(r.size(), 2u) << c.what;
    EXPECT_EQ(r[1].tcp.dir[0].retrans, c.want) << c.what;
    EXPECT_EQ(r[1].tcp.status & kTcpSrcOutOfOrder, 0u) << c.what;
  }
}

TEST(TcpThroughTable, NewConnectionOnTheSamePortsAfterAClose) {
  const std::vector<ParsedPacket> first = {
      tcp_pkt(kInit, S, 1000, 0, 0, kT0), tcp_pkt(kResp, S | A, 5000, 1001, 0, kT0 + kMs),
      tcp_pkt(kInit, A, 1001, 5001, 0, kT0 + 2 * kMs), tcp_pkt(kInit, P | A, 1001, 5001, 100, kT0 + 3 * kMs),
      tcp_pkt(kResp, A, 5001, 1101, 0, kT0 + 4 * kMs), tcp_pkt(kInit, F | A, 1101, 5001, 0, kT0 + 5 * kMs)};
  const std::vector<ParsedPacket> fin_acked = {tcp_pkt(kResp, F | A, 5001, 1102, 0, kT0 + 6 * kMs),
                                               tcp_pkt(kInit, A, 1102, 5002, 0, kT0 + 7 * kMs)};
  auto second = [](uint32_t isn) {
    return std::vector<ParsedPacket>{
        tcp_pkt(kInit, S, isn, 0, 0, kT0 + kSec), tcp_pkt(kResp, S | A, 70000, isn + 1, 0, kT0 + kSec + kMs),
        tcp_pkt(kInit, A, isn + 1, 70001, 0, kT0 + kSec + 2 * kMs),
        tcp_pkt(kInit, P | A, isn + 1, 70001, 100, kT0 + kSec + 3 * kMs)};
  };
  // The FIN acknowledged: one flow; the new handshake is no resend, and the
  // initiator's new data, after its FIN, is out of order.
  auto r = through_table(first + fin_acked + second(90000));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].tcp.status & kRetransBits, 0u);
  EXPECT_EQ(r[0].tcp.status & (kTcpSrcOutOfOrder | kTcpDstOutOfOrder), kTcpSrcOutOfOrder);
  EXPECT_EQ(r[0].dir[0].pkts, 8u);
  // A new connection below the old one's numbers: its data segment repeats
  // old data, ending below the side's highest number: two resends.
  r = through_table(first + fin_acked + second(500));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].tcp.dir[0].retrans, 2u);
  EXPECT_EQ(r[0].tcp.dir[1].retrans, 0u);
  // Not acknowledged: the SYN starts a flow of its own.
  r = through_table(first + second(90000));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].dir[0].pkts, 4u);
  EXPECT_EQ(r[1].dir[0].pkts, 3u);
  EXPECT_EQ(r[1].tcp.dir[0].seqbase, 90000u);
  EXPECT_EQ(r[1].tcp.status & (kRetransBits | kTcpSrcOutOfOrder), 0u);
}

TEST(TcpThroughTable, AcknowledgementIsWrittenLessOne) {
  // argus writes a side's last acknowledgement less one (the last byte it
  // acknowledges), a FIN's too, and the last one sent, not the highest.
  auto r = through_table(
      {tcp_pkt(kInit, S, 1000, 0, 0, kT0), tcp_pkt(kResp, S | A, 5000, 1001, 0, kT0 + kMs),
       tcp_pkt(kInit, A, 1001, 5001, 0, kT0 + 2 * kMs), tcp_pkt(kInit, P | A, 1001, 5001, 100, kT0 + 3 * kMs),
       tcp_pkt(kInit, F | A, 1101, 5001, 0, kT0 + 4 * kMs), tcp_pkt(kResp, A, 5001, 1102, 0, kT0 + 5 * kMs),
       tcp_pkt(kResp, A, 5001, 1050, 0, kT0 + 6 * kMs)});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].tcp.dir[0].ack, 5000u);
  EXPECT_EQ(r[0].tcp.dir[1].ack, 1049u) << "the last acknowledgement, though an earlier one went further";
  // The handshake alone: the SYN-ACK's acknowledgement of the SYN.
  r = through_table({tcp_pkt(kInit, S, 1000, 0, 0, kT0), tcp_pkt(kResp, S | A, 5000, 1001, 0, kT0 + kMs)});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].tcp.dir[0].ack, 0u) << "a bare SYN acknowledges nothing";
  EXPECT_EQ(r[0].tcp.dir[1].ack, 1000u);
}

TEST(TcpThroughTable, FirstSegmentsAcknowledgementIsShownAsTheOtherSides) {
  // A flow picked up mid-stream: argus shows no acknowledgement for the side
  // whose only one came with the flow's first segment, and shows that one as
  // the other side's until the other side acknowledges, in later reports too.
  auto r = through_table({tcp_pkt(kInit, P | A, 7000, 301, 100, kT0), tcp_pkt(kInit, P | A, 7100, 307, 100, kT0 + kMs),
                          tcp_pkt(kInit, P | A, 7200, 307, 100, kT0 + 6 * kSec)});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].tcp.dir[0].ack, 306u) << "the side's second acknowledgement";
  EXPECT_EQ(r[0].tcp.dir[1].ack, 300u) << "the first segment's, for the silent side";
  EXPECT_EQ(r[1].tcp.dir[1].ack, 300u);
  // Only the first segment acknowledged anything: none for its sender; the
  // other side's own acknowledgement replaces the copy.
  r = through_table({tcp_pkt(kInit, P | A, 7000, 301, 100, kT0), tcp_pkt(kResp, A, 301, 7100, 0, kT0 + kMs)});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].tcp.dir[0].ack, 0u);
  EXPECT_EQ(r[0].tcp.dir[1].ack, 7099u);
  // A flow picked up at a FIN (bare or carrying data) lends the other side
  // nothing.
  for (uint32_t len : {0u, 50u}) {
    r = through_table({tcp_pkt(kInit, F | A, 7000, 301, len, kT0), tcp_pkt(kInit, F | A, 7000, 301, len, kT0 + kMs)});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].tcp.dir[0].ack, 300u) << len;
    EXPECT_EQ(r[0].tcp.dir[1].ack, 0u) << len;
  }
}

TEST(TcpThroughTable, UnacknowledgedBytesAsArgusCountsThem) {
  const std::vector<ParsedPacket> hs = {tcp_pkt(kInit, S, 1000, 0, 0, kT0),
                                        tcp_pkt(kResp, S | A, 5000, 1001, 0, kT0 + kMs),
                                        tcp_pkt(kInit, A, 1001, 5001, 0, kT0 + 2 * kMs)};
  // Three segments, the first of them acknowledged: two left.
  auto r = through_table(hs + std::vector<ParsedPacket>{tcp_pkt(kInit, P | A, 1001, 5001, 100, kT0 + 3 * kMs),
                                                         tcp_pkt(kInit, P | A, 1101, 5001, 100, kT0 + 4 * kMs),
                                                         tcp_pkt(kInit, P | A, 1201, 5001, 100, kT0 + 5 * kMs),
                                                         tcp_pkt(kResp, A, 5001, 1101, 0, kT0 + 6 * kMs)});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].tcp.dir[0].unacked_bytes, 200u);
  EXPECT_EQ(r[0].tcp.dir[1].unacked_bytes, 0u);
  // No acknowledgement in a later report: all that report's payload, not
  // what the one of an earlier report leaves.
  r = through_table(hs + std::vector<ParsedPacket>{tcp_pkt(kInit, P | A, 1001, 5001, 100, kT0 + 3 * kMs),
                                                    tcp_pkt(kInit, P | A, 1101, 5001, 100, kT0 + 6 * kSec),
                                                    tcp_pkt(kInit, P | A, 1201, 5001, 100, kT0 + 6 * kSec + kMs)});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].tcp.dir[0].unacked_bytes, 100u) << "the SYN-ACK acknowledged the SYN alone";
  EXPECT_EQ(r[1].tcp.dir[0].unacked_bytes, 200u);
  // Data resent below the last acknowledgement's reach still counts when the
  // other side acknowledges nothing newer in the report (a window probe).
  r = through_table(hs + std::vector<ParsedPacket>{tcp_pkt(kInit, P | A, 1001, 5001, 100, kT0 + 3 * kMs),
                                                    tcp_pkt(kResp, A, 5001, 1001, 0, kT0 + 6 * kSec),
                                                    tcp_pkt(kInit, P | A, 1001, 5001, 100, kT0 + 6 * kSec + kMs)});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].tcp.dir[0].unacked_bytes, 100u);
  // The other side never acknowledged: none.
  r = through_table({tcp_pkt(kInit, P | A, 7000, 301, 100, kT0), tcp_pkt(kInit, P | A, 7100, 301, 100, kT0 + kMs),
                     tcp_pkt(kInit, P | A, 7200, 301, 100, kT0 + 2 * kMs)});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].tcp.dir[0].unacked_bytes, 0u);
}

}  // namespace
}  // namespace argos::test
