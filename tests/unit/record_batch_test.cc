// The record buffer between a worker and the exporter: a live worker keeps
// every report while the buffer has room, drops and counts the rest, and
// the pool's batches are put to use only as deep as reports pile up.
#include <gtest/gtest.h>

#include <cstring>

#include "dataplane/worker.h"
#include "export/record_batch.h"

namespace argos {
namespace {

FlowRecord report(uint32_t seq) {
  FlowRecord r;
  std::memset(&r, 0, sizeof r);
  r.seq = seq;
  return r;
}

TEST(RecordBuffer, BatchesForRoundsUpToWholeBatches) {
  EXPECT_EQ(BatchChannel::batches_for(1), 2u);  // at least two: one filling, one on its way
  EXPECT_EQ(BatchChannel::batches_for(512), 2u);
  EXPECT_EQ(BatchChannel::batches_for(513), 3u);
  EXPECT_EQ(BatchChannel::batches_for(1u << 20), 4096u);
  EXPECT_LT(BatchChannel::resident_bytes(1, false), BatchChannel::resident_bytes(1, true));
  EXPECT_GE(BatchChannel::resident_bytes(1, false), RecordBatch::kCapacity * sizeof(FlowRecord));
}

// A wave of reports with the exporter stalled: all that fit are kept in
// order, the rest are counted, and none is lost once the exporter returns.
TEST(RecordBuffer, LiveWorkerKeepsAWaveAsLargeAsTheBuffer) {
  constexpr uint32_t kBatches = 4;
  BatchChannel ch(kBatches);
  ASSERT_TRUE(ch.ok());
  WorkerCounters counters;
  BatchEmitter out(ch, counters, BatchPolicy::kDrop);
  const uint32_t fit = kBatches * RecordBatch::kCapacity;
  for (uint32_t i = 0; i < fit; ++i) out.emit(report(i));
  EXPECT_EQ(counters.get(WorkerCounter::kRecords), fit);
  EXPECT_EQ(counters.get(WorkerCounter::kRecordsDropped), 0u);
  EXPECT_EQ(ch.batches_touched(), kBatches);
  for (uint32_t i = 0; i < 10; ++i) out.emit(report(fit + i));
  EXPECT_EQ(counters.get(WorkerCounter::kRecords), fit);
  EXPECT_EQ(counters.get(WorkerCounter::kRecordsDropped), 10u);
  EXPECT_EQ(counters.get(WorkerCounter::kBatchDrops), 10u);

  // The exporter catches up: every kept report arrives, in order.
  uint32_t next = 0;
  while (RecordBatch* b = ch.take_full()) {
    for (uint32_t i = 0; i < b->count; ++i) EXPECT_EQ(b->records[i].seq, next++);
    ch.give_back(b);
  }
  EXPECT_EQ(next, fit);
  out.emit(report(7));
  out.push_partial();
  RecordBatch* b = ch.take_full();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->count, 1u);
  EXPECT_EQ(b->records[0].seq, 7u);
  EXPECT_EQ(ch.batches_touched(), kBatches);  // a returned batch, not a new one
}

// An exporter that keeps up: a large pool is reserved, but only the
// batches in flight at once are ever written, so only they take memory.
TEST(RecordBuffer, PoolIsUsedOnlyAsDeepAsReportsPileUp) {
  BatchChannel ch(4096);
  ASSERT_TRUE(ch.ok());
  EXPECT_EQ(ch.batches_touched(), 0u);
  WorkerCounters counters;
  BatchEmitter out(ch, counters, BatchPolicy::kDrop);
  uint64_t received = 0;
  for (uint32_t i = 0; i < 100'000; ++i) {
    out.emit(report(i));
    while (RecordBatch* b = ch.take_full()) {
      received += b->count;
      ch.give_back(b);
    }
  }
  out.push_partial();
  while (RecordBatch* b = ch.take_full()) {
    received += b->count;
    ch.give_back(b);
  }
  EXPECT_EQ(received, 100'000u);
  EXPECT_EQ(counters.get(WorkerCounter::kRecordsDropped), 0u);
  EXPECT_LE(ch.batches_touched(), 2u);
}

}  // namespace
}  // namespace argos
