// Splits an Ethernet capture into N captures the way a NIC with symmetric
// RSS over addresses spreads a link over N receive queues (Argos asks
// that of a NIC; symmetric_rss_map): each packet by the Toeplitz hash of
// the addresses of its flow key, so both directions of a flow and its
// fragments land in the same output, and an ICMP error where its own
// addresses send it, which for an error from a router on the path is not
// where the flow it quotes is. Packets without IP addresses go to the first
// output, which a NIC does not hash. Feeding the outputs to one net_pcap
// vdev (one rx_pcap per queue) exercises several receive queues, each with
// its own worker, without RSS hardware.
//
// With --tap the capture is also split by direction, as a network tap's two
// ports see it, one direction each: the first half of the outputs gets the
// packets sent from the lower address of their pair (queue by queue), the
// second half the others, each half spread over its queues the same way.
//
// usage: split_pcap [--tap] IN OUT0 OUT1 [OUT2...]
#include <pcap/pcap.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/parser.h"
#include "dataplane/rss.h"

int main(int argc, char** argv) {
  const bool tap = argc > 1 && std::string(argv[1]) == "--tap";
  if (tap) {
    --argc;
    ++argv;
  }
  if (argc < 4 || (tap && (argc - 2) % 2 != 0)) {
    std::fprintf(stderr, "usage: split_pcap [--tap] IN OUT0 OUT1 [OUT2...] (--tap: an even count)\n");
    return 2;
  }
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* in = pcap_open_offline(argv[1], errbuf);
  if (!in) {
    std::fprintf(stderr, "split_pcap: %s\n", errbuf);
    return 1;
  }
  const int linktype = pcap_datalink(in);
  std::vector<pcap_dumper_t*> outs;
  for (int i = 2; i < argc; ++i) {
    pcap_dumper_t* d = pcap_dump_open(in, argv[i]);
    if (!d) {
      std::fprintf(stderr, "split_pcap: %s: %s\n", argv[i], pcap_geterr(in));
      return 1;
    }
    outs.push_back(d);
  }
  const uint32_t n = static_cast<uint32_t>(tap ? outs.size() / 2 : outs.size());
  pcap_pkthdr* h;
  const u_char* data;
  argos::ParsedPacket parsed;
  const argos::RssQueueMap rss = argos::symmetric_rss_map(static_cast<uint16_t>(n));
  int rc;
  while ((rc = pcap_next_ex(in, &h, &data)) == 1) {
    argos::parse_packet(data, h->caplen, static_cast<uint16_t>(linktype), parsed);
    uint32_t q = rss.queue_of(parsed.key);
    // The key is in the sender's order (but where the protocol fixes it):
    // one direction each way of the address pair.
    const bool high_sender = (std::memcmp(parsed.key.src, parsed.key.dst, 16) > 0) != parsed.from_key_dst;
    if (tap && high_sender) q += n;
    pcap_dump(reinterpret_cast<u_char*>(outs[q]), h, data);
  }
  if (rc == -1) {
    std::fprintf(stderr, "split_pcap: %s: %s\n", argv[1], pcap_geterr(in));
    return 1;
  }
  for (auto* d : outs) pcap_dump_close(d);
  pcap_close(in);
  return 0;
}
