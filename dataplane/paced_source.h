// Replay at packet-time pace (argus's -T FACTOR): wraps a file source and
// hands each packet over only once (packet time - first packet time) /
// FACTOR has passed on the wall clock, so collectors can follow a recorded
// capture as if it were live. Timers still run on packet time.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>

#include "dataplane/packet.h"

namespace argos {

template <class Source>
class PacedSource {
 public:
  static constexpr uint32_t kMaxHeld = 64;

  PacedSource(Source& src, double factor) : src_(src), factor_(factor) {}

  uint32_t rx_burst(PacketView* out, uint32_t max) {
    if (next_ == held_n_) {
      // Everything held went out: only now may the source reuse its buffers.
      next_ = 0;
      held_n_ = src_.rx_burst(held_, max < kMaxHeld ? max : kMaxHeld);
      if (held_n_ == 0) return 0;
      if (!started_) {
        started_ = true;
        origin_pkt_ns_ = held_[0].ts_ns;
        origin_wall_ = std::chrono::steady_clock::now();
      }
    }
    const uint64_t now_ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - origin_wall_).count());
    uint32_t n = 0;
    while (next_ + n < held_n_ && n < max && due_ns(held_[next_ + n]) <= now_ns) ++n;
    if (n == 0) {
      // Not due yet: wait for it, at most 10 ms at a time so a stop is seen.
      const uint64_t wait_ns = std::min<uint64_t>(due_ns(held_[next_]) - now_ns, 10'000'000ULL);
      std::this_thread::sleep_for(std::chrono::nanoseconds(wait_ns));
      return 0;
    }
    std::memcpy(out, held_ + next_, sizeof(PacketView) * n);
    next_ += n;
    return n;
  }

  bool done() const { return next_ == held_n_ && src_.done(); }

 private:
  // Wall time after the first packet at which `v` is due. A packet older
  // than the first (out-of-order capture) is due at once.
  uint64_t due_ns(const PacketView& v) const {
    if (v.ts_ns <= origin_pkt_ns_) return 0;
    // A slow factor over a long capture can pass 2^64 ns (585 years): the
    // packet is then due at the end of time, not at a wrapped moment.
    const double due = static_cast<double>(v.ts_ns - origin_pkt_ns_) / factor_;
    return due >= 18446744073709549568.0 ? UINT64_MAX : static_cast<uint64_t>(due);
  }

  Source& src_;
  double factor_;
  PacketView held_[kMaxHeld];
  uint32_t held_n_ = 0;
  uint32_t next_ = 0;
  bool started_ = false;
  uint64_t origin_pkt_ns_ = 0;
  std::chrono::steady_clock::time_point origin_wall_{};
};

}  // namespace argos
