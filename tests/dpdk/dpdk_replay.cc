// Replays a pcap file through DPDK's net_pcap virtual device into the same
// worker loop, flow table and exporter argos runs, and writes an Argus file.
// Used by dpdk_test.py to check that DPDK replay gives the records `argos -r`
// gives. No NIC and no hugepages: --no-huge --no-pci --no-shconf.
//
// usage: dpdk_replay PCAP OUT.argus
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/dpdk_source.h"
#include "dataplane/worker.h"
#include "export/exporter.h"
#include "export/file_sink.h"
#include "flowtable/flow_table.h"

int main(int argc, char** argv) {
  using namespace argos;
  if (argc != 3) {
    std::fprintf(stderr, "usage: dpdk_replay PCAP OUT.argus\n");
    return 2;
  }
  std::string err, note;
  argos::RssQueueMap rss_map;
  const std::vector<std::string> eal = {"dpdk_replay", "--no-huge", "--no-pci", "--no-shconf",
                                        "-m", "256", "-l", "0", "--log-level", "lib.*:error",
                                        "--vdev", std::string("net_pcap0,rx_pcap=") + argv[1]};
  if (!dpdk_eal_init(eal, err)) {
    std::fprintf(stderr, "dpdk_replay: %s\n", err.c_str());
    return 2;
  }
  const int port = dpdk_port_open("net_pcap0", 1, 0, note, rss_map, err);
  if (port < 0) {
    std::fprintf(stderr, "dpdk_replay: %s\n", err.c_str());
    return 2;
  }
  FileSink sink;
  if (!sink.open(argv[2], err)) {
    std::fprintf(stderr, "dpdk_replay: %s\n", err.c_str());
    return 2;
  }
  FlowTableConfig tcfg;
  tcfg.capacity = 1u << 16;
  FlowTable table(tcfg);
  BatchChannel channel;
  WorkerCounters counters;
  ExportConfig ecfg;
  ecfg.start_wall_ns = wall_clock_ns();
  Exporter exporter(ecfg, {&channel}, {&sink}, nullptr);
  exporter.write_start();
  std::thread export_thread([&exporter] { exporter.run(); });

  // net_pcap signals no end of file: the queue ends after 300 ms without a packet.
  DpdkRxQueue queue(static_cast<uint16_t>(port), 0, 300);
  WorkerContext ctx;
  ctx.table = &table;
  ctx.channel = &channel;
  ctx.counters = &counters;
  run_worker(queue, ctx);
  export_thread.join();
  sink.close();
  std::fprintf(stderr, "dpdk_replay: packets=%llu records=%llu multi_segment=%llu\n",
               static_cast<unsigned long long>(queue.received()),
               static_cast<unsigned long long>(exporter.records_written()),
               static_cast<unsigned long long>(queue.multi_segment()));
  return 0;
}
