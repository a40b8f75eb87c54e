// Software dispatch for sources without RSS (libpcap): one reader hands
// packets to workers by a symmetric hash of the flow key, so both directions
// of a flow reach the same worker. Packets travel in fixed-size bursts over
// one SPSC ring pair per worker.
#pragma once

#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "dataplane/packet.h"
#include "dataplane/parser.h"
#include "dataplane/worker.h"

namespace argos {

struct PacketBurst {
  static constexpr uint32_t kSlotBytes = 2048;
  uint32_t count = 0;
  bool end_of_stream = false;
  bool boundary = false;  // empty: the input moved on to its next file
  PacketView views[kBurstSize];
  uint8_t data[kBurstSize * kSlotBytes];
};

class PacketRing {
 public:
  static constexpr uint32_t kBursts = 64;
  PacketRing() : pool_(kBursts), full_(kBursts + 1), empty_(kBursts + 1) {
    for (auto& b : pool_) {
      b.reset(new PacketBurst);  // default-initialised: no zeroing of the slots
      empty_.push(b.get());
    }
  }
  PacketBurst* take_empty() {
    PacketBurst* b = nullptr;
    return empty_.pop(b) ? b : nullptr;
  }
  void send_full(PacketBurst* b) { full_.push(b); }
  PacketBurst* take_full() {
    PacketBurst* b = nullptr;
    return full_.pop(b) ? b : nullptr;
  }
  void give_back(PacketBurst* b) {
    b->count = 0;
    b->end_of_stream = false;
    b->boundary = false;
    empty_.push(b);
  }
  // The dispatcher sends nothing more (set after its last send_full).
  void close() { closed_.store(true, std::memory_order_release); }
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  bool has_full() const { return full_.read_available() > 0; }

 private:
  std::atomic<bool> closed_{false};
  std::vector<std::unique_ptr<PacketBurst>> pool_;
  boost::lockfree::spsc_queue<PacketBurst*> full_;
  boost::lockfree::spsc_queue<PacketBurst*> empty_;
};

// Worker-side source reading bursts from a PacketRing.
class RingSource {
 public:
  // `max_nap_us`: the longest nap of an idle worker. The ring must hold
  // what arrives meanwhile: at a 10G line rate (14.9 Mpps) its 4096 packets
  // last 275 us, hence the default; a libpcap capture delivers an order of
  // magnitude less and may let workers nap longer.
  explicit RingSource(PacketRing& ring, uint32_t max_nap_us = 200) : ring_(ring), max_nap_us_(max_nap_us) {}
  uint32_t rx_burst(PacketView* out, uint32_t max) {
    if (held_) {
      ring_.give_back(held_);
      held_ = nullptr;
    }
    if (done_) return 0;
    PacketBurst* b = ring_.take_full();
    if (!b) {
      // Quiet input (live capture at night): after a run of empty polls,
      // nap so an idle worker does not hold a CPU, longer and longer up to
      // max_nap_us; the ring's 64 bursts absorb a nap's worth of packets.
      if (++empty_polls_ < kEmptyPollsBeforeNap) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(nap_us_));
        nap_us_ = nap_us_ * 2 < max_nap_us_ ? nap_us_ * 2 : max_nap_us_;
      }
      return 0;
    }
    empty_polls_ = 0;
    nap_us_ = kFirstNapUs;
    if (b->boundary) {  // after every packet of the files before, in ring order
      boundary_ = true;
      ring_.give_back(b);
      return 0;
    }
    if (b->end_of_stream && b->count == 0) {
      ring_.give_back(b);
      done_ = true;
      return 0;
    }
    const uint32_t n = b->count < max ? b->count : max;
    std::memcpy(out, b->views, sizeof(PacketView) * n);
    if (b->end_of_stream) done_ = true;
    held_ = b;  // its bytes stay valid until the next call
    return n;
  }
  bool done() const { return done_ && !held_; }
  bool take_boundary() {
    const bool b = boundary_;
    boundary_ = false;
    return b;
  }
  // On a stop the worker takes what the dispatcher has sent and will still
  // send: until the end of stream, or the ring is closed and empty.
  bool buffered() const { return !done_ && (!ring_.closed() || ring_.has_full()); }

 private:
  static constexpr uint32_t kEmptyPollsBeforeNap = 256;
  static constexpr uint32_t kFirstNapUs = 50;
  PacketRing& ring_;
  uint32_t max_nap_us_;
  uint32_t nap_us_ = kFirstNapUs;
  PacketBurst* held_ = nullptr;
  bool done_ = false;
  bool boundary_ = false;
  uint32_t empty_polls_ = 0;
};

// Symmetric worker choice: a hash of the ordered address pair and the
// protocol, the same for both directions. Ports are left out so that IP
// fragments, which carry none, meet the rest of their flow.
inline uint32_t dispatch_worker(const ParsedPacket& p, uint32_t workers) {
  // An ICMP error goes where the flow it quotes goes, to be attached to it.
  const FlowKey& k = p.has_inner ? p.inner_key : p.key;
  FlowKey a{};
  const bool lo = std::memcmp(k.src, k.dst, 16) <= 0;
  std::memcpy(a.src, lo ? k.src : k.dst, 16);
  std::memcpy(a.dst, lo ? k.dst : k.src, 16);
  a.proto = k.proto;
  return static_cast<uint32_t>(flow_key_hash(a, 0x6a09e667f3bcc908ULL) % workers);
}

// Reads the source and fans packets out until it is exhausted or *stop is
// set; then sends end-of-stream to every worker and closes the rings.
// On a stop, the packets the source has already taken (a DPDK chunk) are
// still handed out, and the workers drain their rings until closed. The
// dispatcher waits for free bursts then for kStopWait at most in all (a
// worker held up by a stalled exporter must not hold the stop up): what
// finds no burst by then is dropped and returned as the count of packets
// lost at the stop.
inline constexpr std::chrono::milliseconds kStopWait{1000};

template <class Source>
uint64_t run_dispatcher(Source& src, std::vector<PacketRing*>& rings, const std::atomic<bool>* stop) {
  const uint32_t nw = static_cast<uint32_t>(rings.size());
  std::vector<PacketBurst*> cur(nw, nullptr);
  uint64_t stop_drops = 0;
  auto stopping = [stop] { return stop && stop->load(std::memory_order_relaxed); };
  std::chrono::steady_clock::time_point stop_deadline{};
  auto acquire = [&](uint32_t w) {
    while (!(cur[w] = rings[w]->take_empty())) {
      if (stopping()) {
        const auto now = std::chrono::steady_clock::now();
        if (stop_deadline == std::chrono::steady_clock::time_point{}) stop_deadline = now + kStopWait;
        if (now >= stop_deadline) return false;
      }
      std::this_thread::yield();
    }
    return true;
  };
  auto flush_partial = [&] {
    for (uint32_t w = 0; w < nw; ++w) {
      if (cur[w] && cur[w]->count) {
        rings[w]->send_full(cur[w]);
        cur[w] = nullptr;
      }
    }
  };
  PacketView views[kBurstSize];
  ParsedPacket parsed;
  uint32_t bursts = 0;
  bool stopped = false;
  while (!stopped) {
    if (stopping() && !source_buffered(src)) break;
    const uint32_t n = src.rx_burst(views, kBurstSize);
    if (source_boundary(src)) {
      // The next file: each worker ends its flows once it has taken every
      // packet of the files before, which the marker follows in its ring.
      flush_partial();
      for (uint32_t w = 0; w < nw; ++w) {
        if (!cur[w] && !acquire(w)) continue;  // stopping: nothing more to end
        cur[w]->boundary = true;
        rings[w]->send_full(cur[w]);
        cur[w] = nullptr;
      }
    }
    if (n == 0) {
      if (src.done()) break;
      flush_partial();  // quiet input: what was read goes out now
      continue;
    }
    for (uint32_t i = 0; i < n && !stopped; ++i) {
      const PacketView& v = views[i];
      parse_packet(v.data, v.caplen, v.linktype, parsed);
      const uint32_t w = parsed.key.kind == KeyKind::kNone ? 0 : dispatch_worker(parsed, nw);
      if (!cur[w] && !acquire(w)) {
        // Stopping, and no burst came free in time: this packet and the
        // rest the source holds are lost, and counted.
        stop_drops += n - i;
        while (source_buffered(src)) stop_drops += src.rx_burst(views, kBurstSize);
        stopped = true;
        break;
      }
      PacketBurst* b = cur[w];
      const uint32_t copy = v.caplen < PacketBurst::kSlotBytes ? v.caplen : PacketBurst::kSlotBytes;
      uint8_t* dst = b->data + size_t{b->count} * PacketBurst::kSlotBytes;
      std::memcpy(dst, v.data, copy);
      PacketView& o = b->views[b->count++];
      o = v;
      o.data = dst;
      o.caplen = copy;
      if (b->count == kBurstSize) {
        rings[w]->send_full(b);
        cur[w] = nullptr;
      }
    }
    if (++bursts % 8 == 0) flush_partial();
  }
  for (uint32_t w = 0; w < nw; ++w) {
    if (!cur[w] && !acquire(w)) continue;  // stopping: the worker ends when the ring is closed and empty
    cur[w]->end_of_stream = true;
    rings[w]->send_full(cur[w]);
    cur[w] = nullptr;
  }
  for (PacketRing* r : rings) r->close();
  return stop_drops;
}

}  // namespace argos
