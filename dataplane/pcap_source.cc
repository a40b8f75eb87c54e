#include "dataplane/pcap_source.h"

#include <pcap/pcap.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace argos {

namespace {
constexpr uint32_t kSlabPackets = 64;

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

bool set_filter(pcap* p, const std::string& filter, const std::string& file, std::string& err) {
  if (filter.empty()) return true;
  bpf_program prog;
  if (pcap_compile(p, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
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

PcapFileSource::PcapFileSource(std::vector<std::string> files, std::string bpf_filter)
    : files_(std::move(files)), filter_(std::move(bpf_filter)) {
  slab_ = static_cast<uint8_t*>(std::malloc(size_t{kSlabPackets} * kMaxCopyBytes));
}

PcapFileSource::~PcapFileSource() {
  close_current();
  std::free(slab_);
}

bool PcapFileSource::validate(std::string& err) {
  if (!slab_) {
    err = "out of memory";
    return false;
  }
  for (const std::string& f : files_) {
    if (f == "-") continue;  // stdin can be read once only: checked when opened
    pcap* p = open_offline(f, err);
    if (!p) return false;
    const int dlt = pcap_datalink(p);
    if (!link_type_supported(dlt)) {
      err = "pcap file '" + f + "' has unsupported link type " + link_name(dlt);
      pcap_close(p);
      return false;
    }
    if (first_linktype_ < 0) first_linktype_ = dlt;
    const bool ok = set_filter(p, filter_, f, err);
    pcap_close(p);
    if (!ok) return false;
  }
  return true;
}

void PcapFileSource::close_current() {
  if (cur_) pcap_close(cur_);
  cur_ = nullptr;
}

bool PcapFileSource::open_next() {
  close_current();
  while (next_file_ < files_.size()) {
    cur_name_ = files_[next_file_++];
    std::string err;
    cur_ = open_offline(cur_name_, err);
    if (!cur_) {
      errors_.push_back(err);
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
    if (!set_filter(cur_, filter_, cur_name_, err)) {
      errors_.push_back(err);
      close_current();
      continue;
    }
    // Classic pcap has a 24-byte header and 16-byte record headers; pcapng
    // offsets come from the stdio position instead.
    FILE* fp = pcap_file(cur_);
    cur_classic_ = pcap_major_version(cur_) == 2 && fp && std::ftell(fp) == 24;
    cur_offset_ = 24;
    cur_records_ = 0;
    return true;
  }
  return false;
}

uint32_t PcapFileSource::rx_burst(PacketView* out, uint32_t max) {
  if (done_) return 0;
  if (max > kSlabPackets) max = kSlabPackets;
  uint32_t n = 0;
  while (n < max) {
    if (!cur_ && !open_next()) {
      done_ = true;
      break;
    }
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
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
      v.ts_ns = static_cast<uint64_t>(h->ts.tv_sec) * 1'000'000'000ULL +
                static_cast<uint64_t>(h->ts.tv_usec);
      v.linktype = static_cast<uint16_t>(cur_linktype_);
      v.pad = 0;
      continue;
    }
    if (rc == 0) continue;  // cannot happen for files
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
  return n;
}

}  // namespace argos
