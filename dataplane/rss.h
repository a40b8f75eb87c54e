// Receive-side scaling: the Toeplitz hash NICs use to spread flows over
// receive queues, a symmetric key (both directions of a flow hash alike, so
// they reach one queue and one worker) and the start-up self-test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "flowtable/flow_key.h"

namespace argos {

// 0x6d5a repeated: with this key the Toeplitz hash of (src, dst, sport,
// dport) equals that of (dst, src, dport, sport). 52 bytes covers the NICs
// that take a longer key; the usual 40-byte key is its prefix.
inline constexpr size_t kRssKeyBytes = 52;
extern const uint8_t kSymmetricRssKey[kRssKeyBytes];

// Toeplitz hash of `input` (network byte order, as the NIC reads the
// headers) under `key` (at least input_len + 4 bytes).
uint32_t toeplitz_hash(const uint8_t* key, size_t key_len, const uint8_t* input, size_t input_len);

// The NIC's IPv4 TCP/UDP hash input: source and destination address, source
// and destination port, big-endian (12 bytes). Addresses in host order.
void rss_ipv4_input(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t out[12]);

// Checks that `key` maps both directions of sample IPv4 and IPv6 flows to
// the same queue out of `queues` (redirection table of `reta_size` entries
// filled round-robin). False with a message naming the first flow that
// splits.
bool rss_symmetry_self_test(const uint8_t* key, size_t key_len, uint16_t queues,
                            uint16_t reta_size, std::string& err);

// Which receive queue a port's RSS gives a flow: the Toeplitz hash of its
// addresses (and ports, where the port hashes TCP and UDP by them) under
// the port's key, through its redirection table. With the symmetric key
// both directions of a flow give the same queue.
struct RssQueueMap {
  std::vector<uint8_t> key;
  std::vector<uint16_t> reta;  // hash % size -> queue
  bool ports = false;          // TCP and UDP (unfragmented) hash with their ports
  // The queue of flow `k` (an IP key in either order); 0 for other keys,
  // which the NIC does not hash.
  uint16_t queue_of(const FlowKey& k) const;
};

// Whether two ports put flows on the same queues: sampled over a fixed set
// of IPv4 and IPv6 TCP flows (several ports are read as one link, queue q
// of each by worker q).
bool rss_maps_agree(const RssQueueMap& a, const RssQueueMap& b);

// The map of a port hashing addresses alone with the symmetric key (40
// bytes) and a 128-entry redirection table filled round-robin over
// `queues`: what Argos asks of a NIC, and assumes for devices without RSS.
RssQueueMap symmetric_rss_map(uint16_t queues);

}  // namespace argos
