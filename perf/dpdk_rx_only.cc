// Receive-only baseline for bench_dpdk.sh: polls a DPDK port through the
// same DpdkRxQueue the worker uses (64-packet chunks handed out 32 at a time,
// data prefetch, timestamps, a chunk's mbufs freed when the next one is
// received) and does nothing else. Its rate is the
// cost of the virtual device itself; net_pcap's infinite_rx copies every
// stored packet into a fresh mbuf, work a NIC's DMA does for free, so
// subtracting it gives the worker's own cost per packet.
//
// With --plain first, the port is polled directly instead, 32 packets per
// rte_eth_rx_burst and a bulk free. net_pcap's own cost depends on how many
// packets it is asked for at once (it is lower alone with 32, and the whole
// worker faster with 64), so the benchmark measures both and subtracts the
// lower: the worker is charged with everything else.
//
// usage: dpdk_rx_only [--plain] SECONDS MBUFS EAL-ARGS...   (port net_pcap0, 1 queue)
// Prints "rx_only_mpps=X packets=N seconds=S" once SECONDS of receiving
// have been timed (the first packet starts the clock).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane/dpdk_source.h"

int main(int argc, char** argv) {
  using namespace argos;
  const bool plain = argc > 1 && std::string(argv[1]) == "--plain";
  if (plain) {
    --argc;
    ++argv;
  }
  if (argc < 4) {
    std::fprintf(stderr, "usage: dpdk_rx_only [--plain] SECONDS MBUFS EAL-ARGS...\n");
    return 2;
  }
  const double seconds = std::atof(argv[1]);
  const uint32_t mbufs = static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10));
  std::vector<std::string> eal = {"dpdk_rx_only"};
  for (int i = 3; i < argc; ++i) eal.emplace_back(argv[i]);
  std::string err, note;
  argos::RssQueueMap rss_map;
  if (!dpdk_eal_init(eal, err)) {
    std::fprintf(stderr, "dpdk_rx_only: %s\n", err.c_str());
    return 2;
  }
  const int port = dpdk_port_open("net_pcap0", 1, mbufs, note, rss_map, err);
  if (port < 0) {
    std::fprintf(stderr, "dpdk_rx_only: %s\n", err.c_str());
    return 2;
  }
  uint64_t packets = 0;
  double elapsed = 0;
  {
    DpdkRxQueue q(static_cast<uint16_t>(port), 0, 0);
    PacketView views[DpdkRxQueue::kBurst];
    rte_mbuf* mbufs_held[DpdkRxQueue::kBurst];
    // --plain: one rte_eth_rx_burst per poll, the mbufs freed in bulk.
    auto poll = [&]() -> uint32_t {
      if (!plain) return q.rx_burst(views, DpdkRxQueue::kBurst);
      const uint16_t n = rte_eth_rx_burst(static_cast<uint16_t>(port), 0, mbufs_held, DpdkRxQueue::kBurst);
      for (uint16_t i = 0; i < n; ++i) views[i].data = rte_pktmbuf_mtod(mbufs_held[i], const uint8_t*);
      return n;
    };
    auto release = [&](uint32_t n) {
      if (plain && n) rte_pktmbuf_free_bulk(mbufs_held, n);
    };
    using clock = std::chrono::steady_clock;
    // Warm-up: the first second of packets is not timed.
    clock::time_point start{};
    bool timing = false;
    uint64_t sink = 0;  // touch each packet's first byte, as the parser would
    for (;;) {
      const uint32_t n = poll();
      for (uint32_t i = 0; i < n; ++i) sink += views[i].data[0];
      release(n);
      if (!timing) {
        if (n == 0) continue;
        static clock::time_point first = clock::now();
        if (clock::now() - first < std::chrono::seconds(1)) continue;
        start = clock::now();
        timing = true;
        continue;
      }
      packets += n;
      if ((packets & 0xffff) < n) {
        elapsed = std::chrono::duration<double>(clock::now() - start).count();
        if (elapsed >= seconds) break;
      }
    }
    if (sink == 1) std::fprintf(stderr, " ");  // keep the reads
  }
  std::printf("rx_only_mpps=%.4f packets=%llu seconds=%.3f\n", packets / elapsed / 1e6,
              static_cast<unsigned long long>(packets), elapsed);
  dpdk_port_close(static_cast<uint16_t>(port));
  dpdk_eal_cleanup();
  return 0;
}
