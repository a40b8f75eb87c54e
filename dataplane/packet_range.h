// Packets a..b of an input only (argus's -N): wraps a libpcap source (file
// or live) and counts the packets it delivers, from 1. The first `skip`
// are left out, and the input ends with packet number `last` ("-N 100" is
// skip 0, last 100; "-N 100-200" skips 100 and ends after the 200th, so
// 100 packets, as argus counts). The views left out point into the
// source's own buffers, so nothing needs releasing; DPDK queues, whose mbufs
// the worker frees, are never wrapped.
#pragma once

#include <cstdint>

#include "dataplane/packet.h"

namespace argos {

template <class Source>
class PacketRange {
 public:
  PacketRange(Source& src, uint64_t skip, uint64_t last) : src_(src), skip_(skip), last_(last) {}

  uint32_t rx_burst(PacketView* out, uint32_t max) {
    if (ended_) return 0;
    const uint32_t n = src_.rx_burst(out, max);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n && !ended_; ++i) {
      const uint64_t number = ++read_;
      if (number <= skip_) continue;
      out[kept++] = out[i];
      ended_ = number >= last_;
    }
    return kept;
  }

  bool done() const { return ended_ || src_.done(); }

 private:
  Source& src_;
  uint64_t skip_;
  uint64_t last_;
  uint64_t read_ = 0;
  bool ended_ = false;
};

}  // namespace argos
