#include "dataplane/dpdk_source.h"

#include "dataplane/rss.h"
#include "dataplane/tsc_clock.h"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_thash.h>

#include <chrono>
#include <cstring>

namespace argos {

namespace {

// Ports this sensor made promiscuous (start-up and close run on the main
// thread only).
bool g_promisc_set[RTE_MAX_ETHPORTS] = {};
constexpr uint16_t kRxDescriptors = 1024;
constexpr unsigned kMbufCache = 256;

// Wall clock, for ports that give no receive timestamp.
uint64_t wall_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}
// Our Toeplitz (which the symmetry self-test runs) must be the hash DPDK
// computes for the key: checked on sample IPv4 flows, both directions, with
// DPDK's own software RSS (rte_softrss, the NIC's algorithm in software).
bool rss_matches_dpdk(const uint8_t* key, size_t key_len, std::string& err) {
  // rte_softrss reads as many key bytes as the tuple needs (16 for IPv4
  // with ports): any NIC key length covers that.
  for (uint32_t n = 1; n <= 256; ++n) {
    const uint32_t src = n * 2654435761u, dst = n * 40503u + 7;
    const uint16_t sp = static_cast<uint16_t>(n * 31), dp = static_cast<uint16_t>(n * 17 + 3);
    for (int dir = 0; dir < 2; ++dir) {
      rte_ipv4_tuple t;
      t.src_addr = dir ? dst : src;
      t.dst_addr = dir ? src : dst;
      t.sport = dir ? dp : sp;
      t.dport = dir ? sp : dp;
      uint8_t in[12];
      rss_ipv4_input(t.src_addr, t.dst_addr, t.sport, t.dport, in);
      if (toeplitz_hash(key, key_len, in, 12) !=
          rte_softrss(reinterpret_cast<uint32_t*>(&t), RTE_THASH_V4_L4_LEN, key)) {
        err = "RSS self-test: the Toeplitz hash disagrees with DPDK's rte_softrss on sample flow " +
              std::to_string(n);
        return false;
      }
    }
  }
  return true;
}

}  // namespace

bool dpdk_eal_init(const std::vector<std::string>& args, std::string& err) {
  std::vector<char*> argv;
  std::vector<std::string> copy = args;  // rte_eal_init may reorder argv
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(copy.size()), argv.data()) < 0) {
    err = std::string("DPDK EAL initialisation failed: ") + rte_strerror(rte_errno);
    return false;
  }
  return true;
}

int dpdk_port_open(const std::string& name, uint16_t rx_queues, uint32_t mbufs, std::string& note,
                   RssQueueMap& rss_map, std::string& err) {
  rss_map = symmetric_rss_map(rx_queues);
  uint16_t port;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &port) != 0) {
    err = "no DPDK port named '" + name + "' (give a PCI address or a --vdev name)";
    return -1;
  }
  rte_eth_dev_info info;
  if (rte_eth_dev_info_get(port, &info) != 0) {
    err = "cannot query DPDK port '" + name + "'";
    return -1;
  }
  if (rx_queues > info.max_rx_queues) {
    err = "DPDK port '" + name + "' has " + std::to_string(info.max_rx_queues) +
          " receive queues, " + std::to_string(rx_queues) + " asked for";
    return -1;
  }
  const int socket = rte_eth_dev_socket_id(port);
  // Enough mbufs for every ring, every worker's burst and the caches.
  const unsigned n_mbufs = mbufs ? mbufs : rx_queues * (kRxDescriptors + 2 * DpdkRxQueue::kBurst) + kMbufCache * 2 + 1024;
  const std::string pool_name = "argos_rx_" + std::to_string(port);
  rte_mempool* pool = rte_pktmbuf_pool_create(pool_name.c_str(), n_mbufs, kMbufCache, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE,
                                              socket < 0 ? static_cast<int>(SOCKET_ID_ANY) : socket);
  if (!pool) {
    err = std::string("cannot create the mbuf pool for '") + name + "': " + rte_strerror(rte_errno);
    return -1;
  }
  rte_eth_conf conf;
  std::memset(&conf, 0, sizeof conf);
  uint8_t rss_key[kRssKeyBytes];
  if (rx_queues > 1 && (info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)) == 0) {
    // No RSS (virtual devices): each queue is a separate input the driver
    // fills its own way (net_pcap: one rx_pcap file per queue). Read, one
    // worker each, but say that nothing spreads flows symmetrically.
    note = "DPDK port '" + name + "' has no RSS: its " + std::to_string(rx_queues) +
           " receive queues are read as the driver fills them (net_pcap: one rx_pcap file each); "
           "a flow seen on two queues is reported by two workers";
  } else if (rx_queues > 1) {
    // Symmetric RSS, checked before it is trusted with the traffic.
    const size_t key_len = info.hash_key_size ? (info.hash_key_size < kRssKeyBytes ? info.hash_key_size : kRssKeyBytes) : 40;
    if (!rss_matches_dpdk(kSymmetricRssKey, key_len, err) ||
        !rss_symmetry_self_test(kSymmetricRssKey, key_len, rx_queues,
                                info.reta_size ? info.reta_size : 128, err))
      return -1;
    std::memcpy(rss_key, kSymmetricRssKey, key_len);
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = rss_key;
    conf.rx_adv_conf.rss_conf.rss_key_len = static_cast<uint8_t>(key_len);
    // Addresses alone, as the software dispatcher hashes: a flow's IP
    // fragments (no ports) and the ICMP errors its own hosts send meet it.
    // A device that cannot hash every IPv4 and IPv6 packet by its addresses
    // hashes TCP and UDP by their ports as well, and says so.
    const uint64_t all_ip = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6;
    if ((info.flow_type_rss_offloads & all_ip) == all_ip) {
      conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
    } else {
      conf.rx_adv_conf.rss_conf.rss_hf =
          (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
      rss_map.ports = true;
      note = "DPDK port '" + name + "' cannot hash every IP packet by its addresses alone: TCP and UDP are "
             "spread by their ports as well, so a UDP flow's fragments (which carry no ports) may reach "
             "another queue than its whole datagrams, and be reported apart";
    }
    rss_map.key.assign(kSymmetricRssKey, kSymmetricRssKey + key_len);
  }
  const uint16_t tx_queues = info.max_tx_queues > 0 ? 1 : 0;
  if (rte_eth_dev_configure(port, rx_queues, tx_queues, &conf) != 0) {
    err = "cannot configure DPDK port '" + name + "'";
    return -1;
  }
  for (uint16_t q = 0; q < rx_queues; ++q) {
    if (rte_eth_rx_queue_setup(port, q, kRxDescriptors, static_cast<unsigned>(socket < 0 ? 0 : socket),
                               nullptr, pool) != 0) {
      err = "cannot set up receive queue " + std::to_string(q) + " of '" + name + "'";
      return -1;
    }
  }
  for (uint16_t q = 0; q < tx_queues; ++q) {
    if (rte_eth_tx_queue_setup(port, q, 256, static_cast<unsigned>(socket < 0 ? 0 : socket), nullptr) != 0) {
      err = "cannot set up the transmit queue of '" + name + "'";
      return -1;
    }
  }
  // Not every driver has it; harmless. A port that was not promiscuous is
  // put back at close: net_af_packet sets the flag on the host interface,
  // where it would outlive the sensor.
  g_promisc_set[port] = rte_eth_promiscuous_get(port) == 0 && rte_eth_promiscuous_enable(port) == 0;
  if (rte_eth_dev_start(port) != 0) {
    err = "cannot start DPDK port '" + name + "'";
    return -1;
  }
  if (rx_queues > 1 && info.reta_size > 0) {
    // The redirection table the device uses (not every driver fills it
    // round-robin), for finding the queue of a flow an ICMP error quotes.
    std::vector<rte_eth_rss_reta_entry64> groups((info.reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) /
                                                 RTE_ETH_RETA_GROUP_SIZE);
    for (auto& g : groups) {
      std::memset(&g, 0, sizeof g);
      g.mask = ~uint64_t{0};
    }
    if (rte_eth_dev_rss_reta_query(port, groups.data(), info.reta_size) == 0) {
      rss_map.reta.resize(info.reta_size);
      for (uint16_t i = 0; i < info.reta_size; ++i)
        rss_map.reta[i] = groups[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
    }
  }
  return port;
}

bool dpdk_port_stats(uint16_t port, uint16_t rx_queues, DpdkPortStats& out) {
  rte_eth_stats st;
  if (rte_eth_stats_get(port, &st) != 0) return false;
  out.received = st.ipackets;
  out.missed = st.imissed;
  out.no_mbuf = st.rx_nombuf;
  out.errors = st.ierrors;
  const uint16_t nq = rx_queues < RTE_ETHDEV_QUEUE_STAT_CNTRS ? rx_queues : RTE_ETHDEV_QUEUE_STAT_CNTRS;
  out.queue_received.assign(st.q_ipackets, st.q_ipackets + nq);
  out.queue_errors.assign(st.q_errors, st.q_errors + nq);
  return true;
}

int dpdk_port_numa_node(uint16_t port) {
  const int node = rte_eth_dev_socket_id(port);
  return node < 0 ? -1 : node;
}

void dpdk_port_close(uint16_t port) {
  if (g_promisc_set[port]) rte_eth_promiscuous_disable(port);
  g_promisc_set[port] = false;
  rte_eth_dev_stop(port);
  rte_eth_dev_close(port);
}

void dpdk_eal_cleanup() { rte_eal_cleanup(); }

DpdkRxQueue::DpdkRxQueue(uint16_t port, uint16_t queue, uint32_t idle_end_ms)
    : port_(port),
      queue_(queue),
      idle_end_cycles_(rte_get_timer_hz() / 1000 * idle_end_ms),
      tsc_clock_(rte_get_tsc_hz(), rte_rdtsc(), wall_ns()) {
  // The receive timestamp field, if a driver (net_pcap does) registered it.
  ts_offset_ = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, nullptr);
  const int bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, nullptr);
  ts_flag_ = bit >= 0 ? (uint64_t{1} << bit) : 0;
}

DpdkRxQueue::~DpdkRxQueue() {
  if (held_n_) rte_pktmbuf_free_bulk(held_, held_n_);
}

uint32_t DpdkRxQueue::rx_burst(PacketView* out, uint32_t max) {
  if (served_ == held_n_) {
    // Every packet of the last chunk has been parsed: its mbufs go back to
    // the pool, and the driver fills the next chunk.
    if (held_n_) rte_pktmbuf_free_bulk(held_, held_n_);
    held_n_ = served_ = 0;
    if (done_) return 0;
    const uint16_t n = rte_eth_rx_burst(port_, queue_, held_, kChunk);
    if (n == 0) {
      if (idle_end_cycles_) {
        const uint64_t now = rte_get_timer_cycles();
        if (idle_since_ == 0) {
          idle_since_ = now;
        } else if (now - idle_since_ >= idle_end_cycles_) {
          done_ = true;
        }
      }
      return 0;
    }
    idle_since_ = 0;
    held_n_ = n;
    received_ += n;
    // Without a receive timestamp, the cycle counter read once per chunk.
    chunk_ns_ = tsc_clock_.now_ns(rte_rdtsc(), wall_ns);
  }
  if (max > kBurst) max = kBurst;
  const uint32_t left = static_cast<uint32_t>(held_n_ - served_);
  const uint32_t n = left < max ? left : max;
  rte_mbuf* const* mb = held_ + served_;
  served_ = static_cast<uint16_t>(served_ + n);
  for (uint32_t i = 0; i < n; ++i) {
    rte_mbuf* m = mb[i];
    rte_prefetch0(rte_pktmbuf_mtod(m, void*));
    PacketView& v = out[i];
    v.data = rte_pktmbuf_mtod(m, const uint8_t*);
    v.caplen = rte_pktmbuf_data_len(m);
    v.wirelen = rte_pktmbuf_pkt_len(m);
    if (m->nb_segs > 1) ++multi_segment_;
    if (ts_offset_ >= 0 && (m->ol_flags & ts_flag_)) {
      // net_pcap stores microseconds since the epoch.
      v.ts_ns = *RTE_MBUF_DYNFIELD(m, ts_offset_, rte_mbuf_timestamp_t*) * 1000ULL;
    } else {
      v.ts_ns = chunk_ns_;
    }
    stamp_input_clock(v, last_ts_ns_);
    v.linktype = kLinkEthernet;
    v.pad = 0;
  }
  return n;
}

DpdkLinkSource::DpdkLinkSource(const std::vector<DpdkRxQueue*>& queues, bool strict) : strict_(strict) {
  lanes_.resize(queues.size());
  for (size_t i = 0; i < queues.size(); ++i) lanes_[i].queue = queues[i];
}

uint32_t DpdkLinkSource::rx_burst(PacketView* out, uint32_t max) {
  // Every view handed out before this call is finished with: a lane whose
  // views are all out may ask its queue for more (which frees their mbufs).
  for (Lane& l : lanes_) {
    if (l.pos == l.n && !l.queue->done()) {
      l.n = l.queue->rx_burst(l.views, DpdkRxQueue::kBurst);
      l.pos = 0;
    }
  }
  uint32_t k = 0;
  while (k < max) {
    Lane* best = nullptr;
    for (Lane& l : lanes_) {
      if (l.pos == l.n) {
        // Strict: this port's next packet may be older than any other
        // port's, so nothing more goes out until it has one or is done.
        if (strict_ && !l.queue->done()) return k;
        continue;
      }
      if (!best || l.views[l.pos].ts_ns < best->views[best->pos].ts_ns) best = &l;
    }
    if (!best) break;
    PacketView& v = out[k++];
    v = best->views[best->pos++];
    stamp_input_clock(v, last_ts_ns_);  // the link's clock, not the port's
  }
  return k;
}

bool DpdkLinkSource::done() const {
  for (const Lane& l : lanes_)
    if (l.pos != l.n || !l.queue->done()) return false;
  return true;
}

bool DpdkLinkSource::buffered() const {
  for (const Lane& l : lanes_)
    if (l.pos != l.n || l.queue->buffered()) return true;
  return false;
}

}  // namespace argos
