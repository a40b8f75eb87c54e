// Toeplitz hash and the symmetric RSS key.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "dataplane/rss.h"

#if ARGOS_HAVE_DPDK
#include <rte_thash.h>
#endif

namespace argos {
namespace {

// The verification key and vectors of Microsoft's RSS specification
// (IPv4 with TCP ports), the reference NIC drivers are tested against.
const uint8_t kSpecKey[40] = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
                              0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
                              0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
                              0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

uint32_t ip(int a, int b, int c, int d) {
  return static_cast<uint32_t>(a) << 24 | static_cast<uint32_t>(b) << 16 |
         static_cast<uint32_t>(c) << 8 | static_cast<uint32_t>(d);
}

TEST(Rss, ToeplitzMatchesTheSpecificationVectors) {
  struct {
    const char* desc;
    uint32_t src, dst;
    uint16_t sport, dport;
    uint32_t want;
  } cases[] = {
      {"66.9.149.187:2794 -> 161.142.100.80:1766", ip(66, 9, 149, 187), ip(161, 142, 100, 80), 2794, 1766, 0x51ccc178},
      {"199.92.111.2:14230 -> 65.69.140.83:4739", ip(199, 92, 111, 2), ip(65, 69, 140, 83), 14230, 4739, 0xc626b0ea},
      {"24.19.198.95:12898 -> 12.22.207.184:38024", ip(24, 19, 198, 95), ip(12, 22, 207, 184), 12898, 38024, 0x5c2b394a},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.desc);
    uint8_t in[12];
    rss_ipv4_input(c.src, c.dst, c.sport, c.dport, in);
    EXPECT_EQ(toeplitz_hash(kSpecKey, sizeof kSpecKey, in, sizeof in), c.want);
  }
}

TEST(Rss, SymmetricKeyPassesTheSelfTestForEveryQueueCount) {
  for (uint16_t q : {1, 2, 3, 4, 8, 16}) {
    std::string err;
    EXPECT_TRUE(rss_symmetry_self_test(kSymmetricRssKey, kRssKeyBytes, q, 128, err)) << q << ": " << err;
  }
}

TEST(Rss, AnAsymmetricKeyFailsTheSelfTestLoudly) {
  std::string err;
  uint8_t key[kRssKeyBytes];
  std::memcpy(key, kSpecKey, sizeof kSpecKey);
  std::memset(key + sizeof kSpecKey, 0x5a, kRssKeyBytes - sizeof kSpecKey);
  EXPECT_FALSE(rss_symmetry_self_test(key, kRssKeyBytes, 4, 128, err));
  EXPECT_NE(err.find("not symmetric"), std::string::npos) << err;
}

#if ARGOS_HAVE_DPDK
TEST(Rss, AgreesWithDpdkSoftwareRss) {
  // rte_softrss takes the tuple as host-order words.
  for (uint32_t n = 1; n < 500; ++n) {
    const uint32_t src = n * 2654435761u, dst = n * 40503u + 7;
    const uint16_t sp = static_cast<uint16_t>(n * 31), dp = static_cast<uint16_t>(n * 17 + 3);
    rte_ipv4_tuple t;
    t.src_addr = src;
    t.dst_addr = dst;
    t.sport = sp;
    t.dport = dp;
    uint8_t in[12];
    rss_ipv4_input(src, dst, sp, dp, in);
    ASSERT_EQ(toeplitz_hash(kSymmetricRssKey, kRssKeyBytes, in, 12),
              rte_softrss(reinterpret_cast<uint32_t*>(&t), RTE_THASH_V4_L4_LEN, kSymmetricRssKey))
        << n;
    ASSERT_EQ(toeplitz_hash(kSpecKey, sizeof kSpecKey, in, 12),
              rte_softrss(reinterpret_cast<uint32_t*>(&t), RTE_THASH_V4_L4_LEN, kSpecKey))
        << n;
  }
}
#endif

}  // namespace
}  // namespace argos
