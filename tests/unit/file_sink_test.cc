// File outputs: rotation periods aligned on the clock the names are written
// in. Times are given to the sink, so no test waits for the wall clock.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "export/file_sink.h"

namespace argos {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/argos-file-sink-XXXXXX";
    path = ::mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() {
    if (!path.empty()) std::system(("rm -rf '" + path + "'").c_str());
  }
};

// The names of the files a sink opened, without their directory.
std::vector<std::string> names(const FileSink& s) {
  std::vector<std::string> out;
  for (const std::string& f : s.files()) out.push_back(f.substr(f.rfind('/') + 1));
  return out;
}

constexpr uint64_t kNs = 1'000'000'000ULL;
// 1700000003 is hh:mm:23 UTC; in the zone below, five seconds ahead, :28.
constexpr time_t kT0 = 1'700'000'003;

// Opens dir/o.%S rotating every 10 s at kT0, in a zone 5 s ahead of UTC.
void open_every_10s(const TempDir& dir, FileSink& sink, bool utc) {
  ::setenv("TZ", "XYZ-00:00:05", 1);
  ::tzset();
  ASSERT_FALSE(dir.path.empty());
  FileRotation rotation;
  rotation.interval_s = 10;
  rotation.utc = utc;
  std::string err;
  ASSERT_TRUE(sink.open(dir.path + "/o.%S", err, rotation, kT0)) << err;
}

// Shows: with local names, a 10 s period starts at a local :x0 second (the
// zone is 5 s off UTC, as +05:30 is off an hour): the file opened at local
// :28 is named :20, and the next one starts at local :30, UTC :25.
TEST(FileSinkRotation, PeriodsFollowTheLocalClockOfTheNames) {
  TempDir dir;
  FileSink sink;
  open_every_10s(dir, sink, false);
  sink.poll((kT0 + 1) * kNs);  // local :29
  EXPECT_EQ(names(sink), (std::vector<std::string>{"o.20"}));
  sink.poll((kT0 + 2) * kNs);  // local :30
  EXPECT_EQ(names(sink), (std::vector<std::string>{"o.20", "o.30"}));
  EXPECT_TRUE(sink.close());
}

// Shows: with UTC names (rotate_utc) the periods are UTC's, whatever TZ.
TEST(FileSinkRotation, UtcNamesRotateOnUtcPeriods) {
  TempDir dir;
  FileSink sink;
  open_every_10s(dir, sink, true);
  sink.poll((kT0 + 2) * kNs);  // UTC :25: the same period
  EXPECT_EQ(names(sink), (std::vector<std::string>{"o.20"}));
  sink.poll((kT0 + 7) * kNs);  // UTC :30
  EXPECT_EQ(names(sink), (std::vector<std::string>{"o.20", "o.30"}));
  EXPECT_TRUE(sink.close());
}

// Shows: a restarted sensor whose file is full goes on past the highest
// numbered file there is, not into the gap an archiver left (o.2 moved
// away): the numbers keep the order the files were written in.
TEST(FileSinkRotation, SizeRotationGoesPastTheHighestNumber) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  const std::string full(4096, 'x');
  for (const char* n : {"/o", "/o.1", "/o.3"}) {
    FILE* f = std::fopen((dir.path + n).c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fwrite(full.data(), 1, full.size(), f);
    std::fclose(f);
  }
  FileSink sink;
  FileRotation rotation;
  rotation.max_bytes = 4096;
  std::string err;
  ASSERT_TRUE(sink.open(dir.path + "/o", err, rotation, kT0)) << err;
  const std::string mar(128, 'm');
  sink.start(reinterpret_cast<const uint8_t*>(mar.data()), mar.size());
  EXPECT_EQ(names(sink), (std::vector<std::string>{"o", "o.4"}));
  EXPECT_TRUE(sink.close());
}

}  // namespace
}  // namespace argos
