// libpcap file source: several files read in order ("-" = standard input),
// pcap and pcapng, micro- and nanosecond timestamps. Packets are copied into
// the burst so they outlive libpcap's buffer.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/packet.h"

struct pcap;

namespace argos {

class PcapFileSource {
 public:
  static constexpr uint32_t kMaxCopyBytes = 2048;  // bytes kept per packet (headers + data)

  PcapFileSource(std::vector<std::string> files, std::string bpf_filter, bool bpf_optimize = true);
  ~PcapFileSource();
  PcapFileSource(const PcapFileSource&) = delete;
  PcapFileSource& operator=(const PcapFileSource&) = delete;

  // Checks every named file (except stdin) can be opened, has a supported
  // link type and that the filter compiles. Call once before starting.
  bool validate(std::string& err);

  // Opens every file now, to be read later through these descriptors: for a
  // sensor that confines itself to a directory (-c) before it reaches them.
  bool preopen(std::string& err);

  // -f: the last file is followed as it grows (tail mode). At its end, and
  // at a record not yet written whole, rx_burst naps briefly and returns 0
  // with done() false; `idle_clock`, when given, then holds the packet time
  // the input has reached (the last packet's time plus the time waited
  // since), so that the workers' timers run on while the file is quiet.
  void follow_last(std::atomic<uint64_t>* idle_clock) {
    follow_ = true;
    idle_clock_ = idle_clock;
  }

  // A pipe, a FIFO or standard input that stays quiet is waited on in
  // short naps (rx_burst then returns 0 with done() false), and a FIFO with
  // no writer yet is waited for the same way: the worker sees `stop` (set
  // by SIGINT/SIGTERM) instead of sleeping in read() until the writer moves.
  void stop_on(const std::atomic<bool>* stop) { stop_ = stop; }

  // Fills up to `max` views. Returns 0 at the end of all input (done() is
  // then true) or, when following, while nothing new is there.
  uint32_t rx_burst(PacketView* out, uint32_t max);
  bool done() const { return done_; }
  // True once after the input moved on to its next file, before that file's
  // first packets are handed out (a burst never mixes two files): as argus
  // does, every flow of the files before ends there.
  bool take_boundary() {
    const bool b = boundary_;
    boundary_ = false;
    return b;
  }

  // Errors met while reading (damaged files); reading goes on with the next file.
  const std::vector<std::string>& errors() const { return errors_; }
  int first_linktype() const { return first_linktype_; }

 private:
  bool open_next();
  bool opened_file();  // open_next's success: notes a boundary after the first file
  void close_current();
  bool open_mapped(const std::string& file, int opened_fd);
  uint32_t rx_burst_mapped(PacketView* out, uint32_t max);
  // The file being read is the last one and -f is on.
  bool following() const { return follow_ && next_file_ == files_.size(); }
  // Maps what the followed file has gained; false when it has not grown
  // (or shrank: reported, and the file is closed).
  bool grow_mapping();
  // The followed file shrank below `read_to` (truncated, replaced): said,
  // and the input ends.
  void end_shrunk_file(uint64_t size, uint64_t read_to);

  std::vector<std::string> files_;
  std::vector<int> opened_;  // per file, its descriptor from preopen (-1: none, or used)
  std::string filter_;
  bool optimize_ = true;  // libpcap's BPF optimiser
  size_t next_file_ = 0;
  pcap* cur_ = nullptr;
  std::string cur_name_;
  int cur_linktype_ = -1;
  bool cur_classic_ = false;   // classic pcap: byte offsets are computed exactly
  uint64_t cur_offset_ = 0;    // offset of the next record (classic pcap)
  uint64_t cur_records_ = 0;
  bool done_ = false;
  bool opened_any_ = false;  // a file was opened: the next one starts a new part
  bool boundary_ = false;
  uint64_t last_ts_ns_ = 0;  // latest packet time handed out (PacketView::clock_ns)
  int first_linktype_ = -1;
  std::vector<std::string> errors_;
  uint8_t* slab_ = nullptr;  // kMaxBurst * kMaxCopyBytes

  // Classic pcap files are read straight from a read-only mapping: packets
  // are handed out in place, with no per-packet read call or copy.
  const uint8_t* map_ = nullptr;
  size_t map_len_ = 0;
  size_t map_pos_ = 0;
  // A finished mapping is unmapped only on the next rx_burst call: the
  // packets of the burst that reached its end still point into it.
  // (A burst can span several small files: all of them wait.)
  std::vector<std::pair<const uint8_t*, size_t>> retired_maps_;
  bool map_swapped_ = false;  // file written on a host of the other byte order
  // The file header's snapshot length: longer records are cut to it, as
  // libpcap (and so argus) reads them.
  uint32_t map_snaplen_ = 0;
  int cur_major_ = 0;  // the libpcap-read file's major version (2: classic pcap)
  bool map_nanos_ = false;    // nanosecond timestamps
  size_t map_off_ = 0;        // file offset of map_[0] (a followed file is mapped on from a page)

  const std::atomic<bool>* stop_ = nullptr;  // see stop_on
  bool cur_stream_ = false;  // the file read through libpcap is a pipe, a FIFO or standard input
  // Waits until `fd` has data (or its writer is gone): false when a stop
  // came first.
  bool wait_for_data(int fd) const;
  bool follow_ = false;                           // -f
  std::atomic<uint64_t>* idle_clock_ = nullptr;   // see follow_last
  int follow_fd_ = -1;         // the followed file, mapped: its size is watched
  bool at_end_ = false;        // following, and everything written so far is read
  uint64_t last_data_ns_ = 0;  // steady clock when the followed file last gave packets
  pcap* filter_handle_ = nullptr;  // dead handle holding the compiled filter
  void* filter_prog_ = nullptr;    // bpf_program, when a filter is set
};

// argus's -b: compiles `filter` as it is compiled for reading `file` (the
// first input) or, when `file` is empty, for capturing on `interface`, and
// prints the program to standard output in tcpdump -d form. False with
// `err` when the input cannot be opened or the filter does not compile.
bool print_filter_program(const std::string& file, const std::string& interface, const std::string& filter,
                          bool optimize, std::string& err);

}  // namespace argos
