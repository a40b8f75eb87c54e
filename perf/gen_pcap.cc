// gen_pcap: writes a synthetic, deterministic pcap file for the replay
// benchmarks (perf/bench_pcap.sh).
//
//   gen_pcap --packets N --flows F [--size 64] [--seed S] [--pps R]
//            [--start-sec T] --out FILE
//
// Every frame is Ethernet + IPv4 + TCP or UDP, exactly --size bytes on the
// wire and in the file (caplen == len; no FCS). About 80% of the flows are
// TCP and 20% UDP. Clients live in 10.0.0.0/8 (one distinct address per
// flow, so the 5-tuples are distinct), servers in 172.16.0.0/12. The
// addresses only ever appear as file contents.
//
// Packets are handed out in rounds: round r carries packet r of every flow
// that has more than r packets, the flows of a round in a freshly shuffled
// order. All flows therefore start within the first round and stay active
// until the last one, so a flow table really holds F flows at once, and the
// two directions of a flow interleave with everyone else's traffic.
//
// Per flow: TCP opens with SYN, SYN-ACK, ACK and then exchanges PSH|ACK data
// segments alternately client -> server and server -> client, with consistent
// sequence and acknowledgement numbers; UDP alternates directions starting
// with the client. Pure handshake segments carry no payload (IPv4 total
// length 40) and are padded with Ethernet trailer bytes up to --size; data
// packets carry payload so that the IPv4 total length is --size - 14. IPv4,
// TCP and UDP checksums are valid.
//
// Packet time starts at --start-sec and advances by 1 / --pps seconds per
// packet (classic pcap, microsecond timestamps, linktype 1 = Ethernet).
// The output depends only on the arguments: the pseudo-random generator is
// our own xoshiro256** seeded through splitmix64, not a standard-library
// distribution whose results differ between implementations.

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

// ---------------------------------------------------------------- constants

constexpr std::size_t kEthHeaderBytes = 14;
constexpr std::size_t kIpv4HeaderBytes = 20;
constexpr std::size_t kTcpHeaderBytes = 20;
constexpr std::size_t kUdpHeaderBytes = 8;
// Smallest Ethernet frame without FCS; a pure TCP ACK (54 bytes) is padded.
constexpr std::size_t kMinFrameBytes = 60;
// Largest frame we write: a jumbo frame. Keeps IPv4 total length in range.
constexpr std::size_t kMaxFrameBytes = 9014;

constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;

constexpr std::uint8_t kTcpSyn = 0x02;
constexpr std::uint8_t kTcpPsh = 0x08;
constexpr std::uint8_t kTcpAck = 0x10;

constexpr std::uint32_t kPcapMagicMicros = 0xa1b2c3d4;
constexpr std::uint32_t kLinktypeEthernet = 1;
constexpr std::size_t kPcapRecordHeaderBytes = 16;

// Share of flows that are TCP, in percent; the rest are UDP.
constexpr std::uint64_t kTcpFlowPercent = 80;

// Clients: 10.0.0.0/8 gives 2^24 distinct addresses, one per flow.
constexpr std::uint32_t kClientNet = 0x0a000000;  // 10.0.0.0
constexpr std::uint32_t kClientHostBits = 24;
constexpr std::uint64_t kMaxFlows = std::uint64_t{1} << kClientHostBits;
// Servers: 172.16.0.0/12.
constexpr std::uint32_t kServerNet = 0xac100000;  // 172.16.0.0
constexpr std::uint32_t kServerHostBits = 20;

constexpr std::size_t kWriteBufferBytes = std::size_t{8} << 20;

// ---------------------------------------------------------------- PRNG

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xoshiro256**: small, fast, and the same sequence on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& word : s_) word = splitmix64(seed);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, bound), bound > 0: reject the few values below
  // 2^64 mod bound so that the modulo carries no bias.
  std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    for (;;) {
      const std::uint64_t r = next();
      if (r >= threshold) return r % bound;
    }
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
  }
  std::array<std::uint64_t, 4> s_{};
};

// ---------------------------------------------------------------- options

struct Options {
  std::uint64_t packets = 0;
  std::uint64_t flows = 0;
  std::size_t size_bytes = 64;
  std::uint64_t seed = 1;
  double pps = 1'000'000.0;
  std::uint64_t start_sec = 1'700'000'000;
  std::string out_path;
};

void print_usage(std::FILE* to) {
  std::fprintf(to,
               "usage: gen_pcap --packets N --flows F [--size 64] [--seed S]\n"
               "                [--pps R] [--start-sec T] --out FILE\n"
               "  --packets N     frames to write (N >= F)\n"
               "  --flows F       distinct 5-tuples, 1 .. 2^24 (~80%% TCP, ~20%% UDP)\n"
               "  --size B        bytes per frame on the wire and in the file,\n"
               "                  %zu .. %zu (default 64)\n"
               "  --seed S        pseudo-random seed (default 1)\n"
               "  --pps R         packets per second of packet time (default 1000000)\n"
               "  --start-sec T   timestamp of the first packet, Unix seconds\n"
               "                  (default 1700000000)\n"
               "  --out FILE      output pcap (classic, microseconds, Ethernet)\n",
               kMinFrameBytes, kMaxFrameBytes);
}

bool parse_u64(std::string_view text, std::uint64_t& out) {
  const char* first = text.data();
  const char* last = first + text.size();
  const auto [ptr, ec] = std::from_chars(first, last, out);
  return ec == std::errc{} && ptr == last && !text.empty();
}

bool parse_positive_double(const std::string& text, double& out) {
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || end == text.c_str() || *end != '\0' || !std::isfinite(value) ||
      value <= 0.0) {
    return false;
  }
  out = value;
  return true;
}

// Returns the options, or nothing after printing why to stderr.
std::optional<Options> parse_options(int argc, char** argv) {
  Options opt;
  bool have_packets = false;
  bool have_flows = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (name == "-h" || name == "--help") {
      print_usage(stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "gen_pcap: %s needs a value (or is unknown)\n", argv[i]);
      return std::nullopt;
    }
    const std::string value = argv[++i];
    std::uint64_t number = 0;
    bool ok = true;
    if (name == "--packets") {
      ok = parse_u64(value, opt.packets);
      have_packets = ok;
    } else if (name == "--flows") {
      ok = parse_u64(value, opt.flows);
      have_flows = ok;
    } else if (name == "--size") {
      ok = parse_u64(value, number) && number >= kMinFrameBytes && number <= kMaxFrameBytes;
      opt.size_bytes = static_cast<std::size_t>(number);
    } else if (name == "--seed") {
      ok = parse_u64(value, opt.seed);
    } else if (name == "--pps") {
      ok = parse_positive_double(value, opt.pps);
    } else if (name == "--start-sec") {
      ok = parse_u64(value, opt.start_sec) && opt.start_sec <= 0xffffffffULL;
    } else if (name == "--out") {
      opt.out_path = value;
    } else {
      std::fprintf(stderr, "gen_pcap: unknown option %s\n", argv[i - 1]);
      print_usage(stderr);
      return std::nullopt;
    }
    if (!ok) {
      std::fprintf(stderr, "gen_pcap: bad value for %s: '%s'\n", argv[i - 1], value.c_str());
      return std::nullopt;
    }
  }
  if (!have_packets || !have_flows || opt.out_path.empty()) {
    std::fprintf(stderr, "gen_pcap: --packets, --flows and --out are required\n");
    print_usage(stderr);
    return std::nullopt;
  }
  if (opt.flows == 0 || opt.flows > kMaxFlows) {
    std::fprintf(stderr, "gen_pcap: --flows must be 1 .. %llu\n",
                 static_cast<unsigned long long>(kMaxFlows));
    return std::nullopt;
  }
  if (opt.packets < opt.flows) {
    std::fprintf(stderr, "gen_pcap: --packets (%llu) must be >= --flows (%llu)\n",
                 static_cast<unsigned long long>(opt.packets),
                 static_cast<unsigned long long>(opt.flows));
    return std::nullopt;
  }
  // The last timestamp must fit the 32-bit seconds field of classic pcap.
  const double span_sec = static_cast<double>(opt.packets) / opt.pps;
  if (static_cast<double>(opt.start_sec) + span_sec >= 4294967295.0) {
    std::fprintf(stderr, "gen_pcap: packet time would overflow 32-bit pcap seconds\n");
    return std::nullopt;
  }
  return opt;
}

// ---------------------------------------------------------------- flows

// One flow: the 5-tuple as seen from the client, and its TCP state.
struct Flow {
  std::uint32_t client_ip;
  std::uint32_t server_ip;
  std::uint16_t client_port;
  std::uint16_t server_port;
  std::uint8_t proto;
  std::uint16_t client_ip_id;
  std::uint16_t server_ip_id;
  std::uint32_t client_next_seq;  // next TCP sequence number the client sends
  std::uint32_t server_next_seq;  // next TCP sequence number the server sends
  std::uint32_t packets_total;    // packets this flow will have in the file
  std::uint32_t packets_sent;     // packets written so far
};

// A bijection on 24-bit values: odd multiply then xor, both mod 2^24. Spreads
// the consecutive flow indices over 10.0.0.0/8 while keeping them distinct.
std::uint32_t scatter24(std::uint64_t index, std::uint64_t salt) {
  constexpr std::uint64_t kMask = (std::uint64_t{1} << kClientHostBits) - 1;
  constexpr std::uint64_t kOddMultiplier = 0x9e3779;  // odd => invertible
  return static_cast<std::uint32_t>(((index * kOddMultiplier) ^ salt) & kMask);
}

// UDP server ports are unregistered high ports on purpose: Argus gives some
// well-known UDP services their own flow semantics (DNS on 53 is keyed per
// transaction, 4789 is decapsulated as VXLAN), which would make the flow
// count depend on the protocol mix instead of on --flows.
std::uint16_t pick_server_port(Rng& rng, std::uint8_t proto) {
  static constexpr std::array<std::uint16_t, 6> kTcpPorts = {80, 443, 8080, 22, 25, 993};
  if (proto == kProtoTcp) return kTcpPorts[rng.below(kTcpPorts.size())];
  constexpr std::uint64_t kUdpPortFirst = 20000;
  constexpr std::uint64_t kUdpPortCount = 30000;
  return static_cast<std::uint16_t>(kUdpPortFirst + rng.below(kUdpPortCount));
}

std::vector<Flow> make_flows(const Options& opt, Rng& rng) {
  std::vector<Flow> flows(opt.flows);
  const std::uint64_t base = opt.packets / opt.flows;
  const std::uint64_t extra = opt.packets % opt.flows;
  const std::uint64_t salt = rng.next();
  for (std::uint64_t i = 0; i < opt.flows; ++i) {
    Flow& f = flows[i];
    f.proto = rng.below(100) < kTcpFlowPercent ? kProtoTcp : kProtoUdp;
    f.client_ip = kClientNet | scatter24(i, salt);
    f.server_ip = kServerNet | static_cast<std::uint32_t>(
                                   1 + rng.below((std::uint64_t{1} << kServerHostBits) - 2));
    f.client_port = static_cast<std::uint16_t>(1024 + rng.below(65536 - 1024));
    f.server_port = pick_server_port(rng, f.proto);
    f.client_ip_id = static_cast<std::uint16_t>(rng.next());
    f.server_ip_id = static_cast<std::uint16_t>(rng.next());
    f.client_next_seq = static_cast<std::uint32_t>(rng.next());
    f.server_next_seq = static_cast<std::uint32_t>(rng.next());
    f.packets_total = static_cast<std::uint32_t>(base);
    f.packets_sent = 0;
  }
  // The remainder goes to random flows rather than the first ones: a partial
  // Fisher-Yates over the indices, the first `extra` picks get one more.
  if (extra != 0) {
    std::vector<std::uint32_t> idx(opt.flows);
    for (std::uint64_t i = 0; i < opt.flows; ++i) idx[i] = static_cast<std::uint32_t>(i);
    for (std::uint64_t i = 0; i < extra; ++i) {
      const std::uint64_t j = i + rng.below(opt.flows - i);
      std::swap(idx[i], idx[j]);
      flows[idx[i]].packets_total += 1;
    }
  }
  return flows;
}

// ---------------------------------------------------------------- packets

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

void put32_le(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
  p[2] = static_cast<std::uint8_t>(v >> 16);
  p[3] = static_cast<std::uint8_t>(v >> 24);
}

void put16_le(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}

// One's-complement sum of big-endian 16-bit words, not yet folded.
std::uint32_t sum16(const std::uint8_t* p, std::size_t len, std::uint32_t acc) {
  for (std::size_t i = 0; i + 1 < len; i += 2) acc += (std::uint32_t{p[i]} << 8) | p[i + 1];
  if (len & 1) acc += std::uint32_t{p[len - 1]} << 8;
  return acc;
}

std::uint16_t fold(std::uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc & 0xffff);
}

struct Direction {
  std::uint32_t src_ip;
  std::uint32_t dst_ip;
  std::uint16_t src_port;
  std::uint16_t dst_port;
  std::uint8_t ttl;
};

// Writes Ethernet + IPv4 (no options) into frame; returns the L4 pointer.
std::uint8_t* write_eth_ipv4(std::uint8_t* frame, const Direction& d, bool from_client,
                             std::uint8_t proto, std::uint16_t ip_total_len,
                             std::uint16_t ip_id) {
  // Locally administered MACs; the last byte tells client from server.
  static constexpr std::array<std::uint8_t, 6> kClientMac = {0x02, 0, 0, 0, 0, 0x01};
  static constexpr std::array<std::uint8_t, 6> kServerMac = {0x02, 0, 0, 0, 0, 0x02};
  std::memcpy(frame, from_client ? kServerMac.data() : kClientMac.data(), 6);  // dst
  std::memcpy(frame + 6, from_client ? kClientMac.data() : kServerMac.data(), 6);
  put16(frame + 12, 0x0800);

  std::uint8_t* ip = frame + kEthHeaderBytes;
  ip[0] = 0x45;  // version 4, IHL 5
  ip[1] = 0;
  put16(ip + 2, ip_total_len);
  put16(ip + 4, ip_id);
  put16(ip + 6, 0x4000);  // DF
  ip[8] = d.ttl;
  ip[9] = proto;
  put16(ip + 10, 0);
  put32(ip + 12, d.src_ip);
  put32(ip + 16, d.dst_ip);
  put16(ip + 10, fold(sum16(ip, kIpv4HeaderBytes, 0)));
  return ip + kIpv4HeaderBytes;
}

// Checksum over the IPv4 pseudo-header plus the L4 segment.
std::uint16_t l4_checksum(const Direction& d, std::uint8_t proto, const std::uint8_t* l4,
                          std::size_t l4_len) {
  std::uint32_t acc = 0;
  acc += d.src_ip >> 16;
  acc += d.src_ip & 0xffff;
  acc += d.dst_ip >> 16;
  acc += d.dst_ip & 0xffff;
  acc += proto;
  acc += static_cast<std::uint32_t>(l4_len);
  return fold(sum16(l4, l4_len, acc));
}

// Fills the payload with flow- and packet-dependent lowercase letters: never
// all zero (so it does not look like padding) and free of protocol magic (a
// first byte of 0x80..0xbf would read as RTP version 2 to a heuristic).
void fill_payload(std::uint8_t* p, std::size_t len, std::uint32_t flow_salt,
                  std::uint32_t packet_index) {
  std::uint32_t x = flow_salt ^ (packet_index * 0x01000193u) ^ 0x5bd1e995u;
  for (std::size_t i = 0; i < len; ++i) {
    x = x * 1664525u + 1013904223u;
    p[i] = static_cast<std::uint8_t>('a' + (x >> 24) % 26);
  }
}

// Builds the next packet of flow f into frame (size_bytes long, zeroed by
// the caller so trailer padding is zero).
void build_packet(Flow& f, std::uint8_t* frame, std::size_t size_bytes) {
  const std::uint32_t k = f.packets_sent;
  bool from_client = false;
  if (f.proto == kProtoTcp) {
    from_client = k == 0 || k == 2 || (k >= 3 && (k - 3) % 2 == 0);
  } else {
    from_client = k % 2 == 0;
  }
  const Direction d = from_client
                          ? Direction{f.client_ip, f.server_ip, f.client_port, f.server_port, 64}
                          : Direction{f.server_ip, f.client_ip, f.server_port, f.client_port, 60};
  const std::uint16_t ip_id = from_client ? f.client_ip_id++ : f.server_ip_id++;
  const std::size_t ip_room = size_bytes - kEthHeaderBytes;

  if (f.proto == kProtoUdp) {
    const std::size_t udp_len = ip_room - kIpv4HeaderBytes;
    std::uint8_t* udp = write_eth_ipv4(frame, d, from_client, kProtoUdp,
                                       static_cast<std::uint16_t>(ip_room), ip_id);
    put16(udp, d.src_port);
    put16(udp + 2, d.dst_port);
    put16(udp + 4, static_cast<std::uint16_t>(udp_len));
    put16(udp + 6, 0);
    fill_payload(udp + kUdpHeaderBytes, udp_len - kUdpHeaderBytes, f.client_ip, k);
    std::uint16_t sum = l4_checksum(d, kProtoUdp, udp, udp_len);
    if (sum == 0) sum = 0xffff;  // 0 means "no checksum" in UDP
    put16(udp + 6, sum);
    return;
  }

  // TCP: handshake segments carry no payload, data segments fill the frame.
  std::uint8_t flags = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::size_t payload_len = 0;
  if (k == 0) {  // SYN
    flags = kTcpSyn;
    seq = f.client_next_seq++;
  } else if (k == 1) {  // SYN-ACK
    flags = kTcpSyn | kTcpAck;
    seq = f.server_next_seq++;
    ack = f.client_next_seq;
  } else if (k == 2) {  // ACK
    flags = kTcpAck;
    seq = f.client_next_seq;
    ack = f.server_next_seq;
  } else {
    flags = kTcpPsh | kTcpAck;
    payload_len = ip_room - kIpv4HeaderBytes - kTcpHeaderBytes;
    std::uint32_t& next = from_client ? f.client_next_seq : f.server_next_seq;
    seq = next;
    ack = from_client ? f.server_next_seq : f.client_next_seq;
    next += static_cast<std::uint32_t>(payload_len);
  }
  const std::size_t tcp_len = kTcpHeaderBytes + payload_len;
  std::uint8_t* tcp = write_eth_ipv4(frame, d, from_client, kProtoTcp,
                                     static_cast<std::uint16_t>(kIpv4HeaderBytes + tcp_len),
                                     ip_id);
  put16(tcp, d.src_port);
  put16(tcp + 2, d.dst_port);
  put32(tcp + 4, seq);
  put32(tcp + 8, ack);
  tcp[12] = 0x50;  // data offset 5 words, no options
  tcp[13] = flags;
  put16(tcp + 14, 65535);  // window
  put16(tcp + 16, 0);
  put16(tcp + 18, 0);  // urgent pointer
  fill_payload(tcp + kTcpHeaderBytes, payload_len, f.client_ip, k);
  put16(tcp + 16, l4_checksum(d, kProtoTcp, tcp, tcp_len));
}

// ---------------------------------------------------------------- output

class PcapWriter {
 public:
  bool open(const std::string& path, std::size_t snaplen) {
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) return false;
    buffer_ = std::make_unique<char[]>(kWriteBufferBytes);
    std::setvbuf(file_, buffer_.get(), _IOFBF, kWriteBufferBytes);
    std::array<std::uint8_t, 24> header{};
    put32_le(header.data(), kPcapMagicMicros);
    put16_le(header.data() + 4, 2);  // version 2.4
    put16_le(header.data() + 6, 4);
    put32_le(header.data() + 8, 0);   // thiszone
    put32_le(header.data() + 12, 0);  // sigfigs
    put32_le(header.data() + 16, static_cast<std::uint32_t>(snaplen));
    put32_le(header.data() + 20, kLinktypeEthernet);
    return write(header.data(), header.size());
  }

  bool write_record(std::uint64_t ts_usec, const std::uint8_t* frame, std::size_t len) {
    std::array<std::uint8_t, kPcapRecordHeaderBytes> rec{};
    put32_le(rec.data(), static_cast<std::uint32_t>(ts_usec / 1'000'000));
    put32_le(rec.data() + 4, static_cast<std::uint32_t>(ts_usec % 1'000'000));
    put32_le(rec.data() + 8, static_cast<std::uint32_t>(len));   // caplen
    put32_le(rec.data() + 12, static_cast<std::uint32_t>(len));  // wire length
    return write(rec.data(), rec.size()) && write(frame, len);
  }

  bool close() {
    if (file_ == nullptr) return true;
    const bool ok = std::fclose(file_) == 0 && ok_;
    file_ = nullptr;
    return ok;
  }

  ~PcapWriter() {
    if (file_ != nullptr) std::fclose(file_);
  }

  std::uint64_t bytes_written() const { return bytes_written_; }

 private:
  bool write(const void* data, std::size_t len) {
    if (std::fwrite(data, 1, len, file_) != len) ok_ = false;
    bytes_written_ += len;
    return ok_;
  }

  std::FILE* file_ = nullptr;
  std::unique_ptr<char[]> buffer_;
  std::uint64_t bytes_written_ = 0;
  bool ok_ = true;
};

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Options> parsed = parse_options(argc, argv);
  if (!parsed) return 2;
  const Options& opt = *parsed;

  Rng rng(opt.seed);
  std::vector<Flow> flows = make_flows(opt, rng);
  std::uint64_t tcp_flows = 0;
  std::uint32_t max_packets_per_flow = 0;
  for (const Flow& f : flows) {
    tcp_flows += f.proto == kProtoTcp ? 1 : 0;
    if (f.packets_total > max_packets_per_flow) max_packets_per_flow = f.packets_total;
  }

  PcapWriter writer;
  if (!writer.open(opt.out_path, opt.size_bytes)) {
    std::fprintf(stderr, "gen_pcap: cannot write %s: %s\n", opt.out_path.c_str(),
                 std::strerror(errno));
    return 1;
  }

  // Packet time: packet i is at start + i / pps, in integer microseconds.
  const std::uint64_t start_usec = opt.start_sec * 1'000'000;
  const double usec_per_packet = 1e6 / opt.pps;

  std::vector<std::uint8_t> frame(opt.size_bytes);
  std::vector<std::uint32_t> active(flows.size());
  for (std::size_t i = 0; i < flows.size(); ++i) active[i] = static_cast<std::uint32_t>(i);

  std::uint64_t written = 0;
  bool ok = true;
  for (std::uint32_t round = 0; round < max_packets_per_flow && ok; ++round) {
    // Keep only flows that still have a packet for this round, then shuffle.
    std::size_t n = 0;
    for (const std::uint32_t idx : active) {
      if (flows[idx].packets_total > round) active[n++] = idx;
    }
    active.resize(n);
    for (std::size_t i = n; i > 1; --i) {
      const std::size_t j = static_cast<std::size_t>(rng.below(i));
      std::swap(active[i - 1], active[j]);
    }
    for (const std::uint32_t idx : active) {
      Flow& f = flows[idx];
      std::memset(frame.data(), 0, frame.size());
      build_packet(f, frame.data(), frame.size());
      ++f.packets_sent;
      const auto offset_usec =
          static_cast<std::uint64_t>(std::floor(static_cast<double>(written) * usec_per_packet));
      if (!writer.write_record(start_usec + offset_usec, frame.data(), frame.size())) {
        ok = false;
        break;
      }
      ++written;
    }
  }
  const std::uint64_t file_bytes = writer.bytes_written();
  if (!writer.close() || !ok) {
    std::fprintf(stderr, "gen_pcap: write to %s failed: %s\n", opt.out_path.c_str(),
                 std::strerror(errno));
    return 1;
  }

  const double span_sec = static_cast<double>(opt.packets) / opt.pps;
  std::fprintf(stderr,
               "gen_pcap: packets %llu flows %llu (tcp %llu udp %llu) wire_bytes %llu "
               "file_bytes %llu frame_bytes %zu span_sec %.6f seed %llu -> %s\n",
               static_cast<unsigned long long>(written),
               static_cast<unsigned long long>(flows.size()),
               static_cast<unsigned long long>(tcp_flows),
               static_cast<unsigned long long>(flows.size() - tcp_flows),
               static_cast<unsigned long long>(written * opt.size_bytes),
               static_cast<unsigned long long>(file_bytes), opt.size_bytes, span_sec,
               static_cast<unsigned long long>(opt.seed), opt.out_path.c_str());
  return 0;
}
