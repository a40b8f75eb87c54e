#include "export/argus_encoder.h"

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <initializer_list>

namespace argos {

namespace {

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoEsp = 50;
constexpr uint8_t kProtoIcmp6 = 58;

// Big-endian writer over a caller-sized buffer.
struct Writer {
  uint8_t* p;
  uint8_t* base;
  void u8(uint8_t v) { *p++ = v; }
  void u16(uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
    p += 2;
  }
  void u16le(uint16_t v) {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
    p += 2;
  }
  void u32le(uint32_t v) {
    u16le(static_cast<uint16_t>(v));
    u16le(static_cast<uint16_t>(v >> 16));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }
  void u64(uint64_t v) {
    u32(static_cast<uint32_t>(v >> 32));
    u32(static_cast<uint32_t>(v));
  }
  void bytes(const uint8_t* s, size_t n) {
    std::memcpy(p, s, n);
    p += n;
  }
  void zeros(size_t n) {
    std::memset(p, 0, n);
    p += n;
  }
  void dsr(uint8_t type, uint8_t subtype, uint8_t qual, uint8_t words) {
    u8(type);
    u8(subtype);
    u8(qual);
    u8(words);
  }
  size_t size() const { return static_cast<size_t>(p - base); }
};

void put_time(Writer& w, uint64_t ns) {
  w.u32(static_cast<uint32_t>(ns / 1'000'000'000ULL));
  w.u32(static_cast<uint32_t>(ns % 1'000'000'000ULL / 1000));
}

uint8_t transport_qual(SrcIdType t) {
  switch (t) {
    case SrcIdType::kIPv4: return 0x01;
    case SrcIdType::kInt: return 0x20;
    case SrcIdType::kString: return 0x21;
    default: return 0x00;
  }
}

uint32_t mar_status(SrcIdType t) {
  switch (t) {
    case SrcIdType::kIPv4: return 0x00800000;
    case SrcIdType::kInt: return 0x00400000;
    case SrcIdType::kString: return 0x00200000;
    default: return 0;
  }
}

// The flow DSR of an ARP-form key (7 words: qualifier 0x04 ARP, 0x05 RARP)
// up to its addresses: hardware and protocol types and lengths, operation.
void put_arp_header(Writer& w, const FlowKey& k, uint8_t qualifier, uint16_t op) {
  w.dsr(0x02, 0x06, qualifier, 7);
  w.u16(k.sport);  // hardware type
  w.u16(k.dport);  // protocol type
  w.u8(6);
  w.u8(4);
  w.u16(op);
}

void put_flow(Writer& w, const FlowRecord& r, bool unidirectional) {
  const FlowKey& k = r.key;
  if (k.flags & kKeyMatrix) {
    // LAYER_3_MATRIX: the address pair alone, in the record's order. argus
    // 3.0.8.2 writes an IPv4 pair as host-order (little-endian on x86)
    // words, which is what ra reads back; IPv6 in network order.
    if (k.kind == KeyKind::kIPv6) {
      w.dsr(0x02, 0x03, 0x02, 9);
      w.bytes(k.src, 16);
      w.bytes(k.dst, 16);
    } else {
      w.dsr(0x02, 0x03, 0x01, 3);
      for (const uint8_t* a : {k.src, k.dst}) {
        const uint8_t le[4] = {a[3], a[2], a[1], a[0]};
        w.bytes(le, 4);
      }
    }
    return;
  }
  switch (k.kind) {
    case KeyKind::kIPv4: {
      w.dsr(0x02, 0x01, 0x01, 5);
      w.bytes(k.src, 4);
      w.bytes(k.dst, 4);
      w.u8(k.proto);
      w.u8(k.tp_p);
      if (k.proto == kProtoIcmp) {
        // Type and code, then id/seq (or the quoted port) in the byte order
        // argus 3.0.8.2 writes on x86 (little-endian), which ra prints.
        w.u8(static_cast<uint8_t>(k.sport >> 8));
        w.u8(static_cast<uint8_t>(k.sport));
        w.u16le(k.dport);
        w.u16le(static_cast<uint16_t>(k.aux));
      } else if (k.proto == kProtoEsp) {
        w.u8(0);
        w.u8(0);
        w.u32(k.aux);  // SPI
      } else {
        w.u16(k.sport);
        w.u16(k.dport);
        // DNS transaction id in the mask bytes (no MASKLEN: readers ignore).
        w.u16le(k.proto == kProtoUdp ? static_cast<uint16_t>(k.aux) : 0);
      }
      return;
    }
    case KeyKind::kIPv6: {
      w.dsr(0x02, 0x01, 0x02, 11);
      w.bytes(k.src, 16);
      w.bytes(k.dst, 16);
      w.u32(static_cast<uint32_t>(k.proto) << 24);
      if (k.proto == kProtoIcmp6) {
        w.u8(static_cast<uint8_t>(k.sport >> 8));
        w.u8(static_cast<uint8_t>(k.sport));
        w.u16(0);
      } else {
        w.u16(k.sport);
        w.u16(k.dport);
      }
      return;
    }
    case KeyKind::kIPv4Frag: {
      w.dsr(0x02, 0x01, 0x81, 5);
      w.bytes(k.src, 4);
      w.bytes(k.dst, 4);
      w.u8(k.proto);
      w.u8(0);
      w.zeros(4);
      w.u16(static_cast<uint16_t>(k.aux));
      return;
    }
    case KeyKind::kIPv6Frag: {
      // argus stores it in its canonical IPv6 order, with REVERSE when the
      // source's first differing 32-bit word is the smaller; ra turns it
      // back, and the fragment id (in the ports' place) shows as dport
      // then, as sport otherwise.
      bool reverse = false;
      for (int i = 0; i < 16; i += 4) {
        const uint32_t a = uint32_t{k.src[i]} << 24 | k.src[i + 1] << 16 | k.src[i + 2] << 8 | k.src[i + 3];
        const uint32_t b = uint32_t{k.dst[i]} << 24 | k.dst[i + 1] << 16 | k.dst[i + 2] << 8 | k.dst[i + 3];
        if (a != b) {
          reverse = a < b;
          break;
        }
      }
      w.dsr(0x02, reverse ? 0x41 : 0x01, 0x82, 11);
      w.bytes(reverse ? k.dst : k.src, 16);
      w.bytes(reverse ? k.src : k.dst, 16);
      w.u32(static_cast<uint32_t>(k.proto) << 24);
      w.u32le(k.aux);  // fragment id in the byte order argus writes (ra shows it as sport)
      return;
    }
    case KeyKind::kRarp:
      // As argus writes it: the request's operation code whatever the
      // packet's, the target protocol address, then the source and target
      // hardware addresses.
      put_arp_header(w, k, 0x05, 3);
      w.bytes(k.dst, 4);
      w.bytes(k.src, 6);
      w.bytes(k.dst + 4, 6);
      return;
    case KeyKind::kArp:
      // Full 6-byte requester hardware address: 7 words (argus writes 6 and
      // truncates it).
      put_arp_header(w, k, 0x04, 1);
      w.bytes(k.src, 4);
      w.bytes(k.dst, 4);
      w.bytes(k.src + 4, 6);
      w.zeros(2);
      return;
    case KeyKind::kEther:
    default: {
      // argus stores L2 keys in canonical order (the greater MAC first) and
      // flags them REVERSE; ra 3 prints them as stored, ra 5 turns them
      // back. Writing the same bytes keeps both clients' output identical to
      // argus's records. Unidirectional, argus writes the frame's order.
      const bool reverse = !unidirectional && std::memcmp(k.src, k.dst, 6) > 0;
      w.dsr(0x02, reverse ? 0x41 : 0x01, 0x03, 5);
      w.bytes(reverse ? k.src : k.dst, 6);
      w.bytes(reverse ? k.dst : k.src, 6);
      w.u16(static_cast<uint16_t>(k.aux >> 16));
      w.u8(static_cast<uint8_t>(k.aux >> 8));
      w.u8(static_cast<uint8_t>(k.aux));
      return;
    }
  }
}

// Bidirectional form: the compact form's subtype with a flag per pair that
// follows: each direction's start, and its end when it differs.
void put_time_bidir(Writer& w, const FlowRecord& r) {
  uint8_t sub = r.start_ns / 1000 == r.last_ns / 1000 ? 0x01 : 0x02;
  uint64_t pairs[4];
  unsigned n = 0;
  for (unsigned d = 0; d < 2; ++d) {
    const DirMetrics& m = r.dir[d];
    if (!m.pkts) continue;
    sub = static_cast<uint8_t>(sub | (d ? 0x20 : 0x08));
    pairs[n++] = m.first_ns;
    if (m.last_ns / 1000 != m.first_ns / 1000) {
      sub = static_cast<uint8_t>(sub | (d ? 0x40 : 0x10));
      pairs[n++] = m.last_ns;
    }
  }
  w.dsr(0x03, sub, 0x18, static_cast<uint8_t>(1 + 2 * n));
  for (unsigned i = 0; i < n; ++i) put_time(w, pairs[i]);
}

void put_time_dsr(Writer& w, const FlowRecord& r) {
  const uint64_t s_us = r.start_ns / 1000;
  const uint64_t l_us = r.last_ns / 1000;
  if (s_us == l_us) {
    w.dsr(0x03, 0x01, 0x18, 3);
    put_time(w, r.start_ns);
  } else {
    w.dsr(0x03, 0x02, 0x18, 5);
    put_time(w, r.start_ns);
    put_time(w, r.last_ns);
  }
}

// Counter width as argus chooses it: the smallest form that holds the bytes.
// With -A (subtype 4) every direction carries packets, bytes and
// application bytes at one width, chosen by argus's rule on the byte counts
// (the other counters never exceed them); the tail pads to a word.
void put_metric_app(Writer& w, const FlowRecord& r) {
  const DirMetrics& s = r.dir[0];
  const DirMetrics& d = r.dir[1];
  const bool both = s.pkts && d.pkts;
  // Packets can outnumber bytes (zero-length frames), and application
  // bytes can too (an ICMP error counts the length its quoted datagram
  // claims, as argus counts it): all three are measured, as argus does.
  const auto largest = [](const DirMetrics& m) { return std::max({m.bytes, m.app_bytes, uint64_t{m.pkts}}); };
  const uint64_t big = both ? std::max(largest(s), largest(d)) : largest(s.pkts ? s : d);
  // Widths: 1, 2, 4 or 8 bytes; qualifiers per direction set.
  const unsigned width = big <= 0xff ? 1 : big <= 0xffff ? 2 : big <= 0xffffffffULL ? 4 : 8;
  const unsigned step = width == 1 ? 0 : width == 2 ? 1 : width == 4 ? 2 : 3;
  const uint8_t qual = both ? static_cast<uint8_t>(0x01 + step) : static_cast<uint8_t>((s.pkts ? 0x05 : 0x09) + step);
  const unsigned dirs = both ? 2 : 1;
  const size_t payload = dirs * 3 * width;
  w.dsr(0x10, 0x04, qual, static_cast<uint8_t>(1 + (payload + 3) / 4));
  auto put = [&](uint64_t v) {
    switch (width) {
      case 1: w.u8(static_cast<uint8_t>(v)); break;
      case 2: w.u16(static_cast<uint16_t>(v)); break;
      case 4: w.u32(static_cast<uint32_t>(v)); break;
      default: w.u64(v); break;
    }
  };
  for (const DirMetrics* m : {&s, &d}) {
    if (!m->pkts && !both) continue;
    put(m->pkts);
    put(m->bytes);
    put(m->app_bytes);
  }
  w.zeros((4 - payload % 4) % 4);
}

// -Z: smallest and largest frame per direction that sent packets.
void put_packet_size(Writer& w, const FlowRecord& r) {
  const DirMetrics& s = r.dir[0];
  const DirMetrics& d = r.dir[1];
  if (s.pkts && d.pkts) {
    w.dsr(0x12, 0x00, 0x02, 3);
    w.u16(s.min_size);
    w.u16(s.max_size);
    w.u16(d.min_size);
    w.u16(d.max_size);
    return;
  }
  const DirMetrics& m = s.pkts ? s : d;
  w.dsr(0x12, 0x00, s.pkts ? 0x06 : 0x0A, 2);
  w.u16(m.min_size);
  w.u16(m.max_size);
}

// -J: one 5-word block (n, then min, mean, stddev, max as XDR floats, in
// microseconds) per direction and kind that has intervals; qualifier bits
// 0x01 src active, 0x02 src idle, 0x04 dst active, 0x08 dst idle.
void put_jitter(Writer& w, const FlowRecord& r) {
  uint8_t qual = 0;
  uint8_t blocks = 0;
  for (unsigned d = 0; d < 2; ++d)
    for (unsigned k = 0; k < 2; ++k)
      if (r.jitter[d][k].n) {
        qual = static_cast<uint8_t>(qual | 1u << (2 * d + k));
        ++blocks;
      }
  if (!blocks) return;
  w.dsr(0x46, 0x00, qual, static_cast<uint8_t>(1 + 5 * blocks));
  const auto f32 = [&](float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    w.u32(bits);
  };
  for (unsigned d = 0; d < 2; ++d)
    for (unsigned k = 0; k < 2; ++k) {
      const JitterStats& j = r.jitter[d][k];
      if (!j.n) continue;
      w.u32(j.n);
      f32(static_cast<float>(j.min_us));
      f32(j.mean_us);
      f32(j.stddev_us);
      f32(static_cast<float>(j.max_us));
    }
}

// -U: each direction's first user bytes, in the DSR's 16-bit length form
// (argus-format.md 6.12): size (the -U value), count, the bytes padded to a
// word. A direction without bytes has none.
void put_user(Writer& w, const FlowRecord& r) {
  for (unsigned d = 0; d < 2; ++d) {
    const uint16_t n = r.user_len[d];
    if (!n || !r.user_buf) continue;
    const uint16_t words = static_cast<uint16_t>(2 + (n + 3) / 4);
    w.u8(0x50);
    w.u8(d == 0 ? 0x90 : 0xa0);
    w.u16(words);
    w.u16(r.user_capacity);
    w.u16(n);
    w.bytes(r.user_buf + d * size_t{kMaxUserBytes}, n);
    w.zeros((4 - n % 4) % 4);
  }
}

// -m: the addresses in the layout of the Ethernet flow key (destination
// first); argus writes the EtherType little-endian, which clients ignore.
// Raw IP frames have none: no MAC DSR, as from argus.
void put_mac(Writer& w, const FlowRecord& r) {
  if (!(r.flags & kRecHasMacs)) return;
  uint16_t ether_type = 0;
  switch (r.key.kind) {
    case KeyKind::kIPv4:
    case KeyKind::kIPv4Frag: ether_type = 0x0800; break;
    case KeyKind::kIPv6:
    case KeyKind::kIPv6Frag: ether_type = 0x86dd; break;
    case KeyKind::kArp: ether_type = 0x0806; break;
    case KeyKind::kRarp: ether_type = 0x8035; break;
    default: ether_type = static_cast<uint16_t>(r.key.aux >> 16); break;
  }
  w.dsr(0x42, 0x00, r.mac_multipath ? 0x02 : 0x00, 5);
  w.bytes(r.mac_dst, 6);
  w.bytes(r.mac_src, 6);
  w.u16le(ether_type);
  w.u16(0);  // DSAP, SSAP
}

void put_metric(Writer& w, const FlowRecord& r) {
  const DirMetrics& s = r.dir[0];
  const DirMetrics& d = r.dir[1];
  if (s.pkts && d.pkts) {
    if (s.pkts <= 255 && s.bytes <= 255 && d.pkts <= 255 && d.bytes <= 255) {
      w.dsr(0x10, 0x01, 0x01, 2);
      w.u8(static_cast<uint8_t>(s.pkts));
      w.u8(static_cast<uint8_t>(s.bytes));
      w.u8(static_cast<uint8_t>(d.pkts));
      w.u8(static_cast<uint8_t>(d.bytes));
    } else if (s.bytes <= 0xffff && d.bytes <= 0xffff && s.pkts <= 0xffff && d.pkts <= 0xffff) {
      w.dsr(0x10, 0x01, 0x02, 3);
      w.u16(static_cast<uint16_t>(s.pkts));
      w.u16(static_cast<uint16_t>(s.bytes));
      w.u16(static_cast<uint16_t>(d.pkts));
      w.u16(static_cast<uint16_t>(d.bytes));
    } else if (s.bytes <= 0xffffffffULL && d.bytes <= 0xffffffffULL) {
      w.dsr(0x10, 0x01, 0x03, 5);
      w.u32(s.pkts);
      w.u32(static_cast<uint32_t>(s.bytes));
      w.u32(d.pkts);
      w.u32(static_cast<uint32_t>(d.bytes));
    } else {
      w.dsr(0x10, 0x01, 0x04, 9);
      w.u64(s.pkts);
      w.u64(s.bytes);
      w.u64(d.pkts);
      w.u64(d.bytes);
    }
    return;
  }
  const bool src = s.pkts != 0;
  const DirMetrics& m = src ? s : d;
  const uint8_t base = src ? 0x06 : 0x0A;  // SHORT form of the direction
  // Packet counts are tested too: zero-length frames (or cooked-capture
  // frames trimmed to nothing) can outnumber their bytes.
  if (m.bytes <= 0xffff && m.pkts <= 0xffff) {
    w.dsr(0x10, 0x01, base, 2);
    w.u16(static_cast<uint16_t>(m.pkts));
    w.u16(static_cast<uint16_t>(m.bytes));
  } else if (m.bytes <= 0xffffffffULL) {
    w.dsr(0x10, 0x01, static_cast<uint8_t>(base + 1), 3);
    w.u32(m.pkts);
    w.u32(static_cast<uint32_t>(m.bytes));
  } else {
    w.dsr(0x10, 0x01, static_cast<uint8_t>(base + 2), 5);
    w.u64(m.pkts);
    w.u64(m.bytes);
  }
}

void put_tcp_dir(Writer& w, const TcpDir& t, const DirMetrics& m) {
  put_time(w, m.last_ns);
  w.u32(t.status);
  w.u32(t.seqbase);
  w.u32(t.seq_high);
  w.u32(t.ack);
  w.u32(m.pkts);  // winnum: segments carrying a window advertisement
  w.u32(t.payload_bytes);
  w.u32(t.retrans);
  w.u32(0);  // ackbytes
  w.u32(t.unacked_bytes);  // winbytes
  w.u16(t.win);
  w.u8(t.flags);
  w.u8(t.wscale);
}

void put_network(Writer& w, const FlowRecord& r, bool tcp_perf) {
  const FlowKey& k = r.key;
  const bool ip_key = k.kind == KeyKind::kIPv4 || k.kind == KeyKind::kIPv6;
  if (r.flags & kRecTcp) {
    const TcpMetrics& t = r.tcp;
    const uint32_t pkts = r.dir[0].pkts + r.dir[1].pkts;
    if (pkts == 1 && r.cause == kCauseStart) {
      const unsigned d = r.dir[0].pkts ? 0 : 1;
      w.dsr(0x30, 0x03, 0x00, 5);
      w.u32(t.status);
      w.u32(t.dir[d].seqbase);
      w.u32(t.options);
      w.u16(t.dir[d].win);
      w.u8(t.dir[d].flags);
      w.u8(t.dir[d].wscale);
      return;
    }
    if (!tcp_perf) {  // TCP_STATUS: the state bits and each side's flags
      w.dsr(0x30, 0x04, 0x00, 3);
      w.u32(t.status);
      w.u8(t.dir[0].flags);
      w.u8(t.dir[1].flags);
      w.u16(0);
      return;
    }
    w.dsr(0x30, 0x05, 0x00, 30);
    w.u32(t.status);
    w.u32(t.fsm_state);
    w.u32(t.options);
    w.u32(t.synack_us);
    w.u32(t.ackdat_us);
    put_tcp_dir(w, t.dir[0], r.dir[0]);
    put_tcp_dir(w, t.dir[1], r.dir[1]);
    return;
  }
  if (ip_key && (k.proto == kProtoIcmp || k.proto == kProtoIcmp6)) {
    w.dsr(0x30, 0x34, 0x00, 7);
    w.u8(static_cast<uint8_t>(k.sport >> 8));
    w.u8(static_cast<uint8_t>(k.sport));
    w.zeros(2 + 5 * 4);
    return;
  }
  if (k.kind == KeyKind::kArp) {
    w.dsr(0x30, 0x10, 0x00, 44);
    w.bytes(r.arp_responder_mac, 6);
    w.zeros(2 + 41 * 4);  // 44 words in all
    return;
  }
  if (ip_key && k.proto == kProtoEsp) {
    w.dsr(0x30, 0x38, 0x00, 5);
    w.u32(r.esp.status);
    w.u32(k.aux);
    w.u32(r.esp.last_seq);
    w.u32(r.esp.lost);
    return;
  }
  if (k.kind == KeyKind::kIPv4Frag || k.kind == KeyKind::kIPv6Frag) {
    // Fragment bookkeeping form: ra flags such records as partial
    // fragments ('f'). Status word set; the per-fragment detail is not kept.
    w.dsr(0x30, 0x45, 0x00, 14);
    w.u32(1);
    w.zeros(12 * 4);
    return;
  }
  w.dsr(0x30, 0x00, 0x00, 1);
}

void put_vlan_mpls(Writer& w, const FlowRecord& r) {
  const DirMetrics& s = r.dir[0];
  const DirMetrics& d = r.dir[1];
  if (r.flags & kRecHasVlan) {
    const uint8_t q = static_cast<uint8_t>((s.has_vlan ? 0x01 : 0) | (d.has_vlan ? 0x02 : 0));
    w.dsr(0x40, 0x00, q, 2);
    w.u16(s.vlan_tci);
    w.u16(d.vlan_tci);
  }
  if (r.flags & kRecHasMpls) {
    const uint8_t sub = static_cast<uint8_t>((s.has_mpls ? 0x01 : 0) | (d.has_mpls ? 0x02 : 0));
    const uint8_t q = static_cast<uint8_t>((s.has_mpls ? 0x10 : 0) | (d.has_mpls ? 0x01 : 0));
    w.dsr(0x44, sub, q, static_cast<uint8_t>(1 + (s.has_mpls ? 1 : 0) + (d.has_mpls ? 1 : 0)));
    if (s.has_mpls) w.u32(s.mpls_lse);
    if (d.has_mpls) w.u32(d.mpls_lse);
  }
}

void put_ipattr(Writer& w, const FlowRecord& r) {
  if (!(r.flags & kRecIsIp)) return;
  const DirMetrics& s = r.dir[0];
  const DirMetrics& d = r.dir[1];
  uint8_t q = 0;
  uint8_t words = 1;
  // A side quiet in this report keeps its attributes from an earlier one.
  const bool src = s.pkts || s.attrs_carried;
  const bool dst = d.pkts || d.attrs_carried;
  if (src) {
    q |= 0x01;
    ++words;
    if (s.ip_opts) {
      q |= 0x04;
      ++words;
    }
  }
  if (dst) {
    q |= 0x02;
    ++words;
    if (d.ip_opts) {
      q |= 0x08;
      ++words;
    }
  }
  if (s.fragments) q |= 0x10;
  if (d.fragments) q |= 0x20;
  w.dsr(0x48, 0x00, q, words);
  // Words in the order src, src options, dst, dst options. The IP id goes
  // out byte-reversed, as argus writes it, so sipid/dipid print the same as
  // argus's records.
  for (const DirMetrics* m : {&s, &d}) {
    if (!m->pkts && !m->attrs_carried) continue;
    w.u8(m->ttl);
    w.u8(m->tos);
    w.u16le(m->ip_id);
    if (m->ip_opts) w.u32(m->ip_opts);
  }
}

}  // namespace

bool parse_source_id(const char* text, SourceId& out) {
  if (!text || !*text) return false;
  const size_t n = std::strlen(text);
  if (text[0] == '"') {
    if (n < 3 || text[n - 1] != '"') return false;
    uint8_t b[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < 4 && i + 1 < n - 1; ++i) b[i] = static_cast<uint8_t>(text[1 + i]);
    out.type = SrcIdType::kString;
    out.value = static_cast<uint32_t>(b[0]) << 24 | static_cast<uint32_t>(b[1]) << 16 |
                static_cast<uint32_t>(b[2]) << 8 | b[3];
    return true;
  }
  if (n > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(text + 2, &end, 16);
    if (*end || v > 0xffffffffUL) return false;
    out.type = SrcIdType::kIPv4;
    out.value = static_cast<uint32_t>(v);
    return true;
  }
  unsigned parts[4];
  int dots = 0;
  for (const char* c = text; *c; ++c) dots += *c == '.';
  if (dots == 3) {
    char tail;
    if (std::sscanf(text, "%u.%u.%u.%u%c", &parts[0], &parts[1], &parts[2], &parts[3], &tail) != 4)
      return false;
    for (unsigned p : parts)
      if (p > 255) return false;
    out.type = SrcIdType::kIPv4;
    out.value = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3];
    return true;
  }
  char* end = nullptr;
  const unsigned long v = std::strtoul(text, &end, 10);
  if (*end || text[0] == '-' || v > 0xffffffffUL) return false;
  out.type = SrcIdType::kInt;
  out.value = static_cast<uint32_t>(v);
  return true;
}

size_t encode_far(const FlowRecord& r, const EncodeOptions& opt, uint8_t* out) {
  Writer w{out + 4, out};
  // DSRs in argus's index order: transport, flow, time, metric, network,
  // VLAN, MPLS, IP attributes, packet size, MAC, ICMP-mapped, encapsulation.
  w.dsr(0x01, 0x03, transport_qual(opt.srcid.type), 3);
  w.u32(opt.srcid.value);
  w.u32(r.seq);
  put_flow(w, r, opt.unidirectional);
  if (opt.bidir_timestamps)
    put_time_bidir(w, r);
  else
    put_time_dsr(w, r);
  if (opt.app_bytes)
    put_metric_app(w, r);
  else
    put_metric(w, r);
  put_network(w, r, opt.tcp_perf);
  put_vlan_mpls(w, r);
  if (opt.jitter) put_jitter(w, r);
  put_ipattr(w, r);
  if (opt.packet_size) put_packet_size(w, r);
  put_user(w, r);
  if (opt.mac) put_mac(w, r);
  if (r.flags & kRecIcmpMapped) {
    w.dsr(0x34, 0x00, 0x01, 8);
    w.u8(r.icmp.type);
    w.u8(r.icmp.code);
    w.u16(0);
    w.bytes(r.icmp.icmp_src, 4);
    w.bytes(r.icmp.icmp_dst, 4);
    w.bytes(r.icmp.inner_src, 4);
    w.bytes(r.icmp.inner_dst, 4);
    w.u32(r.icmp.gateway);
    w.u32(0);
  }
  w.dsr(0x20, 0x00, 0x00, 3);
  w.u32(r.dir[0].pkts ? r.dir[0].encaps : 0);
  w.u32(r.dir[1].pkts ? r.dir[1].encaps : 0);
  const size_t len = w.size();
  out[0] = 0x13;
  out[1] = r.cause;
  out[2] = static_cast<uint8_t>(len / 4 >> 8);
  out[3] = static_cast<uint8_t>(len / 4);
  return len;
}

void mar_set_now(uint8_t* mar, size_t len, uint64_t now_ns) {
  if (len < 40) return;
  Writer w{mar + 32, mar + 32};
  put_time(w, now_ns);
}

size_t encode_mar(const MarInfo& m, uint8_t* out) {
  Writer w{out, out};
  const uint8_t cause = m.kind == MarKind::kStart ? 0x10 : m.kind == MarKind::kStatus ? 0x20 : 0x30;
  w.u8(0x83);
  w.u8(cause);
  w.u16(32);
  w.u32(mar_status(m.srcid.type));
  // The start MAR carries the cookie where later MARs carry the source id.
  // argus writes a string id into MARs byte-reversed (its byte-order pass
  // swaps it); ra swaps it back, so the same bytes print the same id.
  const uint32_t mar_id = m.srcid.type == SrcIdType::kString ? __builtin_bswap32(m.srcid.value)
                                                              : m.srcid.value;
  w.u32(m.kind == MarKind::kStart ? kArgusCookie : mar_id);
  w.u32(0);  // localnet
  w.u32(0);  // netmask
  w.u32(m.sequence);
  put_time(w, m.start_ns);
  put_time(w, m.now_ns);
  w.u8(3);  // major version
  w.u8(0);  // minor version
  w.u8(m.kind == MarKind::kStart ? 0 : m.interface_type);
  w.u8(0);
  w.u16(m.report_interval_s);
  w.u16(m.mar_interval_s);
  w.u64(m.pkts_rcvd);
  w.u64(m.bytes_rcvd);
  w.u64(0);  // drift
  w.u32(m.records);
  w.u32(m.flows);
  w.u32(m.dropped);
  w.u32(0);  // queue
  w.u32(0);  // output
  w.u32(m.clients);
  w.u32(0);  // bufs
  w.u32(0);  // bytes
  w.u16(0);  // suserlen
  w.u16(0);  // duserlen
  w.zeros(12);
  if (m.kind == MarKind::kStart) {
    w.u32(mar_id);
  } else {
    w.u32(0);
  }
  w.u32(0xffffffffU);
  return w.size();
}

}  // namespace argos
