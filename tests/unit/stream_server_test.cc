// Allow-list networks of the stream server: parsing and matching IPv4,
// IPv6 and IPv4-mapped IPv6 client addresses.
#include "export/stream_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>

namespace argos {
namespace {

sockaddr_storage v4(const char* a) {
  sockaddr_storage ss{};
  auto* s = reinterpret_cast<sockaddr_in*>(&ss);
  s->sin_family = AF_INET;
  inet_pton(AF_INET, a, &s->sin_addr);
  return ss;
}

sockaddr_storage v6(const char* a) {
  sockaddr_storage ss{};
  auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
  s->sin6_family = AF_INET6;
  inet_pton(AF_INET6, a, &s->sin6_addr);
  return ss;
}

Cidr net(const char* text) {
  Cidr c;
  std::string err;
  EXPECT_TRUE(parse_cidr(text, c, err)) << text << ": " << err;
  return c;
}

TEST(Cidr, Ipv4Prefixes) {
  EXPECT_TRUE(cidr_contains(net("127.0.0.1/32"), v4("127.0.0.1")));
  EXPECT_FALSE(cidr_contains(net("127.0.0.1/32"), v4("127.0.0.2")));
  EXPECT_TRUE(cidr_contains(net("10.0.0.0/8"), v4("10.255.1.2")));
  EXPECT_FALSE(cidr_contains(net("10.0.0.0/8"), v4("11.0.0.1")));
  // A prefix that ends inside a byte.
  EXPECT_TRUE(cidr_contains(net("192.168.4.0/22"), v4("192.168.7.255")));
  EXPECT_FALSE(cidr_contains(net("192.168.4.0/22"), v4("192.168.8.0")));
  EXPECT_TRUE(cidr_contains(net("0.0.0.0/0"), v4("203.0.113.9")));
  EXPECT_TRUE(cidr_contains(net("192.0.2.7"), v4("192.0.2.7")));  // bare address: /32
}

TEST(Cidr, Ipv6AndMappedClients) {
  EXPECT_TRUE(cidr_contains(net("2001:db8::/32"), v6("2001:db8:1::5")));
  EXPECT_FALSE(cidr_contains(net("2001:db8::/32"), v6("2001:db9::5")));
  EXPECT_TRUE(cidr_contains(net("::1/128"), v6("::1")));
  // An IPv4 client on an IPv6 listener is ::ffff:a.b.c.d: IPv4 networks match it.
  EXPECT_TRUE(cidr_contains(net("127.0.0.0/8"), v6("::ffff:127.0.0.5")));
  EXPECT_FALSE(cidr_contains(net("127.0.0.0/8"), v6("::ffff:128.0.0.5")));
  // But an IPv6 client never matches an IPv4 network, nor the reverse.
  EXPECT_FALSE(cidr_contains(net("0.0.0.0/0"), v6("2001:db8::1")));
  EXPECT_FALSE(cidr_contains(net("::/0"), v4("10.0.0.1")));
}

TEST(Cidr, BadTextIsAnError) {
  Cidr c;
  std::string err;
  for (const char* bad : {"", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "host/8", "10.0.0.0/8x"}) {
    EXPECT_FALSE(parse_cidr(bad, c, err)) << bad;
    EXPECT_FALSE(err.empty()) << bad;
  }
}

}  // namespace
}  // namespace argos
