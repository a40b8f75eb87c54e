#include "dataplane/pcap_live.h"

#include <pcap/pcap.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <cstring>
#include <utility>

namespace argos {

PcapLiveSource::PcapLiveSource(PcapLiveConfig cfg) : cfg_(std::move(cfg)) {
  slab_ = static_cast<uint8_t*>(std::malloc(size_t{kSlabPackets} * kMaxCopyBytes));
}

PcapLiveSource::~PcapLiveSource() {
  for (auto& c : caps_)
    if (c.handle) pcap_close(c.handle);
  std::free(slab_);
}

bool PcapLiveSource::open(std::string& err) {
  if (!slab_) {
    err = "out of memory";
    return false;
  }
  caps_.clear();
  caps_.reserve(cfg_.interfaces.size());
  for (const auto& name : cfg_.interfaces) {
    caps_.push_back(Capture{});
    caps_.back().name = name;
    if (!open_one(caps_.back(), err)) return false;
  }
  if (caps_.empty()) {
    err = "no interface to capture on";
    return false;
  }
  return true;
}

bool PcapLiveSource::open_one(Capture& c, std::string& err) {
  const std::string where = "cannot capture on interface '" + c.name + "': ";
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  c.handle = pcap_create(c.name.c_str(), errbuf);
  if (!c.handle) {
    err = where + errbuf;
    return false;
  }
  pcap_set_snaplen(c.handle, static_cast<int>(cfg_.snaplen));
  pcap_set_promisc(c.handle, cfg_.promiscuous ? 1 : 0);
  // Immediate mode hands packets over as they arrive rather than when a
  // kernel block fills; the timeout is a fallback where it is not offered.
  pcap_set_immediate_mode(c.handle, 1);
  pcap_set_timeout(c.handle, 10);
  if (cfg_.buffer_bytes) pcap_set_buffer_size(c.handle, static_cast<int>(cfg_.buffer_bytes));
  const bool nanos = pcap_set_tstamp_precision(c.handle, PCAP_TSTAMP_PRECISION_NANO) == 0;
  const int rc = pcap_activate(c.handle);
  if (rc < 0) {
    // Plain PCAP_ERROR carries its text in pcap_geterr; the specific codes
    // (no such device, permission denied, ...) have a status text, and
    // sometimes libpcap's detail as well.
    const std::string status = pcap_statustostr(rc);
    const std::string detail = pcap_geterr(c.handle);
    open_host_state_ = rc == PCAP_ERROR_NO_SUCH_DEVICE || rc == PCAP_ERROR_IFACE_NOT_UP;
    err = where + (rc == PCAP_ERROR || status == detail ? detail
                   : detail.empty()                    ? status
                                                       : status + " (" + detail + ")");
    pcap_close(c.handle);
    c.handle = nullptr;
    return false;
  }
  // rc > 0 is a warning (e.g. promiscuous mode not supported): capture goes on.
  c.frac_scale = nanos && pcap_get_tstamp_precision(c.handle) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
  c.linktype = pcap_datalink(c.handle);
  if (!link_type_supported(c.linktype)) {
    const char* n = pcap_datalink_val_to_name(c.linktype);
    err = where + "unsupported link type " + std::to_string(c.linktype) +
          (n ? std::string(" (") + n + ")" : std::string());
    return false;
  }
  if (!cfg_.bpf_filter.empty()) {
    bpf_u_int32 net = 0, mask = PCAP_NETMASK_UNKNOWN;
    if (pcap_lookupnet(c.name.c_str(), &net, &mask, errbuf) != 0) mask = PCAP_NETMASK_UNKNOWN;
    bpf_program prog;
    if (pcap_compile(c.handle, &prog, cfg_.bpf_filter.c_str(), cfg_.bpf_optimize ? 1 : 0, mask) != 0) {
      err = "filter expression '" + cfg_.bpf_filter + "' does not compile for interface '" + c.name +
            "': " + pcap_geterr(c.handle);
      return false;
    }
    const int frc = pcap_setfilter(c.handle, &prog);
    pcap_freecode(&prog);
    if (frc != 0) {
      err = where + "cannot set the filter: " + pcap_geterr(c.handle);
      return false;
    }
  }
  if (pcap_setnonblock(c.handle, 1, errbuf) != 0) {
    err = where + "cannot set non-blocking mode: " + errbuf;
    return false;
  }
  c.fd = pcap_get_selectable_fd(c.handle);
  return true;
}

void PcapLiveSource::on_packet(unsigned char* user, const pcap_pkthdr* h, const unsigned char* data) {
  auto* self = reinterpret_cast<PcapLiveSource*>(user);
  const uint32_t n = self->burst_n_;
  const uint32_t copy = h->caplen < kMaxCopyBytes ? h->caplen : kMaxCopyBytes;
  uint8_t* dst = self->slab_ + size_t{n} * kMaxCopyBytes;
  std::memcpy(dst, data, copy);
  PacketView& v = self->burst_out_[n];
  v.data = dst;
  v.caplen = copy;
  v.wirelen = h->len < copy ? copy : h->len;
  v.ts_ns = static_cast<uint64_t>(h->ts.tv_sec) * 1'000'000'000ULL +
            static_cast<uint64_t>(h->ts.tv_usec) * self->cur_->frac_scale;
  // Interfaces read in turn interleave by bursts, a little out of time
  // order: the timer clock moves back only when the system clock does.
  stamp_input_clock(v, self->last_ts_ns_);
  v.linktype = static_cast<uint16_t>(self->cur_->linktype);
  v.pad = 0;
  self->burst_n_ = n + 1;
}

namespace {
uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}
}  // namespace

void PcapLiveSource::close_failed(Capture& c, const char* why) {
  c.failed = true;
  c.failed_at_ns = monotonic_ns();
  ++failed_;
  ++failures_;
  c.error_index = errors_.size();
  c.reopen_error.clear();
  errors_.push_back("capture on interface '" + c.name + "' failed: " + why);
  // Once per failure and at once (a rare event, not a per-packet one): a
  // long-running sensor must not keep this for its exit.
  std::fprintf(stderr, "argos: %s; opening it again every second%s\n", errors_.back().c_str(),
               caps_.size() > 1 ? ", the other interfaces go on" : "");
  pcap_stat st{};
  if (pcap_stats(c.handle, &st) == 0) {
    c.closed.received += st.ps_recv;
    c.closed.dropped += st.ps_drop;
    c.closed.if_dropped += st.ps_ifdrop;
  }
  pcap_close(c.handle);
  c.handle = nullptr;
  c.fd = -1;
  if (next_reopen_ns_ == 0) next_reopen_ns_ = c.failed_at_ns + kReopenIntervalNs;
}

void PcapLiveSource::reopen_failed() {
  const uint64_t now = monotonic_ns();
  if (now < next_reopen_ns_) return;
  next_reopen_ns_ = now + kReopenIntervalNs;
  for (Capture& c : caps_) {
    if (!c.failed) continue;
    std::string why;
    if (!open_one(c, why)) {
      if (c.handle) pcap_close(c.handle);  // opened but not set up (filter, link type)
      c.handle = nullptr;
      // Said when the reason changes: an interface that is back but cannot
      // be opened (no permission after -u, say) is not mistaken for one
      // still missing.
      if (why != c.reopen_error) std::fprintf(stderr, "argos: interface '%s' not opened again yet: %s\n",
                                              c.name.c_str(), why.c_str());
      c.reopen_error = why;
      continue;
    }
    c.failed = false;
    --failed_;
    const double gap_s = static_cast<double>(now - c.failed_at_ns) / 1e9;
    std::fprintf(stderr, "argos: capture on interface '%s' resumed after %.1f s\n", c.name.c_str(), gap_s);
    // The exit still tells of the gap (status 1), as a gap, not as a
    // capture that was down at the end.
    char gap[48];
    std::snprintf(gap, sizeof gap, "; resumed after %.1f s", gap_s);
    errors_[c.error_index] += gap;
  }
  if (failed_ == 0) next_reopen_ns_ = 0;
}

uint32_t PcapLiveSource::rx_burst(PacketView* out, uint32_t max) {
  if (caps_.empty()) return 0;
  if (failed_ > 0) reopen_failed();
  // The kernel's counters are read by this thread only (libpcap adds each
  // read to its totals); other threads see the copy published here. A
  // coarse clock read per burst, a system call per interface a second.
  if (const uint64_t now = monotonic_ns(); now >= next_publish_ns_) {
    next_publish_ns_ = now + kPublishIntervalNs;
    CaptureStats s;
    capture_stats(s);
    published_[0].store(s.received, std::memory_order_relaxed);
    published_[1].store(s.dropped, std::memory_order_relaxed);
    published_[2].store(s.if_dropped, std::memory_order_relaxed);
  }
  if (max > kSlabPackets) max = kSlabPackets;
  burst_out_ = out;
  burst_n_ = 0;
  const size_t n = caps_.size();
  // Two rounds: what is ready now, then (if nothing was) what arrives
  // within the idle wait.
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (size_t k = 0; k < n && burst_n_ < max; ++k) {
      Capture& c = caps_[(first_ + k) % n];
      if (c.failed) continue;
      cur_ = &c;
      const int rc = pcap_dispatch(c.handle, static_cast<int>(max - burst_n_), on_packet,
                                   reinterpret_cast<unsigned char*>(this));
      if (rc < 0) close_failed(c, rc == PCAP_ERROR_BREAK ? "interrupted" : pcap_geterr(c.handle));
    }
    first_ = (first_ + 1) % n;
    if (burst_n_ || attempt == 1 || cfg_.idle_wait_ms <= 0) break;
    pollfd pfds[kMaxInterfaces];
    nfds_t np = 0;
    for (const Capture& c : caps_)
      if (!c.failed && c.fd >= 0 && np < kMaxInterfaces) pfds[np++] = pollfd{c.fd, POLLIN, 0};
    if (np == 0) {
      // Nothing to wait on (every interface down, or none selectable):
      // wait all the same, rather than spin a core.
      ::usleep(static_cast<useconds_t>(cfg_.idle_wait_ms) * 1000);
      break;
    }
    if (::poll(pfds, np, cfg_.idle_wait_ms) <= 0) break;
  }
  return burst_n_;
}

bool PcapLiveSource::capture_stats(CaptureStats& out, std::vector<CaptureStats>* each) {
  out = CaptureStats{};
  if (each) each->clear();
  for (const Capture& c : caps_) {
    pcap_stat st{};
    CaptureStats one = c.closed;
    if (c.handle && pcap_stats(c.handle, &st) == 0) {
      one.received += st.ps_recv;
      one.dropped += st.ps_drop;
      one.if_dropped += st.ps_ifdrop;
    }
    out.received += one.received;
    out.dropped += one.dropped;
    out.if_dropped += one.if_dropped;
    if (each) each->push_back(one);
  }
  return !caps_.empty();
}

}  // namespace argos
