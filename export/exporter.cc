#include "export/exporter.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace argos {

uint64_t wall_clock_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

Exporter::Exporter(const ExportConfig& cfg, std::vector<BatchChannel*> channels,
                   std::vector<RecordSink*> sinks, std::function<MarCounters()> counters,
                   std::vector<const RecordFilter*> filters)
    : cfg_(cfg),
      channels_(std::move(channels)),
      sinks_(std::move(sinks)),
      counters_(std::move(counters)),
      filters_(std::move(filters)) {
  bool any = false;
  for (const RecordFilter* f : filters_) any |= f != nullptr;
  if (!any) filters_.clear();  // the common case: no test per record
  filters_.resize(filters_.empty() ? 0 : sinks_.size(), nullptr);
}

void Exporter::write_bytes(const uint8_t* p, size_t n) {
  for (RecordSink* s : sinks_) s->write(p, n);
}

void Exporter::write_record(const FlowRecord& rec, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < sinks_.size(); ++i)
    if (filters_.empty() || !filters_[i] || filters_[i]->match(rec)) sinks_[i]->write_far(rec, p, n);
}

void Exporter::write_mar(MarKind kind, uint64_t now_ns) {
  MarInfo m;
  m.kind = kind;
  m.srcid = cfg_.encode.srcid;
  m.report_interval_s = cfg_.report_interval_s;
  m.mar_interval_s = cfg_.mar_interval_s;
  m.interface_type = cfg_.interface_type;
  m.now_ns = now_ns;
  m.sequence = sequence_;
  m.clients = 0;  // stays 0 in the start MAR, as argus writes it
  if (kind == MarKind::kStart) {
    m.start_ns = cfg_.start_wall_ns;
  } else {
    for (const RecordSink* s : sinks_) m.clients += s->clients();
    m.start_ns = period_start_ns_;
    const MarCounters c = counters_ ? counters_() : MarCounters{};
    m.pkts_rcvd = c.pkts - last_counters_.pkts;
    m.bytes_rcvd = c.bytes - last_counters_.bytes;
    m.flows = static_cast<uint32_t>(c.flows - last_counters_.flows);
    m.dropped = static_cast<uint32_t>(c.dropped - last_counters_.dropped);
    m.records = static_cast<uint32_t>(period_records_);
    last_counters_ = c;
    period_records_ = 0;
    period_start_ns_ = now_ns;
  }
  uint8_t buf[kMarBytes];
  encode_mar(m, buf);
  if (kind == MarKind::kStart) {
    for (RecordSink* s : sinks_) s->start(buf, sizeof buf);
  } else {
    write_bytes(buf, sizeof buf);
  }
  ++mars_;
}

void Exporter::write_start() {
  period_start_ns_ = cfg_.start_wall_ns;
  write_mar(MarKind::kStart, wall_clock_ns());
  for (RecordSink* s : sinks_) s->flush();
}

void Exporter::run() {
  size_t open_channels = channels_.size();
  std::vector<bool> done(channels_.size(), false);
  uint8_t buf[kMaxFarBytes];
  uint64_t next_mar_ns = cfg_.start_wall_ns + cfg_.mar_interval_ns;
  uint64_t last_poll_ns = 0;
  // Idle waits grow from 200 us to 4 ms while nothing arrives, and fall back
  // at the first batch: a quiet sensor wakes 250 times a second, not 5000,
  // and a wave of reports waits at most one long sleep.
  constexpr uint32_t kIdleSleepMinUs = 200, kIdleSleepMaxUs = 4000;
  uint32_t idle_sleep_us = kIdleSleepMinUs;
  while (open_channels > 0) {
    bool moved = false;
    for (size_t i = 0; i < channels_.size(); ++i) {
      if (done[i]) continue;
      // Bounded drain per channel so one busy worker cannot starve the others.
      for (int k = 0; k < 8; ++k) {
        RecordBatch* b = channels_[i]->take_full();
        if (!b) break;
        moved = true;
        for (uint32_t r = 0; r < b->count; ++r) {
          const size_t n = encode_far(b->records[r], cfg_.encode, buf);
          write_record(b->records[r], buf, n);
        }
        records_.fetch_add(b->count, std::memory_order_relaxed);
        period_records_ += b->count;
        const bool eos = b->end_of_stream;
        channels_[i]->give_back(b);
        if (eos) {
          done[i] = true;
          --open_channels;
          break;
        }
      }
    }
    const uint64_t now = wall_clock_ns();
    // Sink housekeeping (accepting stream clients, reading their messages)
    // once a millisecond: often enough for any client, cheap when busy.
    if (now - last_poll_ns >= 1'000'000ULL) {
      if (cfg_.reopen_request && cfg_.reopen_request->exchange(false, std::memory_order_relaxed))
        for (RecordSink* s : sinks_) s->reopen();
      for (RecordSink* s : sinks_) s->poll(now);
      last_poll_ns = now;
    }
    if (now >= next_mar_ns) {
      write_mar(MarKind::kStatus, now);
      next_mar_ns += cfg_.mar_interval_ns;
      if (next_mar_ns <= now) next_mar_ns = now + cfg_.mar_interval_ns;
    }
    if (moved) {
      idle_sleep_us = kIdleSleepMinUs;
    } else {
      for (RecordSink* s : sinks_) s->flush();
      std::this_thread::sleep_for(std::chrono::microseconds(idle_sleep_us));
      idle_sleep_us = std::min(idle_sleep_us * 2, kIdleSleepMaxUs);
    }
  }
  write_mar(MarKind::kStop, wall_clock_ns());
  for (RecordSink* s : sinks_) {
    s->flush();
    s->finish();
  }
}

}  // namespace argos
