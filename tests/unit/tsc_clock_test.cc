// TscClock: cycle counter to epoch nanoseconds, rebased on the wall clock
// once a second, never backwards.
#include "dataplane/tsc_clock.h"

#include <gtest/gtest.h>

namespace argos {
namespace {

constexpr uint64_t kEpoch = 1'700'000'000'000'000'000ULL;

// A 2.5 GHz counter: 2.5 cycles per nanosecond.
TEST(TscClock, ConvertsCyclesAtTheCounterRate) {
  TscClock c(2'500'000'000ULL, 1000, kEpoch);
  auto no_wall = [] { ADD_FAILURE() << "wall clock read within the first second"; return uint64_t{0}; };
  EXPECT_EQ(c.now_ns(1000, no_wall), kEpoch);
  // 32.32 fixed point: at most a nanosecond short over a whole second.
  EXPECT_NEAR(static_cast<double>(c.now_ns(1000 + 2500, no_wall) - kEpoch), 1000.0, 1.0);  // 1 µs
  EXPECT_NEAR(static_cast<double>(c.now_ns(1000 + 2'499'999'999ULL, no_wall) - kEpoch), 999'999'999.6, 1.0);
}

// Once a second of cycles has passed the wall clock is read and wins, so
// drift between the counter and NTP time does not accumulate.
TEST(TscClock, RebasesOnTheWallClockEachSecond) {
  TscClock c(1'000'000'000ULL, 0, kEpoch);
  int reads = 0;
  auto wall = [&] { ++reads; return kEpoch + 1'000'500'000ULL; };  // wall ran 0.5 ms fast
  EXPECT_EQ(c.now_ns(999'999'999ULL, wall), kEpoch + 999'999'999ULL);
  EXPECT_EQ(reads, 0);
  EXPECT_EQ(c.now_ns(1'000'000'000ULL, wall), kEpoch + 1'000'500'000ULL);
  EXPECT_EQ(reads, 1);
  // Later readings count from the new base.
  EXPECT_EQ(c.now_ns(1'000'001'000ULL, wall), kEpoch + 1'000'501'000ULL);
  EXPECT_EQ(reads, 1);
}

// A wall clock stepped back (or a counter read on another core that lags a
// little) never makes time go backwards.
TEST(TscClock, NeverGoesBackwards) {
  TscClock c(1'000'000'000ULL, 5000, kEpoch);
  auto wall_behind = [] { return kEpoch - 10'000'000'000ULL; };  // stepped back 10 s
  const uint64_t t1 = c.now_ns(5000 + 900'000'000ULL, wall_behind);
  const uint64_t t2 = c.now_ns(5000 + 1'200'000'000ULL, wall_behind);  // rebase onto the past
  EXPECT_GE(t2, t1);
  const uint64_t t3 = c.now_ns(4000, wall_behind);  // counter below the base
  EXPECT_GE(t3, t2);
  const uint64_t t4 = c.now_ns(5000 + 1'300'000'000ULL, wall_behind);
  EXPECT_GT(t4, t2);  // and it advances again from the new base
}

// Hours of cycles at 3 GHz do not overflow the fixed-point product.
TEST(TscClock, LongGapsDoNotOverflow) {
  TscClock c(3'000'000'000ULL, 0, kEpoch);
  const uint64_t ten_hours = 3'000'000'000ULL * 36'000ULL;
  auto wall = [&] { return kEpoch + 36'000'000'000'000ULL; };
  EXPECT_EQ(c.now_ns(ten_hours, wall), kEpoch + 36'000'000'000'000ULL);
}

}  // namespace
}  // namespace argos
