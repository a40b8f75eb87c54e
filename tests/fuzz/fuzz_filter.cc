// libFuzzer target: the record filter compiler, which reads text from the
// network (a stream client's FILTER: message) as well as from the
// configuration. Any input must compile or give one message, never crash,
// hang or recurse without bound; and a filter that compiles must select
// exactly the records its negation does not.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "export/record_filter.h"
#include "tests/fuzz/far_check.h"

namespace {

using namespace argos;

FlowRecord flow(KeyKind kind, uint8_t proto, const char* src, const char* dst, uint16_t sport, uint16_t dport,
                uint32_t spkts, uint32_t dpkts) {
  FlowRecord r{};
  r.key.kind = kind;
  r.key.proto = proto;
  const int af = kind == KeyKind::kIPv6 ? AF_INET6 : AF_INET;
  inet_pton(af, src, r.key.src);
  inet_pton(af, dst, r.key.dst);
  r.key.sport = sport;
  r.key.dport = dport;
  r.dir[0].pkts = spkts;
  r.dir[1].pkts = dpkts;
  r.dir[0].bytes = uint64_t{spkts} * 90;
  r.dir[1].bytes = uint64_t{dpkts} * 1400;
  r.dir[0].ttl = 64;
  r.dir[1].ttl = 128;
  return r;
}

// A few records of every kind the filter words tell apart.
const std::vector<FlowRecord>& records() {
  static const std::vector<FlowRecord> recs = [] {
    std::vector<FlowRecord> v;
    FlowRecord web = flow(KeyKind::kIPv4, 6, "10.0.0.6", "93.184.216.34", 51000, 443, 12, 9);
    web.flags = kRecTcp | kRecIsIp;
    web.tcp.status = kTcpSawSyn | kTcpSawSynSent | kTcpEstablished | kTcpSrcRetrans | kTcpDstReset;
    web.tcp.dir[0].flags = 0x1b;
    v.push_back(web);
    FlowRecord dns = flow(KeyKind::kIPv6, 17, "2001:db8::1", "ff02::fb", 5353, 53, 1, 0);
    v.push_back(dns);
    FlowRecord unreach = flow(KeyKind::kIPv4, 17, "10.0.0.6", "224.0.0.251", 40000, 53, 2, 0);
    unreach.flags = kRecIcmpMapped | kRecFragments;
    unreach.icmp.type = 3;
    unreach.dir[0].fragments = 1;
    v.push_back(unreach);
    v.push_back(flow(KeyKind::kIPv4, 1, "10.0.0.6", "10.0.0.1", 0x0800, 7, 1, 1));
    FlowRecord arp = flow(KeyKind::kArp, 0, "10.0.0.6", "10.0.0.1", 0, 0, 1, 1);
    v.push_back(arp);
    return v;
  }();
  return recs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using argos::fuzz::fail;
  const std::string text(reinterpret_cast<const char*>(data), size);
  RecordFilter f;
  std::string err;
  if (!f.compile(text, err)) {
    if (err.empty()) fail("refused without a message");
    if (!f.empty()) fail("a refused filter kept nodes");
    return 0;
  }
  (void)f.directed();
  RecordFilter neg;
  if (!neg.compile("not (" + text + ")", err)) return 0;  // one level too deep: fine
  for (size_t i = 0; i < records().size(); ++i)
    if (f.match(records()[i]) == neg.match(records()[i])) fail("a filter and its negation agree", i);
  return 0;
}
