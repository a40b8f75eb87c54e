// Record filters for outputs and stream clients (argus's -w FILE "filter",
// a client's FILTER: message): the part of the Argus client filter language
// that ra 3.0.8 reads consistently, with ra's meaning, checked against ra on
// the pcap corpus. Compiled once at start-up; matching allocates nothing.
//
//   expr    := term { (or | ||) term }
//   term    := factor { (and | &&) factor }
//   factor  := (not | !) factor | ( expr ) | primitive
//   primitive := tcp | udp | icmp | igmp | ip | ipv4 | ipv6 | arp | rarp | man
//              | (tcp | udp) [src | dst] port N   (tcpdump's form of "tcp and port N")
//              | [src | dst] [host] ADDR      (IPv4 or IPv6)
//              | [src | dst] net ADDR/LEN
//              | ether (host | src | dst) MAC      (with -m: the MAC addresses DSR)
//              | ether proto N                (the record's EtherType, decimal or 0xHEX)
//              | srcid (N | 0xHEX | A.B.C.D)   (the sensor's own id, -e; a string id never)
//              | encaps LAYER                 (eth, 802q, llc, pppoe, gre, sll, ...)
//              | [src | dst] port N
//              | [src | dst] (pkts | bytes | appbytes | ttl | tos) [gt | gte | lt | lte | eq] N
//              | [src | dst] (rate | load) [CMP] X     (packets and bits per second)
//              | [src | dst] dur [CMP] X            (seconds; X may have a fraction)
//              | seq [CMP] N                        (the flow's sequence number)
//              | [src | dst] (syn | fin | reset | retrans | outoforder | winshut | frag)
//              | synack | finack | ecn | echo | unreach | redirect | timexed | multicast
//              | ID                           (an id alone repeats the latest host, net
//                                              or port keyword: "port 53 or 443")
//
// Without src or dst a primitive holds when either side matches, as ra
// reads it: "port 53" is sport or dport, "pkts eq 1" a side with one packet.
// ttl and tos apply to IPv4 only (0 for a side never heard), ICMP words to
// ICMPv4 flows and to flows an ICMP error was mapped onto, multicast to
// IPv4 destinations from 224.0.0.0 up (the broadcast address included);
// syn and fin mean a segment of this report, the other TCP words the
// record's status bits; ether words only records with MAC addresses (-m).
// rate and load are ra's: per side (pkts - 1) / dur and
// 8 * (bytes - bytes / pkts) / dur (the integer quotient), where dur is the
// record's, or with bidirectional timestamps the side's own span; either
// is 0 for a side of one packet or a span of 0. dur is the record's span
// whatever the side. Words outside this part (hostnames, port ranges,
// vid, ...) are refused with a message naming them, never ignored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "export/argus_encoder.h"
#include "flowtable/flow_record.h"

namespace argos {

// What the records carry besides the flow: the sensor's source id (every
// record has it; "srcid" compares it) and whether application byte counts
// are written (-A; without them ra reads "appbytes" as 0); whether each
// side's times are written (bidirectional timestamps: "rate" and "load"
// then divide by the side's own span).
struct RecordFilterContext {
  SourceId srcid;
  bool app_bytes = false;
  bool bidir_timestamps = false;
};

class RecordFilter {
 public:
  using Context = RecordFilterContext;
  // False with `err` (naming the word at fault) when `text` is not in the
  // supported language.
  bool compile(const std::string& text, std::string& err, const Context& ctx = Context{});
  bool empty() const { return nodes_.empty(); }
  bool match(const FlowRecord& r) const { return nodes_.empty() || eval(root_, r, false); }
  // The record as written or turned around (src and dst swapped) matches:
  // what ra can select however it shows the record, and a little more.
  bool match_either_way(const FlowRecord& r) const {
    return nodes_.empty() || eval(root_, r, false) || eval(root_, r, true);
  }
  const std::string& text() const { return text_; }
  // True when a primitive names src or dst. ra matches those after turning
  // some records around for display (mid-stream TCP, lone replies), so only
  // a filter without them selects at the sensor exactly what ra keeps.
  bool directed() const;

 private:
  enum class Op : uint8_t { kAnd, kOr, kNot, kProto, kHost, kNet, kPort, kCount, kFlag, kEther, kConst, kEncaps, kMeasure, kEtherType };
  enum class Side : uint8_t { kEither, kSrc, kDst };
  struct Node {
    Op op;
    Side side = Side::kEither;
    uint8_t proto = 0;      // kProto: a ProtoWord; kFlag: a FlagWord
    uint8_t v6 = 0;         // kHost, kNet: the address is IPv6; kConst: the value
    uint8_t prefix = 0;     // kNet: prefix length
    uint8_t field = 0;      // kCount: a Field, kMeasure: a Measure (record_filter.cc)
    uint8_t cmp = 0;        // kCount, kMeasure: a Cmp
    uint16_t port = 0;
    uint64_t value = 0;
    double threshold = 0;   // kMeasure
    uint8_t addr[16] = {};
    int32_t a = -1, b = -1;  // operands (node indices)
  };
  // `swap`: evaluate the record turned around. src and dst say which of the
  // record's own sides a primitive looks at.
  bool eval(int32_t i, const FlowRecord& r, bool swap) const;
  static bool addr_match(const Node& n, const FlowRecord& r, bool src, bool dst);
  static bool flag(const Node& n, const FlowRecord& r, bool src, bool dst, bool swap);
  bool field_value(uint8_t f, const FlowRecord& r, unsigned d, uint64_t& v) const;
  double measure(uint8_t m, const FlowRecord& r, unsigned d) const;

  class Parser;
  std::vector<Node> nodes_;
  int32_t root_ = -1;
  std::string text_;
  bool app_bytes_ = false;  // Context::app_bytes
  bool bidir_timestamps_ = false;  // Context::bidir_timestamps
};

}  // namespace argos
