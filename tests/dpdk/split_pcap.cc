// Splits an Ethernet capture into N captures the way a NIC with symmetric
// RSS spreads a link over N receive queues: every packet of a flow (both
// directions, its fragments, the ICMP errors quoting it) lands in the same
// output, chosen by the worker hash of the software dispatcher. Feeding the
// outputs to one net_pcap vdev (one rx_pcap per queue) exercises several
// receive queues, each with its own worker, without RSS hardware.
//
// usage: split_pcap IN OUT0 OUT1 [OUT2...]
#include <pcap/pcap.h>

#include <cstdio>
#include <vector>

#include "dataplane/dispatch.h"
#include "dataplane/parser.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: split_pcap IN OUT0 OUT1 [OUT2...]\n");
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
  const uint32_t n = static_cast<uint32_t>(outs.size());
  pcap_pkthdr* h;
  const u_char* data;
  argos::ParsedPacket parsed;
  int rc;
  while ((rc = pcap_next_ex(in, &h, &data)) == 1) {
    argos::parse_packet(data, h->caplen, static_cast<uint16_t>(linktype), parsed);
    const uint32_t q = parsed.key.kind == argos::KeyKind::kNone ? 0 : argos::dispatch_worker(parsed, n);
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
