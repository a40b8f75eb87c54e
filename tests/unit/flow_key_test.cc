// Flow key tests: canonical order, fixed orientation for ICMP/ARP keys,
// seeded hash, full-key compare.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <set>

#include "flowtable/flow_key.h"

namespace argos {
namespace {

FlowKey ip4_key(std::array<uint8_t, 4> src, uint16_t sport, std::array<uint8_t, 4> dst,
                uint16_t dport, uint8_t proto = 6) {
  FlowKey k;
  std::memset(&k, 0, sizeof k);
  k.kind = KeyKind::kIPv4;
  std::memcpy(k.src, src.data(), 4);
  std::memcpy(k.dst, dst.data(), 4);
  k.sport = sport;
  k.dport = dport;
  k.proto = proto;
  return k;
}

FlowKey ip6_key(uint8_t src_last, uint8_t src_first, uint16_t sport, uint8_t dst_last,
                uint8_t dst_first, uint16_t dport) {
  FlowKey k;
  std::memset(&k, 0, sizeof k);
  k.kind = KeyKind::kIPv6;
  k.src[0] = src_first;
  k.src[15] = src_last;
  k.dst[0] = dst_first;
  k.dst[15] = dst_last;
  k.sport = sport;
  k.dport = dport;
  k.proto = 17;
  return k;
}

FlowKey ether_key(std::array<uint8_t, 6> src, std::array<uint8_t, 6> dst, uint16_t type) {
  FlowKey k;
  std::memset(&k, 0, sizeof k);
  k.kind = KeyKind::kEther;
  std::memcpy(k.src, src.data(), 6);
  std::memcpy(k.dst, dst.data(), 6);
  k.aux = static_cast<uint32_t>(type) << 16;
  return k;
}

FlowKey reversed(const FlowKey& k) {
  FlowKey r = k;
  std::memcpy(r.src, k.dst, 16);
  std::memcpy(r.dst, k.src, 16);
  r.sport = k.dport;
  r.dport = k.sport;
  return r;
}

// Both directions canonicalise to one key, exactly one of them is turned,
// and canonicalising again changes nothing.
void expect_one_canonical_key(const FlowKey& fwd) {
  FlowKey a = fwd;
  FlowKey b = reversed(fwd);
  const bool swapped_a = flow_key_canonicalize(a);
  const bool swapped_b = flow_key_canonicalize(b);
  EXPECT_TRUE(a == b);
  EXPECT_NE(swapped_a, swapped_b);
  FlowKey again = a;
  EXPECT_FALSE(flow_key_canonicalize(again));
  EXPECT_TRUE(again == a);
}

TEST(FlowKey, IsSixWordsWithZeroPadding) {
  static_assert(sizeof(FlowKey) == 48);
  const FlowKey k = ip4_key({10, 0, 0, 1}, 1, {10, 0, 0, 2}, 2);
  EXPECT_EQ(k.pad, 0u);
}

TEST(FlowKey, CanonicalIPv4BothDirections) {
  {
    SCOPED_TRACE("lower address first");
    expect_one_canonical_key(ip4_key({10, 0, 0, 1}, 40000, {10, 0, 0, 2}, 80));
  }
  {
    SCOPED_TRACE("higher address first");
    expect_one_canonical_key(ip4_key({192, 168, 1, 20}, 80, {10, 0, 0, 2}, 40000));
  }
  {
    SCOPED_TRACE("same address: ports decide");
    expect_one_canonical_key(ip4_key({127, 0, 0, 1}, 6000, {127, 0, 0, 1}, 5000));
  }
  // Ports travel with their endpoint.
  FlowKey k = ip4_key({10, 0, 0, 9}, 1111, {10, 0, 0, 1}, 2222);
  ASSERT_TRUE(flow_key_canonicalize(k));
  EXPECT_EQ(k.src[3], 1);
  EXPECT_EQ(k.sport, 2222);
  EXPECT_EQ(k.dst[3], 9);
  EXPECT_EQ(k.dport, 1111);
}

TEST(FlowKey, CanonicalIPv6BothDirections) {
  {
    SCOPED_TRACE("addresses differ in the last byte");
    expect_one_canonical_key(ip6_key(0x02, 0x20, 1000, 0x01, 0x20, 2000));
  }
  {
    SCOPED_TRACE("addresses differ in the first byte only");
    expect_one_canonical_key(ip6_key(0x01, 0xfe, 1000, 0x01, 0x20, 2000));
  }
}

TEST(FlowKey, CanonicalL2BothDirections) {
  expect_one_canonical_key(ether_key({0, 0x66, 0x77, 0x88, 0x99, 0xaa},
                                     {0, 0x11, 0x22, 0x33, 0x44, 0x55}, 0x88b5));
  // Only the six MAC bytes count.
  FlowKey k = ether_key({2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}, 0x88b5);
  EXPECT_FALSE(flow_key_canonicalize(k));
}

TEST(FlowKey, IcmpKeysKeepTypeCodeWhenTurned) {
  // An ICMP key the protocol does not orient (no kKeyNoCanon) is turned by
  // its addresses only: sport/dport name the exchange, not the endpoints.
  FlowKey k = ip4_key({10, 0, 0, 9}, 0x0303, {10, 0, 0, 1}, 6000, 1);
  EXPECT_FALSE(flow_key_ports_follow_endpoints(k));
  ASSERT_TRUE(flow_key_canonicalize(k));
  EXPECT_EQ(k.src[3], 1);
  EXPECT_EQ(k.dst[3], 9);
  EXPECT_EQ(k.sport, 0x0303);
  EXPECT_EQ(k.dport, 6000);

  // ICMPv6 neighbour discovery: the same rule.
  FlowKey nd = ip6_key(0x02, 0x20, 135 << 8, 0x01, 0x20, 0);
  nd.proto = 58;
  FlowKey nd_rev = nd;
  std::memcpy(nd_rev.src, nd.dst, 16);
  std::memcpy(nd_rev.dst, nd.src, 16);
  EXPECT_NE(flow_key_canonicalize(nd), flow_key_canonicalize(nd_rev));
  EXPECT_TRUE(nd == nd_rev);
  EXPECT_EQ(nd.sport, 135 << 8);
}

TEST(FlowKey, ProtocolOrientedKeysAreLeftAlone) {
  FlowKey echo = ip4_key({10, 0, 0, 9}, 0x0800, {10, 0, 0, 1}, 77, 1);
  echo.flags = kKeyNoCanon;
  const FlowKey before = echo;
  EXPECT_FALSE(flow_key_canonicalize(echo));
  EXPECT_TRUE(echo == before);

  FlowKey arp;
  std::memset(&arp, 0, sizeof arp);
  arp.kind = KeyKind::kArp;
  arp.flags = kKeyNoCanon;
  arp.src[0] = 0xff;
  const FlowKey arp_before = arp;
  EXPECT_FALSE(flow_key_canonicalize(arp));
  EXPECT_TRUE(arp == arp_before);

  EXPECT_TRUE(flow_key_ports_follow_endpoints(ip4_key({1, 1, 1, 1}, 1, {2, 2, 2, 2}, 2, 6)));
  EXPECT_TRUE(flow_key_ports_follow_endpoints(ip4_key({1, 1, 1, 1}, 1, {2, 2, 2, 2}, 2, 17)));
  EXPECT_FALSE(flow_key_ports_follow_endpoints(echo));
}

TEST(FlowKey, HashIsSeeded) {
  const FlowKey k = ip4_key({10, 0, 0, 1}, 40000, {10, 0, 0, 2}, 80);
  EXPECT_EQ(flow_key_hash(k, 1), flow_key_hash(k, 1));
  std::set<uint64_t> by_seed;
  for (uint64_t seed : {0ULL, 1ULL, 2ULL, 0x5eed5eed12345678ULL, ~0ULL}) by_seed.insert(flow_key_hash(k, seed));
  EXPECT_EQ(by_seed.size(), 5u) << "different seeds must give different hashes";
}

TEST(FlowKey, BothDirectionsHashAlikeAfterCanonicalisation) {
  FlowKey a = ip4_key({10, 0, 0, 1}, 40000, {10, 0, 0, 2}, 80);
  FlowKey b = reversed(a);
  EXPECT_NE(flow_key_hash(a, 7), flow_key_hash(b, 7));
  flow_key_canonicalize(a);
  flow_key_canonicalize(b);
  EXPECT_EQ(flow_key_hash(a, 7), flow_key_hash(b, 7));
}

TEST(FlowKey, DifferentAuxDiffers) {
  FlowKey q1 = ip4_key({10, 0, 0, 1}, 33000, {10, 0, 0, 53}, 53, 17);
  FlowKey q2 = q1;
  q1.aux = 0x1111;
  q2.aux = 0x2222;
  EXPECT_FALSE(q1 == q2);
  EXPECT_NE(flow_key_hash(q1, 9), flow_key_hash(q2, 9));
}

TEST(FlowKey, CompareCoversEveryByte) {
  const FlowKey base = ip4_key({10, 0, 0, 1}, 40000, {10, 0, 0, 2}, 80);
  for (size_t i = 0; i < sizeof(FlowKey); ++i) {
    FlowKey k = base;
    reinterpret_cast<uint8_t*>(&k)[i] ^= 0x01;
    EXPECT_FALSE(k == base) << "byte " << i;
    EXPECT_NE(flow_key_hash(k, 3), flow_key_hash(base, 3)) << "byte " << i;
  }
}

TEST(FlowKey, HashSpreadsSequentialKeys) {
  // 4096 keys that differ only in the source port over 64 buckets: every
  // bucket gets a share, none gets four times its share.
  std::array<int, 64> buckets{};
  for (uint16_t port = 0; port < 4096; ++port) {
    const FlowKey k = ip4_key({10, 0, 0, 1}, port, {10, 0, 0, 2}, 80);
    ++buckets[flow_key_hash(k, 0x5eed) & 63];
  }
  for (int n : buckets) {
    EXPECT_GT(n, 16);
    EXPECT_LT(n, 256);
  }
}

}  // namespace
}  // namespace argos
