// The Argus remote-access server (argus-format.md section 10): collectors
// (ra -S, radium) connect over TCP, get the start MAR at once, may send
// "FILTER: ..." (answered with exactly "OK") and receive records once they
// have sent "START:". A client's filter is applied here when the record
// filter language reads it as ra does, so a collector asking for one port
// does not get the whole stream; otherwise the client filters alone. Runs inside the export thread, non-blocking: a client
// that cannot keep up is disconnected when its bounded buffer is full, so no
// client ever slows the exporter, the other clients or the workers.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "export/record_filter.h"
#include "export/record_sink.h"
#include "flowtable/counter_table.h"

namespace argos {

// An allowed client network: IPv4 or IPv6 address and prefix length.
struct Cidr {
  int family = AF_INET;  // AF_INET or AF_INET6
  uint8_t addr[16] = {};
  uint8_t prefix_bits = 0;
};
// Parses "10.0.0.0/8", "::1/128" or a bare address (a /32 or /128).
bool parse_cidr(const std::string& text, Cidr& out, std::string& err);
// True when `sa` (IPv4, IPv6 or IPv4-mapped IPv6) lies in `net`.
bool cidr_contains(const Cidr& net, const sockaddr_storage& sa);

struct StreamServerConfig {
  std::vector<std::string> bind_addrs = {"127.0.0.1"};  // loopback unless told otherwise
  uint16_t port = 0;
  std::vector<Cidr> allow;               // empty: every address may connect
  uint32_t max_clients = 10;             // argus's ARGUS_MAXLISTEN
  size_t client_buffer_bytes = 8u << 20; // per client; beyond it the client is dropped
  uint32_t start_timeout_ms = 5000;      // argus's ARGUS_CLIENT_STARTUP_TIMEOUT
  uint32_t finish_timeout_ms = 2000;     // at shutdown, to deliver the closing MAR
  // Sent data unacknowledged this long ends the connection (TCP_USER_TIMEOUT):
  // a collector host that vanished is dropped instead of holding its place.
  uint32_t client_timeout_ms = 60000;
  RecordFilter::Context filter_context;  // what the records carry, for clients' filters
};

#define ARGOS_SERVER_COUNTERS(X)                                               \
  X(kAccepted, "server.accepted", "clients accepted")                         \
  X(kStarted, "server.started", "clients that sent START:")                   \
  X(kRefusedFull, "server.refused_full", "clients refused: too many clients") \
  X(kRefusedDenied, "server.refused_denied", "clients refused: address not allowed") \
  X(kDroppedSlow, "server.dropped_slow", "clients dropped: their buffer filled up") \
  X(kTimedOut, "server.timed_out", "clients closed: no START: in time")       \
  X(kClosed, "server.closed", "clients that left (DONE:, EOF or error)")           \
  X(kUnreachable, "server.unreachable", "clients dropped: their host acknowledged nothing within the client timeout") \
  X(kFiltered, "server.filtered", "clients whose FILTER: the sensor applies")        \
  X(kHeldBack, "server.held_back", "records not sent to a client: its filter rejects them")

enum class ServerCounter : uint8_t {
  ARGOS_SERVER_COUNTERS(ARGOS_COUNTER_ENUMERATOR)
      kCount
};
inline constexpr size_t kServerCounterCount = static_cast<size_t>(ServerCounter::kCount);
const char* server_counter_name(ServerCounter c);

class StreamServer final : public RecordSink {
 public:
  explicit StreamServer(const StreamServerConfig& cfg);
  ~StreamServer() override;
  StreamServer(const StreamServer&) = delete;
  StreamServer& operator=(const StreamServer&) = delete;

  // Binds and listens on every address; false with a message (port in use,
  // bad address) before anything starts.
  bool open(std::string& err);

  void start(const uint8_t* mar, size_t len) override;
  void write(const uint8_t* data, size_t len) override;
  void write_far(const FlowRecord& rec, const uint8_t* data, size_t len) override;
  bool flush() override;
  void poll(uint64_t now_ns) override;
  void finish() override;
  uint32_t clients() const override { return started_clients(); }

  // Read from other threads (main: --wait-clients, the summary).
  uint32_t started_clients() const { return started_now_.load(std::memory_order_relaxed); }
  uint64_t counter(ServerCounter c) const {
    return counters_[static_cast<size_t>(c)].load(std::memory_order_relaxed);
  }
  uint16_t port() const { return bound_port_; }

 private:
  struct Client {
    int fd = -1;
    std::string peer;          // "addr:port", for the log
    std::vector<uint8_t> out;  // bytes not yet sent, from out_head
    size_t out_head = 0;
    std::string inbox;         // client message being read
    uint64_t connected_ns = 0;
    bool started = false;
    bool filter_answered = false;
    bool filtering = false;    // `filter` selects this client's records
    bool either_way = false;   // ... matched both ways round (it names src or dst)
    RecordFilter filter;
    bool closing = false;      // close once `out` is sent (DONE:)
  };
  void accept_all(int listen_fd, uint64_t now_ns);
  void refuse(int fd, uint8_t cause, const std::string& peer, const char* why, ServerCounter c);
  void read_client(Client& c);
  void take_filter(Client& c, const std::string& text);
  void append(Client& c, const uint8_t* data, size_t len);
  bool send_pending(Client& c);  // false when the client is gone
  // Closes the client and counts it under `reason`; says `why` unless the
  // client just left (by default, every reason but kClosed is said).
  void drop(Client& c, ServerCounter reason, const char* why) { drop(c, reason, why, reason != ServerCounter::kClosed); }
  void drop(Client& c, ServerCounter reason, const char* why, bool say);
  void lost(Client& c, int err);  // a send or receive failed with errno `err`
  void bump(ServerCounter c) { counters_[static_cast<size_t>(c)].fetch_add(1, std::memory_order_relaxed); }
  void reap();

  StreamServerConfig cfg_;
  std::vector<int> listen_fds_;
  uint16_t bound_port_ = 0;
  std::vector<Client> clients_;
  std::vector<uint8_t> start_mar_;
  std::atomic<uint32_t> started_now_{0};
  std::atomic<uint64_t> counters_[kServerCounterCount] = {};
};

}  // namespace argos
