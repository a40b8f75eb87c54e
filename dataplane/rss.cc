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
}  // namespace

bool rss_symmetry_self_test(const uint8_t* key, size_t key_len, uint16_t queues,
                            uint16_t reta_size, std::string& err) {
  if (queues == 0 || reta_size == 0) {
    err = "RSS self-test: no queues";
    return false;
  }
  auto queue_of = [&](uint32_t h) { return static_cast<uint16_t>((h % reta_size) % queues); };
  // Sample flows from a fixed pseudo-random sequence: the same test every run.
  SampleSequence next(0x2545f4914f6cdd1dULL);
  for (int n = 0; n < 2048; ++n) {
    const uint64_t r1 = next(), r2 = next();
    const uint32_t a = static_cast<uint32_t>(r1), b = static_cast<uint32_t>(r1 >> 32);
    const uint16_t pa = static_cast<uint16_t>(r2), pb = static_cast<uint16_t>(r2 >> 16);
    uint8_t fwd[12], rev[12];
    rss_ipv4_input(a, b, pa, pb, fwd);
    rss_ipv4_input(b, a, pb, pa, rev);
    if (queue_of(toeplitz_hash(key, key_len, fwd, 12)) != queue_of(toeplitz_hash(key, key_len, rev, 12))) {
      err = "RSS self-test: the two directions of IPv4 flow " + std::to_string(n) +
            " reach different queues; the key is not symmetric";
      return false;
    }
    // IPv6: 16-byte addresses, then the ports.
    uint8_t f6[36], r6[36];
    for (int i = 0; i < 16; ++i) {
      f6[i] = r6[16 + i] = static_cast<uint8_t>(next());
      f6[16 + i] = r6[i] = static_cast<uint8_t>(next());
    }
    f6[32] = r6[34] = static_cast<uint8_t>(pa >> 8);
    f6[33] = r6[35] = static_cast<uint8_t>(pa);
    f6[34] = r6[32] = static_cast<uint8_t>(pb >> 8);
    f6[35] = r6[33] = static_cast<uint8_t>(pb);
    if (queue_of(toeplitz_hash(key, key_len, f6, 36)) != queue_of(toeplitz_hash(key, key_len, r6, 36))) {
      err = "RSS self-test: the two directions of IPv6 flow " + std::to_string(n) +
            " reach different queues; the key is not symmetric";
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
    FlowKey k{};
    k.kind = n % 2 ? KeyKind::kIPv6 : KeyKind::kIPv4;
    k.proto = 6;
    for (size_t i = 0; i < 16; i += 8) {
      const uint64_t s = next(), d = next();
      std::memcpy(k.src + i, &s, 8);
      std::memcpy(k.dst + i, &d, 8);
    }
    const uint64_t ports = next();
    k.sport = static_cast<uint16_t>(ports);
    k.dport = static_cast<uint16_t>(ports >> 16);
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
