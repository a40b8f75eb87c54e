// Several receive queues: where RSS puts a flow (RssQueueMap), and ICMP
// errors passed between two workers' tables to the flow they quote
// (IcmpExchange), with real tables and rings.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "dataplane/icmp_exchange.h"
#include "dataplane/parser.h"
#include "dataplane/rss.h"
#include "table_util.h"

namespace argos::test {
namespace {

// The verification key of Microsoft's RSS specification and its vectors,
// with and without the ports.
const uint8_t kSpecKey[40] = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
                              0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
                              0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
                              0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

FlowKey key4(const Ip4& src, const Ip4& dst, uint16_t sport, uint16_t dport, uint8_t proto) {
  FlowKey k{};
  std::memcpy(k.src, src.data(), 4);
  std::memcpy(k.dst, dst.data(), 4);
  k.sport = sport;
  k.dport = dport;
  k.proto = proto;
  k.kind = KeyKind::kIPv4;
  return k;
}

// The specification's key and a redirection table of 65536 entries naming
// themselves: the queue is the hash's low 16 bits.
RssQueueMap spec_map() {
  RssQueueMap m;
  m.key.assign(kSpecKey, kSpecKey + sizeof kSpecKey);
  m.reta.resize(65536);
  for (size_t i = 0; i < m.reta.size(); ++i) m.reta[i] = static_cast<uint16_t>(i);
  return m;
}

TEST(RssQueueMap, HashesAddressesAndPortsAsTheSpecificationSays) {
  struct {
    const char* desc;
    Ip4 src, dst;
    uint16_t sport, dport;
    uint32_t with_ports, addresses_only;
  } cases[] = {
      {"66.9.149.187:2794 -> 161.142.100.80:1766", {66, 9, 149, 187}, {161, 142, 100, 80}, 2794, 1766,
       0x51ccc178, 0x323e8fc2},
      {"199.92.111.2:14230 -> 65.69.140.83:4739", {199, 92, 111, 2}, {65, 69, 140, 83}, 14230, 4739,
       0xc626b0ea, 0xd718262a},
      {"24.19.198.95:12898 -> 12.22.207.184:38024", {24, 19, 198, 95}, {12, 22, 207, 184}, 12898, 38024,
       0x5c2b394a, 0xd2d0a5de},
  };
  RssQueueMap m = spec_map();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.desc);
    const FlowKey k = key4(c.src, c.dst, c.sport, c.dport, kIpTcp);
    m.ports = true;
    EXPECT_EQ(m.queue_of(k), c.with_ports & 0xffff);
    m.ports = false;
    EXPECT_EQ(m.queue_of(k), c.addresses_only & 0xffff);
    // Ports count for TCP and UDP only.
    m.ports = true;
    EXPECT_EQ(m.queue_of(key4(c.src, c.dst, c.sport, c.dport, kIpIcmp)), c.addresses_only & 0xffff);
  }
}

TEST(RssQueueMap, HashesIpv6AsTheSpecificationSays) {
  struct {
    const char* desc;
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    uint32_t with_ports, addresses_only;
  } cases[] = {
      {"[3ffe:2501:200:1fff::7]:2794 -> [3ffe:2501:200:3::1]:1766",
       {0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 7},
       {0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 1}, 2794, 1766, 0x40207d3d, 0x2cc18cd5},
      {"[3ffe:501:8::260:97ff:fe40:efab]:14230 -> [ff02::1]:4739",
       {0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0, 0, 0x02, 0x60, 0x97, 0xff, 0xfe, 0x40, 0xef, 0xab},
       {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 14230, 4739, 0xdde51bbf, 0x0f0c461c},
      {"[3ffe:1900:4545:3:200:f8ff:fe21:67cf]:44251 -> [fe80::200:f8ff:fe21:67cf]:38024",
       {0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00, 0x03, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf},
       {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf}, 44251, 38024, 0x02d1feef,
       0x4b61e985},
  };
  RssQueueMap m = spec_map();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.desc);
    FlowKey k{};
    k.kind = KeyKind::kIPv6;
    k.proto = kIpUdp;
    std::memcpy(k.src, c.src, 16);
    std::memcpy(k.dst, c.dst, 16);
    k.sport = c.sport;
    k.dport = c.dport;
    m.ports = true;
    EXPECT_EQ(m.queue_of(k), c.with_ports & 0xffff);
    m.ports = false;
    EXPECT_EQ(m.queue_of(k), c.addresses_only & 0xffff);
  }
}

TEST(RssQueueMap, BothDirectionsOfAFlowShareAQueueAndNonIpGoesToTheFirst) {
  const RssQueueMap m = symmetric_rss_map(4);
  uint32_t used = 0;
  for (uint16_t i = 0; i < 200; ++i) {
    const Ip4 a{10, 0, static_cast<uint8_t>(i), 1}, b{192, 168, 1, static_cast<uint8_t>(i * 7)};
    const FlowKey fwd = key4(a, b, static_cast<uint16_t>(1000 + i), 53, kIpUdp);
    const FlowKey rev = key4(b, a, 53, static_cast<uint16_t>(1000 + i), kIpUdp);
    ASSERT_EQ(m.queue_of(fwd), m.queue_of(rev)) << i;
    ASSERT_LT(m.queue_of(fwd), 4);
    used |= 1u << m.queue_of(fwd);
    FlowKey f6{}, r6{};
    f6.kind = r6.kind = KeyKind::kIPv6;
    f6.proto = r6.proto = kIpTcp;
    for (int j = 0; j < 16; ++j) {
      f6.src[j] = r6.dst[j] = static_cast<uint8_t>(i * 13 + j);
      f6.dst[j] = r6.src[j] = static_cast<uint8_t>(i * 5 + 3 * j);
    }
    ASSERT_EQ(m.queue_of(f6), m.queue_of(r6)) << i;
  }
  EXPECT_EQ(used, 0xfu) << "the flows spread over every queue";
  FlowKey arp{};
  arp.kind = KeyKind::kArp;
  arp.src[0] = 0xff;
  EXPECT_EQ(m.queue_of(arp), 0);
}

TEST(RssQueueMap, PortsAgreeOnlyWhenTheyPutFlowsOnTheSameQueues) {
  EXPECT_TRUE(rss_maps_agree(symmetric_rss_map(4), symmetric_rss_map(4)));
  // A 512-entry table filled round-robin over 4 queues gives what 128 does.
  RssQueueMap big = symmetric_rss_map(4);
  big.reta.resize(512);
  for (size_t i = 0; i < big.reta.size(); ++i) big.reta[i] = static_cast<uint16_t>(i % 4);
  EXPECT_TRUE(rss_maps_agree(symmetric_rss_map(4), big));
  // Over 3 queues it does not (128 and 512 are not multiples of 3).
  RssQueueMap big3 = symmetric_rss_map(3);
  big3.reta.resize(512);
  for (size_t i = 0; i < big3.reta.size(); ++i) big3.reta[i] = static_cast<uint16_t>(i % 3);
  EXPECT_FALSE(rss_maps_agree(symmetric_rss_map(3), big3));
  // Nor do ports hashing different inputs, or different queue counts.
  RssQueueMap ports = symmetric_rss_map(4);
  ports.ports = true;
  EXPECT_FALSE(rss_maps_agree(symmetric_rss_map(4), ports));
  EXPECT_FALSE(rss_maps_agree(symmetric_rss_map(4), symmetric_rss_map(2)));
}

Ip4 host(uint8_t last) { return {10, 0, 0, last}; }

class ExchangeTest : public ::testing::Test {
 protected:
  ExchangeTest() : x_(2, symmetric_rss_map(2), {&c0_, &c1_}) {
    t0_.set_icmp_router(&x_.peer(0));
    t1_.set_icmp_router(&x_.peer(1));
  }
  // A UDP flow from host 1 to a server whose queue is `q` (RSS over
  // addresses: the server's address picks it), and a router whose errors
  // to host 1 land on the other queue.
  static void pick(uint16_t q, Ip4& server, Ip4& router) {
    const RssQueueMap m = symmetric_rss_map(2);
    for (uint8_t s = 2; s < 250; ++s) {
      server = Ip4{10, 0, 1, s};
      if (m.queue_of(key4(host(1), server, 1000, 6000, kIpUdp)) == q) break;
    }
    for (uint8_t r = 1; r < 250; ++r) {
      router = Ip4{172, 16, 0, r};
      if (m.queue_of(key4(router, host(1), 0, 0, kIpIcmp)) != q) break;
    }
    ASSERT_EQ(m.queue_of(key4(host(1), server, 1000, 6000, kIpUdp)), q);
    ASSERT_NE(m.queue_of(key4(router, host(1), 0, 0, kIpIcmp)), q);
  }
  static ParsedPacket udp_out(const Ip4& server, uint64_t ts) {
    return parsed(udp_frame(host(1), 1000, server, 6000, 32), ts);
  }
  static ParsedPacket error_from(const Ip4& router, const Ip4& server, uint64_t ts) {
    const Bytes quoted = ipv4({.src = host(1), .dst = server, .proto = kIpUdp}, udp(1000, 6000));
    return parsed(eth_ipv4_rev({.src = router, .dst = host(1), .proto = kIpIcmp}, icmp(11, 0, 0, quoted)), ts);
  }
  static const FlowRecord* udp_record(const Collector& c) {
    for (const FlowRecord& r : c.recs)
      if (r.key.proto == kIpUdp) return &r;
    return nullptr;
  }

  WorkerCounters c0_, c1_;
  IcmpExchange x_;
  FlowTable t0_{table_config()}, t1_{table_config()};
  Collector out0_, out1_;
};

TEST_F(ExchangeTest, AnErrorLandingOnAnotherQueueReachesTheFlowItQuotes) {
  Ip4 server, router;
  pick(1, server, router);
  feed(t1_, udp_out(server, kT0), out1_);                  // the flow: worker 1
  feed(t0_, error_from(router, server, kT0 + kMs), out0_);  // its error: worker 0
  EXPECT_EQ(c0_.get(WorkerCounter::kIcmpForwarded), 1u);
  EXPECT_EQ(t0_.counter(TableCounter::kIcmpMapped), 0u);
  EXPECT_EQ(t1_.counter(TableCounter::kIcmpMapped), 0u) << "not before worker 1 reads its ring";
  x_.peer(1).poll(t1_);
  EXPECT_EQ(t1_.counter(TableCounter::kIcmpMapped), 1u);
  t0_.flush_all(0, out0_);
  t1_.flush_all(0, out1_);
  // The error is a flow of its own where it landed; the quoted flow says who sent it.
  ASSERT_EQ(out0_.recs.size(), 1u);
  EXPECT_EQ(out0_.recs[0].key.proto, kIpIcmp);
  const FlowRecord* u = udp_record(out1_);
  ASSERT_NE(u, nullptr);
  EXPECT_TRUE(u->flags & kRecIcmpMapped);
  EXPECT_EQ(u->icmp.type, 11);
  EXPECT_EQ(Bytes(u->icmp.icmp_src, u->icmp.icmp_src + 4), bytes_of(router));
  EXPECT_EQ(u->dir[0].last_ns, kT0 + kMs) << "the error extends the report to its time";
}

TEST_F(ExchangeTest, AnErrorOnTheQueueOfItsFlowStaysThere) {
  Ip4 server, router;
  pick(0, server, router);
  feed(t0_, {udp_out(server, kT0), error_from(router, server, kT0 + kMs)}, out0_);
  EXPECT_EQ(c0_.get(WorkerCounter::kIcmpForwarded), 0u);
  EXPECT_EQ(t0_.counter(TableCounter::kIcmpMapped), 1u);
}

TEST_F(ExchangeTest, AFullRingIsCountedNotWaitedFor) {
  Ip4 server, router;
  pick(1, server, router);
  std::vector<ParsedPacket> errors;
  for (size_t i = 0; i <= IcmpExchange::kRingNotes; ++i) errors.push_back(error_from(router, server, kT0 + i * 1000));
  feed(t0_, errors, out0_);
  EXPECT_EQ(c0_.get(WorkerCounter::kIcmpForwarded), IcmpExchange::kRingNotes);
  EXPECT_EQ(c0_.get(WorkerCounter::kIcmpUnforwarded), 1u);
}

TEST_F(ExchangeTest, AWorkerFinishesOnlyAfterTheOthersHaveClosed) {
  Ip4 server, router;
  pick(0, server, router);
  feed(t0_, udp_out(server, kT0), out0_);
  std::atomic<bool> finished{false};
  std::thread w0([&] {
    x_.peer(0).finish(t0_);
    finished = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_FALSE(finished.load()) << "worker 1 is still running";
  // Worker 1's last error, then its end.
  feed(t1_, error_from(router, server, kT0 + kMs), out1_);
  EXPECT_EQ(c1_.get(WorkerCounter::kIcmpForwarded), 1u);
  x_.peer(1).close();
  w0.join();
  EXPECT_TRUE(finished.load());
  EXPECT_EQ(t0_.counter(TableCounter::kIcmpMapped), 1u) << "taken before worker 0's final reports";
}

}  // namespace
}  // namespace argos::test
