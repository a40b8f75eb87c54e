// Fixed-size record batches and the SPSC channel pair between one worker and
// the exporter: full batches out, empty batches back. Pools are fixed at
// start-up; nothing is allocated while packets flow.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>
#include <sys/mman.h>

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
  static constexpr uint32_t kDefaultBatches = 64;

  // The pool is one anonymous mapping, touched only where a batch header
  // is written, so it can be bound to the worker's NUMA node (region())
  // before the records are first written.
  explicit BatchChannel(uint32_t batches = kDefaultBatches)
      : full_(batches + 1), empty_(batches + 1) {
    pool_bytes_ = sizeof(RecordBatch) * size_t{batches};
    void* m = ::mmap(nullptr, pool_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      pool_bytes_ = 0;
      return;  // ok() is false; checked at start-up
    }
    pool_ = static_cast<RecordBatch*>(m);
    // Default-initialised: the record slots are written before use, so the
    // pool costs no page zeroing at start-up.
    for (uint32_t i = 0; i < batches; ++i) empty_.push(new (&pool_[i]) RecordBatch);
  }
  ~BatchChannel() {
    if (pool_) ::munmap(pool_, pool_bytes_);
  }
  BatchChannel(const BatchChannel&) = delete;
  BatchChannel& operator=(const BatchChannel&) = delete;

  bool ok() const { return pool_ != nullptr; }
  void* region() const { return pool_; }
  size_t region_bytes() const { return pool_bytes_; }

  // Worker side.
  RecordBatch* take_empty() {
    RecordBatch* b = nullptr;
    return empty_.pop(b) ? b : nullptr;
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
  boost::lockfree::spsc_queue<RecordBatch*> full_;
  boost::lockfree::spsc_queue<RecordBatch*> empty_;
};

}  // namespace argos
