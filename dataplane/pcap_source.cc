#include "dataplane/pcap_source.h"

#include <pcap/pcap.h>

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace argos {

namespace {
constexpr uint32_t kSlabPackets = 64;
// A followed file is polled this often while nothing new is written.
constexpr int kFollowNapMs = 20;

std::string link_name(int dlt) {
  const char* n = pcap_datalink_val_to_name(dlt);
  return std::to_string(dlt) + (n ? std::string(" (") + n + ")" : std::string());
}

pcap* open_offline(const std::string& file, std::string& err) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap* p = pcap_open_offline_with_tstamp_precision(file.c_str(), PCAP_TSTAMP_PRECISION_NANO,
                                                     errbuf);
  if (!p) err = "cannot read pcap file '" + (file == "-" ? std::string("<stdin>") : file) +
                "': " + errbuf;
  return p;
}

// The same through a descriptor opened earlier (duplicated: libpcap closes
// its stream).
pcap* open_offline_fd(int fd, const std::string& file, std::string& err) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  const int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  FILE* fp = own >= 0 ? ::fdopen(own, "rb") : nullptr;
  if (!fp) {
    if (own >= 0) ::close(own);
    err = "cannot read pcap file '" + file + "': " + std::strerror(errno);
    return nullptr;
  }
  pcap* p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (!p) {
    std::fclose(fp);
    err = "cannot read pcap file '" + file + "': " + errbuf;
  }
  return p;
}

bool set_filter(pcap* p, const std::string& filter, bool optimize, const std::string& file, std::string& err) {
  if (filter.empty()) return true;
  bpf_program prog;
  if (pcap_compile(p, &prog, filter.c_str(), optimize ? 1 : 0, PCAP_NETMASK_UNKNOWN) != 0) {
    err = "filter expression '" + filter + "' does not compile for '" + file +
          "': " + pcap_geterr(p);
    return false;
  }
  const int rc = pcap_setfilter(p, &prog);
  pcap_freecode(&prog);
  if (rc != 0) {
    err = std::string("cannot set the filter: ") + pcap_geterr(p);
    return false;
  }
  return true;
}
}  // namespace

PcapFileSource::PcapFileSource(std::vector<std::string> files, std::string bpf_filter, bool bpf_optimize)
    : files_(std::move(files)), filter_(std::move(bpf_filter)), optimize_(bpf_optimize) {
  slab_ = static_cast<uint8_t*>(std::malloc(size_t{kSlabPackets} * kMaxCopyBytes));
}

PcapFileSource::~PcapFileSource() {
  close_current();
  for (int fd : opened_)
    if (fd >= 0) ::close(fd);
  for (const auto& [addr, len] : retired_maps_) ::munmap(const_cast<uint8_t*>(addr), len);
  std::free(slab_);
}

bool PcapFileSource::validate(std::string& err) {
  if (!slab_) {
    err = "out of memory";
    return false;
  }
  for (const std::string& f : files_) {
    if (f == "-") continue;  // stdin can be read once only: checked when opened
    // A missing or unreadable file is a configuration error; a file whose
    // contents are damaged is reported when it is read, after the records
    // of the files before it are written.
    struct stat st;
    if (::stat(f.c_str(), &st) != 0) {
      err = "cannot read pcap file '" + f + "': " + std::strerror(errno);
      return false;
    }
    if (S_ISDIR(st.st_mode)) {
      err = "cannot read pcap file '" + f + "': it is a directory";
      return false;
    }
    // A FIFO or a pipe (`-r <(zcat x.pcap.gz)`) can be read once only, like
    // standard input: it is judged when it is read.
    if (!S_ISREG(st.st_mode)) continue;
    const int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      err = "cannot read pcap file '" + f + "': " + std::strerror(errno);
      return false;
    }
    ::close(fd);
    std::string open_err;
    pcap* p = open_offline(f, open_err);
    if (!p) continue;
    const int dlt = pcap_datalink(p);
    if (!link_type_supported(dlt)) {
      err = "pcap file '" + f + "' has unsupported link type " + link_name(dlt);
      pcap_close(p);
      return false;
    }
    if (first_linktype_ < 0) first_linktype_ = dlt;
    const bool ok = set_filter(p, filter_, optimize_, f, err);
    pcap_close(p);
    if (!ok) return false;
  }
  return true;
}

bool PcapFileSource::preopen(std::string& err) {
  for (const std::string& f : files_) {
    int fd = -1;
    if (f != "-" && (fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC)) < 0) {
      err = "cannot read pcap file '" + f + "': " + std::strerror(errno);
      return false;
    }
    opened_.push_back(fd);
  }
  return true;
}

void PcapFileSource::close_current() {
  if (cur_) pcap_close(cur_);
  cur_ = nullptr;
  cur_stream_ = false;
  if (map_) retired_maps_.emplace_back(map_, map_len_);
  map_ = nullptr;
  map_len_ = 0;
  map_off_ = 0;
  at_end_ = false;
  if (follow_fd_ >= 0) ::close(follow_fd_);
  follow_fd_ = -1;
  if (filter_prog_) {
    pcap_freecode(static_cast<bpf_program*>(filter_prog_));
    delete static_cast<bpf_program*>(filter_prog_);
    filter_prog_ = nullptr;
  }
  if (filter_handle_) pcap_close(filter_handle_);
  filter_handle_ = nullptr;
}

namespace {
constexpr uint32_t kMagicMicros = 0xa1b2c3d4;
constexpr uint32_t kMagicNanos = 0xa1b23c4d;
constexpr uint32_t kMaxRecordBytes = 262144;  // libpcap's largest snapshot length
constexpr size_t kReadAheadBytes = 2048;      // software prefetch distance in a mapped file

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "pcap fields are read as host order");
uint32_t rd32le(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);  // x86 is little-endian: one load
  return v;
}
}  // namespace

// Maps a classic pcap file. Returns false (and leaves nothing open) when the
// file is not a regular classic pcap file, so libpcap reads it instead.
bool PcapFileSource::open_mapped(const std::string& file, int opened_fd) {
  if (file == "-") return false;
  const int fd = opened_fd >= 0 ? ::fcntl(opened_fd, F_DUPFD_CLOEXEC, 0) : ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 24) {
    ::close(fd);
    return false;
  }
  void* m = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (m == MAP_FAILED) {
    ::close(fd);
    return false;
  }
  const uint8_t* base = static_cast<const uint8_t*>(m);
  const uint32_t magic = rd32le(base);
  bool swapped;
  if (magic == kMagicMicros || magic == kMagicNanos) {
    swapped = false;
  } else if (__builtin_bswap32(magic) == kMagicMicros || __builtin_bswap32(magic) == kMagicNanos) {
    swapped = true;
  } else {
    ::munmap(m, static_cast<size_t>(st.st_size));
    ::close(fd);
    return false;  // pcapng or something libpcap should judge
  }
  auto field = [&](size_t off) { const uint32_t v = rd32le(base + off); return swapped ? __builtin_bswap32(v) : v; };
  const uint32_t major = field(4) & 0xffff;
  const uint32_t linktype = field(20) & 0x0fffffff;
  // libpcap takes a snapshot length of 0 or past its maximum as the maximum.
  const uint32_t snaplen = field(16);
  map_snaplen_ = snaplen == 0 || snaplen > kMaxRecordBytes ? kMaxRecordBytes : snaplen;
  if (major != 2) {
    ::munmap(m, static_cast<size_t>(st.st_size));
    ::close(fd);
    return false;  // libpcap gives the precise complaint
  }
  // A followed file's size is watched through its descriptor.
  if (following()) {
    follow_fd_ = fd;
  } else {
    ::close(fd);
  }
  map_ = base;
  map_len_ = static_cast<size_t>(st.st_size);
  map_off_ = 0;
  map_pos_ = 24;
  map_swapped_ = swapped;
  map_nanos_ = (swapped ? __builtin_bswap32(magic) : magic) == kMagicNanos;
  // LINKTYPE_RAW (101) reads as DLT_RAW through libpcap; both parse the same.
  cur_linktype_ = static_cast<int>(linktype & 0xffff);
  cur_name_ = file;
  cur_records_ = 0;
  cur_offset_ = 24;
  cur_classic_ = true;
  if (!filter_.empty()) {
    filter_handle_ = pcap_open_dead(cur_linktype_, kMaxRecordBytes);
    auto* prog = new bpf_program;
    if (!filter_handle_ ||
        pcap_compile(filter_handle_, prog, filter_.c_str(), optimize_ ? 1 : 0, PCAP_NETMASK_UNKNOWN) != 0) {
      delete prog;
      errors_.push_back("filter expression '" + filter_ + "' does not compile for '" + file + "'");
      close_current();
      return true;  // reported; the caller moves on
    }
    filter_prog_ = prog;
  }
  return true;
}

uint32_t PcapFileSource::rx_burst_mapped(PacketView* out, uint32_t max) {
  // Locals, written back once: stores through `out` could otherwise alias
  // the members and force reloads every packet.
  const uint8_t* const map = map_;
  const size_t len = map_len_;
  const bool swapped = map_swapped_;
  const uint64_t frac_scale = map_nanos_ ? 1 : 1000;
  const uint16_t linktype = static_cast<uint16_t>(cur_linktype_);
  const uint32_t snaplen = map_snaplen_;
  const bpf_program* prog = static_cast<const bpf_program*>(filter_prog_);
  size_t pos = map_pos_;
  uint64_t records = cur_records_;
  uint64_t last_ts = last_ts_ns_;
  uint32_t n = 0;
  std::string damage;
  bool eof = false;
  // A followed file may end in a record still being written: that is
  // waited for, not damage.
  const bool follow = following();
  bool partial = false;
  while (n < max) {
    if (pos == len) {  // clean end of file
      eof = true;
      break;
    }
    const uint8_t* h = map + pos;
    // Read ahead in the mapping: the next records' cache lines are on their
    // way while this one is handed out (prefetching past the end is harmless).
    __builtin_prefetch(h + kReadAheadBytes);
    __builtin_prefetch(h + kReadAheadBytes + 64);
    if (len - pos < 16) {
      if (follow) {
        partial = true;
        break;
      }
      damage = "record header cut short (" + std::to_string(len - pos) + " of 16 bytes)";
      break;
    }
    auto field = [&](size_t off) { const uint32_t v = rd32le(h + off); return swapped ? __builtin_bswap32(v) : v; };
    const uint32_t sec = field(0);
    const uint32_t frac = field(4);
    const uint32_t caplen = field(8);
    const uint32_t wirelen = field(12);
    if (follow && caplen <= kMaxRecordBytes && caplen > len - pos - 16) {
      partial = true;
      break;
    }
    if (caplen > kMaxRecordBytes) {
      damage = "record claims " + std::to_string(caplen) + " captured bytes, more than the " +
               std::to_string(kMaxRecordBytes) + " a record may hold";
      break;
    }
    if (caplen > len - pos - 16) {
      damage = "record claims " + std::to_string(caplen) + " captured bytes, " +
               std::to_string(len - pos - 16) + " remain in the file";
      break;
    }
    const uint8_t* data = h + 16;
    pos += 16 + size_t{caplen};
    // (Bytes past the snapshot length are skipped, as libpcap skips them.)
    const uint32_t seen = caplen < snaplen ? caplen : snaplen;
    ++records;
    if (prog) {
      pcap_pkthdr ph;
      ph.ts.tv_sec = sec;
      ph.ts.tv_usec = frac;
      ph.caplen = seen;
      ph.len = wirelen;
      if (pcap_offline_filter(prog, &ph, data) == 0) continue;
    }
    PacketView& v = out[n++];
    v.data = data;
    v.caplen = seen;
    // The wire length as the file says, even below the captured length:
    // libpcap passes it on so, and argus counts it.
    v.wirelen = wirelen;
    v.ts_ns = uint64_t{sec} * 1'000'000'000ULL + uint64_t{frac} * frac_scale;
    stamp_input_clock(v, last_ts);
    v.linktype = linktype;
    v.pad = 0;
  }
  map_pos_ = pos;
  cur_records_ = records;
  last_ts_ns_ = last_ts;
  if (!damage.empty()) {
    errors_.push_back("pcap file '" + cur_name_ + "' is damaged at byte offset " +
                      std::to_string(map_off_ + pos) + " (record " + std::to_string(records + 1) + "): " + damage);
    close_current();
  } else if ((eof || partial) && follow) {
    at_end_ = true;
  } else if (eof) {
    close_current();
  }
  return n;
}

void PcapFileSource::end_shrunk_file(uint64_t size, uint64_t read_to) {
  errors_.push_back("pcap file '" + cur_name_ + "' shrank to " + std::to_string(size) +
                    " bytes while followed (read up to byte offset " + std::to_string(read_to) + ")");
  close_current();
  follow_ = false;  // nothing left to follow: the input ends
}

bool PcapFileSource::grow_mapping() {
  struct stat st;
  if (follow_fd_ < 0 || ::fstat(follow_fd_, &st) != 0) return false;
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const uint64_t mapped_end = map_off_ + map_len_;
  const uint64_t read_to = map_off_ + map_pos_;
  if (size < read_to) {
    end_shrunk_file(size, read_to);
    return false;
  }
  if (size <= mapped_end) return false;
  // Map on from the page holding the next record; the old mapping stays
  // until the caller is done with the burst (its packets point into it).
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t off = read_to & ~(page - 1);
  void* m = ::mmap(nullptr, static_cast<size_t>(size - off), PROT_READ, MAP_PRIVATE, follow_fd_,
                   static_cast<off_t>(off));
  if (m == MAP_FAILED) return false;  // tried again at the next poll
  retired_maps_.emplace_back(map_, map_len_);
  map_ = static_cast<const uint8_t*>(m);
  map_len_ = static_cast<size_t>(size - off);
  map_off_ = static_cast<size_t>(off);
  map_pos_ = static_cast<size_t>(read_to - off);
  at_end_ = false;
  return true;
}

bool PcapFileSource::wait_for_data(int fd) const {
  pollfd pfd{fd, POLLIN, 0};
  for (;;) {
    if (stop_ && stop_->load(std::memory_order_relaxed)) return false;
    const int r = ::poll(&pfd, 1, 100);
    if (r > 0 || (r < 0 && errno != EINTR)) return true;  // data, the writer gone, or read() will say
  }
}

bool PcapFileSource::opened_file() {
  boundary_ = opened_any_;
  opened_any_ = true;
  return true;
}

bool PcapFileSource::open_next() {
  close_current();
  while (next_file_ < files_.size()) {
    const size_t index = next_file_++;
    cur_name_ = files_[index];
    // A file opened before the sensor confined itself (preopen) is read
    // through that descriptor, which is closed once the file is open.
    struct FdCloser {
      int& fd;
      ~FdCloser() {
        if (fd >= 0) ::close(fd);
        fd = -1;
      }
    };
    // Otherwise it is opened here, once: a FIFO or a pipe opened twice
    // would lose its writer (and its data) to the first open.
    // A FIFO is opened without waiting for its writer, and then waited on
    // in naps that a stop ends (a plain open() would sleep until a writer
    // came, whatever the signals said).
    int here = -1;
    if (index >= opened_.size() && cur_name_ != "-" &&
        (here = ::open(cur_name_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
      errors_.push_back("cannot read pcap file '" + cur_name_ + "': " + std::strerror(errno));
      continue;
    }
    struct stat kind;
    cur_stream_ = cur_name_ == "-" || (::fstat(index < opened_.size() ? opened_[index] : here, &kind) == 0 &&
                                        !S_ISREG(kind.st_mode));
    if (cur_stream_ && !wait_for_data(cur_name_ == "-" ? STDIN_FILENO : index < opened_.size() ? opened_[index] : here)) {
      if (here >= 0) ::close(here);
      done_ = true;
      return false;
    }
    if (here >= 0) ::fcntl(here, F_SETFL, ::fcntl(here, F_GETFL) & ~O_NONBLOCK);
    FdCloser closer{index < opened_.size() ? opened_[index] : here};
    const int opened_fd = closer.fd;
    if (open_mapped(cur_name_, opened_fd)) {
      if (!map_) continue;  // a filter error was reported
      if (!link_type_supported(cur_linktype_)) {
        errors_.push_back("pcap file '" + cur_name_ + "' has unsupported link type " +
                          link_name(cur_linktype_));
        close_current();
        continue;
      }
      if (first_linktype_ < 0) first_linktype_ = cur_linktype_;
      return opened_file();
    }
    std::string err;
    cur_ = opened_fd >= 0 ? open_offline_fd(opened_fd, cur_name_, err) : open_offline(cur_name_, err);
    if (!cur_) {
      // The file was readable at start-up: its header is what is wrong.
      errors_.push_back("pcap file '" + (cur_name_ == "-" ? std::string("<stdin>") : cur_name_) +
                        "' is damaged at byte offset 0 (file header): " +
                        err.substr(err.rfind(": ") == std::string::npos ? 0 : err.rfind(": ") + 2));
      continue;
    }
    cur_linktype_ = pcap_datalink(cur_);
    if (!link_type_supported(cur_linktype_)) {
      errors_.push_back("pcap file '" + cur_name_ + "' has unsupported link type " +
                        link_name(cur_linktype_));
      close_current();
      continue;
    }
    if (first_linktype_ < 0) first_linktype_ = cur_linktype_;
    if (!set_filter(cur_, filter_, optimize_, cur_name_, err)) {
      errors_.push_back(err);
      close_current();
      continue;
    }
    // Classic pcap has a 24-byte header and 16-byte record headers; pcapng
    // offsets come from the stdio position instead.
    FILE* fp = pcap_file(cur_);
    cur_major_ = pcap_major_version(cur_);
    cur_classic_ = cur_major_ == 2 && fp && std::ftell(fp) == 24;
    cur_offset_ = 24;
    cur_records_ = 0;
    return opened_file();
  }
  return false;
}

uint32_t PcapFileSource::rx_burst(PacketView* out, uint32_t max) {
  // The caller is done with the previous burst: its files can go.
  for (const auto& [addr, len] : retired_maps_) ::munmap(const_cast<uint8_t*>(addr), len);
  retired_maps_.clear();
  if (done_) return 0;
  if (max > kSlabPackets) max = kSlabPackets;
  uint32_t n = 0;
  while (n < max) {
    // The next file's packets come in a burst of their own.
    if (!cur_ && !map_ && n > 0) break;
    if (!cur_ && !map_ && !open_next()) {
      done_ = true;
      break;
    }
    if (map_) {
      n += rx_burst_mapped(out + n, max - n);
      if (map_ && at_end_ && !grow_mapping()) break;  // followed: all of it read
      continue;
    }
    // A quiet pipe: nothing is read until it has data, so a stop is seen.
    if (cur_stream_) {
      FILE* in = pcap_file(cur_);
      if (in && in->_IO_read_ptr >= in->_IO_read_end) {  // glibc: nothing buffered
        if (n > 0) break;
        pollfd pfd{::fileno(in), POLLIN, 0};
        if (::poll(&pfd, 1, 100) <= 0) break;  // quiet, or a signal: rx_burst returns 0, done() false
      }
    }
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    // A followed file read through libpcap (pcapng): where the next record
    // starts, to read it again once it is written whole.
    FILE* follow_fp = following() ? pcap_file(cur_) : nullptr;
    const long record_start = follow_fp ? std::ftell(follow_fp) : -1;
    const int rc = pcap_next_ex(cur_, &h, &data);
    if (rc == 1) {
      const uint64_t rec_offset = cur_offset_;
      cur_offset_ += 16 + h->caplen;
      ++cur_records_;
      (void)rec_offset;
      const uint32_t copy = h->caplen < kMaxCopyBytes ? h->caplen : kMaxCopyBytes;
      uint8_t* dst = slab_ + size_t{n} * kMaxCopyBytes;
      std::memcpy(dst, data, copy);
      PacketView& v = out[n++];
      v.data = dst;
      v.caplen = copy;
      v.wirelen = h->len;
      // Opened with nanosecond precision: tv_usec holds nanoseconds.
      // Times past the 64-bit nanosecond range (year 2554) saturate. A
      // classic pcap's seconds are an unsigned 32-bit field that libpcap
      // hands over sign-extended: from 2038 on they would go negative.
      const uint64_t sec = cur_major_ == 2 ? uint64_t{static_cast<uint32_t>(h->ts.tv_sec)}
                                            : static_cast<uint64_t>(h->ts.tv_sec);
      const uint64_t frac = static_cast<uint64_t>(h->ts.tv_usec);
      v.ts_ns = sec > (UINT64_MAX - frac) / 1'000'000'000ULL ? UINT64_MAX
                                                            : sec * 1'000'000'000ULL + frac;
      stamp_input_clock(v, last_ts_ns_);
      v.linktype = static_cast<uint16_t>(cur_linktype_);
      v.pad = 0;
      continue;
    }
    if (rc == 0) continue;  // cannot happen for files
    if (follow_fp && record_start >= 0 &&
        (rc == PCAP_ERROR_BREAK || (rc == PCAP_ERROR && std::strstr(pcap_geterr(cur_), "truncated")))) {
      // The end of what is written so far (perhaps within a record),
      // unless the file shrank under us.
      struct stat st;
      if (::fstat(::fileno(follow_fp), &st) == 0 && st.st_size < record_start) {
        end_shrunk_file(static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(record_start));
        continue;
      }
      std::clearerr(follow_fp);
      std::fseek(follow_fp, record_start, SEEK_SET);
      at_end_ = true;
      break;
    }
    if (rc == PCAP_ERROR) {
      std::string where;
      if (cur_classic_) {
        where = "at byte offset " + std::to_string(cur_offset_) + " (record " +
                std::to_string(cur_records_ + 1) + ")";
      } else {
        FILE* fp = pcap_file(cur_);
        where = "near byte offset " + std::to_string(fp ? std::ftell(fp) : -1L) + " (record " +
                std::to_string(cur_records_ + 1) + ")";
      }
      errors_.push_back("pcap file '" + (cur_name_ == "-" ? std::string("<stdin>") : cur_name_) +
                        "' is damaged " + where + ": " + pcap_geterr(cur_));
    }
    close_current();  // end of this file (or damage): go on with the next one
  }
  if (follow_ && (n || at_end_)) {
    const uint64_t now = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
    if (n) {
      last_data_ns_ = now;
    } else {
      // Nothing new: the input's clock moves on with the time waited, so
      // flows still time out while the file is quiet.
      if (idle_clock_ && last_ts_ns_ && last_data_ns_)
        idle_clock_->store(last_ts_ns_ + (now - last_data_ns_), std::memory_order_relaxed);
      std::this_thread::sleep_for(std::chrono::milliseconds(kFollowNapMs));
    }
  }
  return n;
}

bool print_filter_program(const std::string& file, const std::string& interface, const std::string& filter,
                          bool optimize, std::string& err) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap* p = nullptr;
  bpf_u_int32 mask = PCAP_NETMASK_UNKNOWN;
  if (!file.empty()) {
    p = open_offline(file, err);
    if (!p) return false;
  } else {
    p = pcap_open_live(interface.c_str(), 65535, 0, 0, errbuf);
    if (!p) {
      err = "cannot open interface '" + interface + "': " + errbuf;
      return false;
    }
    bpf_u_int32 net = 0;
    if (pcap_lookupnet(interface.c_str(), &net, &mask, errbuf) != 0) mask = PCAP_NETMASK_UNKNOWN;
  }
  bpf_program prog;
  const bool ok = pcap_compile(p, &prog, filter.c_str(), optimize ? 1 : 0, mask) == 0;
  if (ok) {
    bpf_dump(&prog, 1);
    pcap_freecode(&prog);
  } else {
    err = "filter expression '" + filter + "' does not compile: " + pcap_geterr(p);
  }
  pcap_close(p);
  return ok;
}

}  // namespace argos
