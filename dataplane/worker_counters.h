// Worker counters: one writer (the worker), read by the main and export
// threads. Relaxed load + store on the writer side, no read-modify-write.
#pragma once

#include <atomic>
#include <cstdint>

#include "flowtable/counter_table.h"

#include "dataplane/parser.h"

namespace argos {

#define ARGOS_WORKER_COUNTERS(X)                                                  \
  X(kPackets, "worker.packets", "packets handed to the worker")                 \
  X(kBytes, "worker.bytes", "wire bytes of those packets")                      \
  X(kRecords, "worker.records", "flow records put into batches")                \
  X(kBatches, "worker.batches", "batches sent to the exporter")                 \
  X(kBatchWaits, "worker.batch_waits", "times the worker waited for an empty batch") \
  X(kBatchDrops, "worker.batch_drops", "batches dropped: no empty batch (drop policy)") \
  X(kRecordsDropped, "worker.records_dropped", "records lost with dropped batches") \
  X(kFlows, "worker.flows", "flows created so far (the table's count, published per burst)") \
  X(kIcmpForwarded, "worker.icmp_forwarded", "ICMP errors passed to the worker of the flow they quote") \
  X(kIcmpUnforwarded, "worker.icmp_unforwarded", "ICMP errors not passed on: that worker's ring was full")

enum class WorkerCounter : uint8_t {
  ARGOS_WORKER_COUNTERS(ARGOS_COUNTER_ENUMERATOR)
      kCount
};
inline constexpr unsigned kWorkerCounterCount = static_cast<unsigned>(WorkerCounter::kCount);
const char* worker_counter_name(WorkerCounter c);

struct alignas(64) WorkerCounters {
  std::atomic<uint64_t> v[kWorkerCounterCount];
  std::atomic<uint64_t> parse[kParseResultCount];

  WorkerCounters() {
    for (auto& a : v) a.store(0, std::memory_order_relaxed);
    for (auto& a : parse) a.store(0, std::memory_order_relaxed);
  }
  // Single writer: a relaxed load and store is enough and avoids a locked op.
  static void add(std::atomic<uint64_t>& a, uint64_t n) {
    a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void add(WorkerCounter c, uint64_t n = 1) { add(v[static_cast<unsigned>(c)], n); }
  void set(WorkerCounter c, uint64_t n) { v[static_cast<unsigned>(c)].store(n, std::memory_order_relaxed); }
  uint64_t get(WorkerCounter c) const {
    return v[static_cast<unsigned>(c)].load(std::memory_order_relaxed);
  }
  // Packets the parser rejected, over every reason.
  uint64_t rejected() const {
    uint64_t n = 0;
    for (unsigned i = 1; i < kParseResultCount; ++i) n += parse[i].load(std::memory_order_relaxed);
    return n;
  }
};

}  // namespace argos
