// Flow table tests: lookup and orientation, full-table policies, status
// reports and idle expiry on packet time, flushes, fragments, ICMP errors.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>

#include "dataplane/parser.h"
#include "table_util.h"

namespace argos::test {
namespace {

Ip4 host(uint8_t last) { return {10, 0, 0, last}; }

ParsedPacket udp_pkt(const Ip4& src, uint16_t sport, const Ip4& dst, uint16_t dport, uint64_t ts,
                     size_t len = 32) {
  return parsed(udp_frame(src, sport, dst, dport, len), ts);
}

// One UDP packet for each of `n` distinct flows (10.0.0.1:1000+i ->
// 10.0.0.2:2000), `gap_ns` apart.
std::vector<ParsedPacket> distinct_flows(uint32_t n, uint64_t t0, uint64_t gap_ns) {
  std::vector<ParsedPacket> v;
  for (uint32_t i = 0; i < n; ++i)
    v.push_back(udp_pkt(host(1), static_cast<uint16_t>(1000 + i), host(2), 2000, t0 + i * gap_ns));
  return v;
}

Bytes key_src4(const FlowRecord& r) { return Bytes(r.key.src, r.key.src + 4); }

TEST(FlowTable, StartsEmptyAndSizesItself) {
  FlowTable t(table_config(1000));
  ASSERT_TRUE(t.ok());
  EXPECT_GE(t.capacity(), 1000u);
  EXPECT_EQ(t.active_flows(), 0u);
  EXPECT_GE(t.bytes_per_flow(), FlowTable::entry_bytes());
  EXPECT_LT(t.bytes_per_flow(), 2048u);
  std::set<std::string> names;
  for (size_t i = 0; i < kTableCounterCount; ++i) {
    const std::string name = table_counter_name(static_cast<TableCounter>(i));
    EXPECT_EQ(name.rfind("table.", 0), 0u) << name;
    names.insert(name);
    EXPECT_EQ(t.counter(static_cast<TableCounter>(i)), 0u);
  }
  EXPECT_EQ(names.size(), kTableCounterCount);
}

TEST(FlowTable, BothDirectionsMakeOneFlowWithTheFirstSenderAsSource) {
  struct Case {
    const char* desc;
    Ip4 first;  // sender of the first packet
    Ip4 second;
  };
  for (const Case& c : {Case{"initiator has the lower address", host(1), host(2)},
                        Case{"initiator has the higher address", host(9), host(2)}}) {
    SCOPED_TRACE(c.desc);
    FlowTable t(table_config());
    Collector out;
    feed(t,
         {udp_pkt(c.first, 1000, c.second, 2000, kT0, 32),
          udp_pkt(c.second, 2000, c.first, 1000, kT0 + 100 * kMs, 100),
          udp_pkt(c.first, 1000, c.second, 2000, kT0 + 200 * kMs, 32)},
         out);
    EXPECT_EQ(t.active_flows(), 1u);
    EXPECT_EQ(t.counter(TableCounter::kFlowsCreated), 1u);
    EXPECT_TRUE(out.recs.empty());

    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), 1u);
    const FlowRecord& r = out.recs[0];
    EXPECT_EQ(key_src4(r), bytes_of(c.first));
    EXPECT_EQ(r.key.sport, 1000);
    EXPECT_EQ(r.key.dport, 2000);
    EXPECT_EQ(r.dir[0].pkts, 2u);
    EXPECT_EQ(r.dir[1].pkts, 1u);
    const uint32_t small = 14 + 20 + 8 + 32;
    const uint32_t big = 14 + 20 + 8 + 100;
    EXPECT_EQ(r.dir[0].bytes, 2u * small);
    EXPECT_EQ(r.dir[1].bytes, big);
    EXPECT_EQ(r.dir[0].app_bytes, 64u);
    EXPECT_EQ(r.dir[1].app_bytes, 100u);
    EXPECT_EQ(r.start_ns, kT0);
    EXPECT_EQ(r.last_ns, kT0 + 200 * kMs);
    EXPECT_EQ(r.dir[0].last_ns, kT0 + 200 * kMs);
    EXPECT_EQ(r.dir[1].last_ns, kT0 + 100 * kMs);
    EXPECT_EQ(r.cause, kCauseStart);
    EXPECT_EQ(r.seq, 1u);
    EXPECT_TRUE(r.flags & kRecIsIp);
    EXPECT_EQ(r.dir[0].encaps, kEncEther);
    EXPECT_EQ(t.active_flows(), 0u);
    EXPECT_EQ(t.counter(TableCounter::kReports), 1u);
  }
}

TEST(FlowTable, FlowIdsFollowBaseAndStride) {
  FlowTableConfig cfg = table_config();
  cfg.flow_id_base = 3;
  cfg.flow_id_stride = 4;
  FlowTable t(cfg);
  Collector out;
  feed(t, distinct_flows(3, kT0, kMs), out);
  t.flush_all(0, out);
  std::set<uint32_t> ids;
  for (const FlowRecord& r : out.recs) ids.insert(r.seq);
  EXPECT_EQ(ids, (std::set<uint32_t>{3, 7, 11}));
}

TEST(FlowTable, DropNewWhenFullCountsEveryDroppedPacket) {
  FlowTable t(table_config(64, FullPolicy::kDropNew));
  ASSERT_EQ(t.capacity(), 64u);
  Collector out;
  const uint32_t n = 1000;
  feed(t, distinct_flows(n, kT0, kMs), out);
  const uint64_t created = t.counter(TableCounter::kFlowsCreated);
  const uint64_t dropped = t.counter(TableCounter::kFullDrops);
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(created + dropped, n) << "each packet either opens a flow or is counted as dropped";
  EXPECT_LE(t.active_flows(), 64u);
  EXPECT_EQ(t.active_flows(), created);
  EXPECT_TRUE(out.recs.empty()) << "drop-new never reports a flow to make room";

  // Packets of flows already in the table are still accounted.
  feed(t, distinct_flows(1, kT0 + 2 * kSec, 0), out);
  EXPECT_EQ(t.counter(TableCounter::kFullDrops), dropped);

  t.flush_all(0, out);
  EXPECT_EQ(out.recs.size(), created);
  EXPECT_EQ(total_pkts(out.recs), created + 1);
}

TEST(FlowTable, EvictOldestReportsTheEvictedFlow) {
  FlowTable t(table_config(64, FullPolicy::kEvictOldest));
  Collector out;
  const uint32_t n = 1000;
  const auto pkts = distinct_flows(n, kT0, kMs);
  feed(t, pkts, out);
  const uint64_t evictions = t.counter(TableCounter::kEvictions);
  EXPECT_GT(evictions, 0u);
  EXPECT_EQ(out.recs.size(), evictions) << "every evicted flow had a packet: each is reported";
  std::set<uint16_t> evicted_ports;
  for (const FlowRecord& r : out.recs) {
    EXPECT_EQ(r.dir[0].pkts, 1u);
    evicted_ports.insert(r.key.sport);
  }
  EXPECT_EQ(evicted_ports.size(), out.recs.size()) << "a flow is evicted at most once";
  // The first flows in are the idlest: the very first eviction takes one of
  // the flows that filled the table.
  ASSERT_FALSE(out.recs.empty());
  EXPECT_LT(out.recs[0].key.sport, 1000 + 64);
  EXPECT_LE(t.active_flows(), 64u);

  const size_t before_flush = out.recs.size();
  t.flush_all(0, out);
  EXPECT_EQ(out.recs.size() - before_flush, t.counter(TableCounter::kFlowsCreated) - evictions);
  EXPECT_EQ(total_pkts(out.recs), n - t.counter(TableCounter::kFullDrops))
      << "every packet not counted as dropped is in exactly one report";
}

// kEvictOldest makes room for every new flow: a long stream of new flows
// through a small full table is never dropped, only evicted.
TEST(FlowTable, EvictOldestMakesRoomForEveryNewFlow) {
  FlowTable t(table_config(64, FullPolicy::kEvictOldest));
  Collector out;
  const uint32_t n = 5000;
  std::vector<ParsedPacket> pkts;
  for (uint32_t i = 0; i < n; ++i) {
    pkts.push_back(udp_pkt(Ip4{10, 1, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)}, 1000,
                           host(2), 2000, kT0 + i * kMs));
  }
  feed(t, pkts, out);
  EXPECT_EQ(t.counter(TableCounter::kFullDrops), 0u);
  EXPECT_EQ(t.counter(TableCounter::kFlowsCreated), n);
  EXPECT_EQ(t.counter(TableCounter::kEvictions), n - t.active_flows());
  EXPECT_EQ(out.recs.size(), t.counter(TableCounter::kEvictions));
}

TEST(FlowTable, SweepExpiresAnIdleUdpFlowOnceAfterItsTimeout) {
  FlowTable t(table_config());
  Collector out;
  feed(t, udp_pkt(host(1), 1000, host(2), 2000, kT0), out);
  const uint32_t all = t.capacity();

  t.sweep(kT0 + 29 * kSec, all, out);
  EXPECT_EQ(t.active_flows(), 1u) << "29 s idle: not yet past the 30 s IP timeout";
  EXPECT_EQ(t.counter(TableCounter::kFlowsExpired), 0u);

  t.sweep(kT0 + 40 * kSec, all, out);
  EXPECT_EQ(t.active_flows(), 0u);
  EXPECT_EQ(t.counter(TableCounter::kFlowsExpired), 1u);

  t.sweep(kT0 + 100 * kSec, all, out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u) << "reported exactly once";
  EXPECT_EQ(out.recs[0].dir[0].pkts, 1u);
  EXPECT_EQ(out.recs[0].cause, kCauseStart);
}

TEST(FlowTable, IdleTimeoutsFollowTheProtocolClass) {
  FlowTable t(table_config());
  Collector out;
  feed(t,
       {udp_pkt(host(1), 1000, host(2), 2000, kT0),
        parsed(eth_ipv4({.src = host(3), .dst = host(4)}, tcp({.flags = kTcpSyn})), kT0),
        parsed(eth_ipv4({.src = host(5), .dst = host(6), .proto = kIpIcmp}, icmp_echo(8, 1, 1)),
               kT0)},
       out);
  ASSERT_EQ(t.active_flows(), 3u);
  t.sweep(kT0 + 12 * kSec, t.capacity(), out);
  EXPECT_EQ(t.active_flows(), 2u) << "ICMP (5 s) gone, UDP (30 s) and TCP (60 s) remain";
  t.sweep(kT0 + 45 * kSec, t.capacity(), out);
  EXPECT_EQ(t.active_flows(), 1u) << "only TCP (60 s) remains";
  t.sweep(kT0 + 70 * kSec, t.capacity(), out);
  EXPECT_EQ(t.active_flows(), 0u);
  EXPECT_EQ(t.counter(TableCounter::kFlowsExpired), 3u);
  EXPECT_EQ(out.recs.size(), 3u);
}

TEST(FlowTable, SweepBudgetLimitsTheEntriesExamined) {
  FlowTable t(table_config(1024));
  Collector out;
  feed(t, distinct_flows(200, kT0, 0), out);
  EXPECT_EQ(t.sweep(kT0 + 40 * kSec, 16, out), 16u);
  EXPECT_LE(out.recs.size(), 16u);
  // Sweeping the rest of the table finishes the job.
  for (uint32_t i = 0; i < t.capacity() / 16; ++i) t.sweep(kT0 + 40 * kSec, 16, out);
  EXPECT_EQ(t.active_flows(), 0u);
  EXPECT_EQ(out.recs.size(), 200u);
}

TEST(FlowTable, StatusReportsSplitALongFlowAndKeepEveryPacket) {
  // 25 packets, one every 500 ms both ways, over 12 s; 5 s status interval.
  std::vector<ParsedPacket> pkts;
  for (int i = 0; i <= 24; ++i) {
    const uint64_t ts = kT0 + static_cast<uint64_t>(i) * 500 * kMs;
    pkts.push_back(i % 2 ? udp_pkt(host(2), 2000, host(1), 1000, ts)
                         : udp_pkt(host(1), 1000, host(2), 2000, ts));
  }
  FlowTable t(table_config());
  Collector out;
  // As the worker does: a burst, then a sweep at the table's timer time.
  for (size_t i = 0; i < pkts.size(); i += 4) {
    const uint32_t n = static_cast<uint32_t>(std::min<size_t>(4, pkts.size() - i));
    t.process_burst(pkts.data() + i, n, out);
    t.sweep(t.scan_time_ns(), t.capacity(), out);
  }
  t.flush_all(0, out);

  ASSERT_EQ(out.recs.size(), 3u);
  EXPECT_EQ(total_pkts(out.recs), 25u);
  EXPECT_EQ(out.recs[0].cause, kCauseStart);
  for (size_t i = 1; i < out.recs.size(); ++i) EXPECT_EQ(out.recs[i].cause, kCauseStatus);
  for (size_t i = 0; i < out.recs.size(); ++i) {
    const FlowRecord& r = out.recs[i];
    SCOPED_TRACE("report " + std::to_string(i));
    EXPECT_EQ(r.seq, out.recs[0].seq) << "one flow id across reports";
    EXPECT_EQ(key_src4(r), bytes_of(host(1)));
    EXPECT_LT(r.last_ns - r.start_ns, 5 * kSec);
    if (i > 0) {
      EXPECT_GT(r.start_ns, out.recs[i - 1].last_ns);
    }
  }
  EXPECT_EQ(out.recs[0].start_ns, kT0);
  EXPECT_EQ(out.recs[1].start_ns, kT0 + 5 * kSec);
  EXPECT_EQ(out.recs[2].start_ns, kT0 + 10 * kSec);
  EXPECT_EQ(out.recs[2].last_ns, kT0 + 12 * kSec);
}

TEST(FlowTable, FlushReportsEveryFlowWithUnreportedPackets) {
  FlowTable t(table_config());
  Collector out;
  feed(t, distinct_flows(10, kT0, kMs), out);
  t.sweep(kT0 + 6 * kSec, t.capacity(), out);
  ASSERT_EQ(out.recs.size(), 10u) << "the first status interval ended for all ten";
  EXPECT_EQ(t.active_flows(), 10u);

  // Three flows get another packet; only they have anything left to report.
  std::vector<ParsedPacket> more;
  for (uint16_t i = 0; i < 3; ++i) more.push_back(udp_pkt(host(1), 1000 + i, host(2), 2000, kT0 + 7 * kSec));
  feed(t, more, out);
  out.recs.clear();
  t.flush_all(0, out);
  EXPECT_EQ(out.recs.size(), 3u);
  for (const FlowRecord& r : out.recs) EXPECT_EQ(r.cause, kCauseStatus);
  EXPECT_EQ(t.active_flows(), 0u);
}

TEST(FlowTable, FlushAllReportsEachFlowOnce) {
  FlowTable t(table_config());
  Collector out;
  feed(t, distinct_flows(50, kT0, kMs), out);
  t.flush_all(0, out);
  EXPECT_EQ(out.recs.size(), 50u);
  EXPECT_EQ(t.counter(TableCounter::kReports), 50u);
  EXPECT_EQ(t.active_flows(), 0u);
  t.flush_all(0, out);
  EXPECT_EQ(out.recs.size(), 50u);
}

TEST(FlowTable, ShutdownFlushMarksCause0x60) {
  FlowTable t(table_config());
  Collector out;
  feed(t, distinct_flows(5, kT0, kMs), out);
  t.flush_all(kCauseShutdown, out);
  ASSERT_EQ(out.recs.size(), 5u);
  for (const FlowRecord& r : out.recs) EXPECT_EQ(r.cause, 0x60);
}

TEST(FlowTable, QuietFlowContinuesWithItsNextPacket) {
  // No other traffic: nothing ran the flow's timers, so its next packet,
  // 40 s later, continues it (as argus does) in a new report.
  FlowTable t(table_config());
  Collector out;
  feed(t, udp_pkt(host(1), 1000, host(2), 2000, kT0), out);
  feed(t, udp_pkt(host(1), 1000, host(2), 2000, kT0 + 40 * kSec), out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  EXPECT_EQ(out.recs[0].seq, out.recs[1].seq);
  EXPECT_EQ(t.counter(TableCounter::kFlowsCreated), 1u);
}

TEST(FlowTable, FlowPastItsTimeoutStartsAgainUnderANewId) {
  // Other traffic moved packet time past the flow's timeout: the flow ended,
  // and its next packet opens a new one.
  FlowTable t(table_config());
  Collector out;
  feed(t, udp_pkt(host(1), 1000, host(2), 2000, kT0), out);
  feed(t, udp_pkt(host(3), 1000, host(4), 2000, kT0 + 40 * kSec), out);
  feed(t, udp_pkt(host(1), 1000, host(2), 2000, kT0 + 41 * kSec), out);
  EXPECT_EQ(t.counter(TableCounter::kFlowsExpired), 1u);
  EXPECT_EQ(t.counter(TableCounter::kFlowsCreated), 3u);
  t.flush_all(0, out);
  std::set<uint32_t> ids;
  for (const FlowRecord& r : out.recs) ids.insert(r.seq);
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(total_pkts(out.recs), 3u);
}

TEST(FlowTable, InputClockRunsTimersBeforeThePacket) {
  // The input clock says time reached +40 s (other traffic, possibly seen by
  // another worker): the flow's idle timeout ran out before this packet.
  FlowTable t(table_config());
  Collector out;
  feed(t, udp_pkt(host(1), 1000, host(2), 2000, kT0), out);
  ParsedPacket late = udp_pkt(host(1), 1000, host(2), 2000, kT0 + 41 * kSec);
  late.clock_ns = kT0 + 40 * kSec;
  feed(t, late, out);
  EXPECT_EQ(t.counter(TableCounter::kFlowsExpired), 1u);
  EXPECT_EQ(t.counter(TableCounter::kFlowsCreated), 2u);
}

// ---- fragments ------------------------------------------------------------

ParsedPacket frag4(uint16_t id, uint16_t frag_word, const Bytes& l4, uint64_t ts) {
  return parsed(eth_ipv4({.proto = kIpUdp, .id = id, .frag = frag_word}, l4), ts);
}

TEST(FlowTable, LaterFragmentsJoinTheFlowOfTheirFirstFragment) {
  FlowTable t(table_config());
  Collector out;
  feed(t,
       {frag4(0x1234, kIp4MoreFrags, udp(5000, 6000, payload(1472)), kT0),
        frag4(0x1234, kIp4MoreFrags | 185, payload(1480), kT0 + 1 * kMs),
        frag4(0x1234, 370, payload(48), kT0 + 2 * kMs)},
       out);
  EXPECT_EQ(t.counter(TableCounter::kFragAttached), 2u);
  EXPECT_EQ(t.counter(TableCounter::kFragOrphans), 0u);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  const FlowRecord& r = out.recs[0];
  EXPECT_EQ(r.key.kind, KeyKind::kIPv4);
  EXPECT_EQ(r.key.sport, 5000);
  EXPECT_EQ(r.key.dport, 6000);
  EXPECT_EQ(r.dir[0].pkts, 3u);
  // Packets and bytes count every fragment; application bytes, as argus
  // counts them, the first fragment's only.
  EXPECT_EQ(r.dir[0].app_bytes, 1472u);
  EXPECT_TRUE(r.flags & kRecFragments);
  EXPECT_TRUE(r.dir[0].fragments);
  EXPECT_EQ(r.last_ns, kT0 + 2 * kMs);
}

TEST(FlowTable, LaterFragmentAloneIsItsOwnFlow) {
  FlowTable t(table_config());
  Collector out;
  feed(t, {udp_pkt(host(1), 5000, host(2), 6000, kT0),
           frag4(0x4321, kIp4MoreFrags | 185, payload(1480), kT0 + kMs),
           frag4(0x4321, 370, payload(48), kT0 + 2 * kMs)},
       out);
  EXPECT_EQ(t.counter(TableCounter::kFragAttached), 0u);
  EXPECT_EQ(t.counter(TableCounter::kFragOrphans), 2u);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  const FlowRecord* frag = nullptr;
  for (const FlowRecord& r : out.recs)
    if (r.key.kind == KeyKind::kIPv4Frag) frag = &r;
  ASSERT_NE(frag, nullptr);
  EXPECT_EQ(frag->key.aux, 0x4321u);
  EXPECT_EQ(frag->dir[0].pkts, 2u) << "fragments of one datagram share the fragment flow";
}

// Fragments out of order, as argus takes them: a last fragment ahead of a
// middle one keeps the link to the flow until the datagram is whole; later
// fragments ahead of the first (a sender that sends the last first) join
// the flow once the first comes, the report starting at the earliest; a
// copy of a fragment after the datagram is whole is a flow of its own.
TEST(FlowTable, FragmentsOutOfOrderJoinTheirFlow) {
  const Bytes first = udp(5000, 6000, payload(56));  // 64 bytes at offset 0
  struct Case {
    const char* desc;
    std::vector<int> order;  // 0 = first, 1 = middle, 2 = last, 3 = the last again
    uint32_t joined_pkts;
    uint32_t orphans;
  } cases[] = {{"in order", {0, 1, 2}, 3, 0},
               {"the last before the middle one", {0, 2, 1}, 3, 0},
               {"the last first", {2, 1, 0}, 3, 0},
               {"a copy after the datagram is whole", {0, 1, 2, 3}, 3, 1}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.desc);
    FlowTable t(table_config());
    Collector out;
    std::vector<ParsedPacket> pkts;
    for (size_t i = 0; i < c.order.size(); ++i) {
      const uint64_t ts = kT0 + i * kMs;
      switch (c.order[i]) {
        case 0: pkts.push_back(frag4(0x77, kIp4MoreFrags, first, ts)); break;
        case 1: pkts.push_back(frag4(0x77, kIp4MoreFrags | 8, payload(64), ts)); break;
        default: pkts.push_back(frag4(0x77, 16, payload(30), ts)); break;
      }
    }
    feed(t, pkts, out);
    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), 1u + c.orphans);
    const FlowRecord* flow = nullptr;
    for (const FlowRecord& r : out.recs)
      if (r.key.kind == KeyKind::kIPv4) flow = &r;
    ASSERT_NE(flow, nullptr);
    EXPECT_EQ(flow->dir[0].pkts, c.joined_pkts);
    EXPECT_EQ(flow->key.sport, 5000);
    EXPECT_EQ(flow->start_ns / 1000, kT0 / 1000) << "the report starts at the earliest fragment";
    EXPECT_EQ(t.counter(TableCounter::kFlowsCreated), 1u + c.orphans);
    EXPECT_EQ(t.counter(TableCounter::kFragOrphans), c.orphans);
  }
}

TEST(FlowTable, FragmentsFromTheResponderCountInTheDstDirection) {
  FlowTable t(table_config());
  Collector out;
  const Ip4Hdr back{.src = host(2), .dst = host(1), .proto = kIpUdp, .id = 0x55};
  Ip4Hdr back_later = back;
  back_later.frag = 185;
  feed(t, {udp_pkt(host(1), 5000, host(2), 6000, kT0),
           parsed(eth_ipv4_rev(Ip4Hdr{.src = host(2), .dst = host(1), .proto = kIpUdp, .id = 0x55,
                                      .frag = kIp4MoreFrags},
                               udp(6000, 5000, payload(1472))),
                  kT0 + kMs),
           parsed(eth_ipv4_rev(back_later, payload(100)), kT0 + 2 * kMs)},
       out);
  EXPECT_EQ(t.counter(TableCounter::kFragAttached), 1u);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  const FlowRecord& r = out.recs[0];
  EXPECT_EQ(key_src4(r), bytes_of(host(1)));
  EXPECT_EQ(r.dir[0].pkts, 1u);
  EXPECT_EQ(r.dir[1].pkts, 2u);
  EXPECT_TRUE(r.dir[1].fragments);
  EXPECT_FALSE(r.dir[0].fragments);
}

// Unlike IPv4, argus keys an IPv6 fragment train on its own: the later
// fragments are not added to the flow of the first one.
TEST(FlowTable, Ipv6FragmentTrainIsKeyedOnItsOwn) {
  auto frag6 = [](uint16_t off, bool more, const Bytes& data, uint64_t ts) {
    return parsed(eth(kEthIPv6) + ipv6({.nh = kIp6Fragment}, ip6_frag(kIpUdp, off, more, 99, data)), ts);
  };
  FlowTable t(table_config());
  Collector out;
  feed(t, {frag6(0, true, udp(5000, 6000, payload(1000)), kT0),
           frag6(1008, true, payload(1000), kT0 + kMs),
           frag6(2016, false, payload(200), kT0 + 2 * kMs)},
       out);
  EXPECT_EQ(t.counter(TableCounter::kFragAttached), 0u);
  EXPECT_EQ(t.counter(TableCounter::kFragOrphans), 2u);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  const FlowRecord* udp_flow = nullptr;
  const FlowRecord* train = nullptr;
  for (const FlowRecord& r : out.recs) (r.key.kind == KeyKind::kIPv6 ? udp_flow : train) = &r;
  ASSERT_NE(udp_flow, nullptr);
  ASSERT_NE(train, nullptr);
  EXPECT_EQ(udp_flow->key.sport, 5000);
  EXPECT_EQ(udp_flow->dir[0].pkts, 1u);
  EXPECT_EQ(train->key.kind, KeyKind::kIPv6Frag);
  EXPECT_EQ(train->key.aux, 99u);
  EXPECT_EQ(train->dir[0].pkts, 2u);
}

// ---- protocol exchanges ---------------------------------------------------

TEST(FlowTable, IcmpErrorIsMappedOntoTheFlowItQuotes) {
  FlowTable t(table_config());
  Collector out;
  const Bytes quoted = ipv4({.src = host(1), .dst = host(2), .proto = kIpUdp}, udp(5000, 6000));
  feed(t, {udp_pkt(host(1), 5000, host(2), 6000, kT0),
           parsed(eth_ipv4_rev({.src = host(2), .dst = host(1), .proto = kIpIcmp},
                               icmp(3, 3, 0, quoted)),
                  kT0 + kMs)},
       out);
  EXPECT_EQ(t.counter(TableCounter::kIcmpMapped), 1u);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  const FlowRecord* udp_flow = nullptr;
  for (const FlowRecord& r : out.recs)
    if (r.key.proto == kIpUdp) udp_flow = &r;
  ASSERT_NE(udp_flow, nullptr);
  EXPECT_TRUE(udp_flow->flags & kRecIcmpMapped);
  EXPECT_EQ(udp_flow->icmp.type, 3);
  EXPECT_EQ(udp_flow->icmp.code, 3);
  EXPECT_EQ(Bytes(udp_flow->icmp.icmp_src, udp_flow->icmp.icmp_src + 4), bytes_of(host(2)));
  EXPECT_EQ(Bytes(udp_flow->icmp.inner_src, udp_flow->icmp.inner_src + 4), bytes_of(host(1)));
}

TEST(FlowTable, IcmpEchoRequestAndReplyAreOneFlowPerSequence) {
  FlowTable t(table_config());
  Collector out;
  auto echo = [](uint8_t type, const Ip4& s, const Ip4& d, uint16_t seq, uint64_t ts) {
    return parsed(eth_ipv4({.src = s, .dst = d, .proto = kIpIcmp}, icmp_echo(type, 7, seq)), ts);
  };
  feed(t, {echo(8, host(1), host(2), 1, kT0), echo(0, host(2), host(1), 1, kT0 + kMs),
           echo(8, host(1), host(2), 2, kT0 + kSec), echo(0, host(2), host(1), 2, kT0 + kSec + kMs)},
       out);
  EXPECT_EQ(t.active_flows(), 2u);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  for (const FlowRecord& r : out.recs) {
    EXPECT_EQ(key_src4(r), bytes_of(host(1))) << "the requester is the source";
    EXPECT_EQ(r.dir[0].pkts, 1u);
    EXPECT_EQ(r.dir[1].pkts, 1u);
  }
}

TEST(FlowTable, ArpReplyJoinsTheRequest) {
  const Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  FlowTable t(table_config());
  Collector out;
  feed(t, {parsed(eth(kEthArp, bcast, kMacA) + arp(1, kMacA, kIpA, Mac{}, kIpB), kT0),
           parsed(eth(kEthArp, kMacA, kMacB) + arp(2, kMacB, kIpB, kMacA, kIpA), kT0 + kMs)},
       out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  const FlowRecord& r = out.recs[0];
  EXPECT_EQ(r.key.kind, KeyKind::kArp);
  EXPECT_EQ(key_src4(r), bytes_of(kIpA));
  EXPECT_EQ(r.dir[0].pkts, 1u);
  EXPECT_EQ(r.dir[1].pkts, 1u);
  EXPECT_TRUE(r.flags & kRecArpReply);
  EXPECT_EQ(Bytes(r.arp_responder_mac, r.arp_responder_mac + 6), bytes_of(kMacB));
  EXPECT_FALSE(r.flags & kRecIsIp);
}

// Unidirectional flows (ARGUS_FLOW_TYPE=Unidirectional), as argus 3.0.8.2
// keys them: each direction of a UDP or TCP conversation is a flow of its
// own, src its sender; an ICMPv4 echo pair stays one flow; an ICMPv6 echo
// reply is a flow of its own, keyed by its own type.
TEST(FlowTable, UnidirectionalFlowsKeyEachDirectionApart) {
  FlowTableConfig c = table_config();
  c.unidirectional = true;
  FlowTable t(c);
  Collector out;
  auto echo = [](uint8_t type, const Ip4& s, const Ip4& d, uint64_t ts) {
    return parsed(eth_ipv4({.src = s, .dst = d, .proto = kIpIcmp}, icmp_echo(type, 7, 1)), ts);
  };
  auto echo6 = [](uint8_t type, const Ip6& s, const Ip6& d, uint64_t ts) {
    return parsed(eth(kEthIPv6) + ipv6({.src = s, .dst = d, .nh = kIpIcmp6}, icmp_echo(type, 7, 1)), ts);
  };
  feed(t,
       {udp_pkt(host(9), 1000, host(2), 2000, kT0, 32), udp_pkt(host(2), 2000, host(9), 1000, kT0 + kMs, 100),
        udp_pkt(host(9), 1000, host(2), 2000, kT0 + 2 * kMs, 32), echo(8, host(1), host(2), kT0 + 3 * kMs),
        echo(0, host(2), host(1), kT0 + 4 * kMs), echo6(128, kIp6A, kIp6B, kT0 + 5 * kMs),
        echo6(129, kIp6B, kIp6A, kT0 + 6 * kMs)},
       out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 5u);
  int udp_flows = 0, icmp6_flows = 0;
  for (const FlowRecord& r : out.recs) {
    if (r.key.proto == kIpUdp) {
      ++udp_flows;
      EXPECT_EQ(r.dir[1].pkts, 0u) << "one direction per flow";
      const bool from9 = key_src4(r) == bytes_of(host(9));
      EXPECT_EQ(r.key.sport, from9 ? 1000 : 2000) << "src is the sender, ports with it";
      EXPECT_EQ(r.dir[0].pkts, from9 ? 2u : 1u);
    } else if (r.key.proto == kIpIcmp) {
      EXPECT_EQ(r.dir[0].pkts, 1u);
      EXPECT_EQ(r.dir[1].pkts, 1u) << "the ICMPv4 reply stays with its request";
    } else {
      ASSERT_EQ(r.key.proto, kIpIcmp6);
      ++icmp6_flows;
      const bool reply = (r.key.sport >> 8) == 129;
      EXPECT_EQ(Bytes(r.key.src, r.key.src + 16), bytes_of(reply ? kIp6B : kIp6A));
      EXPECT_EQ(r.dir[0].pkts, 1u);
      EXPECT_EQ(r.dir[1].pkts, 0u);
    }
  }
  EXPECT_EQ(udp_flows, 2);
  EXPECT_EQ(icmp6_flows, 2) << "the ICMPv6 echo reply is keyed by its own type";
}

// A unidirectional TCP flow sees one side only. argus then takes a SYN sent
// again for a resend, but neither data sent again nor data filling a gap
// (it judges those against the other side), and times no handshake ACK
// for the responder's half (its first segment a SYN-ACK).
TEST(FlowTable, UnidirectionalTcpHalvesFlagOnlyResentSyns) {
  for (bool uni : {false, true}) {
    SCOPED_TRACE(uni ? "unidirectional" : "bidirectional");
    FlowTableConfig c = table_config();
    c.unidirectional = uni;
    FlowTable t(c);
    Collector out;
    auto seg = [](const Ip4& s, uint16_t sp, const Ip4& d, uint16_t dp, uint32_t seq, uint8_t flags, size_t len,
                  uint64_t ts) {
      return parsed(eth_ipv4({.src = s, .dst = d, .proto = kIpTcp},
                             tcp({.sport = sp, .dport = dp, .seq = seq, .ack = 1, .flags = flags}, payload(len))),
                    ts);
    };
    // Client 10.0.0.1:40000: a SYN sent twice, then an ACK. Server
    // 10.0.0.2:80: a SYN-ACK, its ACK's twin from the server side, data
    // sent twice (a resend once the client has spoken: with the client
    // silent argus would take the copy for neither).
    feed(t,
         {seg(host(1), 40000, host(2), 80, 100, kTcpSyn, 0, kT0), seg(host(1), 40000, host(2), 80, 100, kTcpSyn, 0, kT0 + kSec),
          seg(host(2), 80, host(1), 40000, 500, kTcpSyn | kTcpAck, 0, kT0 + kSec + kMs),
          seg(host(1), 40000, host(2), 80, 101, kTcpAck, 0, kT0 + kSec + kMs + kMs / 2),
          seg(host(2), 80, host(1), 40000, 501, kTcpAck, 0, kT0 + kSec + 2 * kMs),
          seg(host(2), 80, host(1), 40000, 501, kTcpAck | kTcpPsh, 10, kT0 + kSec + 3 * kMs),
          seg(host(2), 80, host(1), 40000, 501, kTcpAck | kTcpPsh, 10, kT0 + kSec + 400 * kMs)},
         out);
    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), uni ? 2u : 1u);
    for (const FlowRecord& r : out.recs) {
      const bool client = key_src4(r) == bytes_of(host(1));
      ASSERT_TRUE(r.flags & kRecTcp);
      if (!uni) {
        EXPECT_TRUE(r.tcp.status & kTcpSrcRetrans) << "the SYN sent again";
        EXPECT_TRUE(r.tcp.status & kTcpDstRetrans) << "the server's data sent again";
        EXPECT_EQ(r.tcp.dir[1].retrans, 1u);
      } else if (client) {
        EXPECT_TRUE(r.tcp.status & kTcpSrcRetrans) << "the SYN sent again";
        EXPECT_EQ(r.tcp.dir[0].retrans, 1u);
      } else {
        EXPECT_FALSE(r.tcp.status & (kTcpSrcRetrans | kTcpDstRetrans)) << "data sent again, not judged";
        EXPECT_EQ(r.tcp.dir[0].retrans, 0u);
        EXPECT_EQ(r.tcp.ackdat_us, 0u) << "no handshake ACK from the SYN-ACK's own side";
        EXPECT_EQ(r.tcp.synack_us, 0u);
      }
    }
  }
}

// Data sent again at the start of a later report, as argus judges it (the
// server's second report: its retransmission count and out-of-order bit).
TEST(FlowTable, DataSentAgainInALaterReportIsJudgedAgainstThePeersAcknowledgement) {
  constexpr uint32_t a = 1000, b = 5000;
  struct Seg {
    bool from_client;
    uint32_t seq, ack;
    uint8_t flags;
    size_t len;
  };
  const Seg d1{false, b + 1, a + 101, kTcpAck | kTcpPsh, 100}, d2{false, b + 101, a + 101, kTcpAck | kTcpPsh, 100};
  const Seg gap{};  // marks the pause that starts the next report
  struct Case {
    const char* what;
    std::vector<Seg> steps;
    uint32_t retrans;
    bool out_of_order;
  };
  const Case cases[] = {
      {"the last segment again, the client silent: neither", {d1, gap, d1}, 0, false},
      {"an earlier segment again, at the client's acknowledgement: a resend", {d1, d2, gap, d1}, 1, false},
      {"its middle again, beyond the client's acknowledgement: out of order",
       {d1, gap, {false, b + 51, a + 101, kTcpAck | kTcpPsh, 25}}, 0, true},
      {"the last segment twice, beyond the acknowledgement: neither", {d1, d2, gap, d2, d2}, 0, false},
      {"the last segment twice, at the acknowledgement: the second is a resend", {d1, gap, d1, d1}, 1, false},
      {"new data, then part of it again beyond the acknowledgement: out of order",
       {d1, gap, d2, {false, b + 101, a + 101, kTcpAck | kTcpPsh, 50}}, 0, true},
      {"the same when the report's data runs unbroken from the acknowledgement: a resend",
       {d1, gap, d1, d2, {false, b + 101, a + 101, kTcpAck | kTcpPsh, 50}}, 1, false},
      {"after the client's ACK in the report: a resend", {d1, gap, {true, a + 101, b + 1, kTcpAck, 0}, d1}, 1, false},
      {"a FIN on the last segment again: one for the FIN", {d1, gap, {false, b + 1, a + 101, kTcpAck | kTcpFin, 100}},
       1, false},
      {"a FIN on an earlier segment again: one for the data, one for the FIN",
       {d1, d2, gap, {false, b + 1, a + 101, kTcpAck | kTcpFin, 100}}, 2, false},
  };
  for (const Case& c : cases) {
    FlowTable t(table_config());
    Collector out;
    std::vector<Seg> all = {{true, a, 0, kTcpSyn, 0}, {false, b, a + 1, kTcpSyn | kTcpAck, 0},
                            {true, a + 1, b + 1, kTcpAck, 0}, {true, a + 1, b + 1, kTcpAck | kTcpPsh, 100}};
    all.insert(all.end(), c.steps.begin(), c.steps.end());
    std::vector<ParsedPacket> pkts;
    uint64_t ts = kT0;
    for (const Seg& g : all) {
      if (g.flags == 0) {
        ts += 6 * kSec;
        continue;
      }
      const Ip4 s = g.from_client ? host(1) : host(2), d = g.from_client ? host(2) : host(1);
      const uint16_t sp = g.from_client ? 40000 : 80, dp = g.from_client ? 80 : 40000;
      pkts.push_back(parsed(eth_ipv4({.src = s, .dst = d, .proto = kIpTcp},
                                     tcp({.sport = sp, .dport = dp, .seq = g.seq, .ack = g.ack, .flags = g.flags},
                                         payload(g.len))),
                            ts));
      ts += 10 * kMs;
    }
    feed(t, pkts, out);
    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), 2u) << c.what;
    const FlowRecord& r = out.recs[1];
    EXPECT_EQ(r.tcp.dir[1].retrans, c.retrans) << c.what;
    EXPECT_EQ(bool(r.tcp.status & kTcpDstRetrans), c.retrans != 0) << c.what;
    EXPECT_EQ(bool(r.tcp.status & kTcpDstOutOfOrder), c.out_of_order) << c.what;
  }
}

// argus keeps a reset for its report alone, and splits a flow at a SYN
// only after a reset that closed the connection: a refusal of the first
// SYN (the responder's reset acknowledging it) leaves the next SYN a resend
// of the same flow, in the same report or a later one.
TEST(FlowTable, ResetsArePerReportAndOnlyAClosingResetSplitsTheFlow) {
  FlowTable t(table_config());
  Collector out;
  auto seg = [](bool from_client, uint16_t cport, uint32_t seq, uint32_t ack, uint8_t flags, uint64_t ts) {
    const Ip4 s = from_client ? host(1) : host(2), d = from_client ? host(2) : host(1);
    const uint16_t sp = from_client ? cport : 80, dp = from_client ? 80 : cport;
    return parsed(eth_ipv4({.src = s, .dst = d, .proto = kIpTcp},
                           tcp({.sport = sp, .dport = dp, .seq = seq, .ack = ack, .flags = flags}, payload(0))),
                  ts);
  };
  const uint64_t later = kT0 + 6 * kSec;  // past the 5 s status interval
  feed(t,
       {// 40001: refused, tried again in the report and in the next one.
        seg(true, 40001, 100, 0, kTcpSyn, kT0), seg(false, 40001, 0, 101, kTcpRst | kTcpAck, kT0 + kMs),
        seg(true, 40001, 100, 0, kTcpSyn, kT0 + 300 * kMs),
        // 40002: reset after the SYN-ACK, then a SYN in a later report.
        seg(true, 40002, 100, 0, kTcpSyn, kT0 + 2 * kMs), seg(false, 40002, 500, 101, kTcpSyn | kTcpAck, kT0 + 3 * kMs),
        seg(false, 40002, 501, 101, kTcpRst | kTcpAck, kT0 + 4 * kMs),
        seg(true, 40001, 100, 0, kTcpSyn, later), seg(true, 40002, 100, 0, kTcpSyn, later + kMs)},
       out);
  t.flush_all(0, out);
  std::vector<const FlowRecord*> refused, closed;
  for (const FlowRecord& r : out.recs) (r.key.sport == 40001 || r.key.dport == 40001 ? refused : closed).push_back(&r);
  ASSERT_EQ(refused.size(), 2u);
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(refused[0]->seq, refused[1]->seq) << "one flow: the SYN after a refusal is a resend";
  EXPECT_EQ(refused[0]->tcp.status & (kTcpDstReset | kTcpSrcRetrans), kTcpDstReset | kTcpSrcRetrans);
  EXPECT_EQ(refused[1]->tcp.status & (kTcpDstReset | kTcpSrcRetrans), kTcpSrcRetrans)
      << "the reset stays in its own report";
  EXPECT_NE(closed[0]->seq, closed[1]->seq) << "a SYN after a closing reset starts a new flow";
  EXPECT_TRUE(closed[0]->tcp.status & kTcpDstReset);
  EXPECT_FALSE(closed[1]->tcp.status & (kTcpDstReset | kTcpSrcRetrans));
}

// LAYER_3_MATRIX: every IP packet between two hosts is one flow whatever
// its protocol, ports or fragment; ARP keeps its own key; no TCP state.
// Unidirectional, each host's packets are a flow of their own.
TEST(FlowTable, MatrixFlowsAreAddressPairs) {
  for (bool uni : {false, true}) {
    SCOPED_TRACE(uni ? "unidirectional" : "bidirectional");
    FlowTableConfig c = table_config();
    c.matrix = true;
    c.unidirectional = uni;
    FlowTable t(c);
    Collector out;
    const Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    feed(t,
         {udp_pkt(host(9), 1000, host(2), 53, kT0),
          parsed(eth_ipv4({.src = host(2), .dst = host(9), .proto = kIpTcp},
                          tcp({.sport = 80, .dport = 40000, .flags = kTcpSyn | kTcpAck})),
                 kT0 + kMs),
          parsed(eth_ipv4({.src = host(9), .dst = host(2), .proto = kIpIcmp}, icmp_echo(8, 7, 1)), kT0 + 2 * kMs),
          parsed(eth_ipv4({.src = host(2), .dst = host(9), .proto = kIpIcmp}, icmp_echo(0, 7, 1)), kT0 + 3 * kMs),
          parsed(eth_ipv4({.src = host(9), .dst = host(2), .proto = kIpUdp, .id = 7, .frag = 100},
                          payload(40)),
                 kT0 + 4 * kMs),
          udp_pkt(host(9), 1000, host(3), 53, kT0 + 5 * kMs),
          parsed(eth(kEthArp, bcast, kMacA) + arp(1, kMacA, kIpA, Mac{}, kIpB), kT0 + 6 * kMs)},
         out);
    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), uni ? 4u : 3u);
    uint64_t pair_pkts = 0;
    for (const FlowRecord& r : out.recs) {
      if (r.key.kind == KeyKind::kArp) continue;
      EXPECT_TRUE(r.key.flags & kKeyMatrix);
      EXPECT_EQ(r.key.proto, 0);
      EXPECT_EQ(r.key.sport, 0);
      EXPECT_EQ(r.key.dport, 0);
      EXPECT_FALSE(r.flags & kRecTcp) << "a matrix flow keeps no TCP state";
      if (Bytes(r.key.dst, r.key.dst + 4) == bytes_of(host(3))) continue;
      if (Bytes(r.key.src, r.key.src + 4) == bytes_of(host(2)) || Bytes(r.key.dst, r.key.dst + 4) == bytes_of(host(2))) {
        pair_pkts += r.dir[0].pkts + r.dir[1].pkts;
        EXPECT_EQ(key_src4(r), bytes_of(uni && r.dir[0].pkts == 2 ? host(2) : host(9)));
        if (uni) {
          EXPECT_EQ(r.dir[1].pkts, 0u);
        }
      }
    }
    EXPECT_EQ(pair_pkts, 5u) << "UDP, TCP, the echo pair and the fragment of 10.0.0.9 and 10.0.0.2";
  }
}

TEST(FlowTable, VlanAndMplsAttributesReachTheRecord) {
  FlowTable t(table_config());
  Collector out;
  const Bytes ip = ipv4({.proto = kIpUdp}, udp(1000, 2000, payload(4)));
  feed(t, {parsed(eth(kEthVlan) + vlan_tag(0x6064, kEthMpls) + mpls(1000, true) + ip, kT0)}, out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  const FlowRecord& r = out.recs[0];
  EXPECT_TRUE(r.flags & kRecHasVlan);
  EXPECT_TRUE(r.flags & kRecHasMpls);
  EXPECT_EQ(r.dir[0].vlan_tci, 0x6064);
  EXPECT_EQ(r.dir[0].mpls_lse, mpls_lse(1000, true));
  EXPECT_EQ(r.dir[0].encaps, kEncEther | kEncVlan | kEncMpls);
  EXPECT_FALSE(r.dir[1].has_vlan);
}

TEST(FlowTable, ByteCountsPast2To47GoOutInAnEarlyReportWithNothingLost) {
  // Per-report byte counts are 48 bits wide in the table; a report is sent
  // before either count could wrap. Frames claiming 4 GiB each reach 2^47
  // bytes after 32769 packets, well inside one status interval.
  FlowTable t(table_config());
  Collector out;
  ParsedPacket p = udp_pkt(host(1), 1000, host(2), 2000, kT0);
  p.wire_len = UINT32_MAX;
  p.payload_bytes = UINT32_MAX - 100;
  const uint64_t n = 40000;
  for (uint64_t i = 0; i < n; ++i) {
    p.ts_ns = kT0 + i * 1000;
    feed(t, p, out);
  }
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u) << "one early report, then the flush";
  uint64_t bytes = 0, app = 0, pkts = 0;
  for (const FlowRecord& r : out.recs) {
    EXPECT_EQ(r.seq, out.recs[0].seq);
    EXPECT_LE(r.dir[0].bytes, uint64_t{1} << 48);
    bytes += r.dir[0].bytes;
    app += r.dir[0].app_bytes;
    pkts += r.dir[0].pkts;
  }
  EXPECT_EQ(pkts, n);
  EXPECT_EQ(bytes, n * UINT32_MAX);
  EXPECT_EQ(app, n * (UINT32_MAX - 100));
  EXPECT_GE(out.recs[0].dir[0].bytes, uint64_t{1} << 47);
}

TEST(FlowTable, PerFlowBitsBesideTheKeyNeverChangeWhichFlowAPacketFinds) {
  // The entry keeps its own bits in the key's padding: lookups, removals
  // and the reported key must all ignore them.
  FlowTable t(table_config(64));
  Collector out;
  std::vector<ParsedPacket> pkts = distinct_flows(40, kT0, kMs);
  for (ParsedPacket& p : distinct_flows(40, kT0 + kSec, kMs)) pkts.push_back(p);
  feed(t, pkts, out);
  EXPECT_EQ(t.active_flows(), 40u);
  EXPECT_EQ(t.counter(TableCounter::kFlowsCreated), 40u);
  // Idle expiry removes every entry through its bucket; the table is then
  // empty and takes 40 new flows again.
  t.sweep(kT0 + 100 * kSec, t.capacity(), out);
  EXPECT_EQ(t.active_flows(), 0u);
  feed(t, distinct_flows(40, kT0 + 200 * kSec, kMs), out);
  EXPECT_EQ(t.active_flows(), 40u);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 80u);
  for (const FlowRecord& r : out.recs) {
    EXPECT_EQ(r.key.pad, 0u);
    EXPECT_EQ(r.dir[0].pkts, r.start_ns < kT0 + 100 * kSec ? 2u : 1u);
  }
}

TEST(FlowTable, IpOptionsAndCookedEncapsulationReachTheRecord) {
  FlowTable t(table_config());
  Collector out;
  ParsedPacket a = udp_pkt(host(1), 1000, host(2), 2000, kT0);
  a.ip_opts = kIpOptRecordRoute;
  a.encaps = kEncSll | kEncEther;
  ParsedPacket b = udp_pkt(host(1), 1000, host(2), 2000, kT0 + kMs);
  b.ip_opts = kIpOptTimestamp;
  ParsedPacket c = udp_pkt(host(2), 2000, host(1), 1000, kT0 + 2 * kMs);
  c.ip_opts = kIpOptRouterAlert;
  ParsedPacket d = udp_pkt(host(2), 2000, host(1), 1000, kT0 + 3 * kMs);
  feed(t, {a, b, c, d}, out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  const FlowRecord& r = out.recs[0];
  // As argus shows them: each side's latest packet's options.
  EXPECT_EQ(r.dir[0].ip_opts, kIpOptTimestamp) << "the initiator's latest packet's";
  EXPECT_EQ(r.dir[1].ip_opts, 0) << "the responder's latest packet had none";
  EXPECT_EQ(r.dir[0].encaps, kEncSll | kEncEther);
  EXPECT_EQ(r.dir[1].encaps, kEncEther);
}

// Records whose user bytes are copied at emit time (the table's scratch
// buffer is reused for the next record).
class UserCollector final : public RecordEmitter {
 public:
  void emit(const FlowRecord& rec) override {
    recs.push_back(rec);
    for (unsigned d = 0; d < 2; ++d)
      user[d].push_back(std::string(reinterpret_cast<const char*>(rec.user_buf) + d * kMaxUserBytes,
                                    rec.user_len[d]));
  }
  std::vector<FlowRecord> recs;
  std::vector<std::string> user[2];
};

TEST(FlowTable, UserBytesAreEachDirectionsFirstBytesOfTheReport) {
  FlowTableConfig c = table_config();
  c.user_bytes = 8;
  FlowTable t(c);
  UserCollector out;
  auto pkt = [](bool from_client, uint64_t ts, const char* data) {
    ParsedPacket p = from_client ? udp_pkt(host(1), 1000, host(2), 2000, ts) : udp_pkt(host(2), 2000, host(1), 1000, ts);
    p.user = reinterpret_cast<const uint8_t*>(data);
    p.user_len = static_cast<uint16_t>(std::strlen(data));
    return p;
  };
  // Report 1: the client's bytes run across packets and stop at 8; the
  // server's single packet is shorter than 8.
  feed(t, {pkt(true, kT0, "abc"), pkt(false, kT0 + kMs, "XY"), pkt(true, kT0 + 2 * kMs, "defghij"),
           pkt(true, kT0 + 3 * kMs, "zzz"), pkt(false, kT0 + 4 * kMs, "")},
       out);
  // Report 2 (after the 5 s status interval) starts afresh; the server sends nothing.
  feed(t, {pkt(true, kT0 + 6 * kSec, "next")}, out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  EXPECT_EQ(out.user[0][0], "abcdefgh");
  EXPECT_EQ(out.user[1][0], "XY");
  EXPECT_EQ(out.user[0][1], "next");
  EXPECT_EQ(out.user[1][1], "");
  EXPECT_EQ(out.recs[0].user_capacity, 8);
}

// A direction whose bytes fill its slot stops taking more; the other
// direction goes on filling its own, in the flow opened by either side.
TEST(FlowTable, UserBytesOfOneDirectionFullLeaveTheOtherFilling) {
  FlowTableConfig c = table_config();
  c.user_bytes = 4;
  for (const bool client_first : {true, false}) {
    FlowTable t(c);
    UserCollector out;
    auto pkt = [](bool from_client, uint64_t ts, const char* data) {
      ParsedPacket p =
          from_client ? udp_pkt(host(1), 1000, host(2), 2000, ts) : udp_pkt(host(2), 2000, host(1), 1000, ts);
      p.user = reinterpret_cast<const uint8_t*>(data);
      p.user_len = static_cast<uint16_t>(std::strlen(data));
      return p;
    };
    const bool a = client_first;  // the initiator: direction 0
    feed(t, {pkt(a, kT0, "abcdef"), pkt(a, kT0 + kMs, "gh"), pkt(!a, kT0 + 2 * kMs, "X"), pkt(a, kT0 + 3 * kMs, "ij"),
             pkt(!a, kT0 + 4 * kMs, "YZ"), pkt(!a, kT0 + 5 * kMs, "WV")},
         out);
    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), 1u) << client_first;
    EXPECT_EQ(out.user[0][0], "abcd") << client_first;
    EXPECT_EQ(out.user[1][0], "XYZW") << client_first;
  }
}

TEST(FlowTable, InputClockSteppingBackKeepsTheEarlierCapturesFlowsWhole) {
  // Two captures read one after the other, the second three years older
  // (or one packet with a timestamp far in the future): the input clock
  // steps back with the second, so its flow is one flow of three packets,
  // not three flows that time out against the first capture's clock.
  constexpr uint64_t kYears3 = 3ULL * 365 * 86400 * kSec;
  std::vector<ParsedPacket> pkts = {udp_pkt(host(1), 1000, host(2), 2000, kT0 + kYears3),
                                    udp_pkt(host(3), 3000, host(4), 4000, kT0),
                                    udp_pkt(host(4), 4000, host(3), 3000, kT0 + 1 * kSec),
                                    udp_pkt(host(3), 3000, host(4), 4000, kT0 + 2 * kSec)};
  uint64_t clock = 0;
  for (ParsedPacket& p : pkts) {
    PacketView v{};
    v.ts_ns = p.ts_ns;
    stamp_input_clock(v, clock);
    p.clock_ns = v.clock_ns;
  }
  EXPECT_EQ(pkts[1].clock_ns, kT0) << "the clock steps back to the older packet";
  EXPECT_EQ(pkts[2].clock_ns, kT0);
  FlowTable t(table_config());
  Collector out;
  feed(t, pkts, out);
  EXPECT_TRUE(out.recs.empty()) << "no flow timed out";
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  EXPECT_EQ(total_pkts(out.recs), 4u);
  // Small disorder leaves the clock alone.
  uint64_t c2 = kT0 + 5 * kSec;
  PacketView late{};
  late.ts_ns = kT0 + 4500 * kMs;
  stamp_input_clock(late, c2);
  EXPECT_EQ(late.clock_ns, kT0 + 5 * kSec);
  EXPECT_EQ(c2, kT0 + 5 * kSec);
}

// Start records (argus's ARGUS_GENERATE_START_RECORDS), as argus 3.0.8.2
// writes them on the capture corpus (tests/parity start-records mode).
FlowTableConfig start_config() {
  FlowTableConfig c = table_config();
  c.start_records = true;
  return c;
}

TEST(FlowTable, StartRecordReportsTheFirstPacketAloneAndTheRestAsStatus) {
  // A UDP exchange, one packet every 500 ms alternating, the client first.
  FlowTable t(start_config());
  Collector out;
  std::vector<ParsedPacket> pkts;
  for (int i = 0; i <= 12; ++i) {
    const uint64_t ts = kT0 + static_cast<uint64_t>(i) * 500 * kMs;
    pkts.push_back(i % 2 ? udp_pkt(host(2), 2000, host(1), 1000, ts) : udp_pkt(host(1), 1000, host(2), 2000, ts));
  }
  feed(t, {pkts[0]}, out);
  ASSERT_EQ(out.recs.size(), 1u) << "the start record goes out with the first packet, before any timer";
  feed(t, std::vector<ParsedPacket>(pkts.begin() + 1, pkts.end()), out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 3u);
  EXPECT_EQ(total_pkts(out.recs), 13u) << "no packet lost or counted twice";
  const FlowRecord& start = out.recs[0];
  EXPECT_EQ(start.cause, kCauseStart);
  EXPECT_EQ(start.dir[0].pkts, 1u);
  EXPECT_EQ(start.dir[1].pkts, 0u);
  EXPECT_EQ(start.start_ns, kT0);
  EXPECT_EQ(start.last_ns, kT0);
  // The next report: Status; its interval counts from the flow's first
  // packet (it ends before kT0 + 5 s, not 5 s after its own first packet),
  // and it starts at the server's reply at +500 ms: that came in an earlier
  // whole second than the client's next packet at +1 s (see below).
  const FlowRecord& second = out.recs[1];
  EXPECT_EQ(second.cause, kCauseStatus);
  EXPECT_EQ(second.seq, start.seq);
  EXPECT_EQ(second.start_ns, kT0 + 500 * kMs);
  EXPECT_EQ(second.last_ns, kT0 + 4500 * kMs);
  EXPECT_EQ(second.dir[0].pkts + second.dir[1].pkts, 9u);
  EXPECT_EQ(out.recs[2].cause, kCauseStatus);
  EXPECT_EQ(out.recs[2].start_ns, kT0 + 5 * kSec);
  EXPECT_EQ(t.counter(TableCounter::kReports), 3u);
}

TEST(FlowTable, ALaterReportStartsAtTheResponderOnlyIfItSpokeInAnEarlierSecond) {
  // argus starts a later report at the initiator's first packet in it,
  // unless the responder's packets came in an earlier whole second of
  // packet time (it compares the seconds alone). Reports every 5 s.
  struct Case {
    const char* desc;
    uint64_t resp_ms, init_ms, want_ms;
  };
  for (const Case& c : {Case{"the same second: at the initiator's packet", 6200, 6500, 6500},
                        Case{"2 ms apart across a second: at the responder's", 6999, 7001, 6999},
                        Case{"over a second apart: at the responder's", 6500, 7600, 6500}}) {
    FlowTable t(table_config());
    Collector out;
    feed(t,
         {udp_pkt(host(1), 1000, host(2), 2000, kT0), udp_pkt(host(2), 2000, host(1), 1000, kT0 + 10 * kMs),
          udp_pkt(host(1), 1000, host(2), 2000, kT0 + 4900 * kMs),
          udp_pkt(host(2), 2000, host(1), 1000, kT0 + c.resp_ms * kMs),
          udp_pkt(host(1), 1000, host(2), 2000, kT0 + c.init_ms * kMs)},
         out);
    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), 2u) << c.desc;
    EXPECT_EQ(out.recs[1].start_ns, kT0 + c.want_ms * kMs) << c.desc;
    EXPECT_EQ(out.recs[1].last_ns, kT0 + c.init_ms * kMs) << c.desc;
    EXPECT_EQ(out.recs[1].dir[0].pkts + out.recs[1].dir[1].pkts, 2u) << c.desc;
  }
}

ParsedPacket esp_pkt(uint32_t spi, uint32_t seq, uint64_t ts) {
  Bytes hdr;
  put32(hdr, spi);
  put32(hdr, seq);
  return parsed(eth(kEthIPv4) + ipv4({.src = host(1), .dst = host(2), .proto = 50}, hdr + payload(40)), ts);
}

TEST(FlowTable, EspSequenceNumbersGiveLossAsArgusCountsIt) {
  // One security association, packets 10 ms apart in one report.
  struct Case {
    const char* desc;
    std::vector<uint32_t> seqs;
    uint32_t last, lost, status;
  };
  for (const Case& c : {
           Case{"in order: nothing lost", {1, 2, 3, 4, 5}, 5, 0, 0},
           Case{"4 and 5 never seen: 2 lost", {1, 2, 3, 6, 7}, 7, 2, kEspGap},
           Case{"3 and 4 swapped: the late one is not lost", {1, 2, 4, 3, 5}, 5, 0, kEspGap | kEspOutOfOrder},
           Case{"the count starts at the first number seen", {100, 101, 103}, 103, 1, kEspGap},
           Case{"a duplicate of the highest number", {1, 2, 2, 3}, 3, 0, kEspDuplicate},
           Case{"late numbers never make the count negative", {10, 11, 2}, 11, 0, kEspOutOfOrder},
       }) {
    SCOPED_TRACE(c.desc);
    FlowTable t(table_config());
    Collector out;
    std::vector<ParsedPacket> pkts;
    for (size_t i = 0; i < c.seqs.size(); ++i) pkts.push_back(esp_pkt(0xabcd0001, c.seqs[i], kT0 + i * 10 * kMs));
    feed(t, pkts, out);
    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), 1u);
    EXPECT_EQ(out.recs[0].esp.last_seq, c.last);
    EXPECT_EQ(out.recs[0].esp.lost, c.lost);
    EXPECT_EQ(out.recs[0].esp.status, c.status);
  }
}

TEST(FlowTable, EspLossIsPerReportTheHighestNumberCarriesOver) {
  // Reports every 5 s: 1, 2, 4 in the first (3 lost), then 5 (no loss: it
  // follows 4 of the last report), 9, 10 (6 to 8 lost).
  FlowTable t(table_config());
  Collector out;
  std::vector<ParsedPacket> pkts;
  const uint32_t seqs[] = {1, 2, 4, 5, 9, 10};
  for (size_t i = 0; i < 6; ++i) pkts.push_back(esp_pkt(0xabcd0001, seqs[i], kT0 + i * 2 * kSec));
  feed(t, pkts, out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  EXPECT_EQ(out.recs[0].esp.last_seq, 4u);
  EXPECT_EQ(out.recs[0].esp.lost, 1u);
  EXPECT_EQ(out.recs[1].esp.last_seq, 10u);
  EXPECT_EQ(out.recs[1].esp.lost, 3u);
  EXPECT_EQ(out.recs[1].esp.status, kEspGap);
}

TEST(FlowTable, WithoutStartRecordsTheFirstReportHoldsTheFirstPacket) {
  FlowTable t(table_config());
  Collector out;
  feed(t, {udp_pkt(host(1), 1000, host(2), 2000, kT0), udp_pkt(host(2), 2000, host(1), 1000, kT0 + kMs)}, out);
  EXPECT_TRUE(out.recs.empty());
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  EXPECT_EQ(out.recs[0].cause, kCauseStart);
  EXPECT_EQ(out.recs[0].dir[0].pkts + out.recs[0].dir[1].pkts, 2u);
}

TEST(FlowTable, AfterAQuietIntervalTheReportAfterTheStartRecordCountsFromItsOwnPacket) {
  // The flow's second packet comes 6 s after its first (status interval
  // 5 s): the next report starts there and is not cut by the reply 100 ms
  // later.
  FlowTable t(start_config());
  Collector out;
  feed(t,
       {udp_pkt(host(1), 1000, host(2), 2000, kT0), udp_pkt(host(1), 1000, host(2), 2000, kT0 + 6 * kSec),
        udp_pkt(host(2), 2000, host(1), 1000, kT0 + 6100 * kMs)},
       out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  EXPECT_EQ(out.recs[1].start_ns, kT0 + 6 * kSec);
  EXPECT_EQ(out.recs[1].dir[0].pkts, 1u);
  EXPECT_EQ(out.recs[1].dir[1].pkts, 1u);
}

TEST(FlowTable, IcmpReplyOpensTheReportAfterTheStartRecord) {
  // argus (observed): after a start record the responder's ICMP reply
  // starts the next report, where normally it would not.
  FlowTable t(start_config());
  Collector out;
  feed(t,
       {parsed(eth_ipv4({.src = kIpA, .dst = kIpB, .proto = kIpIcmp}, icmp_echo(8, 7, 1)), kT0),
        parsed(eth_ipv4({.src = kIpB, .dst = kIpA, .proto = kIpIcmp}, icmp_echo(0, 7, 1)), kT0 + 20 * kMs),
        parsed(eth_ipv4({.src = kIpA, .dst = kIpB, .proto = kIpIcmp}, icmp_echo(8, 7, 1)), kT0 + 1 * kSec)},
       out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  EXPECT_EQ(out.recs[1].start_ns, kT0 + 20 * kMs);
}

TEST(FlowTable, LaterFragmentsNeitherOpenTheReportNorGiveUserBytes) {
  // The start record takes the first fragment; the datagram's later
  // fragments join the next report, which starts at the next datagram and
  // takes its user bytes from it (argus's, on ip-fragments-ipv4-nfs-udp).
  FlowTableConfig c = start_config();
  c.user_bytes = 4;
  FlowTable t(c);
  UserCollector out;
  Bytes second = payload(1472);
  second[0] = 'Z';
  // The frames outlive the parsed packets, which point into them.
  const std::vector<Bytes> frames = {
      eth_ipv4({.proto = kIpUdp, .id = 0x1234, .frag = kIp4MoreFrags}, udp(5000, 6000, payload(1472))),
      eth_ipv4({.proto = kIpUdp, .id = 0x1234, .frag = 185}, payload(1480)),
      eth_ipv4({.proto = kIpUdp, .id = 0x1235, .frag = kIp4MoreFrags}, udp(5000, 6000, second))};
  uint8_t user[3][4];
  std::vector<ParsedPacket> pkts;
  for (size_t i = 0; i < frames.size(); ++i) {
    pkts.push_back(parsed(frames[i], kT0 + i * kMs));
    // As the worker does with -U: the packet's user bytes copied out.
    PacketView v{};
    v.data = frames[i].data();
    v.caplen = v.wirelen = static_cast<uint32_t>(frames[i].size());
    copy_user_bytes(v, 4, user[i], pkts.back());
  }
  ASSERT_EQ(pkts[1].user_len, 4) << "a later fragment has user bytes of its own (its IP header on)";
  feed(t, pkts, out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  EXPECT_EQ(out.recs[1].dir[0].pkts, 2u);
  EXPECT_EQ(out.recs[1].start_ns, kT0 + 2 * kMs);
  EXPECT_EQ(out.user[0][1], "Zbcd");
}

TEST(FlowTable, NoUserBytesWithoutTheSwitch) {
  FlowTable t(table_config());
  UserCollector out;
  ParsedPacket p = udp_pkt(host(1), 1000, host(2), 2000, kT0);
  p.user = reinterpret_cast<const uint8_t*>("data");
  p.user_len = 4;
  feed(t, {p}, out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  EXPECT_EQ(out.recs[0].user_len[0] + out.recs[0].user_len[1], 0);
}

TEST(FlowTable, PacketsWithoutAKeyAreIgnored) {
  FlowTable t(table_config());
  Collector out;
  ParsedPacket p;
  std::memset(&p, 0, sizeof p);
  p.ts_ns = kT0;
  feed(t, p, out);
  EXPECT_EQ(t.active_flows(), 0u);
  EXPECT_EQ(t.counter(TableCounter::kFlowsCreated), 0u);
}

}  // namespace
}  // namespace argos::test

namespace argos::test {
namespace {

// The record switches' state (FlowTableConfig::extra_metrics, -Z -m and
// bidirectional timestamps), as argus 3.0.8.2 keeps it.
TEST(FlowTable, ExtraMetricsPerReportAndPerFlow) {
  FlowTableConfig cfg = table_config();
  cfg.extra_metrics = true;
  FlowTable t(cfg);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.bytes_per_flow(), FlowTable(table_config()).bytes_per_flow() + 32);
  const Mac kMacC{0x02, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc};
  auto frame = [](const Mac& dst, const Mac& src, const Ip4& from, const Ip4& to, uint16_t sport, uint16_t dport,
                  size_t len) {
    return eth(kEthIPv4, dst, src) + ipv4({.src = from, .dst = to, .proto = kIpUdp}, udp(sport, dport, payload(len)));
  };
  Collector out;
  // First report: two packets from the initiator (74 and 52 bytes on the
  // wire) and one answer (142), with mirrored MAC pairs.
  const ParsedPacket first[] = {
      parsed(frame(kMacB, kMacA, host(1), host(2), 5000, 53, 32), kT0),
      parsed(frame(kMacA, kMacB, host(2), host(1), 53, 5000, 100), kT0 + 2 * kMs),
      parsed(frame(kMacB, kMacA, host(1), host(2), 5000, 53, 10), kT0 + 3 * kMs)};
  t.process_burst(first, 3, out);
  // Second report (after the status interval): the initiator again, now
  // through another router MAC: one path no more.
  const ParsedPacket second = parsed(frame(kMacC, kMacA, host(1), host(2), 5000, 53, 20), kT0 + 6 * kSec);
  t.process_burst(&second, 1, out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  const FlowRecord& a = out.recs[0];
  SCOPED_TRACE("first report");
  EXPECT_EQ(a.dir[0].min_size, 52u);
  EXPECT_EQ(a.dir[0].max_size, 74u);
  EXPECT_EQ(a.dir[1].min_size, 142u);
  EXPECT_EQ(a.dir[1].max_size, 142u);
  EXPECT_TRUE(a.flags & kRecHasMacs);
  EXPECT_EQ(Bytes(a.mac_src, a.mac_src + 6), Bytes(kMacA.begin(), kMacA.end()));
  EXPECT_EQ(Bytes(a.mac_dst, a.mac_dst + 6), Bytes(kMacB.begin(), kMacB.end()));
  EXPECT_EQ(a.mac_multipath, 0);
  EXPECT_EQ(a.dir[0].first_ns, kT0);
  EXPECT_EQ(a.dir[0].last_ns, kT0 + 3 * kMs);
  EXPECT_EQ(a.dir[1].first_ns, kT0 + 2 * kMs);
  const FlowRecord& b = out.recs[1];
  SCOPED_TRACE("second report: sizes start again, the MACs stay the flow's first, multipath");
  EXPECT_EQ(b.dir[0].min_size, 62u);
  EXPECT_EQ(b.dir[0].max_size, 62u);
  EXPECT_EQ(b.dir[1].pkts, 0u);
  EXPECT_EQ(Bytes(b.mac_dst, b.mac_dst + 6), Bytes(kMacB.begin(), kMacB.end()));
  EXPECT_EQ(b.mac_multipath, 1);
}

// ---- -J: inter-packet intervals --------------------------------------------

FlowTableConfig jitter_config() {
  FlowTableConfig c = table_config();
  c.jitter = true;
  return c;
}

constexpr uint64_t kUs = 1000;

// A UDP packet of the flow 10.0.0.1:1000 <-> 10.0.0.2:2000, from the client
// or the server.
ParsedPacket client_at(uint64_t ts) { return udp_pkt(host(1), 1000, host(2), 2000, ts); }
ParsedPacket server_at(uint64_t ts) { return udp_pkt(host(2), 2000, host(1), 1000, ts); }

// A TCP segment between host 1 (port 40000) and host 2 (port 80).
ParsedPacket seg(bool from_client, uint64_t ts, uint8_t flags, uint32_t seq, uint32_t ack, size_t len) {
  const Ip4 a = from_client ? host(1) : host(2);
  const Ip4 b = from_client ? host(2) : host(1);
  const uint16_t sp = from_client ? 40000 : 80;
  const uint16_t dp = from_client ? 80 : 40000;
  return parsed(eth_ipv4({.src = a, .dst = b},
                         tcp({.sport = sp, .dport = dp, .seq = seq, .ack = ack, .flags = flags}, payload(len))),
                ts);
}

constexpr uint8_t kA = kTcpAck, kPA = kTcpPsh | kTcpAck;

TEST(FlowTable, JitterStatisticsPerDirectionAsArgusComputesThem) {
  FlowTable t(jitter_config());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.bytes_per_flow(), FlowTable(table_config()).bytes_per_flow() + 128);
  Collector out;
  // Client intervals 573 and 744 us; server intervals 1000 us; all UDP
  // intervals are active.
  feed(t,
       {client_at(kT0), server_at(kT0 + 100 * kUs), client_at(kT0 + 573 * kUs), server_at(kT0 + 1100 * kUs),
        client_at(kT0 + 1317 * kUs), server_at(kT0 + 2100 * kUs)},
       out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  const JitterStats& c = out.recs[0].jitter[0][0];
  EXPECT_EQ(c.n, 2u);
  EXPECT_EQ(c.min_us, 573u);
  EXPECT_EQ(c.max_us, 744u);
  EXPECT_FLOAT_EQ(c.mean_us, 658.5f);
  // argus's variance: floor(mean square) - mean^2 = 440932 - 433622.25,
  // a standard deviation of 85.497 us where the exact one is 85.5.
  EXPECT_NEAR(c.stddev_us, 85.49708, 1e-3);
  EXPECT_EQ(out.recs[0].jitter[0][1].n, 0u);
  const JitterStats& s = out.recs[0].jitter[1][0];
  EXPECT_EQ(s.n, 2u);
  EXPECT_FLOAT_EQ(s.mean_us, 1000.0f);
  EXPECT_FLOAT_EQ(s.stddev_us, 0.0f);
}

TEST(FlowTable, JitterIntervalSpanningReportsCountsInTheLaterUnlessTheFlowWasQuietTwoIntervals) {
  FlowTable t(jitter_config());  // status interval 5 s
  Collector out;
  feed(t,
       {client_at(kT0),
        // next report: 6 s later, one interval of 6 s
        client_at(kT0 + 6 * kSec),
        // next report: 10 s later (two status intervals): no interval
        client_at(kT0 + 16 * kSec)},
       out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 3u);
  EXPECT_EQ(out.recs[0].jitter[0][0].n, 0u);
  EXPECT_EQ(out.recs[1].jitter[0][0].n, 1u);
  EXPECT_EQ(out.recs[1].jitter[0][0].min_us, 6'000'000u);
  EXPECT_EQ(out.recs[2].jitter[0][0].n, 0u);
}

// The longest status interval argus allows (65534 s) lets intervals reach
// the 32-bit limit (71 minutes) and their sum go past it: the sum is kept
// in 40 bits, so the mean of two 4000 s intervals is 4000 s, not the
// remainder of a wrapped 32-bit sum.
TEST(FlowTable, JitterSumOfLongIntervalsDoesNotWrap) {
  FlowTableConfig cfg = jitter_config();
  cfg.status_interval_ns = 65534 * kSec;
  for (auto& t : cfg.idle_timeout_ns) t = 65534 * kSec;
  FlowTable t(cfg);
  Collector out;
  feed(t, {client_at(kT0), client_at(kT0 + 4000 * kSec), client_at(kT0 + 8000 * kSec)}, out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  const JitterStats& c = out.recs[0].jitter[0][0];
  EXPECT_EQ(c.n, 2u);
  EXPECT_EQ(c.min_us, 4'000'000'000u);
  EXPECT_EQ(c.max_us, 4'000'000'000u);
  EXPECT_FLOAT_EQ(c.mean_us, 4.0e9f);
}

TEST(FlowTable, JitterLeavesOutSameMicrosecondAndEarlierStamps) {
  FlowTable t(jitter_config());
  Collector out;
  // 100 us, then the same microsecond, then a stamp 39 us back, then 28 us
  // after the latest stamp (not after the earlier one).
  feed(t,
       {client_at(kT0), client_at(kT0 + 100 * kUs), client_at(kT0 + 100 * kUs + 300), client_at(kT0 + 61 * kUs),
        client_at(kT0 + 128 * kUs)},
       out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  const JitterStats& j = out.recs[0].jitter[0][0];
  EXPECT_EQ(j.n, 2u);
  EXPECT_EQ(j.min_us, 28u);
  EXPECT_EQ(j.max_us, 100u);
}

// The statistics are kept per side of the key, the report's per direction:
// a flow opened by the key's destination side (host 2 here) reports each
// direction's own intervals. A side quiet in a report shows none there,
// though its statistics of the report before are still in its line.
TEST(FlowTable, JitterOfAFlowOpenedByTheKeysDestinationAndOfASideQuietInAReport) {
  FlowTable t(jitter_config());  // status interval 5 s
  Collector out;
  feed(t,
       {server_at(kT0), client_at(kT0 + 10 * kUs), server_at(kT0 + 300 * kUs), client_at(kT0 + 510 * kUs),
        server_at(kT0 + 700 * kUs),
        // next report: the initiator (host 2) alone, 6 s and 40 us later
        server_at(kT0 + 6 * kSec), server_at(kT0 + 6 * kSec + 40 * kUs)},
       out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  // Direction 0 is the initiator, host 2: intervals 300 and 400 us.
  const JitterStats& i1 = out.recs[0].jitter[0][0];
  EXPECT_EQ(i1.n, 2u);
  EXPECT_EQ(i1.min_us, 300u);
  EXPECT_EQ(i1.max_us, 400u);
  const JitterStats& r1 = out.recs[0].jitter[1][0];
  EXPECT_EQ(r1.n, 1u);
  EXPECT_EQ(r1.min_us, 500u);
  // Report 2: the interval across the reports and the 40 us one; host 1 said nothing.
  const JitterStats& i2 = out.recs[1].jitter[0][0];
  EXPECT_EQ(i2.n, 2u);
  EXPECT_EQ(i2.min_us, 40u);
  EXPECT_EQ(i2.max_us, 6 * 1'000'000u - 700u);
  EXPECT_EQ(out.recs[1].jitter[1][0].n, 0u);
  EXPECT_EQ(out.recs[1].jitter[1][1].n, 0u);
}

// A flow that takes over the entry (and the statistics' lines) of an ended
// one starts afresh: the ended flow's last packets are not the new one's.
TEST(FlowTable, JitterOfAFlowInAReusedEntryStartsAfresh) {
  FlowTableConfig c = jitter_config();
  c.capacity = 64;
  FlowTable t(c);
  Collector out;
  feed(t, {client_at(kT0), server_at(kT0 + 5 * kUs), client_at(kT0 + 100 * kUs), server_at(kT0 + 200 * kUs)}, out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  // The same hosts again, as a new flow a second later: one interval per side.
  feed(t, {client_at(kT0 + kSec), server_at(kT0 + kSec + 7 * kUs), client_at(kT0 + kSec + 30 * kUs),
           server_at(kT0 + kSec + 57 * kUs)},
       out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  EXPECT_EQ(out.recs[1].jitter[0][0].n, 1u);
  EXPECT_EQ(out.recs[1].jitter[0][0].min_us, 30u);
  EXPECT_EQ(out.recs[1].jitter[1][0].n, 1u);
  EXPECT_EQ(out.recs[1].jitter[1][0].max_us, 50u);
}

// TCP intervals are active while a side sends data without a word from the
// other side, idle otherwise. Each case: the segments (10 ms apart unless
// given) and the expected active and idle counts per direction.
TEST(FlowTable, JitterSplitsTcpIntervalsIntoActiveAndIdle) {
  struct Case {
    const char* desc;
    std::vector<ParsedPacket> segs;
    uint32_t act[2], idle[2];
  };
  const uint64_t m = 10 * kMs;
  const Case cases[] = {
      {"a resent SYN is active for the initiator, a resent SYN-ACK idle for the responder",
       {seg(true, kT0, kTcpSyn, 100, 0, 0), seg(true, kT0 + 1 * kSec, kTcpSyn, 100, 0, 0),
        seg(false, kT0 + 1 * kSec + m, kTcpSyn | kA, 500, 101, 0),
        seg(false, kT0 + 2 * kSec, kTcpSyn | kA, 500, 101, 0)},
       {1, 0},
       {0, 1}},
      {"a flow opened by a SYN-ACK (the capture missed the SYN): the SYN-ACK sent again is idle",
       {seg(false, kT0, kTcpSyn | kA, 500, 101, 0), seg(false, kT0 + 1 * kSec, kTcpSyn | kA, 500, 101, 0)},
       {0, 0},
       {1, 0}},
      {"data with earlier data still unacknowledged is active; the first data, and data after the peer's reply "
       "acknowledged everything, idle",
       {seg(true, kT0, kTcpSyn, 100, 0, 0), seg(false, kT0 + m, kTcpSyn | kA, 500, 101, 0),
        seg(true, kT0 + 2 * m, kA, 101, 501, 0), seg(true, kT0 + 3 * m, kPA, 101, 501, 10),
        seg(true, kT0 + 4 * m, kPA, 111, 501, 10), seg(false, kT0 + 5 * m, kPA, 501, 121, 10),
        seg(true, kT0 + 6 * m, kPA, 121, 511, 10)},
       {1, 0},
       {3, 1}},
      {"a FIN right after data is idle",
       {seg(true, kT0, kTcpSyn, 100, 0, 0), seg(false, kT0 + m, kTcpSyn | kA, 500, 101, 0),
        seg(true, kT0 + 2 * m, kPA, 101, 501, 10), seg(true, kT0 + 3 * m, kPA, 111, 501, 10),
        seg(true, kT0 + 4 * m, kTcpFin | kA, 121, 501, 0)},
       {1, 0},
       {2, 0}},
      {"resent data is idle",
       {seg(true, kT0, kTcpSyn, 100, 0, 0), seg(false, kT0 + m, kTcpSyn | kA, 500, 101, 0),
        seg(true, kT0 + 2 * m, kPA, 101, 501, 10), seg(true, kT0 + 200 * kMs, kPA, 101, 501, 10)},
       {0, 0},
       {2, 0}},
      {"a duplicate ACK from the peer does not end a sender's run, a new ACK does; a segment filling a gap is idle",
       {seg(true, kT0, kTcpSyn, 100, 0, 0), seg(false, kT0 + m, kTcpSyn | kA, 500, 101, 0),
        seg(true, kT0 + 2 * m, kPA, 101, 501, 10), seg(false, kT0 + 3 * m, kPA, 501, 111, 100),
        seg(true, kT0 + 4 * m, kA, 111, 601, 0),
        seg(false, kT0 + 5 * m, kPA, 701, 111, 100),  // 601-701 missing
        seg(true, kT0 + 6 * m, kA, 111, 601, 0),       // duplicate
        seg(false, kT0 + 7 * m, kPA, 801, 111, 100),  // active
        seg(true, kT0 + 8 * m, kA, 111, 601, 0),       // duplicate
        seg(false, kT0 + 9 * m, kPA, 601, 111, 100),  // fills the gap: idle
        seg(true, kT0 + 10 * m, kA, 111, 901, 0), seg(false, kT0 + 11 * m, kPA, 901, 111, 100)},
       {0, 1},
       {5, 4}},
      {"data stays active while its side has data in flight, whatever comes between: a duplicate ACK, the "
       "peer's data that acknowledges none of it, an acknowledgement of part of it; once all is acknowledged, idle",
       {seg(true, kT0, kTcpSyn, 100, 0, 0), seg(false, kT0 + m, kTcpSyn | kA, 500, 101, 0),
        seg(true, kT0 + 2 * m, kA, 101, 501, 0), seg(true, kT0 + 3 * m, kPA, 101, 501, 10),  // nothing in flight
        seg(true, kT0 + 4 * m, kA, 111, 501, 0),                                             // duplicate ACK
        seg(true, kT0 + 5 * m, kPA, 111, 501, 10),                                           // active
        seg(false, kT0 + 6 * m, kPA, 501, 101, 10),                                          // acks none of it
        seg(true, kT0 + 7 * m, kPA, 121, 511, 10),                                           // active
        seg(false, kT0 + 8 * m, kA, 511, 121, 0),                                            // acks part
        seg(true, kT0 + 9 * m, kPA, 131, 511, 10),                                           // active
        seg(false, kT0 + 10 * m, kA, 511, 141, 0),                                           // acks all
        seg(true, kT0 + 11 * m, kPA, 141, 511, 10)},                                         // idle
       {3, 0},
       {4, 3}},
      {"a FIN that acknowledges nothing new leaves the peer's data in flight: its next data stays active",
       {seg(true, kT0, kTcpSyn, 100, 0, 0), seg(false, kT0 + m, kTcpSyn | kA, 500, 101, 0),
        seg(true, kT0 + 2 * m, kA, 101, 501, 0), seg(false, kT0 + 3 * m, kPA, 501, 101, 10),
        seg(false, kT0 + 4 * m, kPA, 511, 101, 10), seg(true, kT0 + 5 * m, kTcpFin | kA, 101, 501, 0),
        seg(false, kT0 + 6 * m, kPA, 521, 101, 10)},
       {0, 2},
       {2, 1}},
      {"picked up mid-stream: data before the peer is heard is idle, after it active",
       {seg(true, kT0, kPA, 101, 501, 10), seg(true, kT0 + m, kPA, 111, 501, 10),
        seg(false, kT0 + 2 * m, kA, 501, 121, 0), seg(true, kT0 + 3 * m, kPA, 121, 501, 10),
        seg(true, kT0 + 4 * m, kPA, 131, 501, 10)},
       {1, 0},
       {2, 0}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.desc);
    FlowTable t(jitter_config());
    Collector out;
    feed(t, c.segs, out);
    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), 1u);
    for (unsigned d = 0; d < 2; ++d) {
      EXPECT_EQ(out.recs[0].jitter[d][0].n, c.act[d]) << "active, direction " << d;
      EXPECT_EQ(out.recs[0].jitter[d][1].n, c.idle[d]) << "idle, direction " << d;
    }
  }
}

// In a later report argus counts the data a side sent before the report as
// acknowledged until the other side acknowledges something in it: the
// side's first data of the report is idle unless the other side spoke first
// with an ack below it. (Status interval 5 s.)
TEST(FlowTable, JitterInALaterReportTakesEarlierDataAsAcknowledgedUntilThePeerAcks) {
  const uint64_t m = 10 * kMs;
  const std::vector<ParsedPacket> report1 = {
      seg(true, kT0, kTcpSyn, 100, 0, 0), seg(false, kT0 + m, kTcpSyn | kA, 500, 101, 0),
      seg(true, kT0 + 2 * m, kA, 101, 501, 0), seg(true, kT0 + 3 * m, kPA, 101, 501, 100)};  // 101-201 unacked
  const uint64_t t2 = kT0 + 6 * kSec;
  struct Case {
    const char* desc;
    std::vector<ParsedPacket> report2;
    uint32_t act, idle;  // the client's, in the second report
  };
  const Case cases[] = {
      {"the client's data opens the report: idle; its next data, the first still unacknowledged, active",
       {seg(true, t2, kPA, 201, 501, 50), seg(true, t2 + m, kPA, 251, 501, 50)},
       1,
       1},
      {"the server's ACK below the client's data opens it: the client's data after it is active",
       {seg(false, t2, kA, 501, 101, 0), seg(true, t2 + m, kPA, 201, 501, 50)},
       1,
       0},
      {"the server's ACK of everything opens it: idle",
       {seg(false, t2, kA, 501, 201, 0), seg(true, t2 + m, kPA, 201, 501, 50)},
       0,
       1},
      {"the client's duplicate ACK opens it: its data after it is idle",
       {seg(true, t2, kA, 201, 501, 0), seg(true, t2 + m, kPA, 201, 501, 50)},
       0,
       2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.desc);
    FlowTable t(jitter_config());
    Collector out;
    feed(t, report1, out);
    feed(t, c.report2, out);
    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), 2u);
    EXPECT_EQ(out.recs[1].jitter[0][0].n, c.act) << "active";
    EXPECT_EQ(out.recs[1].jitter[0][1].n, c.idle) << "idle";
  }
}

// Where a later report starts (argus 3.0.8.2, observed on the corpus): at
// the initiator's first packet in it. The responder's TCP segments do not
// start it, except a SYN, FIN or RST that finds the old report still open;
// after a report sent on the timer not even those. A report with the
// responder's packets alone starts at its first.
TEST(FlowTable, LaterReportStartsWithTheInitiatorsFirstPacket) {
  const uint32_t c = 1000, s = 5000;
  const auto handshake = [&](uint64_t t) {
    return std::vector<ParsedPacket>{seg(true, t, kTcpSyn, c, 0, 0), seg(false, t + 100 * kUs, kTcpSyn | kA, s, c + 1, 0),
                                     seg(true, t + 200 * kUs, kA, c + 1, s + 1, 0)};
  };
  {
    // The old report went out on the timer (the sweep, 20 s of quiet); then
    // the responder's FIN, the initiator's ACK 53 us later: the ACK starts it.
    FlowTable t(table_config());
    Collector out;
    feed(t, handshake(kT0), out);
    t.sweep(kT0 + 20 * kSec, t.capacity(), out);
    ASSERT_EQ(out.recs.size(), 1u);
    feed(t, {seg(false, kT0 + 20 * kSec, kTcpFin | kA, s + 1, c + 1, 0),
             seg(true, kT0 + 20 * kSec + 53 * kUs, kA, c + 1, s + 2, 0)},
         out);
    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), 2u);
    EXPECT_EQ(out.recs[1].start_ns, kT0 + 20 * kSec + 53 * kUs);
    EXPECT_EQ(out.recs[1].last_ns, kT0 + 20 * kSec + 53 * kUs);
  }
  {
    // The same FIN finding the old report open (no sweep in between) starts
    // the new one; the initiator's later packet does not move it.
    FlowTable t(table_config());
    Collector out;
    feed(t, handshake(kT0), out);
    feed(t, {seg(false, kT0 + 20 * kSec, kTcpFin | kA, s + 1, c + 1, 0),
             seg(true, kT0 + 21 * kSec, kA, c + 1, s + 2, 0)},
         out);
    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), 2u);
    EXPECT_EQ(out.recs[1].start_ns, kT0 + 20 * kSec);
  }
  {
    // After the timer: the responder's data and then its FIN do not start
    // the report; the initiator's ACK after them does.
    FlowTable t(table_config());
    Collector out;
    feed(t, handshake(kT0), out);
    t.sweep(kT0 + 6 * kSec, t.capacity(), out);
    feed(t, {seg(false, kT0 + 6 * kSec, kPA, s + 1, c + 1, 53), seg(false, kT0 + 6 * kSec + 45 * kUs, kTcpFin | kA, s + 54, c + 1, 0),
             seg(true, kT0 + 6 * kSec + 57 * kUs, kA, c + 1, s + 54, 0)},
         out);
    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), 2u);
    EXPECT_EQ(out.recs[1].start_ns, kT0 + 6 * kSec + 57 * kUs);
  }
  {
    // A report with the responder's segments alone starts at the first.
    FlowTable t(table_config());
    Collector out;
    feed(t, handshake(kT0), out);
    t.sweep(kT0 + 6 * kSec, t.capacity(), out);
    feed(t, {seg(false, kT0 + 6 * kSec, kA, s + 1, c + 1, 100), seg(false, kT0 + 6 * kSec + 300 * kUs, kA, s + 101, c + 1, 100)},
         out);
    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), 2u);
    EXPECT_EQ(out.recs[1].dir[0].pkts, 0u);
    EXPECT_EQ(out.recs[1].start_ns, kT0 + 6 * kSec);
    EXPECT_EQ(out.recs[1].last_ns, kT0 + 6 * kSec + 300 * kUs);
  }
  {
    // UDP: the responder's packet starts the report like any other.
    FlowTable t(table_config());
    Collector out;
    feed(t, {client_at(kT0), server_at(kT0 + 100 * kUs)}, out);
    t.sweep(kT0 + 6 * kSec, t.capacity(), out);
    feed(t, {server_at(kT0 + 6 * kSec), client_at(kT0 + 7 * kSec)}, out);
    t.flush_all(0, out);
    ASSERT_EQ(out.recs.size(), 2u);
    EXPECT_EQ(out.recs[1].start_ns, kT0 + 6 * kSec);
  }
}

TEST(FlowTable, NoJitterWithoutTheSwitch) {
  FlowTable t(table_config());
  Collector out;
  feed(t, {client_at(kT0), client_at(kT0 + kMs)}, out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  EXPECT_EQ(out.recs[0].jitter[0][0].n + out.recs[0].jitter[0][1].n, 0u);
}

TEST(FlowTable, AQuietSideKeepsItsIpAttributesFromAnEarlierReport) {
  // argus repeats the TTL, TOS and IP id of a side that sent nothing in a
  // report, once that side has been heard in the flow.
  FlowTable t(table_config());
  Collector out;
  auto pkt = [](bool client, uint8_t ttl, uint64_t ts) {
    const Ip4 a = client ? host(1) : host(2), b = client ? host(2) : host(1);
    return parsed(eth_ipv4({.src = a, .dst = b, .proto = kIpUdp, .ttl = ttl, .tos = 0x28, .id = 77},
                           udp(client ? 1000 : 2000, client ? 2000 : 1000, payload(8))),
                  ts);
  };
  feed(t, {pkt(true, 64, kT0), pkt(false, 57, kT0 + kMs), pkt(true, 63, kT0 + 6 * kSec)}, out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 2u);
  const FlowRecord& r = out.recs[1];
  EXPECT_EQ(r.dir[1].pkts, 0u);
  EXPECT_EQ(r.dir[1].attrs_carried, 1);
  EXPECT_EQ(r.dir[1].ttl, 57);
  EXPECT_EQ(r.dir[1].tos, 0x28);
  EXPECT_EQ(r.dir[1].ip_id, 77);
  EXPECT_EQ(r.dir[0].ttl, 63);
  EXPECT_EQ(r.dir[0].attrs_carried, 0);
  EXPECT_EQ(out.recs[0].dir[1].attrs_carried, 0) << "heard in its own report";
}

// Without the switches there is no side array and no MAC flag.
TEST(FlowTable, NoExtraMetricsByDefault) {
  FlowTable t(table_config());
  EXPECT_EQ(t.extra_memory().addr, nullptr);
  Collector out;
  const ParsedPacket p = udp_pkt(host(1), 5000, host(2), 53, kT0);
  t.process_burst(&p, 1, out);
  t.flush_all(0, out);
  ASSERT_EQ(out.recs.size(), 1u);
  EXPECT_FALSE(out.recs[0].flags & kRecHasMacs);
  EXPECT_EQ(out.recs[0].dir[0].min_size, 0u);
}

}  // namespace
}  // namespace argos::test
