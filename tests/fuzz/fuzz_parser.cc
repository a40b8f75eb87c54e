// libFuzzer target: one frame through the parser, a small flow table and the
// FAR encoder.
//
// Input layout:
//   byte 0       selector: low nibble picks the link type (kLinkTypes[n % 10]),
//                bits 4-6 are the kFlag* options below, bit 7 turns every
//                record switch on (-A -Z -m -J -U 64, bidirectional timestamps,
//                TCP_STATUS instead of TCP_PERF)
//   [12 bytes]   only with kFlagMeta: packet time in ns (8 bytes) and the
//                frame's wire length (4 bytes), both big-endian
//   rest         the frame, from its link-layer header on
//
// Seed files made by run_fuzz.sh are one byte (the index into kLinkTypes)
// followed by a frame of a capture; the two lists must stay in step.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "dataplane/packet.h"
#include "dataplane/parser.h"
#include "export/argus_encoder.h"
#include "flowtable/flow_table.h"
#include "tests/fuzz/far_check.h"

namespace {

using namespace argos;

// Every link type parse_packet() accepts, in the order of the seed prefix byte.
constexpr uint16_t kLinkTypes[] = {kLinkEthernet, kLinkSll, kLinkSll2, kLinkRaw,  kLinkRawDlt,
                                   kLinkIPv4,     kLinkIPv6, kLinkNull, kLinkLoop, kLinkRawDlt14};
constexpr size_t kLinkTypeCount = sizeof kLinkTypes / sizeof kLinkTypes[0];

constexpr uint8_t kFlagMeta = 0x10;    // time and wire length come from the input
constexpr uint8_t kFlagRepeat = 0x20;  // the frame again 1 us later, then one status interval later
constexpr uint8_t kFlagExpire = 0x40;  // sweep after every idle timeout ran out, then the frame again

constexpr size_t kMetaBytes = 12;
constexpr uint64_t kDefaultTsNs = 1'700'000'000'000'000'000ULL;
constexpr uint32_t kTableFlows = 1024;

uint64_t rd_be(const uint8_t* p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
}

// Packet times are chosen here, so the harness itself must not wrap them.
uint64_t add_sat(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

void check_parse(ParseResult r, const ParsedPacket& p) {
  if (static_cast<unsigned>(r) >= kParseResultCount) fuzz::fail("parse result out of range");
  if ((r == ParseResult::kUnsupportedLink || r == ParseResult::kTruncatedL2) &&
      p.key.kind != KeyKind::kNone)
    fuzz::fail("unusable frame left a flow key", static_cast<size_t>(r));
  if (p.key.kind > KeyKind::kRarp) fuzz::fail("key kind out of range");
  if (p.key.pad != 0) fuzz::fail("key padding not zero", p.key.pad);
  if (p.has_inner && p.inner_key.pad != 0) fuzz::fail("inner key padding not zero");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t sel = data[0];
  const uint16_t linktype = kLinkTypes[(sel & 0x0f) % kLinkTypeCount];
  ++data;
  --size;
  uint64_t ts_ns = kDefaultTsNs;
  uint64_t wire_len = size;
  if (sel & kFlagMeta) {
    if (size < kMetaBytes) return 0;
    ts_ns = rd_be(data, 8);
    wire_len = rd_be(data + 8, 4);
    data += kMetaBytes;
    size -= kMetaBytes;
  }
  if (size > UINT32_MAX) return 0;

  // The frame lives in its own exactly-sized allocation so AddressSanitizer
  // catches a read one byte past the capture.
  std::unique_ptr<uint8_t[]> frame(new uint8_t[size ? size : 1]);
  if (size) std::memcpy(frame.get(), data, size);

  ParsedPacket p;
  const ParseResult r = parse_packet(frame.get(), static_cast<uint32_t>(size), linktype, p);
  check_parse(r, p);
  // Differential: the common-case shortcut must agree with the general parser.
  ParsedPacket g;
  const ParseResult rg = parse_packet_general(frame.get(), static_cast<uint32_t>(size), linktype, g);
  if (rg != r || std::memcmp(&g, &p, kParsedHeadBytes) != 0 ||
      (p.has_macs && (std::memcmp(g.mac_src, p.mac_src, 6) || std::memcmp(g.mac_dst, p.mac_dst, 6))))
    fuzz::fail("parse_packet and parse_packet_general disagree");
  // As run_worker fills them.
  p.wire_len = wire_len > p.wire_trim ? static_cast<uint32_t>(wire_len - p.wire_trim) : 0;
  p.ts_ns = ts_ns;

  const bool switches = sel & 0x80;
  uint8_t user[64];
  if (switches) {
    // -U 64, as run_worker copies the bytes out of the frame.
    PacketView v{};
    v.data = frame.get();
    v.caplen = static_cast<uint32_t>(size);
    copy_user_bytes(v, sizeof user, user, p);
  }
  FlowTableConfig cfg;
  cfg.capacity = kTableFlows;
  cfg.extra_metrics = switches;
  cfg.user_bytes = switches ? sizeof user : 0;
  cfg.jitter = switches;
  FlowTable table(cfg);
  if (!table.ok()) fuzz::fail("flow table allocation");
  EncodeOptions opt;
  opt.srcid.type = SrcIdType::kIPv4;
  opt.srcid.value = 0x0a000001;
  opt.app_bytes = opt.packet_size = opt.mac = opt.bidir_timestamps = opt.jitter = switches;
  opt.tcp_perf = !switches;
  fuzz::CheckingEmitter out(opt);

  table.process_burst(&p, 1, out);
  if (sel & kFlagRepeat) {
    ParsedPacket again[2] = {p, p};
    again[0].ts_ns = add_sat(ts_ns, 1000);
    again[1].ts_ns = add_sat(ts_ns, cfg.status_interval_ns);
    table.process_burst(again, 2, out);
  }
  if (sel & kFlagExpire) {
    uint64_t longest = 0;
    for (uint64_t t : cfg.idle_timeout_ns) longest = t > longest ? t : longest;
    const uint64_t later = add_sat(ts_ns, 2 * (longest + cfg.status_interval_ns));
    table.sweep(later, table.capacity(), out);
    ParsedPacket again = p;
    again.ts_ns = later;
    table.process_burst(&again, 1, out);
  }
  table.flush_all(0, out);
  if (table.active_flows() != 0) fuzz::fail("flows left after flush_all", table.active_flows());
  return 0;
}
