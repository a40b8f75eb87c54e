// The export thread: drains every worker's channel, encodes each record once
// into Argus v3 bytes and writes them to every sink; writes the start,
// status and closing MARs.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "export/argus_encoder.h"
#include "export/record_sink.h"
#include "export/record_batch.h"
#include "export/record_filter.h"

namespace argos {

struct ExportConfig {
  EncodeOptions encode;
  uint16_t report_interval_s = 5;
  uint16_t mar_interval_s = 60;
  uint64_t mar_interval_ns = 60'000'000'000ULL;
  uint8_t interface_type = 1;
  uint64_t start_wall_ns = 0;  // sensor start, wall clock
  // Set (by the SIGHUP handler) to ask every sink to reopen its file; the
  // exporter clears it.
  std::atomic<bool>* reopen_request = nullptr;
};

// Sensor-wide figures for the status and closing MARs, read on the export
// thread from the workers' relaxed counters.
struct MarCounters {
  uint64_t pkts = 0;
  uint64_t bytes = 0;
  uint64_t flows = 0;
  uint64_t dropped = 0;
};

class Exporter {
 public:
  // `filters`, when given, holds one entry per sink: the records it takes
  // (nullptr: every record). Management records go to every sink.
  Exporter(const ExportConfig& cfg, std::vector<BatchChannel*> channels,
           std::vector<RecordSink*> sinks, std::function<MarCounters()> counters,
           std::vector<const RecordFilter*> filters = {});

  // Writes the start MAR to every sink; call before any worker starts.
  void write_start();
  // Runs until every channel has delivered its end-of-stream batch, then
  // writes the closing MAR, flushes every sink and finishes it (stream
  // clients get the closing MAR, then are closed).
  void run();

  uint64_t records_written() const { return records_.load(std::memory_order_relaxed); }
  uint64_t mars_written() const { return mars_; }

 private:
  void write_bytes(const uint8_t* p, size_t n);
  void write_record(const FlowRecord& rec, const uint8_t* p, size_t n);
  void write_mar(MarKind kind, uint64_t now_ns);

  ExportConfig cfg_;
  std::vector<BatchChannel*> channels_;
  std::vector<RecordSink*> sinks_;
  std::function<MarCounters()> counters_;
  std::vector<const RecordFilter*> filters_;  // per sink; empty: none at all
  std::atomic<uint64_t> records_{0};
  uint64_t mars_ = 0;
  uint64_t period_start_ns_ = 0;
  uint64_t period_records_ = 0;
  MarCounters last_counters_{};
  uint32_t sequence_ = 0;
};

uint64_t wall_clock_ns();

}  // namespace argos
