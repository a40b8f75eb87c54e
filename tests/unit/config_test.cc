// The option table's value parsers, the YAML loader's messages (file,
// line:column, key) and the printed configuration loading back.
#include <gtest/gtest.h>

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/options.h"
#include "config/run_as.h"

namespace argos {
namespace {

bool load(const std::string& text, SensorConfig& cfg, std::string& err) {
  ConfigOrigins origins;
  return load_config_text(text, "t.yaml", cfg, origins, err);
}

// Durations take units; a bare number is in the option's own unit.
TEST(ConfigValues, Durations) {
  double s = 0;
  EXPECT_TRUE(parse_seconds_text("60s", "s", s));
  EXPECT_DOUBLE_EQ(s, 60);
  EXPECT_TRUE(parse_seconds_text("500ms", "s", s));
  EXPECT_DOUBLE_EQ(s, 0.5);
  EXPECT_TRUE(parse_seconds_text("2m", "s", s));
  EXPECT_DOUBLE_EQ(s, 120);
  EXPECT_TRUE(parse_seconds_text("1h", "s", s));
  EXPECT_DOUBLE_EQ(s, 3600);
  EXPECT_TRUE(parse_seconds_text("250", "ms", s));  // --exit-when-idle counts milliseconds
  EXPECT_DOUBLE_EQ(s, 0.25);
  EXPECT_TRUE(parse_seconds_text("0.5", "s", s));
  EXPECT_DOUBLE_EQ(s, 0.5);
  for (const char* bad : {"", "s", "5x", "-1s", "inf", "nan", "0x10", "1e400"})
    EXPECT_FALSE(parse_seconds_text(bad, "s", s)) << bad;
}

// Sizes: binary units (KiB, MiB, GiB) and argus's decimal K, M, G.
TEST(ConfigValues, Sizes) {
  uint64_t b = 0;
  EXPECT_TRUE(parse_bytes_text("8MiB", b));
  EXPECT_EQ(b, 8u << 20);
  EXPECT_TRUE(parse_bytes_text("64KiB", b));
  EXPECT_EQ(b, 65536u);
  EXPECT_TRUE(parse_bytes_text("4M", b));
  EXPECT_EQ(b, 4000000u);
  EXPECT_TRUE(parse_bytes_text("1.5KiB", b));
  EXPECT_EQ(b, 1536u);
  for (const char* bad : {"", "MiB", "1.5", "8 potatoes", "-1"}) EXPECT_FALSE(parse_bytes_text(bad, b)) << bad;
  EXPECT_EQ(format_bytes(8u << 20), "8MiB");
  EXPECT_EQ(format_bytes(1000), "1000");
}

// Every duration prints as text that parses back to the same value.
TEST(ConfigValues, SecondsRoundTrip) {
  for (double v : {0.0, 0.001, 0.25, 0.5, 1.0, 5.0, 60.0, 0.123456789, 65534.0, 1.5}) {
    double back = -1;
    ASSERT_TRUE(parse_seconds_text(format_seconds(v), "s", back)) << format_seconds(v);
    EXPECT_DOUBLE_EQ(back, v) << format_seconds(v);
  }
}

// A YAML file sets the fields its keys name, lists replace lists.
TEST(ConfigLoader, SetsFields) {
  SensorConfig cfg;
  std::string err;
  ASSERT_TRUE(load("sensor:\n  workers: 4\n  cores: [1, 2, 3, 4]\nflows:\n  idle_timeout:\n    udp_is_ip: 1\n",
                   cfg, err) == false);
  EXPECT_NE(err.find("t.yaml:6:5: flows.idle_timeout.udp_is_ip: unknown key"), std::string::npos) << err;
  cfg = SensorConfig{};
  ASSERT_TRUE(load("sensor:\n  workers: 4\n  cores: [1, 2, 3, 4]\nflows:\n  idle_timeout:\n    ip: 1500ms\n"
                   "outputs:\n  server:\n    bind: 0.0.0.0\n",
                   cfg, err))
      << err;
  EXPECT_EQ(cfg.workers, 4u);
  EXPECT_EQ(cfg.cores.size(), 4u);
  EXPECT_DOUBLE_EQ(cfg.idle_timeout_s[1], 1.5);
  ASSERT_EQ(cfg.server_bind.size(), 1u);  // one item without brackets replaces the default list
  EXPECT_EQ(cfg.server_bind[0], "0.0.0.0");
}

// Syntax errors come from yaml-cpp as exceptions and leave as messages with
// the position; nothing throws out of the loader.
TEST(ConfigLoader, SyntaxErrorsAreMessages) {
  SensorConfig cfg;
  std::string err;
  for (const char* text : {"sensor: [1, 2\n", "a: b: c\n", "sensor:\n\t- x\n", "\"unterminated\n", "[[[[[\n",
                           "key: &a [*a]\n", "? complex\n: key\n"}) {
    err.clear();
    EXPECT_FALSE(load(text, cfg, err)) << text;
    EXPECT_EQ(err.rfind("t.yaml", 0), 0u) << err;
  }
}

// Deep nesting is refused before the parser recurses into it.
TEST(ConfigLoader, DeepNestingRefused) {
  SensorConfig cfg;
  std::string err;
  EXPECT_FALSE(load(std::string(100000, '['), cfg, err));
  EXPECT_NE(err.find("nested more than"), std::string::npos) << err;
}

// The printed configuration loads back to the same configuration.
TEST(ConfigLoader, PrintLoadsBack) {
  SensorConfig cfg;
  cfg.workers = 3;
  cfg.monitor_id_text = "\"en0\"";
  cfg.status_interval_s = 0.25;
  cfg.files.push_back({"a b.argus", 1u << 20, 3600, true, "tcp and not port 22"});
  cfg.udp = {{"[::1]:561", ""}};
  SensorConfig filtered = cfg;
  filtered.udp.push_back({"10.0.0.9:600", "udp and port 53"});  // then printed as a block of maps
  cfg.server_allow = {"10.0.0.0/8"};
  cfg.bpf_filter = "tcp and port 80: # not a comment";
  cfg.dpdk_ports = {{"0000:03:00.0", 0}, {"net_pcap1", 4}};  // 0: input.dpdk.rx_queues applies
  const std::string text = print_config(cfg);
  SensorConfig back;
  std::string err;
  ASSERT_TRUE(load(text, back, err)) << err << "\n" << text;
  EXPECT_EQ(print_config(back), text);
  EXPECT_EQ(back.files, cfg.files);
  EXPECT_EQ(back.dpdk_ports, cfg.dpdk_ports);
  EXPECT_EQ(back.bpf_filter, cfg.bpf_filter);
  EXPECT_EQ(back.monitor_id_text, cfg.monitor_id_text);
  EXPECT_EQ(back.udp, cfg.udp);
  const std::string ftext = print_config(filtered);
  ASSERT_TRUE(load(ftext, back, err)) << err << "\n" << ftext;
  EXPECT_EQ(back.udp, filtered.udp);
  EXPECT_EQ(print_config(back), ftext);
}

// Validation names the place a clashing value came from.
TEST(ConfigValidate, NamesTheOrigin) {
  SensorConfig cfg;
  ConfigOrigins origins;
  std::string err;
  ASSERT_TRUE(load_config_text("input:\n  files: [a.pcap]\n  interface: eth0\noutputs:\n  files: [o]\n", "c.yaml",
                               cfg, origins, err));
  EXPECT_FALSE(validate_config(cfg, origins, ValidateScope::kPortable, err));
  EXPECT_EQ(err.rfind("c.yaml:3:14: input.interface:", 0), 0u) << err;
}

// A live snap length too short for the user data asked for is valid, and
// said: -s 64 leaves 10 payload bytes after Ethernet/IPv4/TCP headers.
TEST(ConfigValidate, SnapLengthShortOfUserDataIsANote) {
  const auto notes_for = [](const std::string& input) {
    SensorConfig cfg;
    ConfigOrigins origins;
    std::string err;
    EXPECT_TRUE(load_config_text(input + "outputs:\n  files: [o]\n", "c.yaml", cfg, origins, err)) << err;
    EXPECT_TRUE(validate_config(cfg, origins, ValidateScope::kPortable, err)) << err;
    return cfg.notes;
  };
  const auto short_snap = notes_for("input:\n  interface: eth0\n  snap_length: 64\nmetrics:\n  user_data: 32\n");
  ASSERT_EQ(short_snap.size(), 1u);
  EXPECT_NE(short_snap[0].find("keeps at most 10 payload bytes"), std::string::npos) << short_snap[0];
  EXPECT_NE(short_snap[0].find("-s 160"), std::string::npos) << short_snap[0];
  // Room enough (54 + 32 = 86), no user data, or a file input: nothing said.
  EXPECT_TRUE(notes_for("input:\n  interface: eth0\n  snap_length: 86\nmetrics:\n  user_data: 32\n").empty());
  EXPECT_TRUE(notes_for("input:\n  interface: eth0\n  snap_length: 64\n").empty());
  EXPECT_TRUE(notes_for("input:\n  files: [a.pcap]\nmetrics:\n  user_data: 32\n").empty());
}

// The record buffer: as given; unset, one report per flow of capacity on a
// live input (interface or DPDK port) and the fixed 64 batches on replay,
// where the worker waits for the exporter instead.
TEST(ConfigValidate, RecordBufferFollowsTheInput) {
  const auto batches_for = [](const std::string& input) {
    SensorConfig cfg;
    ConfigOrigins origins;
    std::string err;
    const std::string text = input.find("outputs:") == std::string::npos ? input + "outputs:\n  files: [o]\n" : input;
    EXPECT_TRUE(load_config_text(text, "c.yaml", cfg, origins, err)) << err;
    EXPECT_TRUE(validate_config(cfg, origins, ValidateScope::kPortable, err)) << err;
    return record_buffer_batches(cfg);
  };
  EXPECT_EQ(batches_for("input:\n  files: [a.pcap]\n"), BatchChannel::kDefaultBatches);
  EXPECT_EQ(batches_for("input:\n  interface: eth0\n"), (1u << 20) / RecordBatch::kCapacity);
  EXPECT_EQ(batches_for("input:\n  interface: eth0\nflows:\n  capacity: 1000\n"), BatchChannel::kDefaultBatches);
  EXPECT_EQ(batches_for("input:\n  dpdk:\n    ports: [net_null0]\nflows:\n  capacity: 131072\n"), 512u);
  EXPECT_EQ(batches_for("input:\n  dpdk:\n    ports: [net_null0]\n    exit_when_idle: 100ms\n"),
            BatchChannel::kDefaultBatches);
  EXPECT_EQ(batches_for("input:\n  files: [a.pcap]\noutputs:\n  record_buffer: 1000\n  files: [o]\n"), 4u);
  EXPECT_EQ(batches_for("input:\n  interface: eth0\noutputs:\n  record_buffer: 1\n  files: [o]\n"), 2u);
}

// -u/-g: the names resolve to their ids (-u alone brings the user's group,
// -g alone keeps the user), unknown names are refused, and the access check
// runs with the user's ids, not root's.
TEST(RunAs, ResolvesAndChecksAsTheUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  RunAs as;
  std::string err;
  ASSERT_TRUE(resolve_run_as("nobody", "", as, err)) << err;
  const struct passwd* pw = ::getpwnam("nobody");
  ASSERT_NE(pw, nullptr);
  EXPECT_TRUE(as.change_user && as.change_group);
  EXPECT_EQ(as.uid, pw->pw_uid);
  EXPECT_EQ(as.gid, pw->pw_gid);
  EXPECT_NE(std::find(as.groups.begin(), as.groups.end(), pw->pw_gid), as.groups.end());
  EXPECT_EQ(std::find(as.groups.begin(), as.groups.end(), gid_t{0}), as.groups.end());

  ASSERT_TRUE(resolve_run_as("", "nogroup", as, err)) << err;
  EXPECT_FALSE(as.change_user);
  EXPECT_TRUE(as.change_group);
  EXPECT_EQ(as.groups, std::vector<gid_t>{as.gid});

  EXPECT_FALSE(resolve_run_as("no-such-user-here", "", as, err));
  EXPECT_EQ(err, "no user 'no-such-user-here' on this host");
  EXPECT_FALSE(resolve_run_as("nobody", "no-such-group-here", as, err));
  EXPECT_EQ(err, "no group 'no-such-group-here' on this host");

  // Root may write /root; nobody may not. /tmp is everyone's.
  ASSERT_TRUE(resolve_run_as("nobody", "", as, err));
  int error = 0;
  EXPECT_EQ(first_denied(as, {{"/tmp", W_OK | X_OK}, {"/root", W_OK}, {"/tmp", W_OK}}, error), 1);
  EXPECT_EQ(error, EACCES);
  EXPECT_EQ(first_denied(as, {{"/tmp", W_OK | X_OK}}, error), -1);
  EXPECT_EQ(::access("/root", W_OK), 0) << "the check must not change this process's ids";
}

}  // namespace
}  // namespace argos
