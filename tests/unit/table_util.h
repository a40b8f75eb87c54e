// Helpers for driving a FlowTable in tests: a collecting emitter and a
// feeder that hands packets over in bursts, as the worker does.
#pragma once

#include <algorithm>
#include <vector>

#include "flowtable/flow_table.h"
#include "frames.h"

namespace argos::test {

class Collector final : public RecordEmitter {
 public:
  void emit(const FlowRecord& rec) override { recs.push_back(rec); }
  std::vector<FlowRecord> recs;
};

inline FlowTableConfig table_config(uint32_t capacity = 1024,
                                    FullPolicy policy = FullPolicy::kEvictOldest) {
  FlowTableConfig c;
  c.capacity = capacity;
  c.full_policy = policy;
  return c;
}

// Processes `pkts` in bursts of at most FlowTable::kMaxBurst.
inline void feed(FlowTable& t, const std::vector<ParsedPacket>& pkts, RecordEmitter& out,
                 uint32_t burst = FlowTable::kMaxBurst) {
  for (size_t i = 0; i < pkts.size(); i += burst) {
    const uint32_t n = static_cast<uint32_t>(std::min<size_t>(burst, pkts.size() - i));
    t.process_burst(pkts.data() + i, n, out);
  }
}
inline void feed(FlowTable& t, const ParsedPacket& p, RecordEmitter& out) {
  t.process_burst(&p, 1, out);
}

inline uint64_t total_pkts(const std::vector<FlowRecord>& recs) {
  uint64_t n = 0;
  for (const FlowRecord& r : recs) n += r.dir[0].pkts + r.dir[1].pkts;
  return n;
}

// A realistic packet time base (1700000000 s), so no time is ever zero.
inline constexpr uint64_t kT0 = 1'700'000'000ULL * kSec;

}  // namespace argos::test
