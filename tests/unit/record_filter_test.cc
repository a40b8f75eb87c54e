// Output record filters: what the parser refuses (each with the word at
// fault) and what a compiled filter selects from hand-built records. The
// language against the real ra is in tests/cli (record filters on outputs).
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "export/record_filter.h"

namespace argos {
namespace {

FlowRecord v4(const char* src, uint16_t sport, const char* dst, uint16_t dport, uint8_t proto, uint32_t spkts,
              uint32_t dpkts) {
  FlowRecord r{};
  r.key.kind = KeyKind::kIPv4;
  r.key.proto = proto;
  inet_pton(AF_INET, src, r.key.src);
  inet_pton(AF_INET, dst, r.key.dst);
  r.key.sport = sport;
  r.key.dport = dport;
  r.dir[0].pkts = spkts;
  r.dir[1].pkts = dpkts;
  r.dir[0].bytes = uint64_t{spkts} * 100;
  r.dir[1].bytes = uint64_t{dpkts} * 1000;
  return r;
}

bool selects(const std::string& f, const FlowRecord& r) {
  RecordFilter rf;
  std::string err;
  EXPECT_TRUE(rf.compile(f, err)) << f << ": " << err;
  return rf.match(r);
}

// Every mistake is refused, naming the filter and the word at fault; none
// compiles into a filter that selects something by accident.
TEST(RecordFilter, RefusesWhatItCannotRead) {
  const struct {
    const char* text;
    const char* says;
  } cases[] = {
      {"", "an empty filter"},
      {"tcp and", "the filter ends where a primitive was expected"},
      {"(tcp or udp", "a '(' without its ')'"},
      {"tcp host 10.0.0.1", "'host' where 'and', 'or' or the end was expected"},  // ra reads it oddly
      {"icmp port 7", "'port' where 'and', 'or' or the end was expected"},
      {"host", "'host' needs a value"},
      {"src", "'src' ends the filter"},
      {"net 10.0.0.0", "needs a prefix length"},
      {"net 10.0.0.0/33", "is not a network"},
      {"port 70000", "'70000' is not a port number"},
      {"pkts ge 3", "'pkts' needs a number (comparisons: gt, gte, lt, lte, eq)"},
      {"ttl gt 300", "'ttl' needs a number up to 255"},
      {"port 1-1024", "'1-1024' is not a port number"},
      {"vid gt 0", "'vid' is not supported"},
      {"bytes gt lots", "needs a number"},
      {"src pkts gte ", "'pkts' needs a number"},  // the comparison ends the text
      {"rate gt 1e5", "'rate' needs a number such as 10 or 0.5"},  // ra refuses exponents and units too
      {"dur gt 1.5s", "'dur' needs a number such as 10 or 0.5"},
      {"load gt 5.", "'load' needs a number"},
      {"load gt -", "'load' needs a number"},
      {"seq gt 0.5", "'seq' needs a number"},
      {"ether proto arp", "'arp' is not an EtherType"},  // ra refuses names too
      {"ether proto 0x10000", "is not an EtherType"},
      {"ether proto -1", "is not an EtherType"},
      {"ether type 0x800", "'ether' takes host, src or dst and a MAC address"},
      {"srcid sensor1", "is not a numeric or IPv4 source id"},
      {"encaps mpls", "'mpls' is not an encapsulation layer"},  // ra 3.0.8 cannot read it
      {"ether src 00:11:22:33:44", "is not a MAC address"},
      {"host example.com", "host names are not looked up"},
  };
  for (const auto& c : cases) {
    RecordFilter rf;
    std::string err;
    EXPECT_FALSE(rf.compile(c.text, err)) << c.text;
    EXPECT_EQ(err.rfind("record filter '" + std::string(c.text) + "': ", 0), 0u) << err;
    EXPECT_NE(err.find(c.says), std::string::npos) << c.text << " -> " << err;
    EXPECT_TRUE(rf.empty());
  }
}

// rate, load and dur as ra computes them from the record: per side
// (pkts - 1) / span and 8 * (bytes - bytes / pkts) / span, the span the
// record's, or the side's own with bidirectional timestamps.
TEST(RecordFilter, RateLoadAndDurationFollowRa) {
  FlowRecord r = v4("10.0.0.6", 51000, "93.184.216.34", 443, 6, 11, 3);
  r.dir[0].bytes = 1105;  // mean 100.45: ra takes 100 off, not 100.45
  r.start_ns = 1'000'000'000'000;
  r.last_ns = r.start_ns + 2'000'000'999;  // the nanoseconds below a microsecond do not count
  r.dir[0].first_ns = r.start_ns;
  r.dir[0].last_ns = r.start_ns + 500'000'000;
  r.dir[1].first_ns = r.start_ns + 1'000'000'000;
  r.dir[1].last_ns = r.last_ns;
  struct {
    const char* text;
    bool whole_span, own_spans;
  } cases[] = {
      {"src rate eq 5", true, false},            // 10 intervals in 2 s
      {"src rate eq 20", false, true},           // ... in 0.5 s
      {"dst rate eq 1", true, false},
      {"dst rate eq 2", false, true},            // 2 intervals in 1 s
      {"src load eq 4020", true, false},         // 8 * (1105 - 100) / 2
      {"dst load gt 10000", false, true},        // 8 * (3000 - 1000) / 1, but / 2 is 8000
      {"rate gt 19", false, true},
      {"dur eq 2", true, true},                  // the record's span, whatever the side
      {"dst dur gt 1.5", true, true},
      {"seq eq 0", true, true},
      {"seq gt 0", false, false},
  };
  for (const auto& c : cases) {
    for (bool bidir : {false, true}) {
      RecordFilter rf;
      std::string err;
      RecordFilter::Context ctx;
      ctx.bidir_timestamps = bidir;
      ASSERT_TRUE(rf.compile(c.text, err, ctx)) << err;
      EXPECT_EQ(rf.match(r), bidir ? c.own_spans : c.whole_span) << c.text << (bidir ? " (own spans)" : "");
    }
  }
  // One packet, or a span of 0: no rate and no load.
  FlowRecord one = v4("10.0.0.6", 51000, "93.184.216.34", 443, 6, 1, 0);
  one.start_ns = one.last_ns = 5'000'000'000;
  EXPECT_TRUE(selects("rate eq 0 and load eq 0 and dur eq 0", one));
  EXPECT_TRUE(selects("rate gt -1", one));
}

TEST(RecordFilter, SelectsByProtocolAddressPortAndSize) {
  const FlowRecord web = v4("10.0.0.6", 51000, "93.184.216.34", 443, 6, 12, 9);
  EXPECT_TRUE(selects("tcp", web));
  EXPECT_FALSE(selects("udp", web));
  EXPECT_TRUE(selects("ip and ipv4 and not ipv6", web));
  EXPECT_TRUE(selects("host 93.184.216.34", web));
  EXPECT_TRUE(selects("src host 10.0.0.6 && dst port 443", web));
  EXPECT_FALSE(selects("dst host 10.0.0.6", web));
  EXPECT_TRUE(selects("src net 10.0.0.0/8", web));
  EXPECT_FALSE(selects("net 10.0.1.0/24", web));
  EXPECT_TRUE(selects("net 10.0.0.4/30", web));  // a prefix that ends inside a byte
  EXPECT_TRUE(selects("port 51000", web));
  EXPECT_FALSE(selects("src port 443", web));
  // Without src or dst either side may match, with it only that side.
  EXPECT_TRUE(selects("pkts eq 9", web));
  EXPECT_FALSE(selects("src pkts eq 9", web));
  EXPECT_TRUE(selects("dst bytes gt 8999", web));
  EXPECT_FALSE(selects("bytes gt 9000", web));
  EXPECT_TRUE(selects("(udp or tcp) and !(port 80 || port 22)", web));
  EXPECT_TRUE(selects("udp or tcp and port 443", web));  // and binds tighter than or
  EXPECT_FALSE(selects("man", web));
  // tcpdump's protocol-qualified port: "tcp port 443" is "tcp and port 443".
  EXPECT_TRUE(selects("tcp port 443", web));
  EXPECT_FALSE(selects("udp port 443", web));
  EXPECT_TRUE(selects("tcp dst port 443 and not udp port 53", web));
  EXPECT_FALSE(selects("tcp src port 443", web));
  // An id alone repeats the latest keyword with its qualifiers.
  EXPECT_TRUE(selects("port 80 or 443", web));
  EXPECT_FALSE(selects("udp port 80 or 443", web));  // udp port 80 or udp port 443
  EXPECT_TRUE(selects("tcp dst port 80 or 443", web));
  EXPECT_TRUE(selects("host 10.9.9.9 or 93.184.216.34", web));
  EXPECT_TRUE(selects("src 10.0.0.6 and dst 93.184.216.34", web));  // host by default
  EXPECT_FALSE(selects("src 10.0.0.6 and 93.184.216.34", web));     // src host 93.184.216.34
  EXPECT_TRUE(selects("not host 10.9.9.9 and 10.0.0.6", web));      // (not host A) and host B
  EXPECT_FALSE(selects("not host 10.0.0.6 and 10.9.9.9", web));
  EXPECT_TRUE(selects("pkts gte 12 and dst pkts lte 9 and not src pkts lt 12", web));

  FlowRecord dns{};
  dns.key.kind = KeyKind::kIPv6;
  dns.key.proto = 17;
  inet_pton(AF_INET6, "2001:db8::1", dns.key.src);
  inet_pton(AF_INET6, "2001:db8:1::53", dns.key.dst);
  dns.key.sport = 40000;
  dns.key.dport = 53;
  EXPECT_TRUE(selects("udp and ipv6 and dst port 53", dns));
  EXPECT_TRUE(selects("dst net 2001:db8:1::/48", dns));
  EXPECT_FALSE(selects("src net 2001:db8:1::/48", dns));
  EXPECT_FALSE(selects("host 10.0.0.6", dns));

  // ICMP has no ports; ARP matches by its protocol addresses.
  const FlowRecord ping = v4("10.0.0.6", 0x0800, "10.0.0.1", 7, 1, 1, 1);
  EXPECT_TRUE(selects("icmp", ping));
  EXPECT_FALSE(selects("port 7", ping));
  FlowRecord arp{};
  arp.key.kind = KeyKind::kArp;
  inet_pton(AF_INET, "10.0.0.6", arp.key.src);
  inet_pton(AF_INET, "10.0.0.1", arp.key.dst);
  EXPECT_TRUE(selects("arp and src host 10.0.0.6", arp));
  EXPECT_FALSE(selects("ip", arp));
}

// TCP and ICMP words, attributes and multicast, with ra's meanings.
TEST(RecordFilter, SelectsByStateAndAttributes) {
  FlowRecord web = v4("10.0.0.6", 51000, "93.184.216.34", 443, 6, 12, 9);
  web.flags = kRecTcp | kRecIsIp;
  web.tcp.status = kTcpSawSyn | kTcpSawSynSent | kTcpEstablished | kTcpDstReset;
  web.tcp.dir[1].flags = 0x14;  // RST+ACK, no SYN in this report
  web.dir[0].ttl = 64;
  web.dir[1].ttl = 52;
  web.dir[1].tos = 0x20;
  EXPECT_FALSE(selects("syn", web));  // the SYN was in an earlier report
  EXPECT_TRUE(selects("synack and reset and dst reset", web));
  EXPECT_FALSE(selects("src reset or fin or retrans", web));
  web.tcp.dir[0].flags = 0x02;
  EXPECT_TRUE(selects("src syn and not dst syn", web));
  EXPECT_TRUE(selects("ttl eq 52 and src ttl gte 64 and dst tos 32", web));
  EXPECT_FALSE(selects("ttl gt 64", web));
  web.dir[1].pkts = 0;  // a side never heard reads as 0
  EXPECT_TRUE(selects("dst ttl eq 0", web));

  FlowRecord dns = v4("10.0.0.6", 40000, "10.0.0.1", 53, 17, 1, 0);
  EXPECT_FALSE(selects("unreach or syn", dns));
  dns.flags |= kRecIcmpMapped;
  dns.icmp.type = 3;
  EXPECT_TRUE(selects("udp and unreach", dns));  // the port-unreachable it drew
  const FlowRecord ping = v4("10.0.0.6", 0x0800, "10.0.0.1", 7, 1, 1, 1);
  EXPECT_TRUE(selects("echo and not unreach", ping));
  EXPECT_TRUE(selects("multicast", v4("10.0.0.6", 5353, "224.0.0.251", 5353, 17, 1, 0)));
  EXPECT_TRUE(selects("multicast", v4("0.0.0.0", 68, "255.255.255.255", 67, 17, 1, 0)));
  EXPECT_FALSE(selects("multicast or ttl gt 0", v4("10.0.0.6", 5353, "10.0.0.1", 5353, 17, 1, 0)));

  // Encapsulation layers of either side that sent packets.
  FlowRecord tagged = v4("10.0.0.6", 40000, "10.0.0.1", 53, 17, 1, 0);
  tagged.dir[0].encaps = 0x06;  // Ethernet, 802.1Q
  tagged.dir[1].encaps = 0x40;  // no packets: not counted
  EXPECT_TRUE(selects("encaps 802q and encaps eth", tagged));
  EXPECT_FALSE(selects("encaps gre or encaps sll", tagged));

  // MAC addresses only in records that carry them (-m).
  FlowRecord l2 = v4("10.0.0.6", 40000, "10.0.0.1", 53, 17, 1, 1);
  const uint8_t a[6] = {0x08, 0x00, 0x27, 0x19, 0x1c, 0x78}, b[6] = {0x30, 0x46, 0x9a, 0x23, 0xfb, 0xfa};
  std::memcpy(l2.mac_src, a, 6);
  std::memcpy(l2.mac_dst, b, 6);
  EXPECT_FALSE(selects("ether host 08:00:27:19:1c:78", l2));
  l2.flags |= kRecHasMacs;
  EXPECT_TRUE(selects("ether src 08:00:27:19:1c:78 and ether dst 30:46:9a:23:fb:fa", l2));
  EXPECT_TRUE(selects("ether host 30:46:9A:23:FB:FA", l2));
  EXPECT_FALSE(selects("ether dst 08:00:27:19:1c:78", l2));
}

// A stream client's FILTER: is untrusted text: nesting is bounded, so a
// deep one is refused instead of exhausting the stack.
TEST(RecordFilter, RefusesDeepNesting) {
  RecordFilter rf;
  std::string err;
  EXPECT_FALSE(rf.compile(std::string(100000, '(') + "tcp" + std::string(100000, ')'), err));
  EXPECT_NE(err.find("nested deeper than 64 levels"), std::string::npos) << err.substr(0, 200);
  std::string nots;
  for (int i = 0; i < 50000; ++i) nots += "not ";
  EXPECT_FALSE(rf.compile(nots + "tcp", err));
  EXPECT_NE(err.find("nested deeper than 64 levels"), std::string::npos) << err.substr(0, 200);
  EXPECT_TRUE(rf.compile(std::string(30, '(') + "not not tcp" + std::string(30, ')'), err)) << err;
}

// srcid is the sensor's own id, the same for every record: a constant.
TEST(RecordFilter, SrcidIsTheSensorsOwnId) {
  const FlowRecord r = v4("10.0.0.6", 40000, "10.0.0.1", 53, 17, 1, 1);
  SourceId own;
  ASSERT_TRUE(parse_source_id("1234", own));
  RecordFilter f;
  std::string err;
  ASSERT_TRUE(f.compile("srcid 0x4d2 and udp", err, {own})) << err;
  EXPECT_TRUE(f.match(r));
  ASSERT_TRUE(f.compile("srcid 1235 or tcp", err, {own})) << err;
  EXPECT_FALSE(f.match(r));
  ASSERT_TRUE(f.compile("srcid 0", err)) << err;  // no id given: 0
  EXPECT_TRUE(f.match(r));
  ASSERT_TRUE(parse_source_id("\"abcd\"", own));
  ASSERT_TRUE(f.compile("srcid 1633837924", err, {own})) << err;  // a string id is never matched
  EXPECT_FALSE(f.match(r));
}

// Both ways round: the record as written or with src and dst swapped, for
// every word that has a side.
TEST(RecordFilter, MatchesEitherWayRound) {
  FlowRecord r = v4("10.0.0.6", 51000, "224.0.0.9", 443, 6, 12, 9);
  r.flags = kRecTcp | kRecIsIp;
  r.tcp.status = kTcpSrcReset;
  r.tcp.dir[1].flags = 0x02;
  const char* const turned[] = {"dst host 10.0.0.6", "src host 224.0.0.9", "src port 443", "dst port 51000",
                                "src pkts eq 9", "dst bytes eq 1200", "dst reset", "src syn"};
  for (const char* t : turned) {
    RecordFilter f;
    std::string err;
    ASSERT_TRUE(f.compile(t, err)) << err;
    EXPECT_FALSE(f.match(r)) << t;
    EXPECT_TRUE(f.match_either_way(r)) << t;
  }
  RecordFilter none;
  std::string err;
  ASSERT_TRUE(none.compile("dst host 10.0.0.7 or src port 80 or udp", err));
  EXPECT_FALSE(none.match_either_way(r));
}

// A filter without src or dst selects the same records whichever way round
// ra shows them: only those may be applied by the sensor to a stream client.
TEST(RecordFilter, KnowsWhetherItNamesADirection) {
  const struct {
    const char* text;
    bool directed;
  } cases[] = {{"tcp and port 443", false}, {"man or (host 10.0.0.1 or pkts gt 3)", false},
               {"src host 10.0.0.1", true}, {"not (udp or dst port 53)", true},
               {"tcp dst port 80", true},   {"bytes lt 100 or src pkts eq 1", true}};
  for (const auto& c : cases) {
    RecordFilter rf;
    std::string err;
    ASSERT_TRUE(rf.compile(c.text, err)) << err;
    EXPECT_EQ(rf.directed(), c.directed) << c.text;
  }
}

}  // namespace
}  // namespace argos
