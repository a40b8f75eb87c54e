// Argus v3 encoder: flow records and management records to wire bytes
// (argus-format.md sections 2-8). Serialises byte by byte in network order;
// never memcpy's structs.
#pragma once

#include <cstddef>
#include <cstdint>

#include "flowtable/flow_record.h"

namespace argos {

// Largest FAR this encoder writes (all optional DSRs present).
inline constexpr size_t kMaxFarBytes = 1536;
inline constexpr size_t kMarBytes = 128;
inline constexpr uint32_t kArgusCookie = 0xE5712DCB;

// Source (monitor) id forms (argus-format.md section 4).
enum class SrcIdType : uint8_t { kNone, kIPv4, kInt, kString };

struct SourceId {
  SrcIdType type = SrcIdType::kNone;
  uint32_t value = 0;  // IPv4 or integer in host order; string: 4 bytes in order, first byte high
};

// Parses an argus -e value: unsigned decimal, dotted IPv4, 0x hex (IPv4), or
// a string in double quotes (first 4 characters). Returns false if invalid.
bool parse_source_id(const char* text, SourceId& out);

struct EncodeOptions {
  SourceId srcid;
  // argus's record switches: -A application bytes in the metric DSR, -Z the
  // packet-size DSR, -m the MAC DSR (argus-format.md 6.4, 6.10, 6.8).
  bool app_bytes = false;
  bool packet_size = false;
  bool mac = false;
  // Start and end per direction in the time DSR (argus.conf's
  // ARGUS_GENERATE_BIDIRECTIONAL_TIMESTAMPS, argus-format.md 6.3).
  bool bidir_timestamps = false;
  // false: TCP_STATUS (3 words) instead of TCP_PERF (30) for TCP flows
  // (ARGUS_GENERATE_TCP_PERF_METRIC=no).
  bool tcp_perf = true;
  // -J: the jitter DSR (argus-format.md 6.11).
  bool jitter = false;
  // Unidirectional flows (ARGUS_FLOW_TYPE): a non-IP Ethernet key is
  // written in its frame's order, never in argus's canonical one.
  bool unidirectional = false;
};

// Writes one FAR into `out` (at least kMaxFarBytes). Returns its length.
size_t encode_far(const FlowRecord& rec, const EncodeOptions& opt, uint8_t* out);

enum class MarKind : uint8_t { kStart, kStatus, kStop };

struct MarInfo {
  MarKind kind = MarKind::kStart;
  SourceId srcid;
  uint64_t start_ns = 0;  // start MAR: sensor start; others: start of this period
  uint64_t now_ns = 0;
  uint16_t report_interval_s = 5;
  uint16_t mar_interval_s = 60;
  uint8_t interface_type = 1;  // pcap DLT of the first input
  uint64_t pkts_rcvd = 0;
  uint64_t bytes_rcvd = 0;
  uint32_t records = 0;
  uint32_t flows = 0;
  uint32_t dropped = 0;
  uint32_t clients = 0;
  uint32_t sequence = 0;  // nextMrSequenceNum
};

// Writes one 128-byte MAR into `out`.
size_t encode_mar(const MarInfo& info, uint8_t* out);

// Sets a MAR's `now` (offset 32) to now_ns: a copy of the start MAR handed
// out later (to a stream client as it connects, at the head of a new output
// file) says when it was, as argus's freshly built one does. The rest of the
// start MAR (the sensor's start time among it) stays as it was.
void mar_set_now(uint8_t* mar, size_t len, uint64_t now_ns);

}  // namespace argos
