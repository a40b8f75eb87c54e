// parse_packet takes a shortcut for plain Ethernet/IPv4/TCP-or-UDP frames.
// It must agree with the general parser on every frame: every packet of the
// capture corpus, and every one-byte change of the first 64 bytes of each.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "dataplane/parser.h"

namespace argos {
namespace {

struct Frame {
  std::vector<uint8_t> bytes;
  uint16_t linktype;
};

std::vector<Frame> corpus_frames() {
  std::vector<Frame> frames;
  const std::filesystem::path dir = std::filesystem::path(ARGOS_PCAP_DIR);
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(f.path().c_str(), err);
    if (!p) continue;  // the damaged captures
    const int dlt = pcap_datalink(p);
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1)
      frames.push_back({std::vector<uint8_t>(d, d + h->caplen), static_cast<uint16_t>(dlt)});
    pcap_close(p);
  }
  return frames;
}

// Compares what both parsers promise: the head, and the MACs when valid.
::testing::AssertionResult same(const Frame& f) {
  ParsedPacket a, b;
  std::memset(&a, 0x5a, sizeof a);
  std::memset(&b, 0xa5, sizeof b);
  const ParseResult ra = parse_packet(f.bytes.data(), static_cast<uint32_t>(f.bytes.size()), f.linktype, a);
  const ParseResult rb = parse_packet_general(f.bytes.data(), static_cast<uint32_t>(f.bytes.size()), f.linktype, b);
  if (ra != rb) return ::testing::AssertionFailure() << "results differ";
  if (std::memcmp(&a, &b, kParsedHeadBytes) != 0) return ::testing::AssertionFailure() << "facts differ";
  if (a.has_macs && (std::memcmp(a.mac_src, b.mac_src, 6) || std::memcmp(a.mac_dst, b.mac_dst, 6)))
    return ::testing::AssertionFailure() << "MACs differ";
  return ::testing::AssertionSuccess();
}

TEST(ParserShortcut, AgreesWithTheGeneralParserOnTheCorpus) {
  const auto frames = corpus_frames();
  ASSERT_GT(frames.size(), 10000u) << "the capture corpus was not found in " << ARGOS_PCAP_DIR;
  size_t n = 0;
  for (const Frame& f : frames) {
    ASSERT_TRUE(same(f)) << "frame " << n;
    ++n;
  }
}

TEST(ParserShortcut, AgreesOnEveryOneByteChangeOfTheHeaders) {
  const auto frames = corpus_frames();
  size_t checked = 0;
  for (size_t i = 0; i < frames.size(); i += 97) {  // a spread of the corpus
    Frame f = frames[i];
    const size_t span = f.bytes.size() < 64 ? f.bytes.size() : 64;
    for (size_t pos = 0; pos < span; ++pos) {
      const uint8_t orig = f.bytes[pos];
      for (const uint8_t v : {uint8_t(0), uint8_t(0xff), uint8_t(orig ^ 0x01), uint8_t(orig ^ 0x40)}) {
        f.bytes[pos] = v;
        ASSERT_TRUE(same(f)) << "frame " << i << " byte " << pos << " = " << int(v);
        ++checked;
      }
      f.bytes[pos] = orig;
    }
  }
  EXPECT_GT(checked, 10000u);
}

}  // namespace
}  // namespace argos
