// Flow key: a canonical, fixed-size POD compared in full after a signature hit.
#pragma once

#include <emmintrin.h>

#include <cstdint>
#include <cstring>

namespace argos {

// What kind of Argus flow key this is; selects the flow DSR form on output
// (argus-format.md section 6.2).
enum class KeyKind : uint8_t {
  kNone = 0,
  kIPv4 = 1,      // classic 5-tuple, qualifier IPv4
  kIPv6 = 2,      // classic 5-tuple, qualifier IPv6
  kEther = 3,     // non-IP Ethernet / LLC, qualifier 0x03
  kArp = 4,       // ARP request/reply folded onto the request
  kIPv4Frag = 5,  // non-first IPv4 fragment without a parent flow
  kIPv6Frag = 6,  // non-first IPv6 fragment without a parent flow
  kRarp = 7,
};

// Key flags (FlowKey::flags).
inline constexpr uint8_t kKeyNoCanon = 0x01;   // orientation fixed by the protocol (ICMP, ARP)
inline constexpr uint8_t kKeyAlias = 0x04;     // flow-table bookkeeping entry for IP fragments
inline constexpr uint8_t kKeyMatrix = 0x08;    // LAYER_3_MATRIX: the address pair alone

// 48 bytes, no implicit padding: hashed and compared as six 64-bit words.
struct FlowKey {
  uint8_t src[16];  // IPv4: bytes 0-3 in network order; MAC: 6 bytes; ARP: SPA
  uint8_t dst[16];
  // Protocol-specific 32-bit discriminator, host order: ICMP echo sequence,
  // DNS transaction id, IP fragment id, ESP SPI; Ethernet: EtherType<<16 |
  // DSAP<<8 | SSAP.
  uint32_t aux;
  uint16_t sport;  // host order; ICMP: type<<8|code; Ethernet: 0
  uint16_t dport;  // host order; ICMP: echo id or quoted port; Ethernet: 0
  uint8_t proto;   // IP protocol (IPv6: final next header), 0 for L2
  KeyKind kind;
  uint8_t tp_p;    // ICMP unreachable: protocol quoted inside the ICMP payload
  uint8_t flags;   // kKey* bits
  uint32_t pad;    // always zero

  // Full-key compare as six word compares (no call, no byte loop).
  // Three 16-byte compares straight from memory: the lookup's full-key
  // check runs once per packet, so it stays a dozen instructions.
  bool operator==(const FlowKey& o) const {
    const auto* a = reinterpret_cast<const __m128i*>(this);
    const auto* b = reinterpret_cast<const __m128i*>(&o);
    const __m128i d = _mm_or_si128(
        _mm_or_si128(_mm_xor_si128(_mm_loadu_si128(a), _mm_loadu_si128(b)),
                     _mm_xor_si128(_mm_loadu_si128(a + 1), _mm_loadu_si128(b + 1))),
        _mm_xor_si128(_mm_loadu_si128(a + 2), _mm_loadu_si128(b + 2)));
    return _mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_setzero_si128())) == 0xffff;  // SSE2 only
  }
};
static_assert(sizeof(FlowKey) == 48, "FlowKey must stay six 64-bit words");

// Seeded 64-bit hash of a key. The six words are mixed by independent
// multiplies (they overlap in the pipeline) and then folded together; the
// signature is a filter, never proof, so a full compare follows a hit.
inline uint64_t flow_key_hash(const FlowKey& k, uint64_t seed) {
  // Six word loads straight from the key (a copy to a local array first
  // costs a store and a reload per word on the per-packet path).
  const auto* p = reinterpret_cast<const unsigned char*>(&k);
  uint64_t w[6];
  for (int i = 0; i < 6; ++i) std::memcpy(&w[i], p + 8 * i, 8);
  const uint64_t a = (w[0] ^ seed) * 0x9e3779b97f4a7c15ULL;
  const uint64_t b = (w[1] ^ (seed >> 7)) * 0xc2b2ae3d27d4eb4fULL;
  const uint64_t c = (w[2] + seed) * 0x165667b19e3779f9ULL;
  const uint64_t d = (w[3] ^ 0x27d4eb2f165667c5ULL) * 0xff51afd7ed558ccdULL;
  const uint64_t e = (w[4] + 0x85ebca77c2b2ae63ULL) * 0xc4ceb9fe1a85ec53ULL;
  const uint64_t f = (w[5] ^ (seed << 11)) * 0x94d049bb133111ebULL;
  uint64_t h = (a ^ (b >> 29) ^ (b << 35)) + (c ^ (d >> 31) ^ (d << 33)) + (e ^ (f >> 27) ^ (f << 37));
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  h ^= h >> 32;
  return h;
}

// True when sport/dport belong to the endpoints (TCP/UDP ports) rather than
// naming the exchange (ICMP type/code and id), so a swap moves them too.
inline bool flow_key_ports_follow_endpoints(const FlowKey& k) {
  if (k.flags & kKeyNoCanon) return false;
  const bool ip = k.kind == KeyKind::kIPv4 || k.kind == KeyKind::kIPv6;
  return !(ip && (k.proto == 1 || k.proto == 58));
}

// Puts a key in canonical order so both directions of a conversation give the
// same key. Returns true when the endpoints were swapped. Keys whose
// orientation the protocol fixes (ICMP requests/replies, ARP) are left alone.
inline bool flow_key_canonicalize(FlowKey& k) {
  if (k.flags & kKeyNoCanon) return false;
  const size_t alen = (k.kind == KeyKind::kIPv6 || k.kind == KeyKind::kIPv6Frag) ? 16
                      : (k.kind == KeyKind::kEther)                              ? 6
                                                                                 : 4;
  const bool ports = flow_key_ports_follow_endpoints(k);
  int c;
  if (alen == 4) {
    // IPv4, the common case: compare as big-endian integers, no call.
    uint32_t a, b;
    std::memcpy(&a, k.src, 4);
    std::memcpy(&b, k.dst, 4);
    a = __builtin_bswap32(a);
    b = __builtin_bswap32(b);
    c = a < b ? -1 : a > b ? 1 : 0;
  } else {
    c = std::memcmp(k.src, k.dst, alen);
  }
  if (c < 0 || (c == 0 && (!ports || k.sport <= k.dport))) return false;
  uint8_t t[16];
  std::memcpy(t, k.src, 16);
  std::memcpy(k.src, k.dst, 16);
  std::memcpy(k.dst, t, 16);
  if (!ports) return true;
  uint16_t p = k.sport;
  k.sport = k.dport;
  k.dport = p;
  return true;
}

// argus's LAYER_3_MATRIX key: an IP packet's flow is its address pair, every
// protocol and port together (fragments too). Other keys are left alone.
inline void flow_key_to_matrix(FlowKey& k) {
  if (k.kind == KeyKind::kIPv4Frag) k.kind = KeyKind::kIPv4;
  if (k.kind == KeyKind::kIPv6Frag) k.kind = KeyKind::kIPv6;
  if (k.kind != KeyKind::kIPv4 && k.kind != KeyKind::kIPv6) return;
  k.aux = 0;
  k.sport = k.dport = 0;
  k.proto = 0;
  k.tp_p = 0;
  k.flags = kKeyMatrix;
}

}  // namespace argos
