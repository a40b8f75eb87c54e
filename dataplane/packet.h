// Source-neutral view of one received frame.
#pragma once

#include <cstdint>

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

}  // namespace argos
