#include "export/udp_sink.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace argos {

namespace {
constexpr const char* kScheme = "argus-udp://";
constexpr const char* kDefaultPort = "561";  // argus's remote-access port
constexpr int kMulticastHops = 128;          // argus's multicast TTL
}  // namespace

bool is_udp_output(const std::string& spec) { return spec.rfind(kScheme, 0) == 0; }

UdpSink::~UdpSink() {
  if (fd_ >= 0) ::close(fd_);
}

bool UdpSink::open(const std::string& spec, std::string& err) {
  spec_ = spec;
  std::string rest = spec.substr(std::strlen(kScheme));
  std::string host, port = kDefaultPort;
  if (!rest.empty() && rest[0] == '[') {  // [v6addr]:port
    const size_t close = rest.find(']');
    if (close == std::string::npos) {
      err = "'" + spec + "': missing ']' after the IPv6 address";
      return false;
    }
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') {
        err = "'" + spec + "': expected ':PORT' after ']'";
        return false;
      }
      port = rest.substr(close + 2);
    }
  } else {
    const size_t colon = rest.rfind(':');
    host = rest.substr(0, colon);
    if (colon != std::string::npos) port = rest.substr(colon + 1);
  }
  if (host.empty() || port.empty()) {
    err = "'" + spec + "': give argus-udp://HOST[:PORT]";
    return false;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    err = "'" + spec + "': " + ::gai_strerror(rc);
    return false;
  }
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd_ = ::socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) continue;
    // A multicast group of collectors may lie beyond routers: argus sends
    // with a TTL (hop limit) of 128, where the system default is 1.
    const int hops = kMulticastHops;
    if (a->ai_family == AF_INET && IN_MULTICAST(ntohl(reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr.s_addr)))
      ::setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_TTL, &hops, sizeof hops);
    if (a->ai_family == AF_INET6 && IN6_IS_ADDR_MULTICAST(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr))
      ::setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops);
    if (::connect(fd_, a->ai_addr, a->ai_addrlen) == 0) break;
    ::close(fd_);
    fd_ = -1;
  }
  ::freeaddrinfo(res);
  if (fd_ < 0) {
    err = "'" + spec + "': cannot open a UDP socket to it: " + std::strerror(errno);
    return false;
  }
  // Room for bursts of records while the collector is slow to read.
  const int sndbuf = 4 << 20;
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  return true;
}

void UdpSink::write(const uint8_t* data, size_t len) {
  if (fd_ < 0) return;
  // A full socket buffer loses this datagram, as UDP push does. A
  // refusal (no collector listening: the ICMP port-unreachable of an
  // earlier datagram) is reported on this send, which did not go: that
  // earlier datagram is counted lost instead of sent, and this one is sent
  // again, so that every refused datagram is counted, not every other one.
  ssize_t n = ::send(fd_, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0 && errno == ECONNREFUSED) {
    if (sent_ > 0) {
      --sent_;
      ++dropped_;
    }
    n = ::send(fd_, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  if (n == static_cast<ssize_t>(len)) {
    ++sent_;
  } else {
    ++dropped_;
  }
}

}  // namespace argos
