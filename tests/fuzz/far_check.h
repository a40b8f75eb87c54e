// Shared by the fuzz targets: encodes every flow report a FlowTable emits and
// checks the record and its wire form. A violated invariant calls abort() so
// libFuzzer stops, reports the stack and saves the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "export/argus_encoder.h"
#include "flowtable/flow_record.h"
#include "flowtable/flow_table.h"

namespace argos::fuzz {

[[noreturn]] inline void fail(const char* what, size_t a = 0, size_t b = 0) {
  std::fprintf(stderr, "fuzz invariant violated: %s (%zu, %zu)\n", what, a, b);
  std::abort();
}

// Invariants of a report as it leaves the flow table.
inline void check_record(const FlowRecord& r) {
  // Reports are only sent for flows with packets in the open report.
  if (r.dir[0].pkts + r.dir[1].pkts == 0) fail("report without packets", r.seq);
  if (r.start_ns > r.last_ns) fail("report starts after its last packet", r.start_ns, r.last_ns);
  if (r.cause != kCauseStart && r.cause != kCauseStatus && r.cause != kCauseTimeout &&
      r.cause != kCauseShutdown)
    fail("unknown record cause", r.cause);
  if (r.key.kind == KeyKind::kNone || r.key.kind > KeyKind::kRarp)
    fail("report with an invalid key kind", static_cast<size_t>(r.key.kind));
  if (r.key.pad != 0) fail("flow key padding not zero", r.key.pad);
  if (r.seq == 0) fail("report without a flow id");
}

// Encodes `r` into a kMaxFarBytes buffer and walks the result: a FAR header,
// then DSRs whose word counts are non-zero and end exactly at the record end.
inline void encode_and_check(const FlowRecord& r, const EncodeOptions& opt) {
  check_record(r);
  // Poisoned so a DSR that reports more words than it wrote shows up below
  // as garbage, never as plausible zeros.
  alignas(8) uint8_t buf[kMaxFarBytes];
  for (size_t i = 0; i < kMaxFarBytes; ++i) buf[i] = 0xa5;
  const size_t len = encode_far(r, opt, buf);
  if (len == 0 || len > kMaxFarBytes || len % 4 != 0) fail("FAR length", len);
  if (buf[0] != 0x13) fail("FAR type byte", buf[0]);
  if (buf[1] != r.cause) fail("FAR cause byte", buf[1], r.cause);
  const size_t hdr_words = size_t{buf[2]} << 8 | buf[3];
  if (hdr_words * 4 != len) fail("FAR header length differs from bytes written", hdr_words, len);
  size_t off = 4;
  unsigned dsrs = 0;
  while (off < len) {
    if (len - off < 4) fail("DSR header cut short", off, len);
    // User data (0x50) alone uses the 16-bit length form (subtype bit 0x80).
    const size_t words = (buf[off + 1] & 0x80) ? (size_t{buf[off + 2]} << 8 | buf[off + 3]) : buf[off + 3];
    if ((buf[off + 1] & 0x80) && buf[off] != 0x50) fail("16-bit length form outside user data", off, buf[off]);
    if (words == 0) fail("DSR of zero length", off, buf[off]);
    if (words * 4 > len - off) fail("DSR runs past the record end", off, words);
    off += words * 4;
    ++dsrs;
  }
  // Transport, flow, time, metric, network and encapsulation are always there.
  if (dsrs < 6) fail("FAR with too few DSRs", dsrs);
}

// Emitter that encodes and checks every report; counts them for callers
// that want to check their own totals.
class CheckingEmitter final : public RecordEmitter {
 public:
  explicit CheckingEmitter(const EncodeOptions& opt) : opt_(opt) {}
  void emit(const FlowRecord& rec) override {
    encode_and_check(rec, opt_);
    ++records_;
  }
  uint64_t records() const { return records_; }

 private:
  EncodeOptions opt_;
  uint64_t records_ = 0;
};

}  // namespace argos::fuzz
