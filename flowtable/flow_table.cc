#include "flowtable/flow_table.h"

#include <emmintrin.h>  // SSE2: part of the x86-64 baseline
#include <sys/mman.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace argos {

namespace {

const char* const kTableCounterNames[] = {
    ARGOS_TABLE_COUNTERS(ARGOS_COUNTER_NAME)
};


constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIgmp = 2;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoEsp = 50;
constexpr uint8_t kProtoIcmp6 = 58;

// Serial-number arithmetic for TCP sequence numbers (RFC 1982).
inline bool seq_lt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool seq_gt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

// Time arithmetic saturates: a capture may carry timestamps near the end of
// the 64-bit nanosecond range, and a wrapped deadline would loop or fire
// early.
inline uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

uint32_t round_up_pow2(uint32_t v) {
  uint32_t p = 1;
  while (p < v && p < (1u << 31)) p <<= 1;
  return p;
}

// Turns a key around. Ports go with their endpoints, except for keys whose
// port fields name the protocol exchange (ICMP type/code and id).
void swap_key_endpoints(FlowKey& k) {
  uint8_t t[16];
  std::memcpy(t, k.src, 16);
  std::memcpy(k.src, k.dst, 16);
  std::memcpy(k.dst, t, 16);
  if (!flow_key_ports_follow_endpoints(k)) return;
  const uint16_t p = k.sport;
  k.sport = k.dport;
  k.dport = p;
}

// Unidirectional flows: the key stays in its packet's order. argus then
// keys ICMPv6 replies and advertisements (echo reply, router and neighbour
// advertisement) by their own type and sender instead of folding them onto
// the request, while an ICMPv4 echo pair and ARP stay one flow. Returns
// true when the key was turned back to its packet's order.
bool unidirectional_key(FlowKey& k, const ParsedPacket& p) {
  if (k.kind != KeyKind::kIPv6 || k.proto != 58) return false;
  if (p.icmp_type != 129 && p.icmp_type != 134 && p.icmp_type != 136) return false;
  k.sport = static_cast<uint16_t>(p.icmp_type << 8 | p.icmp_code);
  if (!p.from_key_dst) return false;
  swap_key_endpoints(k);
  return true;
}

}  // namespace

const char* table_counter_name(TableCounter c) {
  return kTableCounterNames[static_cast<size_t>(c)];
}

// Eight signature/index pairs: one cache line. Signature 0 marks a free slot.
struct alignas(64) FlowTable::Bucket {
  uint32_t sig[kSlotsPerBucket];
  uint32_t idx[kSlotsPerBucket];
};
static_assert(sizeof(FlowTable::Bucket) == 64);

namespace {
// Bit s set when slot s of the bucket holds `sig`: eight compares at once.
inline uint32_t sig_matches(const FlowTable::Bucket& b, uint32_t sig) {
  const __m128i want = _mm_set1_epi32(static_cast<int>(sig));
  const __m128i lo = _mm_cmpeq_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(b.sig)), want);
  const __m128i hi = _mm_cmpeq_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(b.sig + 4)), want);
  return static_cast<uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(lo))) |
         static_cast<uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(hi))) << 4;
}
}  // namespace

namespace {

// Per-direction counters of the open report (28 bytes). Byte counts are 48
// bits (a report is sent early before one could pass 2^47: see
// kCountGuard); the rest is what argus reports of the latest packet.
struct DirState {
  uint32_t pkts;
  uint32_t last_us;   // last packet, microseconds after the report's first (µs-truncated) time
  uint32_t bytes_lo;  // wire bytes, low 32 bits
  uint32_t app_lo;    // application bytes, low 32 bits
  uint16_t bytes_hi;  // bits 32-47
  uint16_t app_hi;
  uint16_t ip_id;     // of the latest packet
  uint16_t vlan_tci;  // of the latest tagged packet
  uint8_t ttl;
  uint8_t tos;
  uint8_t enc;        // kEnc* bits seen, packed by pack_encaps()
  uint8_t bits;       // kDir*
};
static_assert(sizeof(DirState) == 28);
constexpr uint8_t kDirVlan = 0x01;
constexpr uint8_t kDirMpls = 0x02;   // Cold::mpls_lse[dir] holds the first label
constexpr uint8_t kDirFrags = 0x04;
constexpr uint8_t kDirIpOpts = 0x08; // Cold::ip_opts[dir] holds the latest packet's options
constexpr uint8_t kDirHeard = 0x10;  // sent in an earlier report: ttl/tos/ip_id are its latest
constexpr uint8_t kDirFragFirst = 0x20;  // the report's packets so far are later fragments alone

// A report goes out early once a byte count reaches 2^47: no packet adds more
// than 2^32 - 1, so the 48-bit counts never wrap.
constexpr uint16_t kCountGuard = 0x8000;

inline uint64_t get48(uint32_t lo, uint16_t hi) { return uint64_t{hi} << 32 | lo; }
inline void add48(uint32_t& lo, uint16_t& hi, uint64_t n) {
  const uint64_t v = get48(lo, hi) + n;
  lo = static_cast<uint32_t>(v);
  hi = static_cast<uint16_t>(v >> 32);
}

// The encapsulation layers the parser reports fit a byte: the low seven
// kEnc* bits as they are, Linux cooked capture (0x2000) on the eighth (0x80,
// argus's AH bit, which the parser never sets).
constexpr uint32_t kEncPackedLow = kEncMpls | kEncEther | kEncVlan | kEncLlc | kEncPppoe | kEncGre;
static_assert((kEncPackedLow & ~0x7fu) == 0 && (kEncSll & 0x7f) == 0);
inline uint8_t pack_encaps(uint32_t e) {
  return static_cast<uint8_t>((e & 0x7f) | ((e & kEncSll) ? 0x80 : 0));
}
inline uint32_t unpack_encaps(uint8_t b) { return (b & 0x7fu) | ((b & 0x80) ? kEncSll : 0); }

// State that only some kinds of flow need shares the entry's third line.
struct AliasState {  // fragment alias entries: where later fragments belong
  uint32_t parent;
  uint32_t parent_id;
  // The datagram's bytes seen so far, and its length once its last
  // fragment is seen: the link goes when the datagram is whole, so a copy
  // of a fragment coming after that is a flow of its own, as with argus,
  // while a last fragment that overtakes a middle one keeps the link.
  uint32_t have_bytes;
  uint32_t total_bytes;
  uint8_t dir;
};
struct EspState {  // ESP flows: EspMetrics of the open report
  EspMetrics m;
  uint8_t seen;  // m.last_seq holds a number
};
union ProtoState {
  TcpState tcp;
  EspState esp;
  uint8_t arp_responder_mac[6];
  AliasState alias;
};
static_assert(sizeof(ProtoState) == 64);

// Per-flow bits. They occupy the four bytes of FlowKey::pad in the entry's
// copy of the key, which lookups neither compare nor hash (same_key below).
struct EntryBits {
  uint8_t in_use : 1;
  uint8_t spare0 : 1;
  uint8_t initiator_is_key_dst : 1;  // the first packet was sent by key.dst
  uint8_t reported : 1;              // a report of this flow went out already
  uint8_t start_pending : 1;         // no packet of the open report has opened it yet
  uint8_t idle_class : 3;
  uint8_t rec_flags;                 // kRec* bits of the open report
  uint8_t counted : 1;               // the flow has its id (its first packet was accounted)
  uint8_t start_late : 1;            // the report opened after its first packet: Cold::start_delta_us
  uint8_t icmp_inner_from_dst : 1;   // the quoted packet was sent by the responder
  // A start record went out: the next report keeps the flow's first packet
  // as its status-interval reference (report_start_ns), as argus's does.
  uint8_t keep_reference : 1;
  // -U: per direction, the report's user-data slot is full, so packets
  // need not read it (it is far from the entry, and seldom in cache).
  uint8_t user_full : 2;
  uint8_t spare : 2;
  // -J: per direction (4 bits each, initiator's low) the kJit* bits, here
  // rather than with the statistics so that a packet touches its own
  // side's line of those alone (it sets the other direction's bits).
  uint8_t jit_state;
};
static_assert(sizeof(EntryBits) == 4);

// What the per-packet path touches only rarely: at a flow's start and its
// handshake, on ICMP errors, MPLS labels and IP options, and in reports.
struct Cold {
  uint32_t seq;             // flow id; free entries: next free index
  uint32_t start_delta_us;  // with start_late: report start - report_start_ns
  TcpRare hs;
  uint32_t mpls_lse[2];     // first label stack entry per direction
  uint8_t ip_opts[2];       // kIpOpt* bits per direction
  uint8_t icmp_type;        // ICMP error attached to the flow
  uint8_t icmp_code;
  uint8_t icmp_src[4];      // its sender (its receiver is the quoted packet's sender)
};

constexpr uint32_t kStartPending = UINT32_MAX;

}  // namespace

// One flow: four cache lines, no pointers. Every packet reads and writes the
// first two (key, timers, counters); TCP segments also the third; the fourth
// is touched at a flow's start, in its reports and on rare events. Lookups
// prefetch only the lines the packet will use.
struct alignas(64) FlowTable::Entry {
  union {
    FlowKey key;  // canonical order; its pad bytes hold `b`
    struct {
      uint8_t key_bytes[offsetof(FlowKey, pad)];
      EntryBits b;
    };
  };
  uint64_t last_ns;          // last packet of the flow (idle timeout)
  uint64_t next_check_ns;    // next timer check: flow start + k * status interval
  uint64_t report_start_ns;  // first packet of the open report (status interval reference)
  DirState dir[2];           // 0 = initiator
  ProtoState proto;          // line 3
  Cold cold;                 // line 4
};
static_assert(offsetof(FlowTable::Entry, proto) == 128, "the first two lines hold what every packet uses");
static_assert(offsetof(FlowTable::Entry, cold) == 192);
static_assert(sizeof(FlowTable::Entry) == 256, "a flow entry is four cache lines");
static_assert(offsetof(FlowKey, pad) == 44 && sizeof(FlowKey) == 48);

namespace {
// FlowKey::operator== with the entry's bits (the key's pad) left out.
inline bool same_key(const FlowKey& stored, const FlowKey& k) {
  const auto* a = reinterpret_cast<const __m128i*>(&stored);
  const auto* b = reinterpret_cast<const __m128i*>(&k);
  const __m128i d = _mm_or_si128(
      _mm_or_si128(_mm_xor_si128(_mm_loadu_si128(a), _mm_loadu_si128(b)),
                   _mm_xor_si128(_mm_loadu_si128(a + 1), _mm_loadu_si128(b + 1))),
      _mm_xor_si128(_mm_loadu_si128(a + 2), _mm_loadu_si128(b + 2)));
  return (_mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_setzero_si128())) & 0x0fff) == 0x0fff;
}
// Fragment bookkeeping entries (never reported) carry kKeyAlias in their key.
inline bool is_alias(const FlowTable::Entry& e) { return (e.key.flags & kKeyAlias) != 0; }
// The entry's key as a key: pad zero.
inline FlowKey plain_key(const FlowKey& stored) {
  FlowKey k = stored;
  k.pad = 0;
  return k;
}
}  // namespace

// Per-report extras of entry i at extras_[i] (-Z, -m, bidirectional
// timestamps), set by the report's first packet and widened by the others.
struct FlowTable::Extra {
  uint16_t min_size[2];  // per direction, 0 = initiator
  uint16_t max_size[2];
  uint8_t mac_a[6];      // the first packet's source and destination MACs
  uint8_t mac_b[6];
  uint8_t first_dir;     // direction of that packet
  uint8_t has_macs;
  uint8_t multipath;     // a later packet's link header did not match the first's
  uint8_t first_encaps;  // the first packet's kEnc* layers (tags, labels), pack_encaps()
  uint32_t first_us[2];  // per direction, the report's first packet (µs after its start)
};
static_assert(sizeof(FlowTable::Extra) == 32);

// -J state of entry i at jits_[i]: per side of the key (not per direction,
// so that the burst's prefetch can pick the line before the entry is read)
// the report's interval statistics, active and idle, and the side's last
// packet. One line a side: a packet touches its own. The bits that classify
// the next interval are in EntryBits::jit_state.
struct alignas(64) FlowTable::JitterSide {
  // A report's intervals add up to less than its span plus one interval,
  // and an interval counts only below two status intervals (at most 65534 s
  // each): under 55 hours in all, so 40 bits of microseconds hold the sum
  // (saturating, never wrapping, all the same).
  struct Stats {
    uint32_t n;
    uint32_t min_us;
    uint32_t max_us;
    uint32_t sum_lo;  // sum of the intervals, low 32 bits; the high 8 in sum_hi
    uint64_t sum_sq;  // saturates (beyond any report of sane length)
  };
  Stats s[2];         // active, idle
  uint64_t last_us;   // the side's last counted packet
  uint32_t last_ack;  // TCP: the side's latest acknowledgement
  uint8_t sum_hi[2];
  uint8_t pad[2];

  static constexpr uint64_t kSum40Max = (uint64_t{1} << 40) - 1;
  uint64_t sum_us(unsigned k) const { return uint64_t{sum_hi[k]} << 32 | s[k].sum_lo; }
  void add_sum(unsigned k, uint32_t iv) {
    uint64_t v = sum_us(k) + iv;
    if (v > kSum40Max) v = kSum40Max;
    s[k].sum_lo = static_cast<uint32_t>(v);
    sum_hi[k] = static_cast<uint8_t>(v >> 32);
  }
};
struct FlowTable::Jitter {
  JitterSide side[2];  // [from_dst]: the key's source side, then its destination side
};
static_assert(sizeof(FlowTable::JitterSide) == 64, "-J state: one cache line a side");
static_assert(sizeof(FlowTable::Jitter) == 128);
namespace {
// EntryBits::jit_state, per direction (shifted by 4 * direction):
constexpr uint8_t kJitHasLast = 0x01;     // the side's last_us holds a packet of this direction
constexpr uint8_t kJitPrevPayload = 0x02; // that packet carried payload
constexpr uint8_t kJitOtherSpoke = 0x04;  // the other direction said something new since
constexpr uint8_t kJitInReport = 0x08;    // the side's statistics belong to the open report
}  // namespace
static_assert(kIdleClassCount <= 8, "idle class fits its bit-field");

size_t FlowTable::entry_bytes() { return sizeof(Entry); }

namespace {
// Two candidate buckets of eight slots per key and one bucket per four
// flows of capacity: slots stay at most half full, so a new key finds room
// in one of its two buckets right up to the capacity.
uint32_t bucket_count(uint32_t capacity) { return round_up_pow2(capacity / 4 < 2 ? 2 : capacity / 4); }
}  // namespace

namespace {
// Bytes of a -U slot: two 16-bit lengths, then both directions' bytes,
// rounded to 8.
size_t user_stride(uint32_t user_bytes) { return user_bytes ? (4 + 2 * size_t{user_bytes} + 7) & ~size_t{7} : 0; }
}  // namespace

size_t FlowTable::table_bytes(uint32_t capacity, bool extra_metrics, uint32_t user_bytes, bool jitter) {
  if (capacity < 64) capacity = 64;
  return sizeof(Bucket) * size_t{bucket_count(capacity)} +
         (sizeof(Entry) + (extra_metrics ? sizeof(Extra) : 0) + user_stride(user_bytes) +
          (jitter ? sizeof(Jitter) : 0)) *
             size_t{capacity};
}

// User-data buffers (-U) are left out: they are the user's choice of size.
size_t FlowTable::bytes_per_flow() const {
  const size_t buckets = (static_cast<size_t>(bucket_mask_) + 1) * sizeof(Bucket);
  return sizeof(Entry) + buckets / capacity_ + (extras_ ? sizeof(Extra) : 0) + (jits_ ? sizeof(Jitter) : 0);
}

FlowTable::FlowTable(const FlowTableConfig& cfg) : cfg_(cfg) {
  capacity_ = cfg.capacity < 64 ? 64 : cfg.capacity;
  const uint32_t nb = bucket_count(capacity_);
  bucket_mask_ = nb - 1;
  next_flow_id_ = cfg.flow_id_base;
  // Anonymous mappings are zero and mapped lazily: resident memory grows
  // with the flows, start-up touches nothing, and sweeps never look past the
  // highest entry used.
  bucket_bytes_ = sizeof(Bucket) * nb;
  entry_bytes_ = sizeof(Entry) * size_t{capacity_};
  void* b = ::mmap(nullptr, bucket_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  void* e = ::mmap(nullptr, entry_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  void* x = nullptr;
  if (cfg.extra_metrics) {
    extra_bytes_ = sizeof(Extra) * size_t{capacity_};
    x = ::mmap(nullptr, extra_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  }
  void* jm = nullptr;
  if (cfg.jitter) {
    jit_bytes_ = sizeof(Jitter) * size_t{capacity_};
    jm = ::mmap(nullptr, jit_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  }
  void* u = nullptr;
  if (cfg.user_bytes) {
    if (cfg_.user_bytes > kMaxUserBytes) cfg_.user_bytes = kMaxUserBytes;
    user_stride_ = user_stride(cfg_.user_bytes);
    user_bytes_ = user_stride_ * size_t{capacity_};
    u = ::mmap(nullptr, user_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  }
  if (b == MAP_FAILED || e == MAP_FAILED || x == MAP_FAILED || u == MAP_FAILED || jm == MAP_FAILED) {
    if (b != MAP_FAILED) ::munmap(b, bucket_bytes_);
    if (e != MAP_FAILED) ::munmap(e, entry_bytes_);
    if (x && x != MAP_FAILED) ::munmap(x, extra_bytes_);
    if (u && u != MAP_FAILED) ::munmap(u, user_bytes_);
    if (jm && jm != MAP_FAILED) ::munmap(jm, jit_bytes_);
    return;
  }
  jits_ = static_cast<Jitter*>(jm);
  extras_ = static_cast<Extra*>(x);
  users_ = static_cast<uint8_t*>(u);
  // Random access over tens of megabytes: ask for transparent huge pages so
  // lookups do not also pay a page walk each (a hint; ignored where THP is off).
  ::madvise(b, bucket_bytes_, MADV_HUGEPAGE);
  ::madvise(e, entry_bytes_, MADV_HUGEPAGE);
  if (x) ::madvise(x, extra_bytes_, MADV_HUGEPAGE);  // the side arrays are indexed like the entries
  if (jm) ::madvise(jm, jit_bytes_, MADV_HUGEPAGE);
  if (u) ::madvise(u, user_bytes_, MADV_HUGEPAGE);
  buckets_ = static_cast<Bucket*>(b);
  entries_ = static_cast<Entry*>(e);
}

FlowTable::~FlowTable() {
  if (buckets_) ::munmap(buckets_, bucket_bytes_);
  if (entries_) ::munmap(entries_, entry_bytes_);
  if (extras_) ::munmap(extras_, extra_bytes_);
  if (users_) ::munmap(users_, user_bytes_);
  if (jits_) ::munmap(jits_, jit_bytes_);
}

[[gnu::always_inline]] inline uint32_t FlowTable::find(const FlowKey& k, uint64_t h) const {
  const uint32_t sig = static_cast<uint32_t>(h >> 32) | 1u;
  uint32_t b[2];
  bucket_pair(h, b);
  for (uint32_t bi : b) {
    const Bucket& bk = buckets_[bi];
    for (uint32_t m = sig_matches(bk, sig); m; m &= m - 1) {
      const uint32_t s = static_cast<uint32_t>(__builtin_ctz(m));
      if (same_key(entries_[bk.idx[s]].key, k)) return bk.idx[s];  // full compare: sigs collide
    }
  }
  return UINT32_MAX;
}

uint32_t FlowTable::alloc_index() {
  if (free_head_ != UINT32_MAX) {
    const uint32_t idx = free_head_;
    free_head_ = entries_[idx].cold.seq;
    return idx;
  }
  if (high_water_ < capacity_) return high_water_++;
  return UINT32_MAX;
}

uint32_t FlowTable::insert(const FlowKey& k, uint64_t h, uint64_t now_ns, RecordEmitter& out) {
  const uint32_t sig = static_cast<uint32_t>(h >> 32) | 1u;
  uint32_t b[2];
  bucket_pair(h, b);
  Bucket* slot_bucket = nullptr;
  uint32_t slot = 0;
  for (uint32_t bi : b) {
    Bucket& bk = buckets_[bi];
    for (uint32_t s = 0; s < kSlotsPerBucket; ++s) {
      if (bk.sig[s] == 0) {
        slot_bucket = &bk;
        slot = s;
        break;
      }
    }
    if (slot_bucket) break;
  }
  const uint32_t idx = slot_bucket ? alloc_index() : UINT32_MAX;
  if (idx == UINT32_MAX) {
    if (cfg_.full_policy == FullPolicy::kDropNew) {
      bump(TableCounter::kFullDrops);
      return UINT32_MAX;
    }
    // Evict the idlest flow of the primary bucket, reporting it first. The
    // secondary bucket serves only when the primary one holds nothing (the
    // table ran out of entries while this key's buckets are empty).
    auto idlest = [&](const Bucket& bk) {
      uint32_t victim = kSlotsPerBucket;
      uint64_t oldest = UINT64_MAX;
      for (uint32_t s = 0; s < kSlotsPerBucket; ++s) {
        if (bk.sig[s] != 0 && entries_[bk.idx[s]].last_ns < oldest) {
          oldest = entries_[bk.idx[s]].last_ns;
          victim = s;
        }
      }
      return victim;
    };
    const Bucket* from = &buckets_[b[0]];
    uint32_t victim_slot = idlest(*from);
    if (victim_slot == kSlotsPerBucket) {
      from = &buckets_[b[1]];
      victim_slot = idlest(*from);
    }
    if (victim_slot == kSlotsPerBucket) {
      bump(TableCounter::kFullDrops);
      return UINT32_MAX;
    }
    const uint32_t vi = from->idx[victim_slot];
    Entry& victim = entries_[vi];
    if (!is_alias(victim) && victim.dir[0].pkts + victim.dir[1].pkts)
      emit_report(victim, 0, out);
    remove(vi);
    bump(TableCounter::kEvictions);
    return insert(k, h, now_ns, out);  // a slot and an entry are free now
  }
  Entry& e = entries_[idx];
  std::memset(&e, 0, sizeof e);
  if (users_) std::memset(user_slot(idx), 0, 4);
  e.key = k;
  e.b.in_use = 1;
  e.last_ns = now_ns;
  slot_bucket->sig[slot] = sig;
  slot_bucket->idx[slot] = idx;
  ++active_;
  return idx;
}

void FlowTable::remove(uint32_t idx) {
  Entry& e = entries_[idx];
  const uint64_t h = flow_key_hash(plain_key(e.key), cfg_.hash_seed);
  const uint32_t sig = static_cast<uint32_t>(h >> 32) | 1u;
  uint32_t b[2];
  bucket_pair(h, b);
  for (uint32_t bi : b) {
    Bucket& bk = buckets_[bi];
    for (uint32_t s = 0; s < kSlotsPerBucket; ++s) {
      if (bk.sig[s] == sig && bk.idx[s] == idx) {
        bk.sig[s] = 0;
        e.b.in_use = 0;
        e.cold.seq = free_head_;
        free_head_ = idx;
        --active_;
        return;
      }
    }
  }
}

uint64_t FlowTable::idle_timeout(const Entry& e) const {
  return cfg_.idle_timeout_ns[e.b.idle_class];
}

// No segment of this direction seen yet.
inline bool unseen(const TcpDirState& d) { return d.seq_high == 0 && d.seqbase == 0; }

// An ESP flow of the 5-tuple keys (keyed by its SPI), whose sequence
// numbers are followed.
inline bool is_esp_flow(const FlowKey& k) {
  return k.proto == kProtoEsp && (k.kind == KeyKind::kIPv4 || k.kind == KeyKind::kIPv6) && !(k.flags & kKeyMatrix);
}

static IdleClass classify(const FlowKey& k) {
  switch (k.kind) {
    case KeyKind::kIPv4:
    case KeyKind::kIPv6:
      if (k.proto == kProtoTcp) return IdleClass::kTcp;
      if (k.proto == kProtoIcmp || k.proto == kProtoIcmp6) return IdleClass::kIcmp;
      if (k.proto == kProtoIgmp) return IdleClass::kIgmp;
      return IdleClass::kIp;
    case KeyKind::kIPv4Frag:
    case KeyKind::kIPv6Frag:
      return IdleClass::kFrag;
    case KeyKind::kArp:
    case KeyKind::kRarp:
      return IdleClass::kArp;
    default:
      return IdleClass::kOther;
  }
}

// The report as the exporter wants it: src = initiator, absolute times.
// Every field the encoder reads is written; parts that only some flows have
// (TCP, ARP, ICMP-mapped) are written when their flag is set, and only then
// read, so the record is not cleared first.
void FlowTable::build_record(const Entry& e, uint8_t cause, FlowRecord& r) const {
  r.key = plain_key(e.key);
  // Turned so that src is the initiator (ARP keys name the requester and
  // never are: see update()).
  if (e.b.initiator_is_key_dst) swap_key_endpoints(r.key);
  r.cause = cause ? cause : (e.b.reported ? kCauseStatus : kCauseStart);
  r.seq = e.cold.seq;
  r.flags = e.b.rec_flags;
  std::memset(r.jitter, 0, sizeof r.jitter);
  if (jits_) {
    for (unsigned d = 0; d < 2; ++d) {
      if (!(e.b.jit_state >> (4 * d) & kJitInReport)) continue;
      const JitterSide& j = jits_[&e - entries_].side[d ^ e.b.initiator_is_key_dst];
      for (unsigned k = 0; k < 2; ++k) {
        const JitterSide::Stats& st = j.s[k];
        JitterStats& o = r.jitter[d][k];
        if (!st.n) continue;
        // argus's variance: the whole part of the mean square less the
        // square of the mean as the record carries it, a 32-bit float.
        // Taken the same way, the figures agree to the microsecond.
        const float mean = static_cast<float>(static_cast<double>(j.sum_us(k)) / st.n);
        const double var =
            static_cast<double>(st.sum_sq / st.n) - static_cast<double>(mean) * static_cast<double>(mean);
        o.n = st.n;
        o.min_us = st.min_us;
        o.max_us = st.max_us;
        o.mean_us = mean;
        o.stddev_us = static_cast<float>(var > 0 ? std::sqrt(var) : 0.0);
      }
    }
  }
  r.user_len[0] = r.user_len[1] = 0;
  r.user_capacity = static_cast<uint16_t>(cfg_.user_bytes);
  if (users_ && r.user_buf) {
    const uint8_t* slot = user_slot(static_cast<uint32_t>(&e - entries_));
    for (unsigned d = 0; d < 2; ++d) {
      std::memcpy(&r.user_len[d], slot + 2 * d, 2);
      std::memcpy(r.user_buf + d * size_t{kMaxUserBytes}, slot + 4 + d * size_t{cfg_.user_bytes}, r.user_len[d]);
    }
  }
  std::memset(r.mac_src, 0, sizeof r.mac_src);
  std::memset(r.mac_dst, 0, sizeof r.mac_dst);
  r.mac_multipath = 0;
  if (extras_) {
    const Extra& x = extras_[&e - entries_];
    if (x.has_macs) {
      // Turned like the key: src is the initiator's address.
      const bool from_initiator = x.first_dir == 0;
      std::memcpy(r.mac_src, from_initiator ? x.mac_a : x.mac_b, 6);
      std::memcpy(r.mac_dst, from_initiator ? x.mac_b : x.mac_a, 6);
      r.flags |= kRecHasMacs;
      r.mac_multipath = x.multipath;
    }
  }
  const uint64_t base_us = e.report_start_ns / 1000;
  uint64_t last_us = 0;
  for (unsigned d = 0; d < 2; ++d) {
    const DirState& s = e.dir[d];
    DirMetrics& m = r.dir[d];
    m.bytes = get48(s.bytes_lo, s.bytes_hi);
    m.app_bytes = get48(s.app_lo, s.app_hi);
    m.pkts = s.pkts;
    m.encaps = unpack_encaps(s.enc);
    m.mpls_lse = (s.bits & kDirMpls) ? e.cold.mpls_lse[d] : 0;
    m.vlan_tci = s.vlan_tci;
    m.ip_id = s.ip_id;
    m.ttl = s.ttl;
    m.tos = s.tos;
    m.has_vlan = (s.bits & kDirVlan) ? 1 : 0;
    m.has_mpls = (s.bits & kDirMpls) ? 1 : 0;
    m.fragments = (s.bits & kDirFrags) ? 1 : 0;
    m.ip_opts = (s.bits & kDirIpOpts) ? e.cold.ip_opts[d] : 0;
    m.attrs_carried = (!s.pkts && (s.bits & kDirHeard)) ? 1 : 0;
    m.pad = 0;
    m.min_size = m.max_size = 0;
    if (extras_ && s.pkts) {
      const Extra& x = extras_[&e - entries_];
      // Only later fragments in this direction: no size seen.
      m.min_size = x.max_size[d] ? x.min_size[d] : 0;
      m.max_size = x.max_size[d];
    }
    m.last_ns = 0;
    m.first_ns = 0;
    if (s.pkts) {
      m.last_ns = (base_us + s.last_us) * 1000;
      if (extras_) m.first_ns = (base_us + extras_[&e - entries_].first_us[d]) * 1000;
      if (base_us + s.last_us > last_us) last_us = base_us + s.last_us;
    }
  }
  r.last_ns = last_us * 1000;
  if (__builtin_expect(report_last_floor_ns_ > r.last_ns, 0)) r.last_ns = report_last_floor_ns_;
  // A report opened after its first packet starts there; one that no
  // packet opened (the responder's alone) at its first packet.
  r.start_ns = e.b.start_late ? (base_us + e.cold.start_delta_us) * 1000 : base_us * 1000;
  if (r.flags & kRecTcp) {
    const TcpState& t = e.proto.tcp;
    r.tcp.status = t.status & ~kTcpOptMask;
    // argus's connection word says SRC_DUPLICATES for a duplicate from
    // either side (the initiator's block tells which).
    if (r.tcp.status & kTcpDstDuplicates) r.tcp.status = (r.tcp.status & ~kTcpDstDuplicates) | kTcpSrcDuplicates;
    r.tcp.options = t.options();
    r.tcp.synack_us = e.cold.hs.synack_us;
    r.tcp.ackdat_us = e.cold.hs.ackdat_us;
    // BSD FSM state as argus reports it, from the connection status.
    r.tcp.fsm_state = (t.status & kTcpFinSeen) ? 9 : (t.status & kTcpEstablished) ? 4
                      : (t.status & kTcpSawSynSent) ? 3 : 2;
    for (unsigned d = 0; d < 2; ++d) {
      const TcpDirState& s = t.dir[d];
      TcpDir& o = r.tcp.dir[d];
      o.seqbase = s.seqbase;
      o.seq_high = s.seq_high;
      const TcpDirState& peer = t.dir[d ^ 1];
      // argus writes the last acknowledgement less one (the last byte it
      // acknowledges), none for a side whose only one came with the flow's
      // first segment, and that one for the other side until it sends its own.
      const bool own_ack = (s.bits & kTcpDirAcked) && !(s.rep_bits & kTcpDirAckFromFirst);
      o.ack = own_ack || (s.rep_bits & kTcpDirAckOfPeerFirst) ? s.ack - 1 : 0;
      // The record's field is 32 bits.
      const uint32_t uncounted = e.cold.hs.uncounted[d];
      o.payload_bytes = e.dir[d].app_lo > uncounted ? e.dir[d].app_lo - uncounted : 0;
      // argus's unacknowledged bytes, once the other side has acknowledged
      // anything: what its last acknowledgement in the report leaves of the
      // side's sequence space, or with none in the report (the flow's first
      // segment's is none) all the report's payload, resends too.
      if (!(peer.bits & kTcpDirAcked)) {
        o.unacked_bytes = 0;
      } else if ((peer.bits & kTcpDirAckedInReport) && !(peer.rep_bits & kTcpDirAckFromFirst)) {
        o.unacked_bytes = !unseen(s) && seq_gt(s.seq_high, peer.ack) ? s.seq_high - peer.ack : 0;
      } else {
        o.unacked_bytes = o.payload_bytes;
      }
      o.retrans = e.cold.hs.retrans[d];
      o.status = tcp_dir_status(t, d);
      o.win = s.win;
      o.flags = s.flags;
      o.wscale = s.bits & kTcpDirWscaleMask;
    }
  }
  // (Any key of protocol 50 gets the ESP network DSR: zeros where its
  // numbers are not followed.)
  if (r.key.proto == kProtoEsp) r.esp = is_esp_flow(e.key) ? e.proto.esp.m : EspMetrics{};
  if (r.flags & kRecArpReply) {
    std::memcpy(r.arp_responder_mac, e.proto.arp_responder_mac, 6);
  } else {
    std::memset(r.arp_responder_mac, 0, 6);  // written for every ARP flow
  }
  if (r.flags & kRecIcmpMapped) {
    r.icmp.type = e.cold.icmp_type;
    r.icmp.code = e.cold.icmp_code;
    r.icmp.pad[0] = r.icmp.pad[1] = 0;
    r.icmp.gateway = 0;  // redirect gateways are not kept per flow
    std::memcpy(r.icmp.icmp_src, e.cold.icmp_src, 4);
    // The quoted packet's addresses, from the flow's own key; the error went
    // to the quoted packet's sender.
    const bool from_key_dst = e.b.icmp_inner_from_dst;
    std::memcpy(r.icmp.inner_src, from_key_dst ? e.key.dst : e.key.src, 4);
    std::memcpy(r.icmp.inner_dst, from_key_dst ? e.key.src : e.key.dst, 4);
    std::memcpy(r.icmp.icmp_dst, r.icmp.inner_src, 4);
  }
}

// Sends the open report of `e` and starts an empty one. Connection-wide TCP
// state carries over; per-report counters and bits start again.
void FlowTable::emit_report(Entry& e, uint8_t cause, RecordEmitter& out) {
  // Built in place in the emitter's batch when it offers a slot.
  if (FlowRecord* slot = out.reserve()) {
    build_record(e, cause, *slot);
    out.commit();
  } else {
    FlowRecord r;
    r.user_buf = user_scratch_;
    build_record(e, cause, r);
    out.emit(r);
  }
  bump(TableCounter::kReports);
  e.b.reported = 1;
  e.b.start_late = 0;
  if (users_) std::memset(user_slot(static_cast<uint32_t>(&e - entries_)), 0, 4);
  e.b.user_full = 0;
  e.b.jit_state = static_cast<uint8_t>(e.b.jit_state & ~(kJitInReport | kJitInReport << 4));
  for (DirState& d : e.dir) {
    // The IP attributes outlive the report (argus repeats a quiet side's).
    const uint8_t ttl = d.ttl, tos = d.tos;
    const uint16_t ip_id = d.ip_id;
    const bool heard = d.pkts || (d.bits & kDirHeard);
    d = DirState{};
    if (heard) {
      d.ttl = ttl;
      d.tos = tos;
      d.ip_id = ip_id;
      d.bits = kDirHeard;
    }
  }
  e.b.rec_flags &= kRecTcp;
  if (is_esp_flow(e.key)) {
    e.proto.esp.m.status = 0;
    e.proto.esp.m.lost = 0;
  }
  if (e.b.rec_flags & kRecTcp) {
    TcpState& t = e.proto.tcp;
    // Resets too: argus forgets one at the report's end, so a later report
    // of the flow is no reset, its handshake steps are timed again and a
    // SYN in it continues the flow as a resend.
    constexpr uint32_t kPerReport = kTcpSrcRetrans | kTcpDstRetrans | kTcpSrcWindowShut |
                                    kTcpDstWindowShut | kTcpSrcOutOfOrder | kTcpDstOutOfOrder |
                                    kTcpSrcReset | kTcpDstReset;
    t.status &= ~kPerReport;
    e.cold.hs.uncounted[0] = e.cold.hs.uncounted[1] = 0;
    e.cold.hs.retrans[0] = e.cold.hs.retrans[1] = 0;
    for (TcpDirState& d : t.dir) {
      // The next report's sequence range starts where this one ended, so the
      // range and the byte count of a report agree (ra infers loss otherwise).
      d.seqbase = d.seq_high;
      d.bits &= static_cast<uint8_t>(~(kTcpDirSeqValid | kTcpDirAckedInReport));
      d.status &= static_cast<uint8_t>(~kTcpDirPerReport);
      d.last_data_id = 0;
      d.flags = 0;
      d.rep_bits &= kTcpDirAckFromFirst | kTcpDirAckOfPeerFirst;
    }
  }
}

// Timer checks, after argus: every status interval from the flow's first
// packet, a flow's open report goes out if its interval is over, and the
// flow ends if it has been idle longer than its timeout *at that check
// time*. Checks are made by sweeps and before a packet updates its flow.
bool FlowTable::run_checks(Entry& e, uint32_t idx, uint64_t upto_ns, RecordEmitter& out) {
  if (is_alias(e)) {
    // Fragment bookkeeping simply lapses after the fragment timeout.
    if (upto_ns > e.last_ns && upto_ns - e.last_ns > idle_timeout(e)) {
      remove(idx);
      return true;
    }
    return false;
  }
  const uint64_t interval = cfg_.status_interval_ns;
  const uint64_t timeout = idle_timeout(e);
  for (;;) {
    // Skip the checks at which nothing can happen: the first one that can
    // send the report or end the flow is computed, not stepped to, so a
    // jump in packet time costs nothing.
    const bool has_pkts = e.dir[0].pkts + e.dir[1].pkts != 0;
    const uint64_t report_due = has_pkts ? sat_add(e.report_start_ns, interval) : UINT64_MAX;
    const uint64_t expire_due = sat_add(sat_add(e.last_ns, timeout), 1);
    const uint64_t target = report_due < expire_due ? report_due : expire_due;
    if (e.next_check_ns < target) {
      const uint64_t steps = (target - e.next_check_ns + interval - 1) / interval;
      e.next_check_ns = steps > (UINT64_MAX - e.next_check_ns) / interval
                            ? UINT64_MAX
                            : e.next_check_ns + steps * interval;
    }
    if (e.next_check_ns > upto_ns) return false;
    const uint64_t t = e.next_check_ns;
    if (has_pkts && t >= report_due) emit_report(e, 0, out);
    if (t >= expire_due) {
      if (e.dir[0].pkts + e.dir[1].pkts) emit_report(e, 0, out);
      bump(TableCounter::kFlowsExpired);
      remove(idx);
      return true;
    }
    if (t == UINT64_MAX) return false;  // the end of time: nothing later is due
    e.next_check_ns = sat_add(t, interval);
  }
}

// Sizes are wire lengths like the byte counts, per report; MACs those of the
// flow's first packet, in every report of the flow (as argus 3.0.8.2 does: a
// host that sends and receives through different MACs shows the first
// packet's pair throughout).
void FlowTable::account_extra(Extra& x, bool first_of_report, bool first_of_flow, bool sized,
                              const ParsedPacket& p, unsigned d) {
  const uint16_t size = p.wire_len > 0xffff ? 0xffff : static_cast<uint16_t>(p.wire_len);
  if (first_of_report) {
    x.min_size[0] = x.min_size[1] = 0xffff;
    x.max_size[0] = x.max_size[1] = 0;
  }
  if (first_of_flow) {
    x.multipath = 0;
    x.first_encaps = pack_encaps(p.encaps);
    x.first_dir = static_cast<uint8_t>(d);
    x.has_macs = p.has_macs;
    if (p.has_macs) {
      std::memcpy(x.mac_a, p.mac_src, 6);
      std::memcpy(x.mac_b, p.mac_dst, 6);
    }
  }
  else if (x.has_macs && p.has_macs) {
    // The same link header as the first packet (its MAC pair, turned for
    // the other direction, and its tags and labels), or the flow takes
    // several paths: argus's MAC DSR qualifier 0x02, ra's 'M' flag.
    const bool same_dir = d == x.first_dir;
    const uint8_t* want_src = same_dir ? x.mac_a : x.mac_b;
    const uint8_t* want_dst = same_dir ? x.mac_b : x.mac_a;
    if (std::memcmp(p.mac_src, want_src, 6) || std::memcmp(p.mac_dst, want_dst, 6) ||
        pack_encaps(p.encaps) != x.first_encaps)
      x.multipath = 1;
  }
  if (!sized) return;
  if (size < x.min_size[d]) x.min_size[d] = size;
  if (size > x.max_size[d]) x.max_size[d] = size;
}

// TCP tracking after argus's model: connection-wide bits persist across
// reports, retransmission and window bits are per report.
namespace {
// What a segment was, for the jitter statistics. kSegBehind: data below
// the direction's highest sequence number that the counters take neither
// for a resend nor for out of order. kSegOutOfOrder: a segment filling a
// gap, or one whose IPv4 id says it was sent before an earlier copy (new
// data sent before the previous segment counts as kSegNew).
enum SegmentKind : uint8_t { kSegNew = 0, kSegResent = 1, kSegBehind = 2, kSegOutOfOrder = 3 };
constexpr uint8_t kSegKindMask = 0x03;
// Beside the kind: when the segment left, its side had data in flight, sent
// and not acknowledged by the other side (argus's test for an active
// interval).
constexpr uint8_t kSegInFlight = 0x04;

// How far below the side's previous data segment's IPv4 id a segment's id
// may be for argus to take it as sent earlier (out of order); further
// below is a counter that wrapped or a random id.
constexpr uint16_t kIdReorderWindow = 5000;

// A packet's IPv4 id as argus compares it: the two header bytes read
// little-endian (0 for IPv6, which has none).
inline uint16_t argus_order_id(const ParsedPacket& p) { return __builtin_bswap16(p.ip_id); }

// Handshake times as argus takes them: between the two packets' times
// truncated to microseconds (so a nanosecond capture's 127.521774 ms
// between stamps ending in .505488 and .027262 is 127522 us).
inline uint32_t elapsed_us(uint64_t from_ns, uint64_t to_ns) {
  return static_cast<uint32_t>(to_ns / 1000 - from_ns / 1000);
}

// The per-segment step, inlined into the table's update (a call costs
// about twenty instructions a segment in saves and restores). `one_way`:
// a unidirectional flow, one side of a connection whose other side is a
// flow of its own. argus then takes a SYN sent again for a resend, but no
// data segment, and none for out of order: those it judges against the
// other side, which such a flow never sees. `track_dups`: argus's
// ARGUS_TRACK_DUPLICATES (see `dup` below). `first_from_key_dst`: the
// flow's first segment came from the key's destination (the endpoint
// argus's storage order puts second: the higher IPv4 address).
[[gnu::always_inline]] inline uint8_t track_segment(TcpState& t, TcpRare& hs, const ParsedPacket& p,
                                                 unsigned dir, uint64_t ts_ns, bool first, bool one_way,
                                                 bool track_dups, bool first_from_key_dst = false) {
  TcpDirState& me = t.dir[dir];
  TcpDirState& peer = t.dir[dir ^ 1];
  const uint8_t fl = p.tcp_flags;
  const uint32_t seq = p.tcp_seq;
  const uint32_t len = p.payload_bytes;
  const bool syn = fl & kTcpSyn;
  const bool ack = fl & kTcpAck;
  // Each side's bit of a pair is the source's shifted by the direction.
  static_assert(kTcpDstRetrans == kTcpSrcRetrans << 1 && kTcpDstReset == kTcpSrcReset << 1 &&
                kTcpDstWindowShut == kTcpSrcWindowShut << 1 && kTcpDstOutOfOrder == kTcpSrcOutOfOrder << 1);
  bool resent = false;
  bool out_of_order = false;
  bool sent_earlier = false;
  // Data below the side's highest sequence number (a side's first segment
  // is below nothing).
  const bool behind = !first && !syn && len > 0 && !unseen(me) && seq_lt(seq, me.seq_high);
  // Data in flight, as argus sees it: sent and not acknowledged. Until the
  // other side acknowledges something in a report, argus counts what was
  // sent before the report as acknowledged.
  const bool in_flight = !first && (peer.bits & kTcpDirAcked) &&
                         seq_gt(me.seq_high, (peer.bits & kTcpDirAckedInReport) ? peer.ack : me.seqbase);
  const bool closed = hs.flags & kHsClosed;
  t.status |= p.tcp_options & kTcpOptMask;
  const uint8_t flags_before = me.flags;  // of this report
  bool below_own_fin = false;  // after the side's FIN, data starting below it (see there)
  me.flags |= fl;
  // argus keeps a zero window out of the record (it shows as the
  // window-shut flag), a FIN's unless the side has no window yet, and a
  // reset's always (a side that only refused shows none).
  if (p.tcp_win != 0 && !(fl & kTcpRst) && (!(fl & kTcpFin) || me.win == 0)) me.win = p.tcp_win;
  if (syn && (p.tcp_options & kTcpOptWscale))
    me.bits = static_cast<uint8_t>((me.bits & ~kTcpDirWscaleMask) | (p.tcp_wscale & kTcpDirWscaleMask));
  // A duplicate, with duplicate tracking on: a data segment with the IPv4
  // id of the side's previous data segment in the report (a copy made on
  // the way, not a resend by the sender). argus marks the flow for good,
  // counts its bytes and takes its flags and window as above, and then
  // leaves the segment out of the connection's tracking: no sequence
  // number, acknowledgement, FIN or reset of it counts, and its data is
  // judged neither resent nor out of order. A FIN on it below the side's
  // highest sequence number still counts one resend.
  const bool dup = track_dups && len > 0 && !first && !syn && p.ip_id != 0 &&
                   argus_order_id(p) == me.last_data_id;
  // A flow picked up mid-stream: until the other side is heard, argus
  // leaves a side's later segments out of its byte count and its highest
  // sequence number, and judges none of them.
  const bool unheard = len && !(t.status & (kTcpSawSyn | kTcpSawSynSent)) && unseen(peer);

  // After a duplicate that copies data already sent, argus counts the
  // side's next new data segment a resend, when it follows on (one that
  // jumps ahead is not, and either way the mark is spent), unless the other
  // side sends anything in between.
  if (track_dups) peer.rep_bits &= static_cast<uint8_t>(~kTcpDirAfterDupCopy);
  if (__builtin_expect(dup, 0)) {
    t.status |= kTcpSrcDuplicates << dir;
    if (!seq_gt(seq + len, me.seq_high)) me.rep_bits |= kTcpDirAfterDupCopy;
  } else if (first) {
    if (syn && !ack) {
      t.status |= kTcpSawSyn;
      hs.hs_ns = ts_ns;
    } else if (syn && ack) {
      // A flow whose first segment is a SYN-ACK (the responder's half of a
      // unidirectional pair, a one-sided capture): the handshake's ACK
      // would come from the other side, so argus times none.
      t.status |= kTcpSawSynSent;
    } else if ((fl & kTcpFin) && len == 0) {
      // A flow picked up at a bare FIN: argus marks the connection's FIN
      // alone (not the side's), and no later segment establishes it or has
      // a FIN acknowledged.
      hs.flags |= kHsFinFirst;
    } else {
      // Picked up mid-stream. When the segment carries data and a FIN,
      // argus takes it as data alone and no FIN of the flow ever counts.
      t.status |= kTcpEstablished;
      if (fl & kTcpFin) {
        hs.flags |= kHsFinIgnored;
        hs.fin_first_end = seq + len;
      }
    }
    // A flow picked up mid-stream: argus puts the base one before the
    // first sequence number, where a SYN would have been.
    me.seqbase = syn ? seq : seq - 1;
    // The highest sequence number reported (and the next report's base)
    // leaves the SYN out, as argus's does; the tracking counts it.
    me.seq_high = seq + len;
    // A flow picked up mid-stream: its first segment only marks where the
    // sequence space starts, so a copy of it is not taken for a resend;
    // but only when its sender is first in argus's storage order and it
    // carries no FIN. Sent by the other endpoint, or with a FIN, its data
    // counts as sent, and a copy of it, once the other side is heard, is a
    // resend.
    me.rep_high = syn ? seq + len + 1 : first_from_key_dst || (fl & kTcpFin) ? seq + len : seq;
    me.bits |= kTcpDirSeqValid;
    // Its IPv4 id is not kept: argus judges the next segment's order (and
    // duplicates) without it.
    if (len > 0 && !syn) me.rep_bits |= kTcpDirDataInReport;
  } else if (syn) {
    const bool again = ack ? (t.status & kTcpSawSynSent) : (t.status & kTcpSawSyn);
    // A side's first SYN-ACK starts its sequence space; the responder's
    // bare SYN does not (argus takes it for a resend of the initiator's and
    // gives the side no base until its SYN-ACK or first other segment).
    if (unseen(me) && (ack || !again)) {
      me.seqbase = seq;
      me.seq_high = seq;
      me.rep_high = seq + 1;
      me.bits |= kTcpDirSeqValid;
    }
    if (again) {
      // argus counts every SYN after the connection's first SYN, and every
      // SYN-ACK after its first SYN-ACK, as a resend, whichever side sends
      // it and whatever its sequence number (a connection attempt started
      // afresh; the base stays the first): so the responder's bare SYN of
      // a simultaneous open is one, and a second SYN-ACK from either side.
      // Not after a FIN: once it was acknowledged, a new connection on the
      // same ports, which argus keeps in the flow.
      resent = !(t.status & kTcpFinSeen);
      if (t.status & kTcpFinAcked) hs.flags |= kHsSynAfterClose;
      // argus times the handshake from the last SYN sent, and the ACK from
      // the responder's last SYN-ACK (the first one's ACK was lost, or it
      // was), unless that SYN-ACK acknowledges another SYN than the first:
      // then the ACK goes untimed.
      if (!ack && dir == 0 && !(t.status & kTcpSawSynSent)) hs.hs_ns = ts_ns;
      if (ack && dir == 1 && !(t.status & kTcpEstablished) && hs.hs_ns) {
        hs.hs_ns = p.tcp_ack == peer.seqbase + 1 ? ts_ns : 0;
        hs.flags &= static_cast<uint8_t>(~kHsAckUntimed);
      }
    } else if (ack && !closed) {
      // The connection's first SYN-ACK, marked in its sender's block too
      // (the initiator's in a simultaneous open).
      t.status |= kTcpSawSynSent;
      me.status |= kTcpDirSynAck;
      if (dir == 1) {
        // A SYN-ACK that acknowledges more than the SYN (its data: TCP Fast
        // Open) leaves the handshake untimed in argus.
        if (p.tcp_ack != peer.seqbase + 1) hs.hs_ns = 0;
        if (hs.hs_ns && ts_ns >= hs.hs_ns) hs.synack_us = elapsed_us(hs.hs_ns, ts_ns);
        if (hs.hs_ns) hs.hs_ns = ts_ns;  // the ACK is timed from here
      } else {
        // The initiator's, in a simultaneous open (the responder sent a
        // bare SYN): no SYN-ACK time, and its ACK goes untimed unless the
        // responder sends a SYN-ACK too.
        hs.flags |= kHsAckUntimed;
      }
    }
  } else {
    if (unseen(me)) {
      me.seqbase = seq;
      me.seq_high = seq;
    }
    const uint32_t end = seq + len;
    const bool valid = me.bits & kTcpDirSeqValid;
    // The other side's acknowledgement, as argus judges data by it: not one
    // the flow's first segment carried (the in-flight test above takes it).
    const bool peer_acked = (peer.bits & kTcpDirAcked) && !(peer.rep_bits & kTcpDirAckFromFirst);
    const bool acked = peer_acked && !seq_gt(end, peer.ack);
    // The other side has acknowledged something in this report.
    const bool peer_spoke = (peer.bits & kTcpDirAckedInReport) && !(peer.rep_bits & kTcpDirAckFromFirst);
    // The side has sent data in this report, as argus sees it: a FIN
    // before data without one counts too (not before data with one).
    const bool data_before =
        (me.rep_bits & kTcpDirDataInReport) || (!(fl & kTcpFin) && (flags_before & kTcpFin));
    // Below what the side sent in this report; in a report the other side
    // has spoken in, below anything the side sent.
    const bool seen = data_before ? seq_lt(seq, me.rep_high) : peer_spoke && behind;
    // At the other side's acknowledgement: the data it is waiting for.
    const bool at_peer_ack = peer_acked && seq == peer.ack;
    // argus also judges a data segment by its IPv4 id: one a little below
    // (under 5000) the id of the side's previous data segment in the report
    // was sent before it, so it came out of order, also when it repeats
    // data not yet acknowledged (then it is not taken for a resend). argus
    // compares the two header bytes as a little-endian host reads them:
    // ids from a counter (Linux, Windows) almost never go back that way,
    // random ones (macOS, the BSDs) do every dozen segments or so.
    bool id_behind = false;
    if (len > 0) {
      const uint16_t id = argus_order_id(p);
      id_behind = id < me.last_data_id && me.last_data_id - id < kIdReorderWindow;
      me.last_data_id = id;
    }
    // argus's mark for the side's data while a jump goes unanswered (see
    // kTcpDirJumpUnheard); kept as its lag behind rep_high.
    uint32_t jump_mark = me.rep_bits & kTcpDirJumpUnheard ? me.rep_high - hs.jump_lag[dir] : me.rep_high;
    if (len > 0 && acked) {
      // Data the peer has acknowledged already. argus counts it as resent
      // only when the segment's own window, shifted right by the sender's
      // scale (the opposite of scaling it), is at least its length: a
      // spurious resend from a side advertising a small or scaled window
      // goes unflagged. The id does not matter here.
      resent = uint32_t{p.tcp_win} >> (me.bits & kTcpDirWscaleMask) >= len;
    } else if (behind && !data_before && !peer_spoke) {
      // The side's first data segment of a report the other side has said
      // nothing in yet, repeating earlier data: argus takes it for a resend
      // when it starts at the other side's acknowledgement and out of order
      // when it starts beyond it, if it ends below the side's highest
      // sequence number; a copy that ends there it takes for neither.
      if (seq_lt(end, me.seq_high)) {
        if (at_peer_ack) {
          resent = true;
        } else {
          out_of_order = true;
        }
      }
    } else if (len > 0 && seen) {
      const uint32_t hole_end = me.hole_lo + me.hole_len;
      const bool in_hole = me.hole_len && !seq_lt(seq, me.hole_lo) && seq_lt(seq, hole_end);
      if (in_hole) {
        if (!seq_lt(end, hole_end)) {
          me.hole_len = 0;
        } else {
          me.hole_len = static_cast<uint16_t>(hole_end - end);
          me.hole_lo = end;
        }
      }
      if (at_peer_ack && !id_behind) {
        resent = true;  // the data the other side is waiting for, in a gap or not
      } else if (id_behind) {
        out_of_order = true;  // sent before the copy seen earlier
      } else if (me.rep_bits & kTcpDirJumpUnheard) {
        // After a jump the other side has not answered: argus judges a
        // copy by its mark, which the jump moved by the segment's length
        // only. Partly acknowledged, it is a resend; ending below the
        // side's highest number, it came out of order; starting below the
        // mark (or after the side's FIN), a resend; else argus takes it for
        // the data after its mark (a copy of the jumped segment).
        if (peer_acked && seq_lt(seq, peer.ack)) {
          resent = true;  // partly acknowledged already
        } else if (seq_lt(end, me.seq_high)) {
          out_of_order = true;
        } else if (seq_lt(seq, jump_mark) || (me.status & kTcpDirFin)) {
          resent = true;
        } else {
          jump_mark += len;
        }
      } else if (in_hole) {
        // Fills the gap a jump forward left. Once the peer asked for it
        // (acknowledged up to the gap's start since it opened) that is a
        // retransmission, as argus has it; before, it came out of order.
        if (me.bits & kTcpDirHoleAsked) {
          resent = true;
        } else {
          out_of_order = true;
        }
      } else if (peer_spoke || (me.rep_bits & kTcpDirDataFromAck)) {
        resent = true;  // seen earlier in this report
      } else if (seq_lt(end, me.seq_high)) {
        // In a report the other side is silent in, a copy beyond its
        // acknowledgement is a resend when the report's data runs unbroken
        // from there (above); else out of order as at the report's start,
        // and neither when it ends at the side's highest sequence number.
        out_of_order = true;
      }
      if (out_of_order) jump_mark += len;  // late data takes argus's mark on too
    } else if (len > 0) {
      // The side's first data since the other side's first acknowledgement
      // fell below its data (kTcpDirAtPeerFirstAck): past that
      // acknowledgement, a jump from it.
      if ((me.rep_bits & kTcpDirAtPeerFirstAck) && peer_acked && seq_gt(seq, peer.ack) &&
          !(me.rep_bits & kTcpDirJumpUnheard)) {
        jump_mark = peer.ack;
        me.rep_bits |= kTcpDirJumpUnheard;
      }
      // A jump forward past this report's data: remember the gap (one is
      // tracked). The side's first data after the handshake opens none:
      // argus starts its range there, so a segment below it is a resend.
      if (valid && seq_gt(seq, me.rep_high) && seq - me.rep_high <= 0xffff && me.seq_high != me.seqbase) {
        me.hole_lo = me.rep_high;
        me.hole_len = static_cast<uint16_t>(seq - me.rep_high);
        me.bits &= static_cast<uint8_t>(~kTcpDirHoleAsked);
      }
      // argus's mark moves by the length of new data, wherever it starts:
      // a jump (the side's first data after the handshake too; from the
      // other side's acknowledgement when that is further) leaves it behind
      // the side's highest number until the other side acknowledges.
      if (valid && seq_gt(seq, me.rep_high) && (!peer_acked || seq_gt(seq, peer.ack))) {
        if (!(me.rep_bits & kTcpDirJumpUnheard))
          jump_mark = peer_acked && seq_gt(peer.ack, me.rep_high) ? peer.ack : me.rep_high;
        me.rep_bits |= kTcpDirJumpUnheard;
      }
      jump_mark += len;
      // The report's data no longer runs unbroken from the other side's
      // acknowledgement.
      if (data_before && seq_gt(seq, me.rep_high)) me.rep_bits &= static_cast<uint8_t>(~kTcpDirDataFromAck);
      // New data sent before the side's previous segment: flagged, but for
      // the jitter statistics an interval like any other.
      sent_earlier = id_behind;
      if (__builtin_expect(me.rep_bits & kTcpDirAfterDupCopy, 0)) {
        resent = !seq_gt(seq, me.rep_high);
        me.rep_bits &= static_cast<uint8_t>(~kTcpDirAfterDupCopy);
      }
    }
    if (len > 0 && __builtin_expect(me.status & kTcpDirFin, 0)) {
      // Data from a side after its own FIN. New data (past the FIN's
      // sequence number) is out of order for argus, whatever its sequence
      // number (a new connection on the same ports, after the old one
      // closed, starts so), unless it resends data too; data at the FIN's
      // own number, once the FIN was acknowledged, repeats it. argus takes
      // the FIN into the side's highest sequence number when it came in
      // this report after data of it (not after a new SYN following a
      // close).
      const bool after_close = hs.flags & kHsSynAfterClose;
      if (!resent && seq_gt(end, me.seq_high + 1)) out_of_order = true;
      if ((me.status & kTcpDirFinAcked) && !after_close && seq == me.seq_high) resent = true;
      const bool fin_in_high = (flags_before & kTcpFin) && (me.rep_bits & kTcpDirDataInReport) && !after_close;
      // Resent data counts twice when it starts below the side's highest
      // number, unless it ends right there and that number does not take
      // the FIN; while a jump goes unanswered, below argus's mark.
      below_own_fin = me.rep_bits & kTcpDirJumpUnheard
                          ? seq_lt(seq, jump_mark)
                          : seq_lt(seq, me.seq_high) && (end != me.seq_high || fin_in_high);
    }
    if (__builtin_expect(hs.flags & kHsFinIgnored, 0) && dir == 0 && len > 0 && (flags_before & kTcpFin)) {
      // The flow was picked up at its initiator's segment with data and a
      // FIN (a FIN argus counts nowhere). In that report, the side's resent
      // data counts twice, as after a FIN, when it starts in that first
      // segment below the other side's acknowledgement, or past the segment
      // and below the side's highest number (while a jump goes unanswered,
      // below argus's mark).
      if (seq_lt(seq, hs.fin_first_end)) {
        below_own_fin = peer_acked && seq_lt(seq, peer.ack);
      } else {
        below_own_fin = seq_lt(seq, me.rep_bits & kTcpDirJumpUnheard ? jump_mark : me.seq_high);
      }
    }
    // A one-way flow never sees the other side; before a flow picked up
    // mid-stream hears it, argus judges nothing either.
    if (one_way || unheard) resent = out_of_order = sent_earlier = false;
    if (out_of_order || sent_earlier) {
      me.status |= kTcpDirOutOfOrder;
      t.status |= kTcpSrcOutOfOrder << dir;
    }
    // Sequence space counts payload only (a FIN does not advance it), as
    // argus reports it. Within a report, the first packet of a direction
    // starts the tracking afresh. A resend moves the mark resends are
    // judged by no further than the side's highest number before it (the
    // record's highest number, below, takes all of it).
    if (!valid) {
      me.rep_high = end;
    } else if (seq_gt(end, me.rep_high)) {
      const uint32_t to = resent && seq_gt(end, me.seq_high) ? me.seq_high : end;
      if (seq_gt(to, me.rep_high)) me.rep_high = to;
    }
    if (__builtin_expect(me.rep_bits & kTcpDirJumpUnheard, 0)) {
      // In step again once the mark reaches the highest number; a lag past
      // 64 KiB is not followed.
      const uint32_t lag = me.rep_high - jump_mark;
      if (!seq_lt(jump_mark, me.rep_high) || lag > 0xffff) {
        me.rep_bits &= static_cast<uint8_t>(~kTcpDirJumpUnheard);
      } else {
        hs.jump_lag[dir] = static_cast<uint16_t>(lag);
      }
    }
    if (len > 0 && !(me.rep_bits & kTcpDirDataInReport) && peer_acked && !seq_gt(seq, peer.ack))
      me.rep_bits |= kTcpDirDataFromAck;
    if (len > 0) me.rep_bits = static_cast<uint8_t>((me.rep_bits | kTcpDirDataInReport) & ~kTcpDirAtPeerFirstAck);
    if (len > 0 && !unheard && seq_gt(end, me.seq_high)) me.seq_high = end;
    me.bits |= kTcpDirSeqValid;
    if (ack && !(fl & (kTcpRst | kTcpFin)) && !(t.status & (kTcpEstablished | kTcpFinSeen)) &&
        !(hs.flags & kHsClosed)) {
      // The first ACK without SYN, RST or FIN establishes the connection,
      // from either side, with a handshake on record or not (a one-sided
      // capture), unless a FIN came first. argus times the initiator's
      // after a SYN-ACK, a pure ACK only: one that carries data is not timed.
      t.status |= kTcpEstablished;
      me.status |= kTcpDirEstablished;
      if (dir == 0 && (t.status & kTcpSawSynSent) && len == 0 && hs.hs_ns && ts_ns >= hs.hs_ns &&
          !(hs.flags & kHsAckUntimed))
        hs.ackdat_us = elapsed_us(hs.hs_ns, ts_ns);
    }
  }
  // Data segments and duplicates alike (`behind` excludes SYNs and the
  // flow's first segment).
  if (unheard && !first && !syn) hs.uncounted[dir] += len;
  // A FIN on data that starts below the side's highest sequence number:
  // argus counts one resend more, beside whatever it makes of the data.
  const bool fin_resent = (fl & kTcpFin) && behind && !one_way && !unheard;
  // Data resent after the side's own FIN counts twice when it starts below
  // it (below_own_fin says when exactly).
  const bool after_fin = resent && !(fl & kTcpFin) && below_own_fin;
  if (resent || fin_resent) {
    const unsigned n = unsigned{resent} + unsigned{fin_resent} + unsigned{after_fin};
    hs.retrans[dir] = static_cast<uint16_t>(hs.retrans[dir] > UINT16_MAX - n ? UINT16_MAX : hs.retrans[dir] + n);
    me.status |= kTcpDirRetrans;
    t.status |= kTcpSrcRetrans << dir;
  }
  if (ack && !dup) {
    // A flow picked up mid-stream: this side's first acknowledgement, in a
    // report after the other side's data and before any of it in this
    // one, below that data, is where argus places that side's data.
    const bool first_own_ack = !first && (!(me.bits & kTcpDirAcked) || (me.rep_bits & kTcpDirAckFromFirst));
    if (first_own_ack && !(t.status & kTcpSawSyn) && !unseen(peer) && !(peer.rep_bits & kTcpDirDataInReport) &&
        seq_lt(p.tcp_ack, peer.seq_high))
      peer.rep_bits |= kTcpDirAtPeerFirstAck;
    me.bits |= kTcpDirAcked | kTcpDirAckedInReport;
    // Kept apart until the side acknowledges again: argus keeps no
    // acknowledgement of the flow's first segment for judging the other
    // side's data (a flow picked up mid-stream). Its record shows that
    // first acknowledgement as the other side's until the other side sends
    // one (not when the first segment carried a FIN).
    me.rep_bits = static_cast<uint8_t>(first ? me.rep_bits | kTcpDirAckFromFirst
                                             : me.rep_bits & ~(kTcpDirAckFromFirst | kTcpDirAckOfPeerFirst));
    if (first && !(fl & kTcpFin)) {
      peer.ack = p.tcp_ack;
      peer.rep_bits |= kTcpDirAckOfPeerFirst;
    }
    if (peer.hole_len && !seq_lt(p.tcp_ack, peer.hole_lo)) peer.bits |= kTcpDirHoleAsked;
    peer.rep_bits &= static_cast<uint8_t>(~kTcpDirJumpUnheard);
    me.ack = p.tcp_ack;
    // A FIN from the peer is acknowledged, for argus, by a segment without
    // data whose ack is exactly one past the peer's highest data: one that
    // goes further (the FIN came after a gap) does not count, nor one after
    // a handshake with no data since, where that highest number is still
    // the SYN's, nor one that carries data.
    if (len == 0 && (peer.status & kTcpDirFin) && p.tcp_ack == peer.seq_high + 1 && !closed &&
        !(hs.flags & kHsFinFirst)) {
      t.status |= kTcpFinAcked;
      peer.status |= kTcpDirFinAcked;
    }
  }
  // After a reset that closed the connection, argus takes no FIN (nor, above,
  // an acknowledgement of one).
  if ((fl & kTcpFin) && !dup && !closed && !(hs.flags & kHsFinIgnored)) {
    t.status |= kTcpFinSeen;
    if (!first) me.status |= kTcpDirFin;
  }
  if ((fl & kTcpRst) && !dup) {
    t.status |= kTcpSrcReset << dir;
    me.status |= kTcpDirReset;
    // A refusal of the first SYN leaves the handshake open (argus times a
    // later SYN-ACK from the SYN, or from the initiator's own reset); any
    // other reset closes the connection.
    const bool refusal = (t.status & kTcpSawSyn) && !(t.status & kTcpSawSynSent) &&
                         (dir == 0 || (ack && p.tcp_ack == peer.seqbase + 1));
    if (!refusal) {
      hs.flags |= kHsClosed;
    } else if (dir == 0) {
      hs.hs_ns = ts_ns;
    }
  }
  if (__builtin_expect(fl & kTcpEce, 0)) {
    // argus marks ECN-echo only on a connection whose SYN offered ECN
    // (ECE and CWR, RFC 3168), and on the side that sent it: the client's
    // ECE is the source's letter, the server's (its SYN-ACK's accepting
    // ECE included) the destination's. The offering SYN itself marks none.
    if (syn && !ack) {
      if (fl & kTcpCwr) t.status |= kTcpOptSrcEcn;
    } else if (t.status & kTcpOptSrcEcn) {
      t.status |= dir == 0 ? kTcpSrcCongested : kTcpDstCongested;
    }
  }
  if (p.tcp_win == 0 && !(fl & (kTcpRst | kTcpSyn | kTcpFin))) {
    t.status |= kTcpSrcWindowShut << dir;
    me.status |= kTcpDirWinShut;
  }
  uint8_t kind = kSegNew;
  if (dup) {
    kind = kSegBehind;  // neither new data nor a resend for the jitter statistics
  } else if (resent) {
    kind = kSegResent;
  } else if (out_of_order) {
    kind = kSegOutOfOrder;
  } else if (behind && !sent_earlier) {
    kind = kSegBehind;
  }
  return static_cast<uint8_t>(kind | (in_flight ? kSegInFlight : 0));
}
}  // namespace

// User data (-U): each direction's first bytes of the report, in packet
// order, as argus keeps them. True once the direction's bytes fill the slot.
bool FlowTable::account_user(uint32_t idx, const ParsedPacket& p, unsigned d) {
  uint8_t* slot = user_slot(idx);
  uint16_t len;
  std::memcpy(&len, slot + 2 * d, 2);
  const uint32_t cap = cfg_.user_bytes;
  if (len >= cap) return true;
  const uint32_t n = p.user_len < cap - len ? p.user_len : cap - len;
  std::memcpy(slot + 4 + d * size_t{cap} + len, p.user, n);
  len = static_cast<uint16_t>(len + n);
  std::memcpy(slot + 2 * d, &len, 2);
  return len >= cap;
}

// Jitter (-J) as argus 3.0.8.2 measures it (observed; the full rules are in
// docs/deviations.md): per direction, the intervals between its packets in
// microseconds, per report. For TCP an interval is active when the later
// segment carries data that is new (or came out of order) and its side still
// had data in flight when it left: sent, and not yet acknowledged by the
// other side. The sender was busy, not waiting. Idle otherwise, except a
// resent SYN (not a SYN-ACK). Every other protocol's intervals are active.
void FlowTable::account_jitter(JitterSide& j, uint8_t& bits, const ParsedPacket& p, unsigned d, bool tcp,
                               uint8_t seg) {
  const unsigned shift = 4 * d;
  const uint8_t st_d = static_cast<uint8_t>(bits >> shift);
  // The side's first packet in the flow finds its line as the entry's
  // last user left it. Statistics are per report (the interval that spans
  // two reports counts in the later one, as with argus): a side's are
  // cleared at its first packet in a report, and a report leaves out a
  // side's that are not its.
  if (!(st_d & kJitHasLast)) {
    std::memset(&j, 0, sizeof j);
  } else if (!(st_d & kJitInReport)) {
    std::memset(j.s, 0, sizeof j.s);
    std::memset(j.sum_hi, 0, sizeof j.sum_hi);
  }
  const uint64_t ts_us = p.ts_ns / 1000;
  // A SYN counts as payload (a FIN does not).
  const bool payload = p.payload_bytes > 0 || (tcp && (p.tcp_flags & kTcpSyn));
  // The other side's turn is over when this side says something new:
  // payload, a FIN or reset, or an acknowledgement that moves on (a
  // duplicate ACK does not).
  if (!tcp || payload || (p.tcp_flags & (kTcpFin | kTcpRst)) || p.tcp_ack != j.last_ack)
    bits |= static_cast<uint8_t>(kJitOtherSpoke << (4 * (d ^ 1)));
  if (tcp && (p.tcp_flags & kTcpAck)) j.last_ack = p.tcp_ack;
  const bool has_last = (st_d & kJitHasLast) != 0;
  const uint8_t keep = static_cast<uint8_t>(bits & ~(0x0f << shift));
  // A packet stamped before the direction's last one is no interval, and
  // the later stamp stays the reference.
  if (has_last && ts_us < j.last_us) {
    bits = static_cast<uint8_t>(keep | (st_d | kJitInReport) << shift);
    return;
  }
  const uint64_t gap = ts_us > j.last_us ? ts_us - j.last_us : 0;
  // argus forgets a direction's last packet once it has been quiet for two
  // status intervals: such a pause is no interval.
  // Nor is a gap under a microsecond (argus leaves those out).
  if (has_last && gap > 0 && (cfg_.status_interval_ns == 0 || gap < 2 * cfg_.status_interval_ns / 1000)) {
    // Intervals are kept in 32 bits: one past 71 minutes (possible only
    // with status intervals over 35 minutes) counts as 2^32 - 1 us.
    const uint32_t iv = gap > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(gap);
    const bool prev_payload = (st_d & kJitPrevPayload) != 0;
    const bool other_spoke = (st_d & kJitOtherSpoke) != 0;
    // A resent SYN after a segment with payload (a SYN counts), the other
    // side silent since, is active too.
    const uint8_t kind = seg & kSegKindMask;
    const bool active = !tcp ||
                        ((kind == kSegNew || kind == kSegOutOfOrder) && (seg & kSegInFlight) && p.payload_bytes > 0) ||
                        (kind == kSegResent && (p.tcp_flags & (kTcpSyn | kTcpAck)) == kTcpSyn && prev_payload &&
                         !other_spoke);
    const unsigned k = active ? 0 : 1;
    JitterSide::Stats& st = j.s[k];
    if (st.n == 0 || iv < st.min_us) st.min_us = iv;
    if (iv > st.max_us) st.max_us = iv;
    ++st.n;
    j.add_sum(k, iv);
    const uint64_t sq = uint64_t{iv} * iv;
    st.sum_sq = st.sum_sq + sq < st.sum_sq ? UINT64_MAX : st.sum_sq + sq;
  }
  j.last_us = ts_us;
  bits = static_cast<uint8_t>(keep | (kJitHasLast | kJitInReport | (payload ? kJitPrevPayload : 0)) << shift);
}

namespace {
// ESP sequence numbers as argus follows them: the first one seen is where
// the count starts; a jump past the next number counts the numbers skipped
// as lost, a number below the highest takes one back (it was late, not
// lost). Unlike argus, the count never goes below zero, and a duplicate of
// the highest number does not stop the following (argus follows no more
// numbers in that report).
inline void track_esp(EspState& s, uint32_t seq) {
  EspMetrics& m = s.m;
  if (!s.seen) {
    s.seen = 1;
    m.last_seq = seq;
  } else if (seq > m.last_seq) {
    if (seq - m.last_seq > 1) {
      const uint32_t skipped = seq - m.last_seq - 1;
      m.lost = m.lost > UINT32_MAX - skipped ? UINT32_MAX : m.lost + skipped;
      m.status |= kEspGap;
    }
    m.last_seq = seq;
  } else if (seq < m.last_seq) {
    if (m.lost) --m.lost;
    m.status |= kEspOutOfOrder;
  } else {
    m.status |= kEspDuplicate;
  }
}

// The open report starts at `ts_ns` (microseconds after report_start_ns).
inline void start_report_at(FlowTable::Entry& e, uint64_t ts_ns) {
  const uint64_t ts_us = ts_ns / 1000;
  const uint64_t base_us = e.report_start_ns / 1000;
  const uint64_t delta = ts_us > base_us ? ts_us - base_us : 0;
  e.b.start_late = delta ? 1 : 0;
  e.cold.start_delta_us = delta >= kStartPending ? kStartPending - 1 : static_cast<uint32_t>(delta);
}
}  // namespace

[[gnu::always_inline]] inline void FlowTable::account(Entry& e, const ParsedPacket& p, unsigned d, bool opens_start,
                                                      uint8_t seg) {
  DirState& m = e.dir[d];
  const uint64_t ts = p.ts_ns;
  // A later fragment attached to its datagram's flow adds packets and
  // bytes only: argus sizes and counts application bytes by the first
  // fragment. (A flow of fragments without their first is sized by them.)
  const bool attached_fragment = p.frag == FragKind::kLater && e.key.kind != KeyKind::kIPv4Frag &&
                                 e.key.kind != KeyKind::kIPv6Frag;
  const bool first_of_report = e.dir[0].pkts + e.dir[1].pkts == 0;
  if (extras_)
    account_extra(extras_[&e - entries_], first_of_report, first_of_report && !e.b.reported, !attached_fragment, p,
                  d);
  if (users_ && p.user_len && !attached_fragment && !(e.b.user_full >> d & 1) &&
      account_user(static_cast<uint32_t>(&e - entries_), p, d))
    e.b.user_full |= 1u << d;
  if (jits_ && !attached_fragment)
    account_jitter(jits_[&e - entries_].side[d ^ e.b.initiator_is_key_dst], e.b.jit_state, p, d,
                   (e.b.rec_flags & kRecTcp) != 0, seg);
  if (first_of_report && __builtin_expect(e.b.keep_reference, 0) &&
      ts < sat_add(e.report_start_ns, cfg_.status_interval_ns)) {
    // The report after a start record: its interval counts from the flow's
    // first packet, so report_start_ns stays there and the report's own
    // start is this packet (or a later one that opens it).
    e.b.keep_reference = 0;
    e.b.start_pending = opens_start ? 0 : 1;
    start_report_at(e, ts);
  } else if (first_of_report) {
    e.b.keep_reference = 0;  // the interval after the start record is over
    e.report_start_ns = ts;
    e.b.start_pending = opens_start ? 0 : 1;
  } else if (e.b.start_pending && opens_start) {
    e.b.start_pending = 0;
    // The packets before this one did not open the report, yet argus starts
    // it at the first of them when that one's whole second of packet time
    // is earlier than this packet's (it compares the seconds alone).
    // (A capture slightly out of time order may put this packet before the
    // first: the report then starts at that one.)
    const uint64_t first_us = e.report_start_ns / 1000 + (e.b.start_late ? e.cold.start_delta_us : 0);
    if (first_us / 1000000 >= ts / 1000000000) start_report_at(e, ts);
  }
  // Microseconds after the report's first packet; a capture out of time
  // order clamps to that first packet.
  const uint64_t base_us = e.report_start_ns / 1000;
  const uint64_t ts_us = ts / 1000;
  const uint64_t rel = ts_us > base_us ? ts_us - base_us : 0;
  const uint32_t rel32 = rel > UINT32_MAX - 1 ? UINT32_MAX - 1 : static_cast<uint32_t>(rel);
  if (m.pkts == 0 || rel32 > m.last_us) m.last_us = rel32;
  // Bidirectional timestamps: a direction starts at its first packet, not
  // at a later fragment of a datagram begun in an earlier report (argus's).
  if (extras_ && (m.pkts == 0 || ((m.bits & kDirFragFirst) && !attached_fragment))) {
    extras_[&e - entries_].first_us[d] = rel32;
    m.bits = static_cast<uint8_t>((m.bits & ~kDirFragFirst) | (attached_fragment ? kDirFragFirst : 0));
  }
  // IP attributes of the latest packet, as argus reports them.
  m.ttl = p.ttl;
  m.tos = p.tos;
  m.ip_id = p.ip_id;
  // Its IP options too, as argus reports them (not those of every packet).
  if (__builtin_expect(p.ip_opts != 0, 0)) {  // rare: kept with the entry's cold fields
    e.cold.ip_opts[d] = p.ip_opts;
    m.bits |= kDirIpOpts;
  } else {
    m.bits &= static_cast<uint8_t>(~kDirIpOpts);
  }
  m.pkts += 1;
  add48(m.bytes_lo, m.bytes_hi, p.wire_len);
  // Application bytes as argus counts them (-A): the transport payload for
  // IP; for ARP the frame less 28 bytes, for other non-IP the whole frame
  // (argus 3.0.8.2, observed).
  if (!attached_fragment) {
    uint32_t app;
    if (e.key.kind == KeyKind::kEther)
      app = p.wire_len;
    else if (e.key.kind == KeyKind::kArp || e.key.kind == KeyKind::kRarp)
      app = p.wire_len > 28 ? p.wire_len - 28 : 0;
    else
      app = p.payload_bytes;
    add48(m.app_lo, m.app_hi, app);
  }
  m.enc |= pack_encaps(p.encaps);
  if (p.has_vlan) {
    m.vlan_tci = p.vlan_tci;
    m.bits |= kDirVlan;
    e.b.rec_flags |= kRecHasVlan;
  }
  if (p.has_mpls && !(m.bits & kDirMpls)) {
    e.cold.mpls_lse[d] = p.mpls_lse;
    m.bits |= kDirMpls;
    e.b.rec_flags |= kRecHasMpls;
  }
  if (p.is_ip) e.b.rec_flags |= kRecIsIp;
  if (p.frag != FragKind::kNone && e.key.kind != KeyKind::kIPv4Frag &&
      e.key.kind != KeyKind::kIPv6Frag) {
    e.b.rec_flags |= kRecFragments;
    m.bits |= kDirFrags;
  }
  if (ts > e.last_ns) e.last_ns = ts;
}

namespace {
// True once a byte count of the open report has reached 2^47: the report
// goes out before the packet is added (see kCountGuard).
inline bool counts_near_full(const DirState* dir) {
  return ((dir[0].bytes_hi | dir[0].app_hi | dir[1].bytes_hi | dir[1].app_hi) & kCountGuard) != 0;
}
}  // namespace

[[gnu::always_inline]] inline void FlowTable::update(Entry& e, const ParsedPacket& p, bool from_key_dst,
                                                     RecordEmitter& out) {
  const bool first = !e.b.counted;
  if (first) {
    e.b.counted = 1;
    // An ARP reply is the responder's side of its requester's flow even
    // when it comes first or alone (a gratuitous reply, or a request not
    // captured), as argus counts it.
    e.b.initiator_is_key_dst = from_key_dst && e.key.kind != KeyKind::kArp ? 1 : 0;
    e.b.idle_class = static_cast<uint8_t>(classify(e.key)) & 0x07;
    e.cold.seq = next_flow_id_;
    next_flow_id_ += cfg_.flow_id_stride;
    e.next_check_ns = sat_add(p.ts_ns, cfg_.status_interval_ns);
    bump(TableCounter::kFlowsCreated);
  } else if (e.dir[0].pkts + e.dir[1].pkts != 0 &&
             (p.ts_ns >= sat_add(e.report_start_ns, cfg_.status_interval_ns) ||
              __builtin_expect(counts_near_full(e.dir), 0))) {
    // The open report's status interval is over (or a byte count nears its
    // limit): send it; this packet opens the next report. (An empty one
    // went out on the timer already.)
    emit_report(e, 0, out);
  }
  const unsigned d = (from_key_dst ? 1u : 0u) ^ e.b.initiator_is_key_dst;
  // Where a later report starts, as argus's do: at the initiator's first
  // packet in it, unless the responder's came in an earlier whole second
  // (account()). A report the initiator sends nothing in starts with its
  // first packet all the same.
  const bool opens_start = first || d == 0;
  uint8_t seg = kSegNew;
  if (p.has_tcp && (e.key.kind == KeyKind::kIPv4 || e.key.kind == KeyKind::kIPv6) && !(e.key.flags & kKeyMatrix)) {
    e.b.rec_flags |= kRecTcp;
    seg = track_segment(e.proto.tcp, e.cold.hs, p, d, p.ts_ns, first, cfg_.unidirectional,
                        cfg_.track_duplicates, e.b.initiator_is_key_dst);
  } else if (__builtin_expect(is_esp_flow(e.key), 0) && p.frag != FragKind::kLater) {
    track_esp(e.proto.esp, p.esp_seq);
  }
  account(e, p, d, opens_start, seg);
  if (p.key.kind == KeyKind::kArp && from_key_dst) {
    std::memcpy(e.proto.arp_responder_mac, p.arp_responder_mac, 6);
    e.b.rec_flags |= kRecArpReply;
  }
  // Start records: the first packet goes out alone. The next report counts
  // its interval from this packet (keep_reference).
  if (__builtin_expect(first && cfg_.start_records, 0)) {
    emit_report(e, kCauseStart, out);
    e.b.keep_reference = 1;
  }
}

void FlowTable::process_later_fragment(const ParsedPacket& p, RecordEmitter& out) {
  FlowKey ak = p.key;
  ak.flags |= kKeyAlias;
  const uint64_t h = flow_key_hash(ak, cfg_.hash_seed);
  const uint32_t ai = find(ak, h);
  if (ai != UINT32_MAX) {
    Entry& alias = entries_[ai];
    const AliasState link = alias.proto.alias;
    Entry& parent = entries_[link.parent];
    if (!run_checks(alias, ai, p.ts_ns, out) && parent.b.in_use && parent.cold.seq == link.parent_id) {
      // Same time rules as any packet of the parent flow.
      if (!run_checks(parent, link.parent, scan_ns_, out)) {
        if ((parent.dir[0].pkts + parent.dir[1].pkts &&
             p.ts_ns >= sat_add(parent.report_start_ns, cfg_.status_interval_ns)) ||
            counts_near_full(parent.dir))
          emit_report(parent, 0, out);
        // A later fragment neither opens its flow's report nor adds user
        // bytes (the first fragment holds the transport payload's start).
        account(parent, p, link.dir, false, kSegNew);
        alias.last_ns = p.ts_ns;
        bump(TableCounter::kFragAttached);
        AliasState& st = alias.proto.alias;
        st.have_bytes += p.frag_bytes;
        if (!p.more_frags) st.total_bytes = uint32_t{p.frag_offset_bytes} + p.frag_bytes;
        if (st.total_bytes && st.have_bytes >= st.total_bytes) remove(ai);  // the datagram is whole
        return;
      }
    }
    if (entries_[ai].b.in_use && is_alias(entries_[ai])) remove(ai);
  }
  // No first fragment known: the fragment is a flow of its own.
  bump(TableCounter::kFragOrphans);
  const uint64_t hk = flow_key_hash(p.key, cfg_.hash_seed);
  process_one(p, p.key, false, hk, UINT32_MAX, out);
}

// find, account and process_one, the per-packet steps, are forced inline
// into their few callers: each call cost about ten instructions a packet in
// moves and spills (callgrind), a tenth of the whole lookup-and-update.
[[gnu::always_inline]] inline void FlowTable::process_one(const ParsedPacket& p, const FlowKey& key,
                                                          bool swapped, uint64_t h, uint32_t hint,
                                                          RecordEmitter& out) {
  // The hinted entry is right when it is in use and holds this key (a key
  // has at most one entry); the burst's earlier packets may have freed or
  // reused it since, hence the check.
  uint32_t idx = hint != UINT32_MAX && entries_[hint].b.in_use && same_key(entries_[hint].key, key)
                     ? hint
                     : find(key, h);
  // Timers that fell due before this packet run first: the report or the
  // flow may end there. The first packet after a quiet spell with no other
  // traffic still continues its flow, as with argus.
  if (idx != UINT32_MAX && entries_[idx].next_check_ns <= scan_ns_ &&
      run_checks(entries_[idx], idx, scan_ns_, out))
    idx = UINT32_MAX;
  // A SYN after a reset starts a new connection on the same ports: as
  // argus does, the reset one is reported and ended here (its record's last
  // time is this SYN's), and the SYN opens a flow of its own; so does a SYN
  // after a FIN that was not acknowledged. After a FIN acknowledged the two
  // stay one flow, as they do in argus (the new handshake is no resend),
  // and so they do after a refusal of the first SYN: the SYN is a resend.
  if (idx != UINT32_MAX && __builtin_expect(p.has_tcp && (p.tcp_flags & (kTcpSyn | kTcpAck)) == kTcpSyn, 0)) {
    Entry& old = entries_[idx];
    if (old.b.counted && old.key.proto == kProtoTcp && !(old.key.flags & kKeyMatrix) &&
        (old.key.kind == KeyKind::kIPv4 || old.key.kind == KeyKind::kIPv6) &&
        ((old.cold.hs.flags & kHsClosed) ||
         (old.proto.tcp.status & (kTcpFinSeen | kTcpFinAcked)) == kTcpFinSeen)) {
      if (old.dir[0].pkts + old.dir[1].pkts) {
        // (A report whose interval is over ends where it ends.)
        const bool due = p.ts_ns >= sat_add(old.report_start_ns, cfg_.status_interval_ns);
        report_last_floor_ns_ = due ? 0 : p.ts_ns;
        emit_report(old, 0, out);
        report_last_floor_ns_ = 0;
      }
      remove(idx);
      idx = UINT32_MAX;
    }
  }
  if (idx == UINT32_MAX) {
    idx = insert(key, h, p.ts_ns, out);
    if (idx == UINT32_MAX) return;
  }
  Entry& e = entries_[idx];
  update(e, p, p.from_key_dst != swapped, out);

  if (p.frag == FragKind::kFirst && !cfg_.matrix) {
    // Remember where the later fragments of this datagram belong.
    FlowKey ak{};
    ak.kind = key.kind == KeyKind::kIPv6 ? KeyKind::kIPv6Frag : KeyKind::kIPv4Frag;
    std::memcpy(ak.src, p.from_key_dst ? p.key.dst : p.key.src, 16);
    std::memcpy(ak.dst, p.from_key_dst ? p.key.src : p.key.dst, 16);
    ak.proto = p.key.proto;
    ak.aux = p.frag_id;
    ak.flags = kKeyNoCanon | kKeyAlias;
    const uint64_t ah = flow_key_hash(ak, cfg_.hash_seed);
    uint32_t ai = find(ak, ah);
    if (ai == UINT32_MAX) ai = insert(ak, ah, p.ts_ns, out);
    if (ai == UINT32_MAX || !entries_[idx].b.in_use) return;
    Entry& a = entries_[ai];
    a.proto.alias.parent = idx;
    a.proto.alias.parent_id = entries_[idx].cold.seq;
    a.proto.alias.dir = static_cast<uint8_t>((p.from_key_dst != swapped ? 1u : 0u) ^
                                             entries_[idx].b.initiator_is_key_dst);
    a.b.idle_class = static_cast<uint8_t>(IdleClass::kFrag);
    a.last_ns = p.ts_ns;
    a.proto.alias.have_bytes = p.frag_bytes;
    a.proto.alias.total_bytes = 0;
    // Later fragments that came before this first one (a sender that
    // sends its fragments last first) made a flow of their own: it joins
    // this one, as with argus.
    FlowKey ok = ak;
    ok.flags = kKeyNoCanon;
    const uint32_t oi = find(ok, flow_key_hash(ok, cfg_.hash_seed));
    if (oi != UINT32_MAX && entries_[oi].b.in_use && !is_alias(entries_[oi]) && entries_[oi].dir[0].pkts &&
        !entries_[oi].b.reported) {
      join_orphan(entries_[idx], a.proto.alias.dir, entries_[oi]);
      // Its fragments' bytes count towards the datagram (its last one, if
      // among them, is not known: the link then stays until it times out).
      a.proto.alias.have_bytes += static_cast<uint32_t>(get48(entries_[oi].dir[0].app_lo, entries_[oi].dir[0].app_hi));
      remove(oi);
    }
  }
}

// The fragments counted in `o`, a flow of later fragments whose first
// fragment came after them, join direction d of flow e's open report:
// packets and bytes, and the report's span.
void FlowTable::join_orphan(Entry& e, unsigned d, const Entry& o) {
  const DirState& f = o.dir[0];
  DirState& s = e.dir[d];
  const uint64_t o_first_us = o.report_start_ns / 1000;
  const uint64_t o_last_us = o_first_us + f.last_us;
  if (o.report_start_ns < e.report_start_ns) {
    // The report now starts at the earliest fragment: the other times of
    // the report are kept relative to it.
    const uint64_t shift = e.report_start_ns / 1000 - o_first_us;
    for (DirState& x : e.dir)
      if (x.pkts) x.last_us = static_cast<uint32_t>(x.last_us + shift);
    e.report_start_ns = o.report_start_ns;
  }
  const uint64_t base_us = e.report_start_ns / 1000;
  if (o_last_us - base_us > s.last_us) s.last_us = static_cast<uint32_t>(o_last_us - base_us);
  if (o.last_ns > e.last_ns) e.last_ns = o.last_ns;
  s.pkts += f.pkts;
  add48(s.bytes_lo, s.bytes_hi, get48(f.bytes_lo, f.bytes_hi));
  // No application bytes: a later fragment attached in order adds none
  // either (argus counts the transport payload from the first fragment).
  s.bits |= kDirFrags;
  e.b.rec_flags |= kRecFragments;
  bump(TableCounter::kFragAttached, f.pkts);
  // It was counted as a flow of its own; it is not one.
  counters_[static_cast<size_t>(TableCounter::kFlowsCreated)] -= 1;
  counters_[static_cast<size_t>(TableCounter::kFragOrphans)] -= f.pkts;
}

bool FlowTable::table_key(FlowKey& k, const ParsedPacket& p) const {
  if (cfg_.matrix && (k.kind == KeyKind::kIPv4 || k.kind == KeyKind::kIPv6 || k.kind == KeyKind::kIPv4Frag ||
                      k.kind == KeyKind::kIPv6Frag)) {
    flow_key_to_matrix(k);
    if (!cfg_.unidirectional) return flow_key_canonicalize(k);
    // One flow per sender: a reply the parser folded onto its request's
    // key is turned back.
    if (!p.from_key_dst) return false;
    swap_key_endpoints(k);
    return true;
  }
  return cfg_.unidirectional ? unidirectional_key(k, p) : flow_key_canonicalize(k);
}

void FlowTable::stage_burst(const ParsedPacket* pkts, uint32_t n, StagedBurst& sb) const {
  // Canonical keys and hashes for the whole burst; both candidate buckets of
  // each are prefetched, to be read when the burst is processed.
  if (n > kMaxBurst) n = kMaxBurst;
  sb.n = n;
  for (uint32_t i = 0; i < n; ++i) {
    sb.keys[i] = pkts[i].key;
    sb.swapped[i] = table_key(sb.keys[i], pkts[i]);
    sb.hashes[i] = flow_key_hash(sb.keys[i], cfg_.hash_seed);
    // The primary bucket only: flows go there while it has room, so the
    // secondary one is read for new flows and crowded buckets alone, and a
    // prefetch that is rarely used would only take a miss slot.
    uint32_t b[2];
    bucket_pair(sb.hashes[i], b);
    __builtin_prefetch(&buckets_[b[0]]);
  }
}

void FlowTable::prefetch_entries(const ParsedPacket* pkts, StagedBurst& sb) const {
  // The buckets were prefetched when the burst was staged: prefetch the
  // entries their signature hits point at.
  const uint32_t n = sb.n;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t sig = static_cast<uint32_t>(sb.hashes[i] >> 32) | 1u;
    uint32_t b[2];
    bucket_pair(sb.hashes[i], b);
    const Bucket& bk = buckets_[b[0]];
    const uint32_t m = sig_matches(bk, sig);
    sb.hint[i] = UINT32_MAX;
    if (m) {
      const uint32_t hit = static_cast<uint32_t>(__builtin_ctz(m));
      sb.hint[i] = bk.idx[hit];
      // The lines the update will use: key, timers and counters; the TCP
      // state for a TCP segment. The fourth line is rarely wanted.
      const char* e = reinterpret_cast<const char*>(&entries_[bk.idx[hit]]);
      __builtin_prefetch(e);
      __builtin_prefetch(e + 64);
      const FlowKey& k = sb.keys[i];
      if (k.proto == kProtoTcp && (k.kind == KeyKind::kIPv4 || k.kind == KeyKind::kIPv6))
        __builtin_prefetch(e + 128);
      if (extras_) __builtin_prefetch(&extras_[bk.idx[hit]]);  // 32 bytes: one line
      // -J: the line of the packet's side of the key.
      if (jits_) __builtin_prefetch(&jits_[bk.idx[hit]].side[pkts[i].from_key_dst != sb.swapped[i]]);
    }
  }
}

void FlowTable::process_staged(const ParsedPacket* pkts, const StagedBurst& sb, RecordEmitter& out) {
  const uint32_t n = sb.n;
  for (uint32_t i = 0; i < n; ++i) {
    const ParsedPacket& p = pkts[i];
    // The input's clock: with several workers a packet carries the time of
    // the packet before it in the whole input, so every worker runs its
    // timers exactly when one worker would. It moves back only when the
    // input's does (kClockStepBackNs).
    if (p.clock_ns > scan_ns_ || (p.clock_ns && scan_ns_ - p.clock_ns > kClockStepBackNs)) scan_ns_ = p.clock_ns;
    if (p.key.kind == KeyKind::kNone) continue;
    if (p.frag == FragKind::kLater && !cfg_.matrix) {
      process_later_fragment(p, out);
    } else {
      process_one(p, sb.keys[i], sb.swapped[i], sb.hashes[i], sb.hint[i], out);
    }
    if (p.has_inner && !cfg_.matrix) {
      IcmpNote note;
      note.inner = p.inner_key;
      note.ts_ns = p.ts_ns;
      note.type = p.icmp_type;
      note.code = p.icmp_code;
      // The error's sender: its key's source, unless the protocol fixed the
      // key's order the other way.
      const bool rev = (p.key.flags & kKeyNoCanon) && p.from_key_dst;
      std::memcpy(note.sender, rev ? p.key.dst : p.key.src, 4);
      if (!icmp_router_ || !icmp_router_->forward(note)) attach_icmp_note(note);
    }
    if (p.ts_ns > scan_ns_) scan_ns_ = p.ts_ns;
  }
}

void FlowTable::submit_burst(const ParsedPacket* pkts, uint32_t n, RecordEmitter& out) {
  const unsigned slot = pending_slot_ ^ 1;
  stage_burst(pkts, n, staged_[slot]);
  drain(out);
  prefetch_entries(pkts, staged_[slot]);
  pending_pkts_ = pkts;
  pending_slot_ = slot;
}

void FlowTable::drain(RecordEmitter& out) {
  if (!pending_pkts_) return;
  process_staged(pending_pkts_, staged_[pending_slot_], out);
  pending_pkts_ = nullptr;
}

void FlowTable::process_burst(const ParsedPacket* pkts, uint32_t n, RecordEmitter& out) {
  drain(out);
  StagedBurst sb;
  stage_burst(pkts, n, sb);
  prefetch_entries(pkts, sb);
  process_staged(pkts, sb, out);
}

// An ICMP error quoting a packet of a known flow is recorded on that flow
// too (argus's ICMP-mapped DSR), and extends the flow's report to its time.
void FlowTable::attach_icmp_note(const IcmpNote& note) {
  FlowKey k = note.inner;
  // (The quoted packet went from the error's receiver: unidirectional,
  // that is the direction the error belongs to.)
  const bool swapped = !cfg_.unidirectional && flow_key_canonicalize(k);
  const uint32_t idx = find(k, flow_key_hash(k, cfg_.hash_seed));
  if (idx == UINT32_MAX) return;
  Entry& e = entries_[idx];
  if (e.dir[0].pkts + e.dir[1].pkts == 0) return;  // its report went out already
  e.b.rec_flags |= kRecIcmpMapped;
  e.cold.icmp_type = note.type;
  e.cold.icmp_code = note.code;
  e.b.icmp_inner_from_dst = swapped ? 1 : 0;
  std::memcpy(e.cold.icmp_src, note.sender, 4);
  // The error extends the report to its own time.
  const uint64_t base_us = e.report_start_ns / 1000;
  const uint64_t ts_us = note.ts_ns / 1000;
  const unsigned d = e.dir[0].pkts ? 0 : 1;
  if (ts_us > base_us && ts_us - base_us > e.dir[d].last_us)
    e.dir[d].last_us = static_cast<uint32_t>(ts_us - base_us);
  bump(TableCounter::kIcmpMapped);
}

uint32_t FlowTable::sweep(uint64_t now_ns, uint32_t budget, RecordEmitter& out) {
  // Only entries that were ever used are visited; untouched memory stays
  // unmapped.
  if (high_water_ == 0) return 0;
  if (budget > high_water_) budget = high_water_;
  for (uint32_t n = 0; n < budget; ++n) {
    const uint32_t i = sweep_cursor_;
    sweep_cursor_ = sweep_cursor_ + 1 >= high_water_ ? 0 : sweep_cursor_ + 1;
    Entry& e = entries_[i];
    if (!e.b.in_use) continue;
    if (is_alias(e) || e.next_check_ns <= now_ns) run_checks(e, i, now_ns, out);
  }
  return budget;
}

void FlowTable::flush_all(uint8_t cause, RecordEmitter& out) {
  drain(out);
  for (uint32_t i = 0; i < high_water_; ++i) {
    Entry& e = entries_[i];
    if (!e.b.in_use) continue;
    if (!is_alias(e) && e.dir[0].pkts + e.dir[1].pkts) emit_report(e, cause, out);
    e.b.in_use = 0;
  }
  // Every flow goes: clearing the index at once is cheaper than unlinking
  // each flow from its bucket.
  std::memset(buckets_, 0, bucket_bytes_);
  high_water_ = 0;
  free_head_ = UINT32_MAX;
  active_ = 0;
  sweep_cursor_ = 0;
}

uint32_t tcp_dir_status(const TcpState& t, unsigned dir) {
  const uint8_t s = t.dir[dir].status;
  uint32_t w = 0;
  // Duplicates, for good: argus marks both sides' in the initiator's block
  // (SRC_ for its own, DST_ for the responder's), none in the responder's.
  if (dir == 0) w |= t.status & (kTcpSrcDuplicates | kTcpDstDuplicates);
  if (s & kTcpDirSynAck) w |= kTcpSawSynSent;
  if (s & kTcpDirEstablished) w |= kTcpEstablished;
  if (s & kTcpDirFin) w |= kTcpFinSeen;
  if (s & kTcpDirFinAcked) w |= kTcpFinAcked;
  // argus marks a side's own events in its block with both sides' bits
  // (0x300 for a resend from either side); the connection word names the side.
  if (s & kTcpDirRetrans) w |= kTcpSrcRetrans | kTcpDstRetrans;
  if (s & kTcpDirWinShut) w |= kTcpSrcWindowShut | kTcpDstWindowShut;
  if (s & kTcpDirReset) w |= kTcpSrcReset | kTcpDstReset;
  if (s & kTcpDirOutOfOrder) w |= kTcpSrcOutOfOrder | kTcpDstOutOfOrder;
  return w;
}

bool tcp_track(TcpState& t, TcpRare& hs, const ParsedPacket& p, unsigned dir, uint64_t ts_ns,
               bool first, bool track_dups) {
  return (track_segment(t, hs, p, dir, ts_ns, first, false, track_dups) & kSegKindMask) == kSegResent;
}

}  // namespace argos
