// Packet time from the cycle counter, for ports without a receive timestamp:
// the counter is read once per burst and turned into Unix-epoch nanoseconds
// against a wall-clock reading taken at most once a second. A vDSO clock
// call per burst would cost more than the rest of the per-burst work at a
// few packets per burst; the rebase each second follows NTP's slewing, and
// the result never goes backwards (flow times and timers need that).
#pragma once

#include <cstdint>

namespace argos {

class TscClock {
 public:
  // `hz`: counter frequency; `cycles`, `wall_ns`: a reading of both, taken
  // together.
  TscClock(uint64_t hz, uint64_t cycles, uint64_t wall_ns)
      : hz_(hz ? hz : 1),
        ns_per_cycle_q32_((static_cast<unsigned __int128>(1'000'000'000ULL) << 32) / hz_),
        base_cycles_(cycles),
        base_ns_(wall_ns) {}

  // Nanoseconds for a counter value read now. `read_wall_ns` is called only
  // when a second has passed since the last rebase.
  template <class WallFn>
  uint64_t now_ns(uint64_t cycles, WallFn&& read_wall_ns) {
    const uint64_t delta = cycles >= base_cycles_ ? cycles - base_cycles_ : 0;
    uint64_t ns = base_ns_ + static_cast<uint64_t>((static_cast<unsigned __int128>(delta) * ns_per_cycle_q32_) >> 32);
    if (delta >= hz_) {
      // Rebase on the wall clock; never step back behind what was handed out.
      const uint64_t wall = read_wall_ns();
      base_cycles_ = cycles;
      base_ns_ = wall > last_ns_ ? wall : last_ns_;
      ns = base_ns_;
    }
    if (ns < last_ns_) ns = last_ns_;
    last_ns_ = ns;
    return ns;
  }

 private:
  uint64_t hz_;
  uint64_t ns_per_cycle_q32_;  // nanoseconds per cycle, 32.32 fixed point
  uint64_t base_cycles_;
  uint64_t base_ns_;
  uint64_t last_ns_ = 0;
};

}  // namespace argos
