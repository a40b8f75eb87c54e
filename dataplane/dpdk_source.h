// DPDK receive queue as a packet source for the worker loop (the same
// template the pcap sources run). Built only with the meson `dpdk` feature.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/packet.h"
#include "dataplane/rss.h"
#include "dataplane/tsc_clock.h"

struct rte_mbuf;
struct rte_mempool;

namespace argos {

// Initialises the EAL once from argv-style arguments (program name first).
// Returns false with a message on failure.
bool dpdk_eal_init(const std::vector<std::string>& args, std::string& err);

// Sets up one port: `name` is a PCI address or a vdev name (net_pcap0, ...);
// `rx_queues` receive queues sharing one mempool sized for them on the port's
// NUMA node. With several queues the port spreads flows by RSS with the
// symmetric key (both directions of a flow reach one queue), after the key
// passed its self-test. Returns the port id, or -1 with a message.
// `mbufs` > 0 sets the pool size (net_pcap's infinite_rx keeps the whole
// file in mbufs and needs one per packet); 0 sizes it from the rings.
// A port without RSS still gets its queues (a virtual device may fill each
// from its own input); `note` then says flows are not spread by the port.
// `rss_map` says which queue the port gives a flow (its key, redirection
// table and hash input; for a device without RSS, what symmetric RSS over
// addresses would give).
int dpdk_port_open(const std::string& name, uint16_t rx_queues, uint32_t mbufs, std::string& note,
                   RssQueueMap& rss_map, std::string& err);

// Receive counters of a port (rte_eth_stats): received, missed by the NIC
// (imissed), no mbuf, errors; and per receive queue (the first 16, as
// ethdev keeps them) received and errors. DPDK counts missed and no-mbuf
// per port only.
struct DpdkPortStats {
  uint64_t received = 0, missed = 0, no_mbuf = 0, errors = 0;
  std::vector<uint64_t> queue_received, queue_errors;
};
bool dpdk_port_stats(uint16_t port, uint16_t rx_queues, DpdkPortStats& out);

// NUMA node of the port's device, -1 when unknown (virtual devices).
int dpdk_port_numa_node(uint16_t port);

// Stops and closes a port, then releases the EAL (at exit).
void dpdk_port_close(uint16_t port);
void dpdk_eal_cleanup();

class DpdkRxQueue {
 public:
  static constexpr uint32_t kBurst = 32;
  // Packets asked of the driver at once; handed out kBurst at a time.
  static constexpr uint32_t kChunk = 64;

  // `idle_end_ms` > 0: the queue counts as finished once it has been empty
  // that long (file replay through net_pcap has no end-of-input signal);
  // 0: a live port, never done.
  DpdkRxQueue(uint16_t port, uint16_t queue, uint32_t idle_end_ms);
  ~DpdkRxQueue();
  DpdkRxQueue(const DpdkRxQueue&) = delete;
  DpdkRxQueue& operator=(const DpdkRxQueue&) = delete;

  // Fills up to `max` views pointing into mbufs, which stay valid until the
  // next call at least (a chunk's mbufs are freed when the next is asked for).
  uint32_t rx_burst(PacketView* out, uint32_t max);
  bool done() const { return done_; }
  // Packets received from the port and not handed out yet: a stopping
  // worker takes them before it leaves (the port has counted them).
  bool buffered() const { return served_ != held_n_; }

  uint64_t received() const { return received_; }
  uint64_t multi_segment() const { return multi_segment_; }  // only the first segment is parsed

 private:
  uint16_t port_;
  uint16_t queue_;
  uint64_t idle_end_cycles_;
  uint64_t idle_since_ = 0;
  rte_mbuf* held_[kChunk];
  uint16_t held_n_ = 0;   // mbufs of the last chunk, freed at the next refill
  uint16_t served_ = 0;   // of them, handed out so far
  uint64_t chunk_ns_ = 0; // the chunk's cycle-counter time
  bool done_ = false;
  uint64_t received_ = 0;
  uint64_t multi_segment_ = 0;
  uint64_t last_ts_ns_ = 0;
  TscClock tsc_clock_;       // packet time where the port gives none
  int ts_offset_ = -1;       // mbuf dynamic field with the receive timestamp (µs for net_pcap)
  uint64_t ts_flag_ = 0;     // ol_flags bit saying the field is valid
};

// Several ports read as one link: the same receive queue of each port (a
// tap's two ports, one direction each; symmetric RSS with the same key and
// queue count puts both directions of a flow on the same queue index), their
// packets handed on in time order, so one worker sees the whole flow.
class DpdkLinkSource {
 public:
  // `strict` (replay through net_pcap, --exit-when-idle): a port's next
  // packet is waited for until the port is done, so the link comes out in
  // time order whatever pace each device reads its file at. Live ports are
  // merged from what each has ready (a quiet direction holds nothing up),
  // a little out of order across ports, as interfaces read in turn are.
  DpdkLinkSource(const std::vector<DpdkRxQueue*>& queues, bool strict);
  DpdkLinkSource(const DpdkLinkSource&) = delete;
  DpdkLinkSource& operator=(const DpdkLinkSource&) = delete;

  // Views stay valid until the next call (a port is asked for more only
  // once every view it gave has been handed out in an earlier call).
  uint32_t rx_burst(PacketView* out, uint32_t max);
  bool done() const;
  bool buffered() const;

 private:
  struct Lane {
    DpdkRxQueue* queue;
    PacketView views[DpdkRxQueue::kBurst];
    uint32_t n = 0;    // views held
    uint32_t pos = 0;  // of them, handed out
  };
  std::vector<Lane> lanes_;
  bool strict_;
  uint64_t last_ts_ns_ = 0;  // the link's input clock (stamp_input_clock)
};

}  // namespace argos
