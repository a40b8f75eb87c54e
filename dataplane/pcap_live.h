// libpcap live source: one interface or several read as one (the two
// directions of a tapped link arrive on two ports), promiscuous unless asked
// otherwise, non-blocking reads in bursts. Packets are copied into the
// source's slab so they outlive libpcap's ring; they carry libpcap's
// (wall-clock) timestamps.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/packet.h"

struct pcap;
struct pcap_pkthdr;

namespace argos {

struct PcapLiveConfig {
  std::vector<std::string> interfaces;  // each opened with the same settings
  std::string bpf_filter;
  bool bpf_optimize = true;
  uint32_t snaplen = 2048;       // bytes captured per packet (headers and some data)
  bool promiscuous = true;
  uint32_t buffer_bytes = 0;     // kernel capture buffer; 0 = libpcap's default
  int idle_wait_ms = 5;          // longest wait in rx_burst when nothing is ready
};

// Capture statistics as libpcap reports them (pcap_stats).
struct CaptureStats {
  uint64_t received = 0;     // ps_recv: packets the capture saw
  uint64_t dropped = 0;      // ps_drop: dropped by the kernel (buffer full)
  uint64_t if_dropped = 0;   // ps_ifdrop: dropped by the interface or its driver
};

class PcapLiveSource {
 public:
  static constexpr uint32_t kMaxCopyBytes = 2048;  // bytes kept per packet
  static constexpr uint32_t kSlabPackets = 64;     // largest burst
  static constexpr size_t kMaxInterfaces = 16;     // interfaces one sensor reads

  explicit PcapLiveSource(PcapLiveConfig cfg);
  ~PcapLiveSource();
  PcapLiveSource(const PcapLiveSource&) = delete;
  PcapLiveSource& operator=(const PcapLiveSource&) = delete;

  // Opens and activates every capture, sets the filter and non-blocking
  // mode. On failure `err` is one line naming the interface and the cause.
  bool open(std::string& err);
  // After a failed open: the interface was missing or down, a state of the
  // machine that may pass (rather than a refusal such as permissions).
  bool open_failed_on_host_state() const { return open_host_state_; }

  // Fills up to `max` views with the packets ready now, taking each
  // interface in turn (the first one served moves on at every call, so a
  // flooded interface cannot starve the others). When none is ready it
  // waits at most idle_wait_ms for a capture to become readable (a libpcap
  // host should not spin a core) and returns 0 if still nothing. The views
  // stay valid until the next call.
  uint32_t rx_burst(PacketView* out, uint32_t max);
  // A live capture never ends by itself. An interface that fails to read
  // (it went away: a NIC reset, a virtual interface re-created) is said on
  // stderr at once, kept in errors(), and opened again every
  // kReopenInterval until it is back, while the others carry on.
  bool done() const { return false; }
  static constexpr uint64_t kReopenIntervalNs = 1'000'000'000ULL;
  // Read failures so far (each one a gap in the capture).
  uint64_t failures() const { return failures_; }
  const std::vector<std::string>& errors() const { return errors_; }
  // The first interface's link type (the MARs name one).
  int linktype() const { return caps_.empty() ? -1 : caps_[0].linktype; }
  const std::string& interface_name(size_t i) const { return caps_[i].name; }

  // Reads libpcap's counters, summed over the interfaces, and with `each`
  // per interface. Call from the thread that reads the capture, or after it
  // stopped: on Linux each read of the kernel counters resets them.
  bool capture_stats(CaptureStats& out, std::vector<CaptureStats>* each = nullptr);
  // The totals as the reading thread last read them (about once a second),
  // for any other thread: the periodic stats line.
  CaptureStats published_stats() const {
    return {published_[0].load(std::memory_order_relaxed), published_[1].load(std::memory_order_relaxed),
            published_[2].load(std::memory_order_relaxed)};
  }
  static constexpr uint64_t kPublishIntervalNs = 1'000'000'000ULL;

 private:
  static void on_packet(unsigned char* user, const pcap_pkthdr* h, const unsigned char* data);

  struct Capture {
    std::string name;
    pcap* handle = nullptr;
    int fd = -1;  // selectable descriptor, -1 when libpcap offers none
    int linktype = -1;
    uint64_t frac_scale = 1000;  // ns per timestamp fraction unit (1 with nanosecond stamps)
    bool failed = false;         // a read failed: closed until it opens again
    uint64_t failed_at_ns = 0;   // monotonic time of the failure
    CaptureStats closed;         // counters of the handles closed after a failure
    size_t error_index = 0;      // its entry in errors_ (rewritten when it is back)
    std::string reopen_error;    // why the last attempt to open it again failed (said once)
  };
  bool open_one(Capture& c, std::string& err);
  void close_failed(Capture& c, const char* why);
  void reopen_failed();

  PcapLiveConfig cfg_;
  std::vector<Capture> caps_;
  size_t first_ = 0;          // the interface served first by the next burst
  size_t failed_ = 0;         // interfaces down now
  uint64_t failures_ = 0;
  uint64_t next_reopen_ns_ = 0;  // monotonic time of the next attempt
  uint64_t next_publish_ns_ = 0;  // monotonic time of the next published_ refresh
  std::atomic<uint64_t> published_[3] = {};  // received, dropped, if_dropped
  const Capture* cur_ = nullptr;  // the capture on_packet is reading
  uint8_t* slab_ = nullptr;     // kSlabPackets * kMaxCopyBytes
  PacketView* burst_out_ = nullptr;  // the burst being filled by on_packet
  uint32_t burst_n_ = 0;
  uint64_t last_ts_ns_ = 0;
  std::vector<std::string> errors_;
  bool open_host_state_ = false;
};

}  // namespace argos
