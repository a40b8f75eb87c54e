#include "flowtable/flow_table.h"

#include <cstdlib>
#include <cstring>

namespace argos {

namespace {

const char* const kTableCounterNames[] = {
#define ARGOS_X(e, name, desc) name,
    ARGOS_TABLE_COUNTERS(ARGOS_X)
#undef ARGOS_X
};

constexpr uint8_t kKeyAlias = 0x04;  // fragment alias entry (never reported)

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIgmp = 2;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoIcmp6 = 58;

// Serial-number arithmetic for TCP sequence numbers (RFC 1982).
inline bool seq_lt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool seq_gt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

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

struct FlowTable::Entry {
  FlowRecord rec;          // key in canonical order; metrics of the open report
  uint64_t flow_last_ns;   // last packet of the flow, any report (idle timeout)
  uint64_t report_start_ns;
  uint64_t next_check_ns;  // next timer check: flow start + k * status interval
  uint32_t parent;         // fragment alias: index of the flow it belongs to
  uint32_t parent_id;      // ... and that flow's id, to detect reuse
  uint8_t in_use;
  uint8_t initiator_is_key_dst;  // the first packet was sent by key.dst
  uint8_t reported;              // a report of this flow went out already
  uint8_t idle_class;
  uint8_t alias_dir;             // fragment alias: direction in the parent flow
  uint8_t pad[3];
};

size_t FlowTable::entry_bytes() { return sizeof(Entry); }

size_t FlowTable::bytes_per_flow() const {
  const size_t per_flow = sizeof(Entry) + sizeof(uint32_t);  // entry + free-stack slot
  const size_t buckets = (static_cast<size_t>(bucket_mask_) + 1) * sizeof(Bucket);
  return per_flow + buckets / capacity_;
}

FlowTable::FlowTable(const FlowTableConfig& cfg) : cfg_(cfg) {
  capacity_ = cfg.capacity < 64 ? 64 : cfg.capacity;
  // Two buckets of eight per key at a load of at most 50%: capacity/4 buckets.
  uint32_t nb = round_up_pow2(capacity_ / 4 < 2 ? 2 : capacity_ / 4);
  bucket_mask_ = nb - 1;
  next_flow_id_ = cfg.flow_id_base;
  // calloc'd pages are mapped lazily: resident memory grows with the flows.
  buckets_ = static_cast<Bucket*>(std::aligned_alloc(64, sizeof(Bucket) * nb));
  entries_ = static_cast<Entry*>(std::calloc(capacity_, sizeof(Entry)));
  free_ = static_cast<uint32_t*>(std::malloc(sizeof(uint32_t) * capacity_));
  if (!buckets_ || !entries_ || !free_) {
    std::free(buckets_);
    std::free(entries_);
    std::free(free_);
    buckets_ = nullptr;
    entries_ = nullptr;
    free_ = nullptr;
    return;
  }
  std::memset(buckets_, 0, sizeof(Bucket) * nb);
  for (uint32_t i = 0; i < capacity_; ++i) free_[i] = capacity_ - 1 - i;
  free_top_ = capacity_;
}

FlowTable::~FlowTable() {
  std::free(buckets_);
  std::free(entries_);
  std::free(free_);
}

uint32_t FlowTable::find(const FlowKey& k, uint64_t h) const {
  const uint32_t sig = static_cast<uint32_t>(h >> 32) | 1u;
  const uint32_t b[2] = {static_cast<uint32_t>(h) & bucket_mask_,
                         static_cast<uint32_t>(h >> 16 ^ h >> 40) & bucket_mask_};
  for (uint32_t bi : b) {
    const Bucket& bk = buckets_[bi];
    for (uint32_t s = 0; s < kSlotsPerBucket; ++s) {
      if (bk.sig[s] == sig && entries_[bk.idx[s]].rec.key == k) return bk.idx[s];
    }
  }
  return UINT32_MAX;
}

uint32_t FlowTable::insert(const FlowKey& k, uint64_t h, uint64_t now_ns, RecordEmitter& out) {
  const uint32_t sig = static_cast<uint32_t>(h >> 32) | 1u;
  const uint32_t b[2] = {static_cast<uint32_t>(h) & bucket_mask_,
                         static_cast<uint32_t>(h >> 16 ^ h >> 40) & bucket_mask_};
  Bucket* slot_bucket = nullptr;
  uint32_t slot = 0;
  for (uint32_t bi : b) {
    Bucket& bk = buckets_[bi];
    for (uint32_t s = 0; s < kSlotsPerBucket && !slot_bucket; ++s) {
      if (bk.sig[s] == 0) {
        slot_bucket = &bk;
        slot = s;
      }
    }
    if (slot_bucket) break;
  }
  if (!slot_bucket || free_top_ == 0) {
    if (cfg_.full_policy == FullPolicy::kDropNew) {
      bump(TableCounter::kFullDrops);
      return UINT32_MAX;
    }
    // Evict the idlest flow of the primary bucket, reporting it first.
    Bucket& bk = buckets_[b[0]];
    uint32_t victim_slot = 0;
    uint64_t oldest = UINT64_MAX;
    for (uint32_t s = 0; s < kSlotsPerBucket; ++s) {
      if (bk.sig[s] == 0) continue;
      const Entry& e = entries_[bk.idx[s]];
      if (e.flow_last_ns < oldest) {
        oldest = e.flow_last_ns;
        victim_slot = s;
      }
    }
    if (oldest == UINT64_MAX) {  // free stack empty but bucket empty: cannot happen
      bump(TableCounter::kFullDrops);
      return UINT32_MAX;
    }
    Entry& victim = entries_[bk.idx[victim_slot]];
    if (victim.rec.dir[0].pkts + victim.rec.dir[1].pkts) emit_report(victim, 0, out);
    remove(bk.idx[victim_slot]);
    bump(TableCounter::kEvictions);
    return insert(k, h, now_ns, out);
  }
  const uint32_t idx = free_[--free_top_];
  Entry& e = entries_[idx];
  std::memset(&e, 0, sizeof e);
  e.rec.key = k;
  e.in_use = 1;
  e.flow_last_ns = now_ns;
  slot_bucket->sig[slot] = sig;
  slot_bucket->idx[slot] = idx;
  ++active_;
  return idx;
}

void FlowTable::remove(uint32_t idx) {
  Entry& e = entries_[idx];
  const uint64_t h = flow_key_hash(e.rec.key, cfg_.hash_seed);
  const uint32_t sig = static_cast<uint32_t>(h >> 32) | 1u;
  const uint32_t b[2] = {static_cast<uint32_t>(h) & bucket_mask_,
                         static_cast<uint32_t>(h >> 16 ^ h >> 40) & bucket_mask_};
  for (uint32_t bi : b) {
    Bucket& bk = buckets_[bi];
    for (uint32_t s = 0; s < kSlotsPerBucket; ++s) {
      if (bk.sig[s] == sig && bk.idx[s] == idx) {
        bk.sig[s] = 0;
        e.in_use = 0;
        free_[free_top_++] = idx;
        --active_;
        return;
      }
    }
  }
}

uint64_t FlowTable::idle_timeout(const Entry& e) const {
  return cfg_.idle_timeout_ns[e.idle_class];
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

// Sends the open report of `e` and starts an empty one. Connection-wide TCP
// state carries over; per-report counters and bits start again.
void FlowTable::emit_report(Entry& e, uint8_t cause, RecordEmitter& out) {
  FlowRecord r = e.rec;
  if (r.start_ns == 0) r.start_ns = r.last_ns;  // only a packet that did not open it
  // ARP keys name the requester whatever the direction; all others are
  // turned so that src is the initiator.
  if (e.initiator_is_key_dst && r.key.kind != KeyKind::kArp) swap_key_endpoints(r.key);
  r.cause = cause ? cause : (e.reported ? kCauseStatus : kCauseStart);
  out.emit(r);
  bump(TableCounter::kReports);
  e.reported = 1;
  std::memset(e.rec.dir, 0, sizeof e.rec.dir);
  e.rec.start_ns = 0;
  e.rec.last_ns = 0;
  TcpMetrics& t = e.rec.tcp;
  constexpr uint32_t kPerReport = kTcpSrcRetrans | kTcpDstRetrans | kTcpSrcWindowShut |
                                  kTcpDstWindowShut | kTcpSrcOutOfOrder | kTcpDstOutOfOrder |
                                  kTcpSrcDuplicates | kTcpDstDuplicates;
  t.status &= ~kPerReport;
  for (TcpDir& d : t.dir) {
    // The next report's sequence range starts where this one ended, so the
    // range and the byte count of a report agree (ra infers loss otherwise).
    d.seqbase = d.seq_high;
    d.report_seq_valid = 0;
    d.status &= ~kPerReport;
    d.retrans = 0;
    d.payload_bytes = 0;
    d.flags = 0;
  }
}

// Timer checks, after argus: every status interval from the flow's first
// packet, a flow's open report goes out if its interval is over, and the
// flow ends if it has been idle longer than its timeout *at that check
// time*. Checks are made by sweeps and before a packet updates its flow.
bool FlowTable::run_checks(Entry& e, uint32_t idx, uint64_t upto_ns, RecordEmitter& out) {
  if (e.rec.key.flags & kKeyAlias) {
    // Fragment bookkeeping simply lapses after the fragment timeout.
    if (upto_ns > e.flow_last_ns && upto_ns - e.flow_last_ns > idle_timeout(e)) {
      remove(idx);
      return true;
    }
    return false;
  }
  const uint64_t interval = cfg_.status_interval_ns;
  const uint64_t timeout = idle_timeout(e);
  while (e.next_check_ns <= upto_ns) {
    const uint64_t t = e.next_check_ns;
    const bool has_pkts = e.rec.dir[0].pkts + e.rec.dir[1].pkts != 0;
    if (has_pkts && t >= e.report_start_ns + interval) emit_report(e, 0, out);
    if (t > e.flow_last_ns && t - e.flow_last_ns > timeout) {
      if (e.rec.dir[0].pkts + e.rec.dir[1].pkts) emit_report(e, 0, out);
      bump(TableCounter::kFlowsExpired);
      remove(idx);
      return true;
    }
    e.next_check_ns += interval;
    if (e.rec.dir[0].pkts + e.rec.dir[1].pkts == 0) {
      // Nothing to report until a packet comes: skip to the check that
      // would end the flow.
      const uint64_t end = e.flow_last_ns + timeout;
      if (e.next_check_ns <= end) e.next_check_ns += ((end - e.next_check_ns) / interval + 1) * interval;
    }
  }
  return false;
}

void FlowTable::account(Entry& e, const ParsedPacket& p, unsigned d, bool opens_start) {
  FlowRecord& r = e.rec;
  DirMetrics& m = r.dir[d];
  const uint64_t ts = p.ts_ns;
  if (r.dir[0].pkts + r.dir[1].pkts == 0) e.report_start_ns = ts;
  if (m.pkts == 0) m.first_ns = ts;
  if (opens_start && r.start_ns == 0) r.start_ns = ts;
  if (ts > r.last_ns) r.last_ns = ts;
  // IP attributes of the latest packet, as argus reports them.
  m.ttl = p.ttl;
  m.tos = p.tos;
  m.ip_id = p.ip_id;
  m.pkts += 1;
  m.bytes += p.wire_len;
  m.app_bytes += p.payload_bytes;
  m.last_ns = ts;
  m.encaps |= p.encaps;
  if (p.has_vlan) {
    m.vlan_tci = p.vlan_tci;
    m.has_vlan = 1;
    r.flags |= kRecHasVlan;
  }
  if (p.has_mpls && !m.has_mpls) {
    m.mpls_lse = p.mpls_lse;
    m.has_mpls = 1;
    r.flags |= kRecHasMpls;
  }
  if (p.is_ip) r.flags |= kRecIsIp;
  if (p.frag != FragKind::kNone && r.key.kind != KeyKind::kIPv4Frag &&
      r.key.kind != KeyKind::kIPv6Frag) {
    r.flags |= kRecFragments;
    m.fragments = 1;
  }
  if (ts > e.flow_last_ns) e.flow_last_ns = ts;
}

void FlowTable::update(Entry& e, uint32_t idx, const ParsedPacket& p, bool from_key_dst,
                       RecordEmitter& out) {
  (void)idx;
  const bool first = e.rec.seq == 0;
  bool opens_start = true;
  if (first) {
    e.initiator_is_key_dst = from_key_dst ? 1 : 0;
    e.idle_class = static_cast<uint8_t>(classify(e.rec.key));
    e.rec.seq = next_flow_id_;
    next_flow_id_ += cfg_.flow_id_stride;
    e.next_check_ns = p.ts_ns + cfg_.status_interval_ns;
    bump(TableCounter::kFlowsCreated);
  } else if (e.rec.dir[0].pkts + e.rec.dir[1].pkts &&
             p.ts_ns >= e.report_start_ns + cfg_.status_interval_ns) {
    // The open report's status interval is over: send it; this packet opens
    // the next report. argus does not take the time of an ordinary TCP
    // segment from the responder as the new report's start (a SYN, FIN or
    // RST does count); the next packet's time is the start instead.
    const unsigned dir = (from_key_dst ? 1u : 0u) ^ e.initiator_is_key_dst;
    if (p.has_tcp && dir == 1 && !(p.tcp_flags & (kTcpSyn | kTcpFin | kTcpRst)))
      opens_start = false;
    emit_report(e, 0, out);
  }
  const unsigned d = (from_key_dst ? 1u : 0u) ^ e.initiator_is_key_dst;
  if (p.key.kind != KeyKind::kNone && p.has_tcp) {
    e.rec.flags |= kRecTcp;
    tcp_track(e.rec.tcp, p, d, p.ts_ns, first);
  }
  account(e, p, d, opens_start);
  if (p.key.kind == KeyKind::kArp && from_key_dst) {
    std::memcpy(e.rec.arp_responder_mac, p.arp_responder_mac, 6);
    e.rec.flags |= kRecArpReply;
  }
}

void FlowTable::process_later_fragment(const ParsedPacket& p, RecordEmitter& out) {
  FlowKey ak = p.key;
  ak.flags |= kKeyAlias;
  const uint64_t h = flow_key_hash(ak, cfg_.hash_seed);
  const uint32_t ai = find(ak, h);
  if (ai != UINT32_MAX) {
    Entry& alias = entries_[ai];
    Entry& parent = entries_[alias.parent];
    if (!run_checks(alias, ai, p.ts_ns, out) && parent.in_use &&
        parent.rec.seq == alias.parent_id) {
      // Same time rules as any packet of the parent flow.
      if (parent.rec.dir[0].pkts + parent.rec.dir[1].pkts &&
          p.ts_ns >= parent.report_start_ns + cfg_.status_interval_ns)
        emit_report(parent, 0, out);
      account(parent, p, alias.alias_dir, true);
      parent.rec.dir[alias.alias_dir].encaps |= p.encaps;
      alias.flow_last_ns = p.ts_ns;
      bump(TableCounter::kFragAttached);
      if (!p.more_frags) remove(ai);  // last fragment: the datagram is complete
      return;
    }
    if (entries_[ai].in_use && (entries_[ai].rec.key.flags & kKeyAlias)) remove(ai);
  }
  // No first fragment known: the fragment is a flow of its own.
  bump(TableCounter::kFragOrphans);
  const uint64_t hk = flow_key_hash(p.key, cfg_.hash_seed);
  process_one(p, p.key, false, hk, out);
}

void FlowTable::process_one(const ParsedPacket& p, const FlowKey& key, bool swapped, uint64_t h,
                            RecordEmitter& out) {
  uint32_t idx = find(key, h);
  // Idle flows are expired by the sweep, which argus runs between packets. A
  // flow idle past its timeout is ended here only if a packet of another flow
  // came after its timeout ran out (a sweep would have seen it); the first
  // packet after a quiet spell still continues the flow, as with argus.
  if (idx != UINT32_MAX && run_checks(entries_[idx], idx, scan_ns_, out)) idx = UINT32_MAX;
  if (idx == UINT32_MAX) {
    idx = insert(key, h, p.ts_ns, out);
    if (idx == UINT32_MAX) return;
  }
  Entry& e = entries_[idx];
  update(e, idx, p, p.from_key_dst != swapped, out);

  if (p.frag == FragKind::kFirst) {
    // Remember where the later fragments of this datagram belong.
    FlowKey ak{};
    ak.kind = key.kind == KeyKind::kIPv6 ? KeyKind::kIPv6Frag : KeyKind::kIPv4Frag;
    std::memcpy(ak.src, p.key.src, 16);
    std::memcpy(ak.dst, p.key.dst, 16);
    if (p.from_key_dst) {
      std::memcpy(ak.src, p.key.dst, 16);
      std::memcpy(ak.dst, p.key.src, 16);
    }
    ak.proto = p.key.proto;
    ak.aux = p.frag_id;
    ak.flags = kKeyNoCanon | kKeyAlias;
    const uint64_t ah = flow_key_hash(ak, cfg_.hash_seed);
    uint32_t ai = find(ak, ah);
    if (ai == UINT32_MAX) ai = insert(ak, ah, p.ts_ns, out);
    if (ai == UINT32_MAX) return;
    Entry& a = entries_[ai];
    a.parent = idx;
    a.parent_id = entries_[idx].rec.seq;
    a.alias_dir = static_cast<uint8_t>((p.from_key_dst != swapped ? 1u : 0u) ^
                                       entries_[idx].initiator_is_key_dst);
    a.idle_class = static_cast<uint8_t>(IdleClass::kFrag);
    a.flow_last_ns = p.ts_ns;
    a.rec.seq = 0;
  }
}

void FlowTable::process_burst(const ParsedPacket* pkts, uint32_t n, RecordEmitter& out) {
  // Stage 1: canonical keys and hashes for the whole burst; stage 2: prefetch
  // both candidate buckets; stage 3: look up and update in packet order.
  FlowKey keys[kMaxBurst];
  uint64_t hashes[kMaxBurst];
  bool swapped[kMaxBurst];
  if (n > kMaxBurst) n = kMaxBurst;
  for (uint32_t i = 0; i < n; ++i) {
    keys[i] = pkts[i].key;
    swapped[i] = flow_key_canonicalize(keys[i]);
    hashes[i] = flow_key_hash(keys[i], cfg_.hash_seed);
  }
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t h = hashes[i];
    __builtin_prefetch(&buckets_[static_cast<uint32_t>(h) & bucket_mask_]);
    __builtin_prefetch(&buckets_[static_cast<uint32_t>(h >> 16 ^ h >> 40) & bucket_mask_]);
  }
  for (uint32_t i = 0; i < n; ++i) {
    const ParsedPacket& p = pkts[i];
    if (p.key.kind == KeyKind::kNone) continue;
    if (p.frag == FragKind::kLater) {
      process_later_fragment(p, out);
    } else {
      process_one(p, keys[i], swapped[i], hashes[i], out);
    }
    if (p.has_inner) attach_icmp_error(p);
    if (p.ts_ns > scan_ns_) scan_ns_ = p.ts_ns;
  }
}

// An ICMP error quoting a packet of a known flow is recorded on that flow
// too (argus's ICMP-mapped DSR), and extends the flow's report to its time.
void FlowTable::attach_icmp_error(const ParsedPacket& p) {
  FlowKey k = p.inner_key;
  flow_key_canonicalize(k);
  const uint32_t idx = find(k, flow_key_hash(k, cfg_.hash_seed));
  if (idx == UINT32_MAX) return;
  Entry& e = entries_[idx];
  FlowRecord& r = e.rec;
  if (r.dir[0].pkts + r.dir[1].pkts == 0) return;  // its report went out already
  r.flags |= kRecIcmpMapped;
  r.icmp.type = p.icmp_type;
  r.icmp.code = p.icmp_code;
  std::memcpy(r.icmp.icmp_src, p.key.flags & kKeyNoCanon && p.from_key_dst ? p.key.dst : p.key.src, 4);
  std::memcpy(r.icmp.icmp_dst, p.key.flags & kKeyNoCanon && p.from_key_dst ? p.key.src : p.key.dst, 4);
  std::memcpy(r.icmp.inner_src, p.inner_key.src, 4);
  std::memcpy(r.icmp.inner_dst, p.inner_key.dst, 4);
  r.icmp.gateway = p.icmp_type == 5 ? p.icmp_gateway : 0;
  if (p.ts_ns > r.last_ns) r.last_ns = p.ts_ns;
  bump(TableCounter::kIcmpMapped);
}

uint32_t FlowTable::sweep(uint64_t now_ns, uint32_t budget, RecordEmitter& out) {
  if (budget > capacity_) budget = capacity_;
  for (uint32_t n = 0; n < budget; ++n) {
    const uint32_t i = sweep_cursor_;
    sweep_cursor_ = sweep_cursor_ + 1 == capacity_ ? 0 : sweep_cursor_ + 1;
    Entry& e = entries_[i];
    if (!e.in_use) continue;
    run_checks(e, i, now_ns, out);
  }
  return budget;
}

void FlowTable::flush_all(uint8_t cause, RecordEmitter& out) {
  for (uint32_t i = 0; i < capacity_; ++i) {
    Entry& e = entries_[i];
    if (!e.in_use) continue;
    if (!(e.rec.key.flags & kKeyAlias) && e.rec.dir[0].pkts + e.rec.dir[1].pkts)
      emit_report(e, cause, out);
    remove(i);
  }
}

// TCP tracking after argus's model: connection-wide bits persist across
// reports, retransmission and window bits are per report.
bool tcp_track(TcpMetrics& t, const ParsedPacket& p, unsigned dir, uint64_t ts_ns, bool first) {
  TcpDir& me = t.dir[dir];
  const uint32_t retrans_before = me.retrans;
  TcpDir& peer = t.dir[dir ^ 1];
  const uint8_t fl = p.tcp_flags;
  const uint32_t seq = p.tcp_seq;
  const uint32_t len = p.payload_bytes;
  const bool syn = fl & kTcpSyn;
  const bool ack = fl & kTcpAck;
  t.options |= p.tcp_options;
  me.flags |= fl;
  me.win = p.tcp_win;
  if (syn && (p.tcp_options & kTcpOptWscale)) me.wscale = p.tcp_wscale;
  const uint32_t retrans_bit = dir == 0 ? kTcpSrcRetrans : kTcpDstRetrans;
  const uint32_t reset_bit = dir == 0 ? kTcpSrcReset : kTcpDstReset;
  const uint32_t winshut_bit = dir == 0 ? kTcpSrcWindowShut : kTcpDstWindowShut;

  if (first) {
    if (syn && !ack) {
      t.status |= kTcpSawSyn;
      t.syn_ns = ts_ns;
      t.fsm_state = 2;  // SYN_SENT
    } else if (syn && ack) {
      t.status |= kTcpSawSynSent;
      t.synack_ns = ts_ns;
      t.fsm_state = 3;  // SYN_RCVD
    } else {
      t.status |= kTcpEstablished;
      t.fsm_state = 4;  // ESTABLISHED
    }
    me.seqbase = seq;
    me.seq_high = seq + len + (syn ? 1u : 0u);
    // A flow picked up mid-stream: its first segment only marks where the
    // sequence space starts, so a copy of it is not taken for a resend.
    me.rep_high = syn ? me.seq_high : seq;
    me.report_seq_valid = 1;
  } else if (syn) {
    if (me.seq_high == 0 && me.seqbase == 0) {
      me.seqbase = seq;
      me.seq_high = seq + 1;
      me.rep_high = me.seq_high;
      me.report_seq_valid = 1;
    } else if (seq_lt(seq, me.seq_high)) {
      // The same SYN (or SYN-ACK) again.
      me.retrans++;
      me.status |= retrans_bit;
      t.status |= retrans_bit;
    }
    if (ack && dir == 1 && !(t.status & kTcpSawSynSent)) {
      t.status |= kTcpSawSynSent;
      me.status |= kTcpSawSynSent;
      t.synack_ns = ts_ns;
      if (t.syn_ns && ts_ns >= t.syn_ns) t.synack_us = static_cast<uint32_t>((ts_ns - t.syn_ns) / 1000);
      t.fsm_state = 3;
    }
  } else {
    if (me.seq_high == 0 && me.seqbase == 0) {
      me.seqbase = seq;
      me.seq_high = seq;
    }
    const uint32_t ooo_bit = dir == 0 ? kTcpSrcOutOfOrder : kTcpDstOutOfOrder;
    const uint32_t end = seq + len;
    if (len > 0 && peer.acked && !seq_gt(end, peer.ack)) {
      // Data the peer has acknowledged already: a retransmission.
      me.retrans++;
      me.status |= retrans_bit;
      t.status |= retrans_bit;
    } else if (len > 0 && me.report_seq_valid && seq_lt(seq, me.rep_high)) {
      if (me.hole_hi != me.hole_lo && !seq_lt(seq, me.hole_lo) && seq_lt(seq, me.hole_hi)) {
        // Fills the gap left by a jump forward: arrived out of order.
        me.status |= ooo_bit;
        t.status |= ooo_bit;
        if (!seq_gt(me.hole_hi, end)) {
          me.hole_lo = me.hole_hi = 0;
        } else {
          me.hole_lo = end;
        }
      } else {
        me.retrans++;
        me.status |= retrans_bit;
        t.status |= retrans_bit;
      }
    } else if (me.report_seq_valid && seq_gt(seq, me.rep_high) && len > 0) {
      // A jump forward leaves a gap; remember it (one gap is tracked).
      me.hole_lo = me.rep_high;
      me.hole_hi = seq;
    }
    // Sequence space counts payload only (a FIN does not advance it), as
    // argus reports it. Within a report, the first packet of a direction
    // starts the tracking afresh.
    if (!me.report_seq_valid || seq_gt(end, me.rep_high)) me.rep_high = end;
    if (len > 0 && seq_gt(end, me.seq_high)) me.seq_high = end;
    me.report_seq_valid = 1;
    if (ack && dir == 0 && (t.status & kTcpSawSynSent) && !(t.status & kTcpEstablished)) {
      t.status |= kTcpEstablished;
      me.status |= kTcpEstablished;
      if (t.synack_ns && ts_ns >= t.synack_ns)
        t.ackdat_us = static_cast<uint32_t>((ts_ns - t.synack_ns) / 1000);
      t.fsm_state = 4;
    } else if (ack && dir == 0 && !(t.status & kTcpEstablished)) {
      // The initiator acknowledges something without a handshake on record
      // (one-sided capture): argus counts the connection as established.
      t.status |= kTcpEstablished;
      me.status |= kTcpEstablished;
    }
  }
  me.payload_bytes += len;
  if (ack) {
    me.acked = 1;
    // The ack of a FIN is reported without the FIN's sequence number, like
    // the sequence space itself.
    me.ack = (peer.flags & kTcpFin) && seq_gt(p.tcp_ack, peer.seq_high) ? peer.seq_high : p.tcp_ack;
    // A FIN from the peer is acknowledged once our ack passes its end.
    if ((peer.status & kTcpFinSeen) && seq_gt(p.tcp_ack, peer.seq_high)) {
      t.status |= kTcpFinAcked;
      peer.status |= kTcpFinAcked;
    }
  }
  if (fl & kTcpFin) {
    t.status |= kTcpFinSeen;
    me.status |= kTcpFinSeen;
    t.fsm_state = 9;
  }
  if (fl & kTcpRst) {
    t.status |= reset_bit;
    me.status |= reset_bit;
  }
  if (p.tcp_win == 0 && !(fl & (kTcpRst | kTcpSyn | kTcpFin))) {
    t.status |= winshut_bit;
    me.status |= winshut_bit;
  }
  return me.retrans != retrans_before;
}

}  // namespace argos
