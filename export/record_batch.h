// Fixed-size record batches and the SPSC channel pair between one worker and
// the exporter: full batches out, empty batches back. Pools are fixed at
// start-up; nothing is allocated while packets flow.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>

#include "flowtable/flow_record.h"

namespace argos {

struct RecordBatch {
  static constexpr uint32_t kCapacity = 256;  // records per batch
  uint32_t count = 0;
  bool end_of_stream = false;  // last batch of its worker
  FlowRecord records[kCapacity];
  // Each record's -U bytes (FlowRecord::user_buf points here). Last, so the
  // pages stay untouched, and unmapped, unless user data is kept.
  uint8_t user[kCapacity][2 * kMaxUserBytes];
};

// What a worker does when no empty batch is available.
enum class BatchPolicy : uint8_t {
  kWait,  // spin until the exporter returns one (offline replay: nothing is lost)
  kDrop,  // drop the records and count them (live capture: never stall the NIC)
};

class BatchChannel {
 public:
  // The old fixed pool: 16,384 records in flight. Offline replay keeps it
  // (the worker waits for the exporter, so more would only hold memory).
  static constexpr uint32_t kDefaultBatches = 64;

  // Batches for `records` records in flight, at least two.
  static uint32_t batches_for(uint64_t records) {
    const uint64_t b = (records + RecordBatch::kCapacity - 1) / RecordBatch::kCapacity;
    return b < 2 ? 2 : b > (1u << 24) ? (1u << 24) : static_cast<uint32_t>(b);
  }
  // Memory `batches` batches hold once all have been used: the record slots,
  // and the -U bytes when user data is kept (untouched otherwise).
  static size_t resident_bytes(uint32_t batches, bool user_data) {
    return size_t{batches} * (user_data ? sizeof(RecordBatch) : offsetof(RecordBatch, user));
  }

  // The pool is one anonymous mapping, reserved but not touched: a batch is
  // constructed the first time the worker finds no used one free, so what
  // is resident follows the most records ever in flight at once, not the
  // pool's size. It can be bound to the worker's NUMA node (region())
  // before any record is written.
  explicit BatchChannel(uint32_t batches = kDefaultBatches)
      : batches_(batches < 1 ? 1 : batches), full_(batches_ + 1), empty_(batches_ + 1) {
    pool_bytes_ = sizeof(RecordBatch) * size_t{batches_};
    void* m = ::mmap(nullptr, pool_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
    if (m == MAP_FAILED) {
      pool_bytes_ = 0;
      return;  // ok() is false; checked at start-up
    }
    pool_ = static_cast<RecordBatch*>(m);
  }
  ~BatchChannel() {
    if (pool_) ::munmap(pool_, pool_bytes_);
  }
  BatchChannel(const BatchChannel&) = delete;
  BatchChannel& operator=(const BatchChannel&) = delete;

  bool ok() const { return pool_ != nullptr; }
  void* region() const { return pool_; }
  size_t region_bytes() const { return pool_bytes_; }
  // Batches ever put to use (worker side): the high-water mark in flight.
  uint32_t batches_touched() const { return fresh_; }

  // Worker side. A returned batch first (its pages are resident already),
  // then one never used, then none.
  RecordBatch* take_empty() {
    RecordBatch* b = nullptr;
    if (empty_.pop(b)) return b;
    if (fresh_ < batches_) return new (&pool_[fresh_++]) RecordBatch;
    return nullptr;
  }
  void send_full(RecordBatch* b) { full_.push(b); }  // never fails: sized for the pool

  // Exporter side.
  RecordBatch* take_full() {
    RecordBatch* b = nullptr;
    return full_.pop(b) ? b : nullptr;
  }
  void give_back(RecordBatch* b) {
    b->count = 0;
    b->end_of_stream = false;
    empty_.push(b);
  }

 private:
  RecordBatch* pool_ = nullptr;
  size_t pool_bytes_ = 0;
  uint32_t batches_;
  uint32_t fresh_ = 0;  // pool_[fresh_ ..) never used; worker side only
  boost::lockfree::spsc_queue<RecordBatch*> full_;
  boost::lockfree::spsc_queue<RecordBatch*> empty_;
};

}  // namespace argos
