// The worker loop, one per core: poll a burst, parse it, update the flow
// table, sweep a slice of the table when the deadline passes. The loop is a
// template over the source so pcap replay runs the production code path.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <cstring>
#include <thread>
#include <vector>

#include "dataplane/icmp_exchange.h"
#include "dataplane/packet.h"
#include "dataplane/parser.h"
#include "dataplane/worker_counters.h"
#include "export/record_batch.h"
#include "flowtable/flow_table.h"

namespace argos {

// Collects a worker's reports into batches and hands full batches over.
class BatchEmitter final : public RecordEmitter {
 public:
  BatchEmitter(BatchChannel& ch, WorkerCounters& c, BatchPolicy policy)
      : ch_(ch), counters_(c), policy_(policy) {}

  void emit(const FlowRecord& rec) override {
    if (FlowRecord* slot = reserve()) {
      uint8_t* buf = slot->user_buf;
      *slot = rec;
      slot->user_buf = buf;
      for (unsigned d = 0; d < 2; ++d)
        if (rec.user_len[d])
          std::memcpy(buf + d * size_t{kMaxUserBytes}, rec.user_buf + d * size_t{kMaxUserBytes}, rec.user_len[d]);
      commit();
    }
  }

  // The next slot of the current batch, or nullptr when no batch could be
  // had (drop policy): the record is then counted as dropped.
  FlowRecord* reserve() override {
    if (!cur_ && !acquire()) {
      counters_.add(WorkerCounter::kRecordsDropped);
      scratch_.user_buf = scratch_user_;
      return &scratch_;  // built and discarded: the caller need not care
    }
    FlowRecord* slot = &cur_->records[cur_->count];
    slot->user_buf = cur_->user[cur_->count];
    return slot;
  }

  void commit() override {
    if (!cur_) return;  // the record went to scratch: dropped and counted
    ++cur_->count;
    counters_.add(WorkerCounter::kRecords);
    if (cur_->count == RecordBatch::kCapacity) send();
  }

  void set_policy(BatchPolicy p) { policy_ = p; }

  // Hands over a partly filled batch so records do not wait for company.
  void push_partial() {
    if (cur_ && cur_->count) send();
  }

  // Last batch of this worker: always delivered (waits for a free batch).
  void finish() {
    if (!cur_) {
      while (!(cur_ = ch_.take_empty())) std::this_thread::yield();
    }
    cur_->end_of_stream = true;
    send();
  }

 private:
  bool acquire() {
    cur_ = ch_.take_empty();
    if (cur_) return true;
    if (policy_ == BatchPolicy::kDrop) {
      counters_.add(WorkerCounter::kBatchDrops);
      return false;
    }
    counters_.add(WorkerCounter::kBatchWaits);
    while (!(cur_ = ch_.take_empty())) std::this_thread::yield();
    return true;
  }
  void send() {
    ch_.send_full(cur_);
    cur_ = nullptr;
    counters_.add(WorkerCounter::kBatches);
  }

  BatchChannel& ch_;
  WorkerCounters& counters_;
  BatchPolicy policy_;
  RecordBatch* cur_ = nullptr;
  FlowRecord scratch_;  // where a record no batch could take is built (drop policy)
  uint8_t scratch_user_[2 * kMaxUserBytes];
};

struct WorkerContext {
  FlowTable* table;
  BatchChannel* channel;
  WorkerCounters* counters;
  BatchPolicy batch_policy = BatchPolicy::kWait;
  uint64_t sweep_step_ns = 100'000'000ULL;    // packet time between sweep slices
  uint64_t sweep_cycle_ns = 1'000'000'000ULL; // the whole table is covered once per cycle
  uint32_t sweep_min_budget = 1024;           // entries examined per slice, at least
  const std::atomic<bool>* stop = nullptr;  // set by the signal handler
  // Live capture: timestamps are wall-clock time, so while no packet arrives
  // the timers follow the wall clock (idle flows still time out and leave).
  bool live_clock = false;
  // A followed file (-f): while it is quiet, the packet time its reader
  // has reached (PcapFileSource::follow_last); timers run on to it.
  const std::atomic<uint64_t>* idle_clock = nullptr;
  // -U: bytes of user data kept per direction and report (0 = none).
  uint32_t user_bytes = 0;
  // Several receive queues spread by RSS: ICMP errors go to the worker of
  // the flow they quote, and come from the others (nullptr: one input).
  IcmpExchange::Peer* icmp = nullptr;
};

inline constexpr uint32_t kBurstSize = 32;

// Wall-clock time in ns since the Unix epoch (the clock of live timestamps).
inline uint64_t wall_clock_now_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

// Whether a source still holds packets it has taken from its input (a DPDK
// queue receives a chunk at a time): they are processed before a stop.
template <class Source>
bool source_buffered(const Source& src) {
  if constexpr (requires { src.buffered(); }) {
    return src.buffered();
  } else {
    return false;
  }
}

// True once after a file input moved on to its next file (-r A B), before
// that file's packets: sources that have no files never say so.
template <class Source>
bool source_boundary(Source& src) {
  if constexpr (requires { src.take_boundary(); }) {
    return src.take_boundary();
  } else {
    return false;
  }
}

// Runs until the source is exhausted or *ctx.stop is set; then flushes every
// flow and sends the end-of-stream batch.
template <class Source>
void run_worker(Source& src, WorkerContext& ctx) {
  FlowTable& table = *ctx.table;
  WorkerCounters& cnt = *ctx.counters;
  BatchEmitter emitter(*ctx.channel, cnt, ctx.batch_policy);
  PacketView views[kBurstSize];
  // Two bursts of packet facts: the table updates the flows of one while the
  // next one's memory is being fetched (FlowTable::submit_burst).
  ParsedPacket parsed_bufs[2][kBurstSize];
  unsigned buf = 0;
  // -U: the user bytes of the two bursts in flight, copied out of their
  // frames at parse time (a source may reuse a frame's memory before the
  // table has read it).
  const uint32_t user_bytes = ctx.user_bytes;
  std::vector<uint8_t> user_bufs(size_t{2} * kBurstSize * user_bytes);
  uint64_t now_ns = 0;
  uint64_t next_sweep_ns = 0;
  // Bursts read, and the burst at which the sweeps last followed the clock
  // back (see below).
  uint64_t bursts = 0;
  uint64_t rearmed_at_burst = 0;
  bool rearmed = false;
  bool stopped = false;
  // Sweeps the next slice of the table once now_ns has reached next_sweep_ns.
  auto sweep_slice = [&] {
    // A jump in packet time (spliced captures) gets a whole pass at once.
    const bool jump = next_sweep_ns != 0 && now_ns - next_sweep_ns > ctx.sweep_step_ns * 10;
    // Each slice covers step/cycle of the entries in use, so the whole
    // table is visited once per cycle (a fraction of the shortest timeout).
    // Sweeps run on the table's timer clock (packet time in replay).
    const uint64_t share = uint64_t{table.used_entries()} * ctx.sweep_step_ns / ctx.sweep_cycle_ns + 1;
    const uint32_t budget = share < ctx.sweep_min_budget ? ctx.sweep_min_budget : static_cast<uint32_t>(share);
    table.sweep(table.scan_time_ns(), jump ? table.capacity() : budget, emitter);
    next_sweep_ns = now_ns > UINT64_MAX - ctx.sweep_step_ns ? UINT64_MAX : now_ns + ctx.sweep_step_ns;
    emitter.push_partial();
  };

  if (ctx.icmp) table.set_icmp_router(ctx.icmp);
  uint32_t turns = 0;
  for (;;) {
    // The other workers' ICMP errors: every 16th turn, a look at each
    // other worker's ring, which is seldom written.
    if (ctx.icmp && (++turns & 15) == 0) ctx.icmp->poll(table);
    if (ctx.stop && ctx.stop->load(std::memory_order_relaxed)) {
      stopped = true;
      if (!source_buffered(src)) break;
    }
    const uint32_t n = src.rx_burst(views, kBurstSize);
    if (source_boundary(src)) {
      // The next file of -r A B: as with argus, every flow of the files
      // before ends here (a flow in both files is reported in each), its
      // reports waiting for the outputs as at the end of the input.
      table.drain(emitter);
      emitter.set_policy(BatchPolicy::kWait);
      table.flush_all(0, emitter);
      emitter.set_policy(ctx.batch_policy);
      emitter.push_partial();
    }
    if (n == 0) {
      table.drain(emitter);  // quiet input: finish the pending burst now
      if (src.done()) break;
      if (ctx.live_clock) {
        // Read only when idle (a vDSO call, not a syscall).
        const uint64_t wall_ns = wall_clock_now_ns();
        if (wall_ns > now_ns) now_ns = wall_ns;
        table.advance_clock(now_ns);
        if (now_ns >= next_sweep_ns) sweep_slice();
      } else if (ctx.idle_clock) {
        const uint64_t input_ns = ctx.idle_clock->load(std::memory_order_relaxed);
        if (input_ns > now_ns) {
          now_ns = input_ns;
          table.advance_clock(now_ns);
          if (now_ns >= next_sweep_ns) sweep_slice();
        }
      }
      emitter.push_partial();
      continue;
    }
    ParsedPacket* parsed = parsed_bufs[buf];
    uint8_t* user_copy = user_bufs.empty() ? nullptr : user_bufs.data() + size_t{buf} * kBurstSize * user_bytes;
    buf ^= 1;
    uint64_t bytes = 0;
    uint32_t not_ok = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const PacketView& v = views[i];
      const ParseResult r = parse_packet(v.data, v.caplen, v.linktype, parsed[i]);
      if (r != ParseResult::kOk) {
        WorkerCounters::add(cnt.parse[static_cast<unsigned>(r)], 1);
        ++not_ok;
      }
      parsed[i].wire_len = v.wirelen > parsed[i].wire_trim ? v.wirelen - parsed[i].wire_trim : 0;
      parsed[i].ts_ns = v.ts_ns;
      parsed[i].clock_ns = v.clock_ns;
      if (user_copy) copy_user_bytes(v, user_bytes, user_copy + size_t{i} * user_bytes, parsed[i]);
      bytes += v.wirelen;
      if (v.ts_ns > now_ns) {
        now_ns = v.ts_ns;
      } else if (v.clock_ns && now_ns - v.clock_ns > kClockStepBackNs) {
        // The input's clock moved back (another capture, a stray timestamp
        // left behind). The next sweep comes due on the new clock when it is
        // far ahead of it; at most once every kRearmBursts, so that a merged
        // capture whose sources' clocks disagree, the clock going back and
        // forth, does not sweep at every turn. Records do not depend on
        // when sweeps run, only on the timers.
        now_ns = v.clock_ns;
        constexpr uint64_t kRearmBursts = 1024;
        const bool far_ahead = next_sweep_ns > now_ns && next_sweep_ns - now_ns > 10 * ctx.sweep_cycle_ns;
        if (far_ahead && (!rearmed || bursts - rearmed_at_burst >= kRearmBursts)) {
          next_sweep_ns = now_ns + ctx.sweep_step_ns;
          rearmed = true;
          rearmed_at_burst = bursts;
        }
      }
    }
    ++bursts;
    WorkerCounters::add(cnt.parse[static_cast<unsigned>(ParseResult::kOk)], n - not_ok);
    cnt.add(WorkerCounter::kPackets, n);
    cnt.add(WorkerCounter::kBytes, bytes);
    table.submit_burst(parsed, n, emitter);
    cnt.set(WorkerCounter::kFlows, table.counter(TableCounter::kFlowsCreated));

    if (now_ns >= next_sweep_ns) sweep_slice();
  }
  // No packet is taken any more, so nothing can be lost by waiting: the
  // final reports of every flow (a whole table at once) wait for the
  // exporter rather than being dropped at a live input's stop.
  emitter.set_policy(BatchPolicy::kWait);
  if (ctx.icmp) {
    // The last burst may still pass errors on; then the errors the other
    // workers pass here until they end, before this table's last reports.
    table.drain(emitter);
    ctx.icmp->finish(table);
  }
  table.flush_all(stopped ? kCauseShutdown : 0, emitter);
  cnt.set(WorkerCounter::kFlows, table.counter(TableCounter::kFlowsCreated));
  emitter.finish();
}

}  // namespace argos
