// ICMP errors between the workers of several receive queues. RSS puts an
// error on the queue of its own addresses (its sender is often a router on
// the path), while the flow it quotes lives in the table of the queue RSS
// gives that flow. The error is accounted where it lands, as a flow of its
// own; what the quoted flow takes from it (an IcmpNote, 64 bytes) goes to
// that flow's worker over a ring of its own per ordered pair of workers, so
// every ring has one writer and one reader.
#pragma once

#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "dataplane/rss.h"
#include "dataplane/worker_counters.h"
#include "flowtable/flow_table.h"

namespace argos {

class IcmpExchange {
 public:
  // ICMP errors are rare; a worker reads its rings every 16 loop turns
  // (microseconds apart while packets flow, at once when idle), so this
  // many notes between two reads is far beyond a storm.
  static constexpr size_t kRingNotes = 256;

  class Peer final : public IcmpNoteRouter {
   public:
    // FlowTable: false when the quoted flow is this worker's, or when its
    // worker's ring is full (counted; the error then maps to nothing).
    bool forward(const IcmpNote& note) override {
      const uint32_t to = x_->map_.queue_of(note.inner) % x_->workers_;
      if (to == self_) return false;
      if (!x_->ring(self_, to).push(note)) {
        counters_->add(WorkerCounter::kIcmpUnforwarded);
        return false;
      }
      counters_->add(WorkerCounter::kIcmpForwarded);
      return true;
    }

    // Attaches the notes the other workers sent to flows of `table`.
    void poll(FlowTable& table) {
      for (uint32_t from = 0; from < x_->workers_; ++from) {
        if (from == self_) continue;
        x_->ring(from, self_).consume_all([&table](const IcmpNote& n) { table.attach_icmp_note(n); });
      }
    }

    // This worker sends nothing more (its input has ended and its last
    // burst is accounted).
    void close() { x_->closed_[self_].store(true, std::memory_order_release); }

    // Before its final flush a worker takes every note still coming to it:
    // until each other worker has closed and its ring is empty. Each closes
    // once its own input ends, whatever the others do, so this ends too.
    void finish(FlowTable& table) {
      close();
      for (;;) {
        bool all_closed = true;
        for (uint32_t from = 0; from < x_->workers_; ++from)
          if (from != self_ && !x_->closed_[from].load(std::memory_order_acquire)) all_closed = false;
        poll(table);  // after the closed flags: what they published is in the rings
        if (all_closed) return;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    }

   private:
    friend class IcmpExchange;
    IcmpExchange* x_ = nullptr;
    uint32_t self_ = 0;
    WorkerCounters* counters_ = nullptr;
  };

  // `counters`: one per worker, `workers` of them.
  IcmpExchange(uint32_t workers, RssQueueMap map, const std::vector<WorkerCounters*>& counters)
      : workers_(workers), map_(std::move(map)), closed_(new std::atomic<bool>[workers]), peers_(workers) {
    rings_.reserve(size_t{workers} * workers);
    for (size_t i = 0; i < size_t{workers} * workers; ++i)
      rings_.push_back(i / workers == i % workers ? nullptr : std::make_unique<Ring>(kRingNotes));
    for (uint32_t w = 0; w < workers; ++w) {
      closed_[w].store(false, std::memory_order_relaxed);
      peers_[w].x_ = this;
      peers_[w].self_ = w;
      peers_[w].counters_ = counters[w];
    }
  }
  IcmpExchange(const IcmpExchange&) = delete;
  IcmpExchange& operator=(const IcmpExchange&) = delete;

  Peer& peer(uint32_t w) { return peers_[w]; }

 private:
  using Ring = boost::lockfree::spsc_queue<IcmpNote>;
  Ring& ring(uint32_t from, uint32_t to) { return *rings_[size_t{from} * workers_ + to]; }

  uint32_t workers_;
  RssQueueMap map_;
  std::unique_ptr<std::atomic<bool>[]> closed_;
  std::vector<std::unique_ptr<Ring>> rings_;  // [from * workers + to]
  std::vector<Peer> peers_;
};

}  // namespace argos
