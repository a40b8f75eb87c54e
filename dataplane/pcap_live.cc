#include "dataplane/pcap_live.h"

#include <pcap/pcap.h>
#include <poll.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace argos {

PcapLiveSource::PcapLiveSource(PcapLiveConfig cfg) : cfg_(std::move(cfg)) {
  slab_ = static_cast<uint8_t*>(std::malloc(size_t{kSlabPackets} * kMaxCopyBytes));
}

PcapLiveSource::~PcapLiveSource() {
  if (handle_) pcap_close(handle_);
  std::free(slab_);
}

bool PcapLiveSource::open(std::string& err) {
  const std::string where = "cannot capture on interface '" + cfg_.interface + "': ";
  if (!slab_) {
    err = "out of memory";
    return false;
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  handle_ = pcap_create(cfg_.interface.c_str(), errbuf);
  if (!handle_) {
    err = where + errbuf;
    return false;
  }
  pcap_set_snaplen(handle_, static_cast<int>(cfg_.snaplen));
  pcap_set_promisc(handle_, cfg_.promiscuous ? 1 : 0);
  // Immediate mode hands packets over as they arrive rather than when a
  // kernel block fills; the timeout is a fallback where it is not offered.
  pcap_set_immediate_mode(handle_, 1);
  pcap_set_timeout(handle_, 10);
  if (cfg_.buffer_bytes) pcap_set_buffer_size(handle_, static_cast<int>(cfg_.buffer_bytes));
  const bool nanos = pcap_set_tstamp_precision(handle_, PCAP_TSTAMP_PRECISION_NANO) == 0;
  const int rc = pcap_activate(handle_);
  if (rc < 0) {
    // Plain PCAP_ERROR carries its text in pcap_geterr; the specific codes
    // (no such device, permission denied, ...) have a status text, and
    // sometimes libpcap's detail as well.
    const std::string status = pcap_statustostr(rc);
    const std::string detail = pcap_geterr(handle_);
    err = where + (rc == PCAP_ERROR || status == detail ? detail
                   : detail.empty()                    ? status
                                                       : status + " (" + detail + ")");
    pcap_close(handle_);
    handle_ = nullptr;
    return false;
  }
  // rc > 0 is a warning (e.g. promiscuous mode not supported): capture goes on.
  frac_scale_ = nanos && pcap_get_tstamp_precision(handle_) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
  linktype_ = pcap_datalink(handle_);
  if (!link_type_supported(linktype_)) {
    const char* n = pcap_datalink_val_to_name(linktype_);
    err = where + "unsupported link type " + std::to_string(linktype_) +
          (n ? std::string(" (") + n + ")" : std::string());
    return false;
  }
  if (!cfg_.bpf_filter.empty()) {
    bpf_u_int32 net = 0, mask = PCAP_NETMASK_UNKNOWN;
    if (pcap_lookupnet(cfg_.interface.c_str(), &net, &mask, errbuf) != 0) mask = PCAP_NETMASK_UNKNOWN;
    bpf_program prog;
    if (pcap_compile(handle_, &prog, cfg_.bpf_filter.c_str(), 1, mask) != 0) {
      err = "filter expression '" + cfg_.bpf_filter + "' does not compile for interface '" +
            cfg_.interface + "': " + pcap_geterr(handle_);
      return false;
    }
    const int frc = pcap_setfilter(handle_, &prog);
    pcap_freecode(&prog);
    if (frc != 0) {
      err = where + "cannot set the filter: " + pcap_geterr(handle_);
      return false;
    }
  }
  if (pcap_setnonblock(handle_, 1, errbuf) != 0) {
    err = where + "cannot set non-blocking mode: " + errbuf;
    return false;
  }
  fd_ = pcap_get_selectable_fd(handle_);
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
            static_cast<uint64_t>(h->ts.tv_usec) * self->frac_scale_;
  v.clock_ns = self->last_ts_ns_;
  if (v.ts_ns > self->last_ts_ns_) self->last_ts_ns_ = v.ts_ns;
  v.linktype = static_cast<uint16_t>(self->linktype_);
  v.pad = 0;
  self->burst_n_ = n + 1;
}

uint32_t PcapLiveSource::rx_burst(PacketView* out, uint32_t max) {
  if (done_ || !handle_) return 0;
  if (max > kSlabPackets) max = kSlabPackets;
  burst_out_ = out;
  burst_n_ = 0;
  // Two tries: what is ready now, then (if nothing was) what arrives
  // within the idle wait.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int rc = pcap_dispatch(handle_, static_cast<int>(max), on_packet,
                                 reinterpret_cast<unsigned char*>(this));
    if (rc < 0) {
      errors_.push_back("capture on interface '" + cfg_.interface + "' failed: " +
                        (rc == PCAP_ERROR_BREAK ? std::string("interrupted") : std::string(pcap_geterr(handle_))));
      done_ = true;
      break;
    }
    if (burst_n_ || attempt == 1 || fd_ < 0 || cfg_.idle_wait_ms <= 0) break;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, cfg_.idle_wait_ms) <= 0) break;
  }
  return burst_n_;
}

bool PcapLiveSource::capture_stats(CaptureStats& out) {
  if (!handle_) return false;
  pcap_stat st{};
  if (pcap_stats(handle_, &st) != 0) return false;
  out.received = st.ps_recv;
  out.dropped = st.ps_drop;
  out.if_dropped = st.ps_ifdrop;
  return true;
}

}  // namespace argos
