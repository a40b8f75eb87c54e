#include "dataplane/rss.h"

#include <cstring>

namespace argos {

const uint8_t kSymmetricRssKey[kRssKeyBytes] = {
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
    0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
    0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

uint32_t toeplitz_hash(const uint8_t* key, size_t key_len, const uint8_t* input, size_t input_len) {
  if (key_len < input_len + 4) return 0;
  // A 32-bit window slides over the key, one bit per input bit; every input
  // bit that is set XORs the window into the result.
  uint32_t window = static_cast<uint32_t>(key[0]) << 24 | static_cast<uint32_t>(key[1]) << 16 |
                    static_cast<uint32_t>(key[2]) << 8 | key[3];
  uint32_t hash = 0;
  for (size_t i = 0; i < input_len; ++i) {
    const uint8_t next = key[i + 4];
    for (int b = 7; b >= 0; --b) {
      if (input[i] & (1u << b)) hash ^= window;
      window = window << 1 | ((next >> b) & 1u);
    }
  }
  return hash;
}

void rss_ipv4_input(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t out[12]) {
  const uint8_t b[12] = {
      static_cast<uint8_t>(src >> 24), static_cast<uint8_t>(src >> 16), static_cast<uint8_t>(src >> 8),
      static_cast<uint8_t>(src),       static_cast<uint8_t>(dst >> 24), static_cast<uint8_t>(dst >> 16),
      static_cast<uint8_t>(dst >> 8),  static_cast<uint8_t>(dst),       static_cast<uint8_t>(sport >> 8),
      static_cast<uint8_t>(sport),     static_cast<uint8_t>(dport >> 8), static_cast<uint8_t>(dport)};
  std::memcpy(out, b, sizeof b);
}

namespace {
// Sample flows for the start-up checks: xorshift64, a fixed sequence per seed.
class SampleSequence {
 public:
  explicit SampleSequence(uint64_t seed) : x_(seed) {}
  uint64_t operator()() {
    x_ ^= x_ << 13;
    x_ ^= x_ >> 7;
    x_ ^= x_ << 17;
    return x_;
  }

 private:
  uint64_t x_;
};

// A sample TCP flow of the sequence, IPv6 or IPv4 (the first 4 bytes of
// each address).
FlowKey sample_flow(SampleSequence& next, bool v6) {
  FlowKey k{};
  k.kind = v6 ? KeyKind::kIPv6 : KeyKind::kIPv4;
  k.proto = 6;
  for (size_t i = 0; i < 16; i += 8) {
    const uint64_t s = next(), d = next();
    std::memcpy(k.src + i, &s, 8);
    std::memcpy(k.dst + i, &d, 8);
  }
  const uint64_t ports = next();
  k.sport = static_cast<uint16_t>(ports);
  k.dport = static_cast<uint16_t>(ports >> 16);
  return k;
}
}  // namespace

bool rss_symmetry_self_test(const uint8_t* key, size_t key_len, uint16_t queues,
                            uint16_t reta_size, std::string& err) {
  if (queues == 0 || reta_size == 0) {
    err = "RSS self-test: no queues";
    return false;
  }
  // The NIC's hash of TCP and UDP, ports included, through a redirection
  // table filled round-robin.
  RssQueueMap m;
  m.key.assign(key, key + key_len);
  m.reta.resize(reta_size);
  for (size_t i = 0; i < m.reta.size(); ++i) m.reta[i] = static_cast<uint16_t>(i % queues);
  m.ports = true;
  SampleSequence next(0x2545f4914f6cdd1dULL);  // the same test every run
  for (int n = 0; n < 4096; ++n) {
    const FlowKey fwd = sample_flow(next, n % 2);
    FlowKey rev = fwd;
    std::memcpy(rev.src, fwd.dst, 16);
    std::memcpy(rev.dst, fwd.src, 16);
    rev.sport = fwd.dport;
    rev.dport = fwd.sport;
    if (m.queue_of(fwd) != m.queue_of(rev)) {
      err = std::string("RSS self-test: the two directions of ") + (n % 2 ? "IPv6" : "IPv4") + " flow " +
            std::to_string(n / 2) + " reach different queues; the key is not symmetric";
      return false;
    }
  }
  return true;
}

uint16_t RssQueueMap::queue_of(const FlowKey& k) const {
  if (reta.empty()) return 0;
  size_t alen;
  switch (k.kind) {
    case KeyKind::kIPv4:
    case KeyKind::kIPv4Frag:
      alen = 4;
      break;
    case KeyKind::kIPv6:
    case KeyKind::kIPv6Frag:
      alen = 16;
      break;
    default:
      return 0;
  }
  uint8_t in[36];
  std::memcpy(in, k.src, alen);
  std::memcpy(in + alen, k.dst, alen);
  size_t len = 2 * alen;
  const bool l4 = k.kind == KeyKind::kIPv4 || k.kind == KeyKind::kIPv6;
  if (ports && l4 && (k.proto == 6 || k.proto == 17)) {
    in[len++] = static_cast<uint8_t>(k.sport >> 8);
    in[len++] = static_cast<uint8_t>(k.sport);
    in[len++] = static_cast<uint8_t>(k.dport >> 8);
    in[len++] = static_cast<uint8_t>(k.dport);
  }
  const uint32_t h = toeplitz_hash(key.data(), key.size(), in, len);
  return reta[h % reta.size()];
}

bool rss_maps_agree(const RssQueueMap& a, const RssQueueMap& b) {
  SampleSequence next(0x9e3779b97f4a7c15ULL);  // the same check every start
  for (int n = 0; n < 4096; ++n) {
    const FlowKey k = sample_flow(next, n % 2);
    if (a.queue_of(k) != b.queue_of(k)) return false;
  }
  return true;
}

RssQueueMap symmetric_rss_map(uint16_t queues) {
  RssQueueMap m;
  m.key.assign(kSymmetricRssKey, kSymmetricRssKey + 40);
  m.reta.resize(128);
  for (size_t i = 0; i < m.reta.size(); ++i) m.reta[i] = static_cast<uint16_t>(queues ? i % queues : 0);
  return m;
}

}  // namespace argos
