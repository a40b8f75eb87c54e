// Per-worker flow table: one writer, never shared, fixed capacity chosen at
// start-up. Cache-line buckets of eight (signature, index) slots, two bucket
// choices per key, full-key compare after a signature hit.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "flowtable/counter_table.h"
#include "flowtable/flow_key.h"
#include "flowtable/packet_facts.h"
#include "flowtable/flow_record.h"

namespace argos {

// Receives finished reports. Called per report, never per packet.
class RecordEmitter {
 public:
  virtual void emit(const FlowRecord& rec) = 0;
  // Zero-copy path: a slot to build the next record in, published by
  // commit(); nullptr to have the record built elsewhere and passed to emit().
  virtual FlowRecord* reserve() { return nullptr; }
  virtual void commit() {}

 protected:
  ~RecordEmitter() = default;
};

// TCP state read and written by every segment: the third cache line of a
// flow entry, 64 bytes. Packed: two 30-byte directions after the 4-byte
// connection word, each a plain (unaligned on x86, free) load or store.
struct [[gnu::packed]] TcpDirState {
  uint32_t seqbase;   // start of this report's sequence range
  uint32_t seq_high;  // highest seq + len reported
  uint32_t rep_high;  // highest seq + len within this report (resend detection)
  uint32_t ack;       // last ack sent (or, with kTcpDirAckOfPeerFirst, the flow's first segment's)
  uint32_t hole_lo;   // one unfilled gap [hole_lo, hole_lo + hole_len) left by a
  uint16_t hole_len;  // jump forward: segments filling it came out of order
  // IPv4 id of this report's latest data segment as argus compares it: the
  // two header bytes read little-endian (0: none yet, or IPv6, no id).
  uint16_t last_data_id;
  uint16_t win;       // last advertised window (unscaled)
  uint8_t flags;      // OR of the TCP flag bytes of this report
  uint8_t bits;       // wscale (low 4 bits) | kTcpDirSeqValid | kTcpDirAcked | kTcpDirHoleAsked |
                      // kTcpDirAckedInReport
  uint8_t status;     // kTcpDir* events of this side, expanded by tcp_dir_status()
  uint8_t rep_bits;   // kTcpDirDataInReport | kTcpDirDataFromAck | kTcpDirAfterDupCopy | kTcpDirAckFromFirst |
                      // kTcpDirAckOfPeerFirst | kTcpDirJumpUnheard | kTcpDirAtPeerFirstAck
};
static_assert(sizeof(TcpDirState) == 30);
inline constexpr uint8_t kTcpDirSeqValid = 0x10;  // rep_high set in this report
inline constexpr uint8_t kTcpDirAcked = 0x20;     // this side has sent an ack
inline constexpr uint8_t kTcpDirHoleAsked = 0x40; // the peer acked up to hole_lo since the gap opened
inline constexpr uint8_t kTcpDirAckedInReport = 0x80;  // this side has sent an ack in this report
inline constexpr uint8_t kTcpDirWscaleMask = 0x0f;
inline constexpr uint8_t kTcpDirDataInReport = 0x01;  // rep_bits: this side sent data in this report
inline constexpr uint8_t kTcpDirDataFromAck = 0x02;   // rep_bits: that data started at the peer's ack
// rep_bits: the side's latest data was a duplicate copying data sent before,
// and the other side has sent nothing since (duplicate tracking only).
inline constexpr uint8_t kTcpDirAfterDupCopy = 0x04;
// rep_bits, kept across reports: the side's only acknowledgement so far came
// with the flow's first segment.
inline constexpr uint8_t kTcpDirAckFromFirst = 0x08;
// rep_bits, kept across reports: this side has sent no acknowledgement, and
// `ack` holds the one the other side's first segment (the flow's) carried.
// argus's record shows it as this side's until this side acknowledges.
inline constexpr uint8_t kTcpDirAckOfPeerFirst = 0x10;
// rep_bits: the side's data jumped forward in this report and the other
// side has acknowledged nothing since. argus's mark for the side's data
// then lags its highest number (TcpRare::jump_lag): a jump moves the mark
// by the segment's length only.
inline constexpr uint8_t kTcpDirJumpUnheard = 0x20;
// rep_bits: a flow picked up mid-stream (no SYN), and the other side's
// first acknowledgement came in this report, before the side's data in it,
// below the side's data of earlier reports: argus places the side there,
// so its next data past it jumps from it.
inline constexpr uint8_t kTcpDirAtPeerFirstAck = 0x40;

// TcpDirState::status: what one side did, one byte. The record's per-side
// status word names the side in some bits (kTcpSrcRetrans or kTcpDstRetrans);
// which one follows from the direction.
inline constexpr uint8_t kTcpDirSynAck = 0x01;     // kTcpSawSynSent
inline constexpr uint8_t kTcpDirEstablished = 0x02;
inline constexpr uint8_t kTcpDirFin = 0x04;        // kTcpFinSeen
inline constexpr uint8_t kTcpDirFinAcked = 0x08;
inline constexpr uint8_t kTcpDirRetrans = 0x10;
inline constexpr uint8_t kTcpDirWinShut = 0x20;
inline constexpr uint8_t kTcpDirReset = 0x40;
inline constexpr uint8_t kTcpDirOutOfOrder = 0x80;
inline constexpr uint8_t kTcpDirPerReport = kTcpDirRetrans | kTcpDirWinShut | kTcpDirOutOfOrder | kTcpDirReset;

// kTcpOpt* bits live in the connection word beside the kTcp* status bits.
inline constexpr uint32_t kTcpOptMask = kTcpOptMss | kTcpOptWscale | kTcpOptSackOk | kTcpOptSack | kTcpOptTimestamp |
                                     kTcpOptSrcEcn;
static_assert((kTcpOptMask & 0x000fffffu) == 0, "options and status bits are disjoint");

struct [[gnu::packed]] TcpState {
  uint32_t status;  // connection status bits (kTcp*) | options seen (kTcpOpt*)
  TcpDirState dir[2];
  uint32_t options() const { return status & kTcpOptMask; }
};
static_assert(sizeof(TcpState) == 64);

// What TCP writes only at a connection's handshake, on resends and on a
// flow picked up mid-stream, so it lives with the entry's rarely used fields.
struct TcpRare {
  uint64_t hs_ns;      // time of the last handshake step (SYN, then SYN-ACK)
  uint32_t synack_us;  // SYN to SYN-ACK
  uint32_t ackdat_us;  // SYN-ACK to the handshake ACK
  // Per direction, this report's payload that argus leaves out of the TCP
  // byte count: a flow picked up mid-stream, a side's segments after the
  // flow's first and before the other side is heard.
  uint32_t uncounted[2];
  uint16_t retrans[2];  // per direction, resent segments in this report (saturating)
  // Per direction, with kTcpDirJumpUnheard: how far argus's mark lags the
  // side's highest number in the report (rep_high).
  uint16_t jump_lag[2];
  // With kHsFinIgnored: where the flow's first segment (data and a FIN,
  // always the initiator's) ended.
  uint32_t fin_first_end;
  uint8_t flags;        // kHs*
};
static_assert(sizeof(TcpRare) == 40, "TcpRare fills its place in the entry's fourth line");
// The initiator sent the first SYN-ACK (a simultaneous open): its ACK is
// not timed unless the responder sends a SYN-ACK as well.
inline constexpr uint8_t kHsAckUntimed = 0x01;
// The connection was reset, other than by a refusal of its first SYN (a
// reset from the initiator, or the responder's reset that acknowledges the
// SYN, before any SYN-ACK). argus then takes no later SYN-ACK or ACK as a
// handshake step and a SYN starts a new flow, in every later report too,
// while after a refusal the handshake goes on as if none had come.
inline constexpr uint8_t kHsClosed = 0x02;
// The flow's first segment was a FIN (picked up as it closed): argus never
// takes it for established, nor any FIN of it for acknowledged.
inline constexpr uint8_t kHsFinFirst = 0x04;
// The flow's first segment carried data and a FIN: argus counts no FIN of
// the flow, from either side.
inline constexpr uint8_t kHsFinIgnored = 0x08;
// A SYN came after a FIN was acknowledged (a new connection on the same
// ports): argus no longer counts the side's FIN in its highest sequence
// number when it weighs a resend after it.
inline constexpr uint8_t kHsSynAfterClose = 0x10;

// The record's status word for side `dir` (0 = initiator): kTcp* bits.
uint32_t tcp_dir_status(const TcpState& t, unsigned dir);

// What the flow an ICMP error quotes takes from it (attach_icmp_note).
struct IcmpNote {
  FlowKey inner;      // the quoted packet's key, as the parser gives it
  uint64_t ts_ns;     // the error's time
  uint8_t type;
  uint8_t code;
  uint8_t sender[4];  // the error's sender (its first four address bytes)
  uint8_t pad[2];
};
static_assert(sizeof(IcmpNote) == 64, "a note is one cache line in the rings between workers");

// Set on a table whose worker shares the link with others by RSS (several
// receive queues): an ICMP error lands on the queue of its own addresses
// (its sender is often a router), while the flow it quotes may be another
// worker's. Called per ICMP error, never per ordinary packet.
class IcmpNoteRouter {
 public:
  // True when the note went to the worker whose table holds the quoted
  // flow; false to attach it here.
  virtual bool forward(const IcmpNote& note) = 0;

 protected:
  ~IcmpNoteRouter() = default;
};

// Idle-timeout classes (argus-format.md section 9 defaults).
enum class IdleClass : uint8_t { kTcp, kIp, kIcmp, kIgmp, kFrag, kArp, kOther, kCount };
inline constexpr size_t kIdleClassCount = static_cast<size_t>(IdleClass::kCount);

// What happens to a new flow when both of its buckets are full.
enum class FullPolicy : uint8_t {
  kDropNew,      // the packet is not accounted; counted in table.full_drops
  kEvictOldest,  // the idlest flow of the primary bucket is reported and replaced
};

struct FlowTableConfig {
  uint32_t capacity = 1u << 20;  // flows
  uint64_t status_interval_ns = 5'000'000'000ULL;
  std::array<uint64_t, kIdleClassCount> idle_timeout_ns{
      60'000'000'000ULL, 30'000'000'000ULL, 5'000'000'000ULL, 30'000'000'000ULL,
      5'000'000'000ULL,  5'000'000'000ULL,  30'000'000'000ULL};
  FullPolicy full_policy = FullPolicy::kEvictOldest;
  uint64_t hash_seed = 0x5eed5eed12345678ULL;
  uint32_t flow_id_base = 1;    // first flow id of this worker
  uint32_t flow_id_stride = 1;  // ids step by the worker count: unique sensor-wide
  // Frame sizes (-Z), MAC addresses (-m) and each direction's first packet
  // time (bidirectional timestamps): kept in a side array, so the default
  // record set reads and writes no more per packet.
  bool extra_metrics = false;
  // -U: user bytes kept per direction and report (0 = none, at most
  // kMaxUserBytes), in a side array of their own.
  uint32_t user_bytes = 0;
  // -J: inter-packet interval statistics per direction, in a side array.
  bool jitter = false;
  // A flow's first packet is reported on its own at once (cause Start), as
  // argus's ARGUS_GENERATE_START_RECORDS; the flow's later reports say Status.
  bool start_records = false;
  // argus's ARGUS_FLOW_TYPE=Unidirectional: each direction of a
  // conversation is a flow of its own, keyed in its packets' order, with
  // src metrics alone. Keys whose orientation the protocol fixes (ICMP
  // echo and its reply, ARP) stay one flow, as in argus.
  bool unidirectional = false;
  // argus's ARGUS_FLOW_KEY=LAYER_3_MATRIX: an IP flow is its address pair,
  // whatever the protocol and ports (flow_key_to_matrix); ARP and other
  // non-IP flows keep their keys.
  bool matrix = false;
  // argus's ARGUS_TRACK_DUPLICATES: a TCP data segment with the IPv4 id of
  // its side's previous one is a duplicate, flagged and left out of the
  // connection's tracking instead of being taken for a resend.
  bool track_duplicates = false;
};

#define ARGOS_TABLE_COUNTERS(X)                                                      \
  X(kFlowsCreated, "table.flows_created", "flows inserted")                         \
  X(kFlowsExpired, "table.flows_expired", "flows removed after their idle timeout") \
  X(kReports, "table.reports", "flow reports emitted")                              \
  X(kFullDrops, "table.full_drops", "packets of new flows dropped: table full")     \
  X(kEvictions, "table.evictions", "flows evicted to make room (reported first)")   \
  X(kFragAttached, "table.frag_attached", "non-first fragments added to their flow") \
  X(kFragOrphans, "table.frag_orphans", "non-first fragments without a known first fragment") \
  X(kIcmpMapped, "table.icmp_mapped", "ICMP errors attached to the flow they quote")

enum class TableCounter : uint8_t {
  ARGOS_TABLE_COUNTERS(ARGOS_COUNTER_ENUMERATOR)
      kCount
};
inline constexpr size_t kTableCounterCount = static_cast<size_t>(TableCounter::kCount);
const char* table_counter_name(TableCounter c);

class FlowTable {
 public:
  // Burst size the staged lookup is written for.
  static constexpr uint32_t kMaxBurst = 64;
  // Staged lookup: buckets are prefetched this many packets ahead.
  static constexpr uint32_t kSlotsPerBucket = 8;

  explicit FlowTable(const FlowTableConfig& cfg);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // False when the memory could not be allocated (checked once at start-up).
  bool ok() const { return entries_ != nullptr; }

  // The table's two mappings (bucket index, entries), for binding them to
  // the worker's NUMA node before the first packet touches them.
  struct MemoryRegion {
    void* addr;
    size_t bytes;
  };
  MemoryRegion bucket_memory() const { return {buckets_, bucket_bytes_}; }
  MemoryRegion entry_memory() const { return {entries_, entry_bytes_}; }
  MemoryRegion extra_memory() const { return {extras_, extra_bytes_}; }
  MemoryRegion user_memory() const { return {users_, user_bytes_}; }

  // Accounts a burst of parsed packets (n <= kMaxBurst), in time order.
  // Reports closed by a packet (status interval, idle timeout) go to `out`.
  void process_burst(const ParsedPacket* pkts, uint32_t n, RecordEmitter& out);

  // The same, pipelined across bursts: each call hashes the new burst and
  // prefetches its buckets, updates the flows of the burst submitted before
  // (whose buckets and entries were fetched meanwhile), then prefetches the
  // new burst's entries. The caller keeps the last submitted `pkts` intact
  // until the next submit_burst or drain. drain() finishes the pending burst.
  void submit_burst(const ParsedPacket* pkts, uint32_t n, RecordEmitter& out);
  void drain(RecordEmitter& out);


  // Examines up to `budget` table entries from the sweep cursor at time
  // `now_ns`: reports flows whose status interval ended and removes idle ones.
  // Returns the entries examined.
  uint32_t sweep(uint64_t now_ns, uint32_t budget, RecordEmitter& out);

  // Reports every flow that has unreported packets and empties the table.
  // cause 0 keeps each flow's own cause (end of input); kCauseShutdown marks
  // a flush on a signal.
  void flush_all(uint8_t cause, RecordEmitter& out);

  // Several receive queues: ICMP errors whose quoted flow `router` says is
  // another worker's go there (nullptr: every error is attached here).
  void set_icmp_router(IcmpNoteRouter* router) { icmp_router_ = router; }
  // Marks the flow `note` quotes, if it is in this table with packets in
  // its open report (an error quoting a flow already reported is left).
  void attach_icmp_note(const IcmpNote& note);

  uint32_t capacity() const { return capacity_; }
  // Packet time up to which timers are due (see scan_ns_); sweeps use it.
  uint64_t scan_time_ns() const { return scan_ns_; }
  // Live sources: moves the timer clock on to `now_ns` (wall clock) while no
  // packet arrives, so idle flows still time out. Never moves it back.
  void advance_clock(uint64_t now_ns) {
    if (now_ns > scan_ns_) scan_ns_ = now_ns;
  }
  uint32_t active_flows() const { return active_; }
  // Entries a sweep has to visit (the highest index ever used, plus one).
  uint32_t used_entries() const { return high_water_; }
  uint64_t counter(TableCounter c) const { return counters_[static_cast<size_t>(c)]; }
  // Bytes of table memory per flow of capacity (entry plus bucket share).
  size_t bytes_per_flow() const;
  static size_t entry_bytes();
  // Bytes a table of `capacity` flows maps (buckets and entries), for
  // checking a configuration against the machine's memory.
  static size_t table_bytes(uint32_t capacity, bool extra_metrics = false, uint32_t user_bytes = 0,
                            bool jitter = false);

  struct Bucket;  // defined in flow_table.cc
  struct Entry;
  struct Extra;
  struct Jitter;
  struct JitterSide;

 private:
  // The stages of process_burst: keys and hashes with their buckets
  // prefetched, then the entries prefetched, then the updates.
  struct StagedBurst {
    FlowKey keys[kMaxBurst];
    uint64_t hashes[kMaxBurst];
    // The entry the primary bucket's first signature hit names (prefetched),
    // or UINT32_MAX: checked first, so a hit needs no second bucket search.
    uint32_t hint[kMaxBurst];
    bool swapped[kMaxBurst];
    uint32_t n = 0;
  };

  StagedBurst staged_[2];
  const ParsedPacket* pending_pkts_ = nullptr;  // burst in staged_[pending_slot_], not processed yet
  unsigned pending_slot_ = 0;
  void stage_burst(const ParsedPacket* pkts, uint32_t n, StagedBurst& sb) const;
  // The key `k` (the packet's) as the table keeps it: matrix, canonical or
  // unidirectional order. True when its endpoints were swapped.
  bool table_key(FlowKey& k, const ParsedPacket& p) const;
  void prefetch_entries(const ParsedPacket* pkts, StagedBurst& sb) const;
  void process_staged(const ParsedPacket* pkts, const StagedBurst& sb, RecordEmitter& out);

  uint32_t find(const FlowKey& k, uint64_t h) const;
  uint32_t alloc_index();
  void bucket_pair(uint64_t h, uint32_t b[2]) const {
    b[0] = static_cast<uint32_t>(h) & bucket_mask_;
    b[1] = static_cast<uint32_t>(h >> 16 ^ h >> 40) & bucket_mask_;
  }
  uint32_t insert(const FlowKey& k, uint64_t h, uint64_t now_ns, RecordEmitter& out);
  void remove(uint32_t idx);
  void emit_report(Entry& e, uint8_t cause, RecordEmitter& out);
  void update(Entry& e, const ParsedPacket& p, bool from_dst,
              RecordEmitter& out);
  void account(Entry& e, const ParsedPacket& p, unsigned dir, bool opens_start, uint8_t seg);
  void account_jitter(JitterSide& j, uint8_t& bits, const ParsedPacket& p, unsigned dir, bool tcp, uint8_t seg);
  static void account_extra(Extra& x, bool first_of_report, bool first_of_flow, bool sized,
                            const ParsedPacket& p, unsigned dir);
  void build_record(const Entry& e, uint8_t cause, FlowRecord& r) const;
  bool run_checks(Entry& e, uint32_t idx, uint64_t upto_ns, RecordEmitter& out);
  uint64_t idle_timeout(const Entry& e) const;
  void bump(TableCounter c, uint64_t n = 1) { counters_[static_cast<size_t>(c)] += n; }
  void process_one(const ParsedPacket& p, const FlowKey& key, bool swapped,
                   uint64_t h, uint32_t hint, RecordEmitter& out);
  void process_later_fragment(const ParsedPacket& p, RecordEmitter& out);
  void join_orphan(Entry& e, unsigned d, const Entry& o);

  FlowTableConfig cfg_;
  uint32_t capacity_;
  uint32_t bucket_mask_;
  Bucket* buckets_ = nullptr;
  size_t bucket_bytes_ = 0;
  size_t entry_bytes_ = 0;
  Entry* entries_ = nullptr;
  Extra* extras_ = nullptr;  // one per entry with extra_metrics, else none
  // -U: per entry, two 16-bit lengths and then each direction's bytes.
  uint8_t* users_ = nullptr;
  Jitter* jits_ = nullptr;  // one per entry with -J, else none
  size_t jit_bytes_ = 0;
  size_t user_stride_ = 0;
  size_t user_bytes_ = 0;
  uint8_t user_scratch_[2 * kMaxUserBytes];  // for records built outside a batch
  uint8_t* user_slot(uint32_t idx) const { return users_ + size_t{idx} * user_stride_; }
  bool account_user(uint32_t idx, const ParsedPacket& p, unsigned dir);
  size_t extra_bytes_ = 0;
  uint32_t free_head_ = UINT32_MAX;  // free entries, linked through Entry::seq
  uint32_t high_water_ = 0;          // entries [0, high_water_) have been used
  uint32_t active_ = 0;
  uint32_t sweep_cursor_ = 0;
  uint32_t next_flow_id_;
  // Packet time up to which timers have run: that of the latest packet
  // already accounted. A flow whose idle timeout ran out before it is gone,
  // even if the sweep has not reached it yet; the first packet after a quiet
  // spell with no other traffic still continues its flow, as with argus.
  uint64_t scan_ns_ = 0;
  // A report built while this is set ends no earlier (argus ends a reset
  // connection's record at the SYN that starts the next one).
  uint64_t report_last_floor_ns_ = 0;
  std::array<uint64_t, kTableCounterCount> counters_{};
  IcmpNoteRouter* icmp_router_ = nullptr;
};

// Argus TCP state machine step for one segment (exposed for unit tests).
// `dir` 0 = from the initiator. `first` = the flow's first packet.
// Returns true when the segment was a retransmission.
bool tcp_track(TcpState& t, TcpRare& hs, const ParsedPacket& p, unsigned dir, uint64_t ts_ns,
               bool first, bool track_dups = false);

}  // namespace argos
