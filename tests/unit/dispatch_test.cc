// The software dispatcher's stop: packets its source already holds are
// handed out, the rings are closed, and what cannot be handed out within
// kStopWait is counted, not waited for without end. Real rings, a source
// that holds a set number of packets as a DPDK chunk does.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "dataplane/dispatch.h"
#include "frames.h"

namespace argos {
namespace {

using test::Bytes;

// Holds `held` packets already taken from its input (buffered() is true
// until they are handed out) and takes nothing more.
class HoldingSource {
 public:
  HoldingSource(const Bytes& frame, uint64_t held) : frame_(frame), left_(held) {}
  uint32_t rx_burst(PacketView* out, uint32_t max) {
    uint32_t n = 0;
    for (; n < max && left_ > 0; ++n, --left_) {
      out[n] = PacketView{frame_.data(), static_cast<uint32_t>(frame_.size()),
                          static_cast<uint32_t>(frame_.size()), 1'000'000'000ULL, 0, kLinkEthernet, 0};
    }
    return n;
  }
  bool buffered() const { return left_ > 0; }
  bool done() const { return left_ == 0; }

 private:
  Bytes frame_;
  uint64_t left_;
};

// Packets in the bursts a ring holds, and whether the last one ends the stream.
uint64_t take_all(PacketRing& ring, bool& end_seen) {
  uint64_t n = 0;
  while (PacketBurst* b = ring.take_full()) {
    n += b->count;
    if (b->end_of_stream) end_seen = true;
    ring.give_back(b);
  }
  return n;
}

// Stopped, with room in the rings: every held packet reaches a worker's
// ring, each ring gets its end of stream and is closed; nothing is dropped.
TEST(DispatchStop, HandsOutWhatTheSourceHolds) {
  PacketRing r0, r1;
  std::vector<PacketRing*> rings{&r0, &r1};
  const std::atomic<bool> stop{true};
  HoldingSource src(test::udp_frame({10, 0, 0, 1}, 1000, {10, 0, 0, 2}, 2000), 50);
  EXPECT_EQ(run_dispatcher(src, rings, &stop), 0u);
  bool end0 = false, end1 = false;
  EXPECT_EQ(take_all(r0, end0) + take_all(r1, end1), 50u);
  EXPECT_TRUE(end0 && end1);
  EXPECT_TRUE(r0.closed() && r1.closed());
  RingSource rs(r0);
  EXPECT_FALSE(rs.buffered()) << "a closed, empty ring holds nothing for its worker";
}

// Stopped, and no worker frees a burst: the rings fill (64 bursts of 32),
// the dispatcher waits kStopWait, then drops the rest and counts it.
TEST(DispatchStop, CountsWhatNoWorkerTakesInTime) {
  PacketRing r0, r1;
  std::vector<PacketRing*> rings{&r0, &r1};
  const std::atomic<bool> stop{true};
  // One flow: every packet goes to the same worker's ring.
  const uint64_t held = 3 * PacketRing::kBursts * kBurstSize;
  HoldingSource src(test::udp_frame({10, 0, 0, 1}, 1000, {10, 0, 0, 2}, 2000), held);
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t dropped = run_dispatcher(src, rings, &stop);
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, kStopWait);
  EXPECT_LT(waited, kStopWait * 5);
  bool end0 = false, end1 = false;
  const uint64_t delivered = take_all(r0, end0) + take_all(r1, end1);
  EXPECT_EQ(delivered, uint64_t{PacketRing::kBursts} * kBurstSize) << "one ring full, the other unused";
  EXPECT_EQ(delivered + dropped, held);
  EXPECT_TRUE(r0.closed() && r1.closed());
}

// A worker reading a ring the dispatcher has not closed keeps waiting for
// it on a stop (more may come); once closed, it takes what is left.
TEST(DispatchStop, RingSourceDrainsUntilClosed) {
  PacketRing ring;
  RingSource rs(ring);
  EXPECT_TRUE(rs.buffered());
  PacketBurst* b = ring.take_empty();
  ASSERT_NE(b, nullptr);
  const Bytes f = test::udp_frame({10, 0, 0, 1}, 1000, {10, 0, 0, 2}, 2000);
  b->views[0] = PacketView{f.data(), static_cast<uint32_t>(f.size()), static_cast<uint32_t>(f.size()), 1, 0,
                           kLinkEthernet, 0};
  b->count = 1;
  ring.send_full(b);
  ring.close();
  EXPECT_TRUE(rs.buffered()) << "closed, but a burst is still in the ring";
  PacketView out[kBurstSize];
  EXPECT_EQ(rs.rx_burst(out, kBurstSize), 1u);
  EXPECT_FALSE(rs.buffered());
}

}  // namespace
}  // namespace argos
