// Source-neutral view of one received frame.
#pragma once

#include <cstdint>

#include "flowtable/packet_facts.h"

namespace argos {

// Link types the parser understands (pcap LINKTYPE_ values).
enum LinkType : uint16_t {
  kLinkNull = 0,
  kLinkEthernet = 1,
  kLinkRawDlt = 12,  // DLT_RAW as libpcap reports LINKTYPE_RAW on Linux
  kLinkRawDlt14 = 14,  // DLT_RAW on some BSDs
  kLinkRaw = 101,
  kLinkLoop = 108,
  kLinkSll = 113,
  kLinkIPv4 = 228,
  kLinkIPv6 = 229,
  kLinkSll2 = 276,
};

bool link_type_supported(int linktype);

struct PacketView {
  const uint8_t* data;  // first captured byte (the link-layer header)
  uint32_t caplen;      // bytes present at data
  uint32_t wirelen;     // original length on the wire (Argus counts these)
  uint64_t ts_ns;       // packet time, ns since the Unix epoch
  // Time of the packet before this one in the whole input (replay), so that
  // timers run on the input's clock whichever worker gets the packet; 0
  // when unknown.
  uint64_t clock_ns;
  uint16_t linktype;    // LinkType of the source
  uint16_t pad;
};

// Sets v.clock_ns from the source's input clock `clock` (the latest packet
// time so far) and moves the clock on: forward with each later packet, back
// to a packet more than kClockStepBackNs before it.
inline void stamp_input_clock(PacketView& v, uint64_t& clock) {
  if (clock > kClockStepBackNs && v.ts_ns < clock - kClockStepBackNs) clock = v.ts_ns;
  v.clock_ns = clock;
  if (v.ts_ns > clock) clock = v.ts_ns;
}

}  // namespace argos
