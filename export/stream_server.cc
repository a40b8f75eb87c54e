#include "export/stream_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "export/argus_encoder.h"

namespace argos {

namespace {

const char* const kCounterNames[] = {ARGOS_SERVER_COUNTERS(ARGOS_COUNTER_NAME)};

// Error MARs argus sends before closing a refused client: a bare 4-byte
// header, MAR type, cause ERROR with detail 1 (access denied) or 2 (too many
// clients), length one word.
constexpr uint8_t kCauseAccessDenied = 0x81;
constexpr uint8_t kCauseTooManyClients = 0x82;

// Client messages are short strings; a filter may be longer.
constexpr size_t kInboxMaxBytes = 64 * 1024;

// ra sends its filter expression as "man or (EXPR)", so the parenthesis
// that opens EXPR closes at the message's last byte: a filter is known to be
// whole once it does, however the message was split into segments.
constexpr const char* kClientWrap = "man or (";

// A client's text as the log shows it: a filter may be 64 KiB long, and
// any byte a client sends stays on its line (a newline or an escape would
// let it write log lines of its own): control bytes show as \xNN.
std::string shortened(const std::string& s) {
  constexpr size_t kMax = 240;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const unsigned char ch = static_cast<unsigned char>(s[i]);
    if (ch >= 0x20 && ch != 0x7f) {
      out += static_cast<char>(ch);
      continue;
    }
    static const char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[ch >> 4];
    out += kHex[ch & 15];
  }
  return s.size() <= kMax ? out : out + "...(" + std::to_string(s.size()) + " bytes)";
}

// Where the FILTER: message at the start of `inbox` ends, when it is all
// there: false while the rest may still come (ra's wrapper not closed yet).
// Once it is, the message is all that has arrived before a START: behind
// it: a client that writes "man or (tcp) or (udp)" itself sends more than
// the wrapper, and none of it is dropped. A message in another form ends
// the same way.
bool filter_end(const std::string& inbox, size_t& end) {
  const size_t body = inbox.find_first_not_of(' ', 7);
  if (body == std::string::npos) return false;
  const std::string wrap = kClientWrap;
  const size_t have = std::min(inbox.size() - body, wrap.size());
  if (inbox.compare(body, have, wrap, 0, have) != 0) {
    end = std::min(inbox.size(), inbox.find("START:", body));
    return true;
  }
  int depth = 0;
  for (size_t i = body + wrap.size() - 1; i < inbox.size(); ++i) {
    depth += inbox[i] == '(' ? 1 : inbox[i] == ')' ? -1 : 0;
    if (depth == 0) {
      end = std::min(inbox.size(), inbox.find("START:", i + 1));
      return true;
    }
  }
  return false;
}

std::string peer_text(const sockaddr_storage& sa) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (sa.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&sa);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (sa.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&sa);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

bool prefix_match(const uint8_t* a, const uint8_t* net, unsigned bits) {
  const unsigned whole = bits / 8, rest = bits % 8;
  if (std::memcmp(a, net, whole) != 0) return false;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (net[whole] & mask);
}

}  // namespace

const char* server_counter_name(ServerCounter c) {
  return static_cast<size_t>(c) < kServerCounterCount ? kCounterNames[static_cast<size_t>(c)] : "server.unknown";
}

bool parse_cidr(const std::string& text, Cidr& out, std::string& err) {
  const size_t slash = text.find('/');
  const std::string addr = text.substr(0, slash);
  Cidr c;
  if (inet_pton(AF_INET, addr.c_str(), c.addr) == 1) {
    c.family = AF_INET;
    c.prefix_bits = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), c.addr) == 1) {
    c.family = AF_INET6;
    c.prefix_bits = 128;
  } else {
    err = "'" + text + "' is not an IPv4 or IPv6 network (ADDR or ADDR/BITS)";
    return false;
  }
  if (slash != std::string::npos) {
    const std::string bits = text.substr(slash + 1);
    char* end = nullptr;
    const long v = std::strtol(bits.c_str(), &end, 10);
    if (bits.empty() || *end || v < 0 || v > c.prefix_bits) {
      err = "'" + text + "': prefix length must be 0 to " + std::to_string(c.prefix_bits);
      return false;
    }
    c.prefix_bits = static_cast<uint8_t>(v);
  }
  out = c;
  return true;
}

bool cidr_contains(const Cidr& net, const sockaddr_storage& sa) {
  if (sa.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&sa);
    return net.family == AF_INET &&
           prefix_match(reinterpret_cast<const uint8_t*>(&a->sin_addr), net.addr, net.prefix_bits);
  }
  if (sa.ss_family != AF_INET6) return false;
  const auto* a6 = reinterpret_cast<const sockaddr_in6*>(&sa);
  const uint8_t* b = a6->sin6_addr.s6_addr;
  if (net.family == AF_INET6) return prefix_match(b, net.addr, net.prefix_bits);
  // An IPv4 client reaching an IPv6 listener appears as ::ffff:a.b.c.d.
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(b, kMapped, 12) == 0 && prefix_match(b + 12, net.addr, net.prefix_bits);
}

StreamServer::StreamServer(const StreamServerConfig& cfg) : cfg_(cfg) {}

StreamServer::~StreamServer() {
  for (Client& c : clients_)
    if (c.fd >= 0) ::close(c.fd);
  for (int fd : listen_fds_) ::close(fd);
}

bool StreamServer::open(std::string& err) {
  // An IPv4 address beside an IPv6 one gets its own socket: the IPv6 ones
  // then take IPv6 clients alone (else "::" would hold the IPv4 port too).
  bool any_v4 = false;
  for (const std::string& addr : cfg_.bind_addrs) {
    in_addr probe;
    any_v4 |= inet_pton(AF_INET, addr.c_str(), &probe) == 1;
  }
  for (const std::string& addr : cfg_.bind_addrs) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, addr.c_str(), &a4->sin_addr) == 1) {
      a4->sin_family = AF_INET;
      a4->sin_port = htons(cfg_.port);
      len = sizeof *a4;
    } else if (inet_pton(AF_INET6, addr.c_str(), &a6->sin6_addr) == 1) {
      a6->sin6_family = AF_INET6;
      a6->sin6_port = htons(cfg_.port);
      len = sizeof *a6;
    } else {
      err = "-B: '" + addr + "' is not an IPv4 or IPv6 address";
      return false;
    }
    const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      err = std::string("cannot create the listening socket: ") + std::strerror(errno);
      return false;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6) {
      // Alone, "::" also takes IPv4 clients (as ::ffff:a.b.c.d).
      const int v6only = any_v4 ? 1 : 0;
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 64) != 0) {
      err = "cannot listen on " + addr + " port " + std::to_string(cfg_.port) + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    sockaddr_storage bound{};
    socklen_t blen = sizeof bound;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen) == 0)
      bound_port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                                     : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    listen_fds_.push_back(fd);
  }
  return true;
}

void StreamServer::start(const uint8_t* mar, size_t len) { start_mar_.assign(mar, mar + len); }

void StreamServer::refuse(int fd, uint8_t cause, const std::string& peer, const char* why, ServerCounter c) {
  const uint8_t err_mar[4] = {0x83, cause, 0x00, 0x01};
  // Best effort: the socket is fresh, four bytes always fit its buffer.
  (void)!::send(fd, err_mar, sizeof err_mar, MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd);
  bump(c);
  std::fprintf(stderr, "argos: refused stream client %s: %s\n", peer.c_str(), why);
}

void StreamServer::accept_all(int listen_fd, uint64_t now_ns) {
  for (;;) {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&sa), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: none left (other errors: try again next pass)
    const std::string peer = peer_text(sa);
    bool allowed = cfg_.allow.empty();
    for (const Cidr& net : cfg_.allow) allowed = allowed || cidr_contains(net, sa);
    if (!allowed) {
      refuse(fd, kCauseAccessDenied, peer, "address not in the allow-list", ServerCounter::kRefusedDenied);
      continue;
    }
    if (clients_.size() >= cfg_.max_clients) {
      refuse(fd, kCauseTooManyClients, peer,
             ("already " + std::to_string(cfg_.max_clients) + " clients").c_str(), ServerCounter::kRefusedFull);
      continue;
    }
    // The kernel ends the connection once sent data stays unacknowledged
    // for the client timeout; the next send or receive then says so.
    const unsigned timeout_ms = cfg_.client_timeout_ms;
    ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout_ms, sizeof timeout_ms);
    Client c;
    c.fd = fd;
    c.peer = peer;
    c.connected_ns = now_ns;
    c.out.reserve(start_mar_.size() + 4096);
    c.out.assign(start_mar_.begin(), start_mar_.end());  // at once, before reading anything
    mar_set_now(c.out.data(), c.out.size(), now_ns);
    clients_.push_back(std::move(c));
    bump(ServerCounter::kAccepted);
  }
}

void StreamServer::drop(Client& c, ServerCounter reason, const char* why, bool say) {
  if (c.fd < 0) return;
  ::close(c.fd);
  c.fd = -1;
  if (c.started) started_now_.fetch_sub(1, std::memory_order_relaxed);
  bump(reason);
  if (say) std::fprintf(stderr, "argos: stream client %s disconnected: %s\n", c.peer.c_str(), why);
}

void StreamServer::lost(Client& c, int err) {
  if (err != ETIMEDOUT) return drop(c, ServerCounter::kClosed, std::strerror(err));
  const std::string why = "unreachable: nothing acknowledged for " + std::to_string(cfg_.client_timeout_ms / 1000) +
                          " s (--client-timeout)";
  drop(c, ServerCounter::kUnreachable, why.c_str());
}

void StreamServer::read_client(Client& c) {
  char buf[1024];
  for (;;) {
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) {
      drop(c, ServerCounter::kClosed, "closed by the client");
      return;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      lost(c, errno);
      return;
    }
    c.inbox.append(buf, static_cast<size_t>(n));
    if (c.inbox.size() > kInboxMaxBytes) {
      const std::string why = "client message too long (over " + std::to_string(kInboxMaxBytes) + " bytes)";
      drop(c, ServerCounter::kClosed, why.c_str(), true);
      return;
    }
  }
  // Messages are unterminated strings matched by prefix; each comes in its
  // own send, but two may share a segment ("START: " right after a reply).
  // The client sends START: only once FILTER: is answered, so a filter is
  // read whole before anything else.
  if (!c.filter_answered && c.inbox.compare(0, 7, "FILTER:") == 0) {
    size_t end = 0;
    if (!filter_end(c.inbox, end)) return;  // the rest of it is on its way
    take_filter(c, c.inbox.substr(7, end - 7));
    // Exactly "OK", once: a second one would corrupt the client's framing.
    c.out.push_back('O');
    c.out.push_back('K');
    c.filter_answered = true;
    c.inbox.erase(0, end);
  }
  if (!c.started && c.inbox.find("START:") != std::string::npos) {
    c.started = true;
    started_now_.fetch_add(1, std::memory_order_relaxed);
    bump(ServerCounter::kStarted);
  }
  if (c.inbox.find("DONE:") != std::string::npos) c.closing = true;
  // Keep only a possible message prefix split across reads.
  if (c.started) c.inbox.clear();
  if (c.inbox.size() > 16) c.inbox.erase(0, c.inbox.size() - 16);
}

void StreamServer::take_filter(Client& c, const std::string& text) {
  const size_t from = text.find_first_not_of(' ');
  const std::string expr = from == std::string::npos ? std::string() : text.substr(from);
  std::string why;
  if (expr.rfind(kClientWrap, 0) != 0) {
    why = "not in the form ra sends (\"" + std::string(kClientWrap) + "...)\")";
  } else if (!c.filter.compile(expr, why, cfg_.filter_context)) {
    // why says which word; the client still filters with its own reading
  } else {
    // ra turns some records around for display (mid-stream TCP, lone
    // replies) before it matches src and dst: a filter that names them is
    // matched both ways round, so nothing ra would keep is held back.
    c.filtering = true;
    c.either_way = c.filter.directed();
    bump(ServerCounter::kFiltered);
    std::fprintf(stderr, "argos: stream client %s: sending only the records of its filter \"%s\"%s\n",
                 c.peer.c_str(), shortened(expr).c_str(),
                 c.either_way ? " (matched both ways round: it names src or dst)" : "");
    return;
  }
  std::fprintf(stderr, "argos: stream client %s: sending every record, its filter \"%s\" is applied by the client (%s)\n",
               c.peer.c_str(), shortened(expr).c_str(), shortened(why).c_str());
}

bool StreamServer::send_pending(Client& c) {
  while (c.out_head < c.out.size()) {
    const ssize_t n = ::send(c.fd, c.out.data() + c.out_head, c.out.size() - c.out_head, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      lost(c, errno);
      return false;
    }
    c.out_head += static_cast<size_t>(n);
  }
  if (c.out_head == c.out.size()) {
    c.out.clear();
    c.out_head = 0;
  } else if (c.out_head > c.out.size() / 2) {
    c.out.erase(c.out.begin(), c.out.begin() + static_cast<std::ptrdiff_t>(c.out_head));
    c.out_head = 0;
  }
  return true;
}

void StreamServer::reap() {
  size_t k = 0;
  for (size_t i = 0; i < clients_.size(); ++i)
    if (clients_[i].fd >= 0) {
      if (k != i) clients_[k] = std::move(clients_[i]);
      ++k;
    }
  clients_.resize(k);
}

void StreamServer::append(Client& c, const uint8_t* data, size_t len) {
  if (c.out.size() - c.out_head + len > cfg_.client_buffer_bytes) {
    drop(c, ServerCounter::kDroppedSlow, "fell behind (its buffer is full)");
    return;
  }
  c.out.insert(c.out.end(), data, data + len);
}

void StreamServer::write(const uint8_t* data, size_t len) {
  for (Client& c : clients_)
    if (c.fd >= 0 && c.started && !c.closing) append(c, data, len);
}

void StreamServer::write_far(const FlowRecord& rec, const uint8_t* data, size_t len) {
  for (Client& c : clients_) {
    if (c.fd < 0 || !c.started || c.closing) continue;
    if (c.filtering && !(c.either_way ? c.filter.match_either_way(rec) : c.filter.match(rec))) {
      bump(ServerCounter::kHeldBack);
      continue;
    }
    append(c, data, len);
  }
}

bool StreamServer::flush() {
  for (Client& c : clients_)
    if (c.fd >= 0) send_pending(c);
  reap();
  return true;
}

void StreamServer::poll(uint64_t now_ns) {
  for (int fd : listen_fds_) accept_all(fd, now_ns);
  for (Client& c : clients_) {
    if (c.fd < 0) continue;
    read_client(c);
    if (c.fd < 0) continue;
    if (!send_pending(c)) continue;
    if (c.closing && c.out.empty()) {
      drop(c, ServerCounter::kClosed, "DONE");
      continue;
    }
    if (!c.started && now_ns - c.connected_ns > uint64_t{cfg_.start_timeout_ms} * 1'000'000ULL)
      drop(c, ServerCounter::kTimedOut, "no START: within the start-up timeout");
  }
  reap();
}

void StreamServer::finish() {
  // The last reports and the closing MAR are in every started client's
  // buffer: the clients take them for as long as they keep reading (a
  // slow collector that is reading still gets everything), and are given
  // up after finish_timeout_ms without progress, or 30 s in all.
  const auto start = std::chrono::steady_clock::now();
  const auto quiet_limit = std::chrono::milliseconds(cfg_.finish_timeout_ms);
  const auto total_limit = std::max<std::chrono::milliseconds>(quiet_limit, std::chrono::seconds(30));
  auto last_progress = start;
  size_t last_pending = SIZE_MAX;
  for (;;) {
    size_t pending = 0;
    for (Client& c : clients_)
      if (c.fd >= 0 && send_pending(c) && c.started) pending += c.out.size() - c.out_head;
    const auto now = std::chrono::steady_clock::now();
    if (pending < last_pending) last_progress = now;
    last_pending = pending;
    if (pending == 0 || now - last_progress >= quiet_limit || now - start >= total_limit) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (Client& c : clients_)
    if (c.fd >= 0) {
      ::shutdown(c.fd, SHUT_WR);
      const size_t left = c.out.size() - c.out_head;
      if (c.started && left > 0) {
        // Said and counted: its stream ends short of the closing MAR.
        const std::string why = "shutdown: " + std::to_string(left) +
                                " bytes of records and the closing MAR not delivered (it stopped reading)";
        drop(c, ServerCounter::kDroppedSlow, why.c_str());
      } else {
        drop(c, ServerCounter::kClosed, "shutdown");
      }
    }
  reap();
  for (int fd : listen_fds_) ::close(fd);
  listen_fds_.clear();
}

}  // namespace argos
