// Fixed-size record batches and the SPSC channel pair between one worker and
// the exporter: full batches out, empty batches back. Pools are fixed at
// start-up; nothing is allocated while packets flow.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "flowtable/flow_record.h"

namespace argos {

struct RecordBatch {
  static constexpr uint32_t kCapacity = 256;  // records per batch
  uint32_t count = 0;
  bool end_of_stream = false;  // last batch of its worker
  FlowRecord records[kCapacity];
};

// What a worker does when no empty batch is available.
enum class BatchPolicy : uint8_t {
  kWait,  // spin until the exporter returns one (offline replay: nothing is lost)
  kDrop,  // drop the records and count them (live capture: never stall the NIC)
};

class BatchChannel {
 public:
  static constexpr uint32_t kDefaultBatches = 64;

  explicit BatchChannel(uint32_t batches = kDefaultBatches)
      : pool_(batches), full_(batches + 1), empty_(batches + 1) {
    for (auto& b : pool_) {
      // Default-initialised: the record slots are written before use, so the
      // pool costs no page zeroing at start-up.
      b.reset(new RecordBatch);
      empty_.push(b.get());
    }
  }

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
  std::vector<std::unique_ptr<RecordBatch>> pool_;
  boost::lockfree::spsc_queue<RecordBatch*> full_;
  boost::lockfree::spsc_queue<RecordBatch*> empty_;
};

}  // namespace argos
