// argus.conf -> Argos YAML: the file syntax of argus-config.md section 1, the
// option mapping of section 2, notes for what does not carry over and errors
// that name the line.
#include "config/argus_conf.h"
#include "config/loader.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace argos {
namespace {

constexpr const char* kFile = "test.conf";

// Converts text that must convert; the YAML must also load.
ArgusConfResult convert(const std::string& text) {
  ArgusConfResult r;
  std::string err;
  EXPECT_TRUE(argus_conf_to_yaml(text, kFile, r, err)) << err;
  EXPECT_NO_THROW(YAML::Load(r.yaml)) << r.yaml;
  return r;
}

YAML::Node load(const std::string& text) { return YAML::Load(convert(text).yaml); }

// Converts text that must fail; returns the error.
std::string error_of(const std::string& text) {
  ArgusConfResult r;
  std::string err;
  EXPECT_FALSE(argus_conf_to_yaml(text, kFile, r, err)) << r.yaml;
  return err;
}

// Debian's /etc/argus.conf sets five options; the two flow-model ones are
// Argos's only behaviour, so they vanish without a note.
TEST(ArgusConf, DebianShippedFileConvertsExactly) {
  const std::string debian =
      "ARGUS_FLOW_TYPE=\"Bidirectional\"\n"
      "ARGUS_FLOW_KEY=\"CLASSIC_5_TUPLE\"\n"
      "ARGUS_OUTPUT_FILE=/var/log/argus/argus.out\n"
      "ARGUS_FLOW_STATUS_INTERVAL=5\n"
      "ARGUS_MAR_STATUS_INTERVAL=60\n";
  ArgusConfResult r;
  std::string err;
  ASSERT_TRUE(argus_conf_to_yaml(debian, "/etc/argus.conf", r, err)) << err;
  EXPECT_EQ(r.yaml,
            "# Argos configuration converted from the argus configuration file /etc/argus.conf.\n"
            "# Each setting is preceded by the argus option it came from.\n"
            "sensor:\n"
            "  # ARGUS_MAR_STATUS_INTERVAL=60\n"
            "  mar_interval: 60s\n"
            "flows:\n"
            "  # ARGUS_FLOW_STATUS_INTERVAL=5\n"
            "  status_interval: 5s\n"
            "outputs:\n"
            "  files:\n"
            "    # ARGUS_OUTPUT_FILE=/var/log/argus/argus.out\n"
            "    - path: \"/var/log/argus/argus.out\"\n");
  EXPECT_TRUE(r.notes.empty());
  const YAML::Node y = YAML::Load(r.yaml);
  EXPECT_EQ(y["outputs"]["files"][0]["path"].as<std::string>(), "/var/log/argus/argus.out");
}

// Every option with an equivalent lands at its key path, nested as the
// schema says, with its source comment.
TEST(ArgusConf, EveryMappedOptionLandsAtItsKey) {
  const ArgusConfResult r = convert(
      "ARGUS_MONITOR_ID=\"en0\"\n"
      "ARGUS_DAEMON=yes\n"
      "ARGUS_MAR_STATUS_INTERVAL=60\n"
      "ARGUS_INTERFACE=eth0\n"
      "ARGUS_GO_PROMISCUOUS=no\n"
      "ARGUS_FILTER=\"ip\"\n"
      "ARGUS_PCAP_BUF_SIZE=1000\n"
      "ARGUS_FLOW_STATUS_INTERVAL=5\n"
      "ARGUS_TCP_TIMEOUT=61\n"
      "ARGUS_IP_TIMEOUT=31\n"
      "ARGUS_ICMP_TIMEOUT=6\n"
      "ARGUS_IGMP_TIMEOUT=32\n"
      "ARGUS_FRAG_TIMEOUT=7\n"
      "ARGUS_ARP_TIMEOUT=8\n"
      "ARGUS_OTHER_TIMEOUT=33\n"
      "ARGUS_GENERATE_TCP_PERF_METRIC=no\n"
      "ARGUS_GENERATE_APPBYTE_METRIC=yes\n"
      "ARGUS_GENERATE_MAC_DATA=yes\n"
      "ARGUS_GENERATE_JITTER_DATA=yes\n"
      "ARGUS_GENERATE_PACKET_SIZE=yes\n"
      "ARGUS_GENERATE_RESPONSE_TIME_DATA=yes\n"
      "ARGUS_CAPTURE_DATA_LEN=32\n"
      "ARGUS_GENERATE_BIDIRECTIONAL_TIMESTAMPS=yes\n"
      "ARGUS_GENERATE_START_RECORDS=yes\n"
      "ARGUS_TRACK_DUPLICATES=yes\n"
      "ARGUS_CHROOT_DIR=/var/empty\n"
      "ARGUS_ACCESS_PORT=561\n");
  EXPECT_TRUE(r.notes.empty());
  EXPECT_NE(r.yaml.find("    # ARGUS_TCP_TIMEOUT=61\n    tcp: 61s\n"), std::string::npos) << r.yaml;
  const YAML::Node y = YAML::Load(r.yaml);
  EXPECT_EQ(y["sensor"]["monitor_id"].as<std::string>(), "\"en0\"");  // a string id, in its quotes
  EXPECT_TRUE(y["sensor"]["daemon"].as<bool>());
  EXPECT_EQ(y["sensor"]["mar_interval"].as<std::string>(), "60s");
  EXPECT_EQ(y["input"]["interface"].as<std::string>(), "eth0");
  EXPECT_FALSE(y["input"]["promiscuous"].as<bool>());
  EXPECT_EQ(y["input"]["filter"].as<std::string>(), "ip");
  EXPECT_EQ(y["input"]["buffer_size"].as<uint64_t>(), 1000u);
  EXPECT_EQ(y["flows"]["status_interval"].as<std::string>(), "5s");
  const YAML::Node idle = y["flows"]["idle_timeout"];
  EXPECT_EQ(idle["tcp"].as<std::string>(), "61s");
  EXPECT_EQ(idle["ip"].as<std::string>(), "31s");
  EXPECT_EQ(idle["icmp"].as<std::string>(), "6s");
  EXPECT_EQ(idle["igmp"].as<std::string>(), "32s");
  EXPECT_EQ(idle["fragment"].as<std::string>(), "7s");
  EXPECT_EQ(idle["arp"].as<std::string>(), "8s");
  EXPECT_EQ(idle["other"].as<std::string>(), "33s");
  const YAML::Node m = y["metrics"];
  EXPECT_FALSE(m["tcp_perf"].as<bool>());
  EXPECT_TRUE(m["app_bytes"].as<bool>());
  EXPECT_TRUE(m["mac"].as<bool>());
  EXPECT_TRUE(m["jitter"].as<bool>());
  EXPECT_TRUE(m["packet_size"].as<bool>());
  EXPECT_TRUE(m["response_time"].as<bool>());
  EXPECT_EQ(m["user_data"].as<int>(), 32);
  EXPECT_TRUE(m["bidirectional_timestamps"].as<bool>());
  EXPECT_TRUE(m["start_records"].as<bool>());
  EXPECT_TRUE(m["track_duplicates"].as<bool>());
  EXPECT_EQ(y["sensor"]["chroot"].as<std::string>(), "/var/empty");
  EXPECT_EQ(y["outputs"]["server"]["port"].as<int>(), 561);
}

// A quoted value keeps its spaces and any "//" inside it; the quotes are not
// part of the value.
TEST(ArgusConf, QuotedValueKeepsSpacesAndSlashes) {
  const ArgusConfResult r = convert("ARGUS_FILTER=\"tcp and port 80 // not a comment\"   //a comment\n");
  EXPECT_TRUE(r.notes.empty());
  EXPECT_NE(r.yaml.find("  # ARGUS_FILTER=\"tcp and port 80 // not a comment\"\n"), std::string::npos) << r.yaml;
  EXPECT_EQ(YAML::Load(r.yaml)["input"]["filter"].as<std::string>(), "tcp and port 80 // not a comment");
}

// On an unquoted value " //" or "\t//" starts a comment, but "//" right after
// another character (a URL) does not.
TEST(ArgusConf, SlashCommentIsStrippedFromUnquotedValues) {
  const YAML::Node y = load(
      "ARGUS_TCP_TIMEOUT=60 //seconds\n"
      "ARGUS_IP_TIMEOUT=30\t// tab before it\n"
      "ARGUS_OUTPUT_FILE=argus-udp://collector:9999 // push\n");
  EXPECT_EQ(y["flows"]["idle_timeout"]["tcp"].as<std::string>(), "60s");
  EXPECT_EQ(y["flows"]["idle_timeout"]["ip"].as<std::string>(), "30s");
  EXPECT_EQ(y["outputs"]["udp"][0].as<std::string>(), "collector:9999");
}

// Lines starting with # or !, after optional whitespace, and blank lines are
// skipped; CRLF line ends are accepted.
TEST(ArgusConf, HashAndBangLinesAreComments) {
  const ArgusConfResult r = convert(
      "# ARGUS_TCP_TIMEOUT=1\n"
      "! ARGUS_IP_TIMEOUT=2\n"
      "   # indented\n"
      "\t! indented with a tab\n"
      "\n"
      "   \n"
      "ARGUS_ICMP_TIMEOUT=3\r\n"
      "!not even NAME=value\n");
  EXPECT_TRUE(r.notes.empty());
  const YAML::Node idle = YAML::Load(r.yaml)["flows"]["idle_timeout"];
  EXPECT_FALSE(idle["tcp"]);
  EXPECT_FALSE(idle["ip"]);
  EXPECT_EQ(idle["icmp"].as<std::string>(), "3s");
}

// Repeated ARGUS_OUTPUT_FILE lines add outputs in file order, each with its
// own source comment.
TEST(ArgusConf, RepeatedOutputFileAddsEntries) {
  const ArgusConfResult r = convert(
      "ARGUS_OUTPUT_FILE=/var/log/a.out\n"
      "ARGUS_OUTPUT_FILE=-\n"
      "ARGUS_OUTPUT_FILE=/var/log/b.out\n");
  EXPECT_TRUE(r.notes.empty());
  const YAML::Node files = YAML::Load(r.yaml)["outputs"]["files"];
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0]["path"].as<std::string>(), "/var/log/a.out");
  EXPECT_EQ(files[1]["path"].as<std::string>(), "-");
  EXPECT_EQ(files[2]["path"].as<std::string>(), "/var/log/b.out");
  EXPECT_NE(r.yaml.find("    # ARGUS_OUTPUT_FILE=-\n    - path: \"-\"\n"), std::string::npos) << r.yaml;
}

// A record filter after the output file or UDP push carries over when
// Argos reads it as ra does; one outside the supported part is dropped with
// a note naming the word. The result loads as a configuration.
TEST(ArgusConf, OutputFileRecordFilter) {
  const ArgusConfResult r = convert("ARGUS_OUTPUT_FILE=/tmp/tcp.out \"tcp and port 80\"\n");
  const YAML::Node f = YAML::Load(r.yaml)["outputs"]["files"][0];
  EXPECT_EQ(f["path"].as<std::string>(), "/tmp/tcp.out");
  EXPECT_EQ(f["filter"].as<std::string>(), "tcp and port 80");
  EXPECT_TRUE(r.notes.empty()) << r.notes[0];

  const ArgusConfResult ttl = convert("ARGUS_OUTPUT_FILE=/tmp/t.out \"vid gt 3\"\n");
  EXPECT_FALSE(YAML::Load(ttl.yaml)["outputs"]["files"][0]["filter"]);
  ASSERT_EQ(ttl.notes.size(), 1u);
  EXPECT_NE(ttl.notes[0].find("record filter \"vid gt 3\" dropped ("), std::string::npos) << ttl.notes[0];
  EXPECT_NE(ttl.notes[0].find("'vid' is not supported"), std::string::npos) << ttl.notes[0];

  const ArgusConfResult udp = convert(
      "ARGUS_OUTPUT_FILE=argus-udp://10.0.0.9 \"udp\"\n"
      "ARGUS_OUTPUT_STREAM=argus-udp://10.0.0.8:600 \"vid gt 3\"\n");
  const YAML::Node u = YAML::Load(udp.yaml)["outputs"]["udp"];
  ASSERT_EQ(u.size(), 2u) << udp.yaml;
  EXPECT_EQ(u[0]["address"].as<std::string>(), "10.0.0.9:561");
  EXPECT_EQ(u[0]["filter"].as<std::string>(), "udp");
  EXPECT_EQ(u[1].as<std::string>(), "10.0.0.8:600");
  ASSERT_EQ(udp.notes.size(), 1u);
  EXPECT_NE(udp.notes[0].find("'vid' is not supported"), std::string::npos) << udp.notes[0];
  SensorConfig cfg;
  ConfigOrigins origins;
  std::string err;
  ASSERT_TRUE(load_config_text(udp.yaml, "converted.yaml", cfg, origins, err)) << err << "\n" << udp.yaml;
  ASSERT_EQ(cfg.udp.size(), 2u);
  EXPECT_EQ(cfg.udp[0], (UdpOutputConfig{"10.0.0.9:561", "udp"}));
  EXPECT_EQ(cfg.udp[1], (UdpOutputConfig{"10.0.0.8:600", ""}));
}

// yes/no options look at the first three letters only, case-insensitively,
// exactly like argus: "YES please" is yes, "nope" and "true" are no.
TEST(ArgusConf, YesNoComparesTheFirstThreeLetters) {
  const YAML::Node m = load(
      "ARGUS_GENERATE_MAC_DATA=\"YES please\"\n"
      "ARGUS_GENERATE_JITTER_DATA=Yessir\n"
      "ARGUS_GENERATE_PACKET_SIZE=nope\n"
      "ARGUS_GENERATE_APPBYTE_METRIC=true\n"
      "ARGUS_GENERATE_RESPONSE_TIME_DATA=ye\n")["metrics"];
  EXPECT_TRUE(m["mac"].as<bool>());
  EXPECT_TRUE(m["jitter"].as<bool>());
  EXPECT_FALSE(m["packet_size"].as<bool>());
  EXPECT_FALSE(m["app_bytes"].as<bool>());
  EXPECT_FALSE(m["response_time"].as<bool>());
}

// The BPF optimiser switch carries over (argus's -O).
TEST(ArgusConf, FilterOptimizerBecomesFilterOptimize) {
  EXPECT_FALSE(load("ARGUS_FILTER_OPTIMIZER=no\n")["input"]["filter_optimize"].as<bool>());
  EXPECT_TRUE(load("ARGUS_FILTER_OPTIMIZER=yes\n")["input"]["filter_optimize"].as<bool>());
}

// K, M and G on ARGUS_PCAP_BUF_SIZE are powers of 1000, not 1024.
TEST(ArgusConf, BufferSizeSuffixesArePowersOf1000) {
  EXPECT_EQ(load("ARGUS_PCAP_BUF_SIZE=512\n")["input"]["buffer_size"].as<uint64_t>(), 512u);
  EXPECT_EQ(load("ARGUS_PCAP_BUF_SIZE=64K\n")["input"]["buffer_size"].as<uint64_t>(), 64000u);
  EXPECT_EQ(load("ARGUS_PCAP_BUF_SIZE=8M\n")["input"]["buffer_size"].as<uint64_t>(), 8000000u);
  EXPECT_EQ(load("ARGUS_PCAP_BUF_SIZE=2G\n")["input"]["buffer_size"].as<uint64_t>(), 2000000000u);
}

// libpcap takes the buffer size as an int, so 3G does not fit; 0 and a
// suffix without a number are not sizes.
TEST(ArgusConf, BufferSizeOutOfRangeIsAnError) {
  EXPECT_EQ(error_of("ARGUS_PCAP_BUF_SIZE=3G\n"),
            "test.conf:1: ARGUS_PCAP_BUF_SIZE: expected a byte count from 1 to 2147483647, optionally with a K, "
            "M or G suffix, got \"3G\"");
  EXPECT_NE(error_of("ARGUS_PCAP_BUF_SIZE=0\n"), "");
  EXPECT_NE(error_of("ARGUS_PCAP_BUF_SIZE=M\n"), "");
  EXPECT_NE(error_of("ARGUS_PCAP_BUF_SIZE=1.5M\n"), "");
}

// argus-udp:// in ARGUS_OUTPUT_FILE and ARGUS_OUTPUT_STREAM both become UDP
// outputs; the port defaults to 561 and IPv6 hosts keep their brackets.
TEST(ArgusConf, ArgusUdpOutputsBecomeUdpTargets) {
  const ArgusConfResult r = convert(
      "ARGUS_OUTPUT_FILE=argus-udp://collector.example\n"
      "ARGUS_OUTPUT_FILE=/var/log/argus.out\n"
      "ARGUS_OUTPUT_STREAM=argus-udp://10.0.0.9:5610\n"
      "ARGUS_OUTPUT_STREAM=[2001:db8::1]:600\n"
      "ARGUS_OUTPUT_STREAM=2001:db8::2\n");
  EXPECT_TRUE(r.notes.empty());
  const YAML::Node out = YAML::Load(r.yaml)["outputs"];
  ASSERT_EQ(out["files"].size(), 1u);
  ASSERT_EQ(out["udp"].size(), 4u);
  EXPECT_EQ(out["udp"][0].as<std::string>(), "collector.example:561");
  EXPECT_EQ(out["udp"][1].as<std::string>(), "10.0.0.9:5610");
  EXPECT_EQ(out["udp"][2].as<std::string>(), "[2001:db8::1]:600");
  EXPECT_EQ(out["udp"][3].as<std::string>(), "[2001:db8::2]:561");
}

// A UDP target needs a host and a port from 1 to 65535.
TEST(ArgusConf, BadUdpTargetIsAnError) {
  EXPECT_EQ(error_of("ARGUS_OUTPUT_FILE=argus-udp://host:0\n"),
            "test.conf:1: ARGUS_OUTPUT_FILE: expected argus-udp://host[:port] with a port from 1 to 65535, "
            "got \"argus-udp://host:0\"");
  EXPECT_NE(error_of("ARGUS_OUTPUT_STREAM=argus-udp://host:65536\n"), "");
  EXPECT_NE(error_of("ARGUS_OUTPUT_STREAM=argus-udp://:561\n"), "");
  EXPECT_NE(error_of("ARGUS_OUTPUT_STREAM=argus-udp://host:\n"), "");
}

// The listener: the port and every bind address, comma-separated or on
// repeated lines; port 0 means no listener, so the bind addresses only get notes.
TEST(ArgusConf, AccessPortAndBindAddresses) {
  const YAML::Node server = load(
      "ARGUS_ACCESS_PORT=5610\n"
      "ARGUS_BIND_IP=127.0.0.1, 10.0.0.1\n"
      "ARGUS_BIND_IP=::1\n")["outputs"]["server"];
  EXPECT_EQ(server["port"].as<int>(), 5610);
  ASSERT_EQ(server["bind"].size(), 3u);
  EXPECT_EQ(server["bind"][0].as<std::string>(), "127.0.0.1");
  EXPECT_EQ(server["bind"][1].as<std::string>(), "10.0.0.1");
  EXPECT_EQ(server["bind"][2].as<std::string>(), "::1");

  const ArgusConfResult off = convert("ARGUS_ACCESS_PORT=0\nARGUS_BIND_IP=127.0.0.1\n");
  EXPECT_FALSE(YAML::Load(off.yaml)["outputs"]);
  ASSERT_EQ(off.notes.size(), 1u);
  EXPECT_EQ(off.notes[0].rfind("test.conf:2: ARGUS_BIND_IP: ", 0), 0u) << off.notes[0];

  EXPECT_EQ(error_of("ARGUS_ACCESS_PORT=65536\n"),
            "test.conf:1: ARGUS_ACCESS_PORT: expected a port from 0 to 65535 (0 = off), got \"65536\"");
  EXPECT_NE(error_of("ARGUS_BIND_IP=127.0.0.1,,10.0.0.1\n"), "");
}

// Every member of every interface line carries over, read as one link
// (dup: and bond: are that already); a /srcid, ind: (a flow model per
// interface in argus) and ind:all each come with a note.
TEST(ArgusConf, InterfacesCarryOverAsOneLink) {
  EXPECT_EQ(load("ARGUS_INTERFACE=eth0\n")["input"]["interface"].as<std::string>(), "eth0");
  EXPECT_TRUE(convert("ARGUS_INTERFACE=eth0\n").notes.empty());

  struct Case {
    const char* conf;
    std::vector<std::string> kept;
    size_t notes;
  };
  const Case cases[] = {
      {"ARGUS_INTERFACE=eth0/12\n", {"eth0"}, 1},
      {"ARGUS_INTERFACE=ind:eth1,eth2\n", {"eth1", "eth2"}, 1},
      {"ARGUS_INTERFACE=dup:[bond:eth3,eth4],eth5\n", {"eth3", "eth4", "eth5"}, 0},
      {"ARGUS_INTERFACE=dup:eth6,eth7\n", {"eth6", "eth7"}, 0},
      {"ARGUS_INTERFACE=eth6\nARGUS_INTERFACE=eth7\n", {"eth6", "eth7"}, 0},
      {"ARGUS_INTERFACE=ind:all\nARGUS_INTERFACE=eth8\n", {"eth8"}, 1},
  };
  for (const Case& c : cases) {
    const ArgusConfResult r = convert(c.conf);
    const YAML::Node n = YAML::Load(r.yaml)["input"]["interface"];
    std::vector<std::string> got;
    if (n.IsScalar())
      got.push_back(n.as<std::string>());
    else
      for (const auto& item : n) got.push_back(item.as<std::string>());
    EXPECT_EQ(got, c.kept) << c.conf;
    EXPECT_EQ(r.notes.size(), c.notes) << c.conf;
  }
  const ArgusConfResult all = convert("ARGUS_INTERFACE=ind:all\n");
  EXPECT_FALSE(YAML::Load(all.yaml)["input"]);
  EXPECT_EQ(all.notes.size(), 1u);
}

// ARGUS_SET_PID=yes writes argos.pid into ARGUS_PID_PATH (default /var/run),
// whichever order the two lines come in; without it the path is ignored.
TEST(ArgusConf, PidFileFollowsSetPidAndPidPath) {
  const ArgusConfResult def = convert("ARGUS_SET_PID=yes\n");
  EXPECT_EQ(YAML::Load(def.yaml)["sensor"]["pid_file"].as<std::string>(), "/var/run/argos.pid");
  EXPECT_EQ(def.notes.size(), 1u);  // the file name differs from argus's

  const ArgusConfResult path = convert("ARGUS_PID_PATH=/run/argos/\nARGUS_SET_PID=yes\n");
  EXPECT_EQ(YAML::Load(path.yaml)["sensor"]["pid_file"].as<std::string>(), "/run/argos/argos.pid");
  EXPECT_NE(path.yaml.find("  # ARGUS_SET_PID=yes\n  # ARGUS_PID_PATH=/run/argos/\n  pid_file:"), std::string::npos)
      << path.yaml;

  const ArgusConfResult off = convert("ARGUS_SET_PID=no\nARGUS_PID_PATH=/run\n");
  EXPECT_FALSE(YAML::Load(off.yaml)["sensor"]);
  ASSERT_EQ(off.notes.size(), 1u);
  EXPECT_EQ(off.notes[0].rfind("test.conf:2: ARGUS_PID_PATH: ", 0), 0u) << off.notes[0];
}

// The monitor id stays text for later validation: a number or an address as
// it is, a double-quoted word in its quotes (sensor.monitor_id's form of a
// string id); `hostname` would need the sensor host, and a bare host name
// a resolver, so both are skipped with a note.
TEST(ArgusConf, MonitorIdIsKeptAsTextExceptCommandSubstitution) {
  EXPECT_EQ(load("ARGUS_MONITOR_ID=10.0.0.1\n")["sensor"]["monitor_id"].as<std::string>(), "10.0.0.1");
  EXPECT_EQ(load("ARGUS_MONITOR_ID=\"en0\"\n")["sensor"]["monitor_id"].as<std::string>(), "\"en0\"");
  const ArgusConfResult host = convert("ARGUS_MONITOR_ID=sensor1\n");
  EXPECT_FALSE(YAML::Load(host.yaml)["sensor"]);
  ASSERT_EQ(host.notes.size(), 1u);
  EXPECT_NE(host.notes[0].find("host names are not resolved"), std::string::npos) << host.notes[0];

  const ArgusConfResult r = convert("ARGUS_MONITOR_ID=`hostname`\n");
  EXPECT_FALSE(YAML::Load(r.yaml)["sensor"]);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0].rfind("test.conf:1: ARGUS_MONITOR_ID: ", 0), 0u) << r.notes[0];
}

// An unknown option is a note naming it and its line, not an error.
TEST(ArgusConf, UnknownOptionIsANote) {
  const ArgusConfResult r = convert("ARGUS_TCP_TIMEOUT=60\n\nARGUS_NO_SUCH_THING=1\n");
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0], "test.conf:3: ARGUS_NO_SUCH_THING: unknown option, ignored");
  EXPECT_EQ(YAML::Load(r.yaml)["flows"]["idle_timeout"]["tcp"].as<std::string>(), "60s");
}

// Dropping privileges: argus's user and group become -u and -g.
TEST(ArgusConf, SetUserAndGroupBecomeRunAs) {
  const ArgusConfResult r = convert("ARGUS_SETUSER_ID=argus\nARGUS_SETGROUP_ID=\"capture\"\n");
  EXPECT_TRUE(r.notes.empty()) << r.notes[0];
  const YAML::Node y = YAML::Load(r.yaml);
  EXPECT_EQ(y["sensor"]["user"].as<std::string>(), "argus");
  EXPECT_EQ(y["sensor"]["group"].as<std::string>(), "capture");
}

// Options with no Argos equivalent get one note each and emit nothing; the
// values that already describe Argos's behaviour need no note.
TEST(ArgusConf, OptionsWithoutEquivalentAreNotes) {
  const ArgusConfResult r = convert(
      "ARGUS_FLOW_KEY=LAYER_2_MATRIX+VLAN\n"
      "ARGUS_DEBUG_LEVEL=2\n"
      "ARGUS_EVENT_DATA=prog:/bin/date:60\n"
      "ARGUS_ENV=\"PCAP_FRAMES=2048\"\n"
      "ARGUS_PACKET_CAPTURE_FILE=/tmp/x.pcap\n"
      "ARGUS_TUNNEL_DISCOVERY=yes\n"
      "ARGUS_SELF_SYNCHRONIZE=yes\n"
      "ARGUS_KEYSTROKE=ssh\n"
      "ARGUS_KEYSTROKE_CONF=/etc/keystroke.conf\n"
      "ARGUS_CAPTURE_FULL_CONTROL_DATA=yes\n"
      "ARGUS_MIN_SSF=40\n"
      "ARGUS_MAX_SSF=128\n"
      "ARGUS_COLLECTOR=yes\n");
  ASSERT_EQ(r.notes.size(), 13u);
  for (size_t i = 0; i < r.notes.size(); ++i) {
    EXPECT_EQ(r.notes[i].rfind("test.conf:" + std::to_string(i + 1) + ": ARGUS_", 0), 0u) << r.notes[i];
    EXPECT_NE(r.notes[i].find("no Argos equivalent"), std::string::npos) << r.notes[i];
  }
  EXPECT_EQ(YAML::Load(r.yaml).Type(), YAML::NodeType::Map);
  EXPECT_EQ(r.yaml.find("ARGUS_"), std::string::npos) << r.yaml;

  const ArgusConfResult same = convert(
      "ARGUS_FLOW_TYPE=\"Bidirectional\"\n"
      "ARGUS_FLOW_KEY=\"CLASSIC_5_TUPLE\"\n"
      "ARGUS_FILTER_OPTIMIZER=yes\n"
      "ARGUS_KEYSTROKE=no\n");
  EXPECT_TRUE(same.notes.empty());
}

// One flow per direction carries over; Bidirectional is the default and
// says nothing; any other word is a note, not a guess.
TEST(ArgusConf, FlowTypeMapsOntoFlowsType) {
  const ArgusConfResult uni = convert("ARGUS_FLOW_TYPE=\"unidirectional\"\n");
  EXPECT_TRUE(uni.notes.empty());
  EXPECT_EQ(YAML::Load(uni.yaml)["flows"]["type"].as<std::string>(), "unidirectional");
  EXPECT_NE(uni.yaml.find("# ARGUS_FLOW_TYPE=\"unidirectional\"\n"), std::string::npos) << uni.yaml;
  const ArgusConfResult bi = convert("ARGUS_FLOW_TYPE=Bidirectional\n");
  EXPECT_TRUE(bi.notes.empty());
  EXPECT_FALSE(YAML::Load(bi.yaml)["flows"]);
  const ArgusConfResult odd = convert("ARGUS_FLOW_TYPE=sideways\n");
  ASSERT_EQ(odd.notes.size(), 1u);
  EXPECT_NE(odd.notes[0].find("\"sideways\" is neither Bidirectional nor Unidirectional"), std::string::npos);
  EXPECT_FALSE(YAML::Load(odd.yaml)["flows"]);

  // The address pair, unidirectional unless the type says otherwise, as in
  // argus.
  const YAML::Node m = YAML::Load(convert("ARGUS_FLOW_KEY=\"LAYER_3_MATRIX\"\n").yaml)["flows"];
  EXPECT_EQ(m["key"].as<std::string>(), "layer_3_matrix");
  EXPECT_EQ(m["type"].as<std::string>(), "unidirectional");
  const YAML::Node mb =
      YAML::Load(convert("ARGUS_FLOW_TYPE=Bidirectional\nARGUS_FLOW_KEY=LAYER_3_MATRIX\n").yaml)["flows"];
  EXPECT_EQ(mb["key"].as<std::string>(), "layer_3_matrix");
  EXPECT_FALSE(mb["type"]);
}

// Single-valued options: the last line wins, as in argus, and the earlier
// value being replaced is a note.
TEST(ArgusConf, LastValueWinsWithANote) {
  const ArgusConfResult r = convert("ARGUS_TCP_TIMEOUT=60\nARGUS_TCP_TIMEOUT=90\n");
  EXPECT_EQ(YAML::Load(r.yaml)["flows"]["idle_timeout"]["tcp"].as<std::string>(), "90s");
  EXPECT_NE(r.yaml.find("# ARGUS_TCP_TIMEOUT=90\n"), std::string::npos);
  EXPECT_EQ(r.yaml.find("# ARGUS_TCP_TIMEOUT=60\n"), std::string::npos);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0].rfind("test.conf:2: ARGUS_TCP_TIMEOUT: replaces the value from line 1", 0), 0u)
      << r.notes[0];
}

// Intervals take fractions and are written in canonical form; timeouts take
// whole seconds only.
TEST(ArgusConf, IntervalsAcceptFractions) {
  const YAML::Node y = load(
      "ARGUS_FLOW_STATUS_INTERVAL=0.5\n"
      "ARGUS_MAR_STATUS_INTERVAL=05.250\n"
      "ARGUS_TCP_TIMEOUT=60.0\n");
  EXPECT_EQ(y["flows"]["status_interval"].as<std::string>(), "0.5s");
  EXPECT_EQ(y["sensor"]["mar_interval"].as<std::string>(), "5.25s");
  EXPECT_EQ(y["flows"]["idle_timeout"]["tcp"].as<std::string>(), "60s");
  EXPECT_EQ(error_of("ARGUS_TCP_TIMEOUT=0.5\n"),
            "test.conf:1: ARGUS_TCP_TIMEOUT: expected whole seconds from 1 to 65534, got \"0.5\"");
}

// Timeouts and intervals must be > 0 and <= 65534.
TEST(ArgusConf, TimeoutRangeIsEnforced) {
  EXPECT_EQ(load("ARGUS_OTHER_TIMEOUT=65534\n")["flows"]["idle_timeout"]["other"].as<std::string>(), "65534s");
  EXPECT_NE(error_of("ARGUS_OTHER_TIMEOUT=65535\n"), "");
  EXPECT_NE(error_of("ARGUS_OTHER_TIMEOUT=0\n"), "");
  EXPECT_NE(error_of("ARGUS_FLOW_STATUS_INTERVAL=0.0\n"), "");
  EXPECT_NE(error_of("ARGUS_FLOW_STATUS_INTERVAL=65534.5\n"), "");
  EXPECT_NE(error_of("ARGUS_FLOW_STATUS_INTERVAL=-1\n"), "");
  // Finer than a nanosecond would be zero downstream.
  EXPECT_NE(error_of("ARGUS_FLOW_STATUS_INTERVAL=0.0000000001\n"), "");
}

// A value of the wrong form stops the conversion, naming file, line and option.
TEST(ArgusConf, BadNumberIsAnErrorWithItsLine) {
  EXPECT_EQ(error_of("# timeouts\nARGUS_TCP_TIMEOUT=abc\n"),
            "test.conf:2: ARGUS_TCP_TIMEOUT: expected whole seconds from 1 to 65534, got \"abc\"");
  EXPECT_EQ(error_of("ARGUS_CAPTURE_DATA_LEN=lots\n"),
            "test.conf:1: ARGUS_CAPTURE_DATA_LEN: expected a byte count from 0 to 65535, got \"lots\"");
}

// A line that is not NAME=value, a comment or blank is an error with its
// line number; so are spaces around '=' (argus would misread them) and an
// unterminated or trailing-text quote.
TEST(ArgusConf, MalformedLineIsAnErrorWithItsLine) {
  EXPECT_EQ(error_of("ARGUS_TCP_TIMEOUT=60\n\nthis is not a setting\n"),
            "test.conf:3: expected NAME=value, a comment (# or !) or a blank line");
  EXPECT_EQ(error_of("=5\n"), "test.conf:1: expected NAME=value, a comment (# or !) or a blank line");
  EXPECT_EQ(error_of("ARGUS_DAEMON = yes\n"), "test.conf:1: ARGUS_DAEMON: no spaces are allowed around '='");
  EXPECT_EQ(error_of("ARGUS_DAEMON= yes\n"), "test.conf:1: ARGUS_DAEMON: no spaces are allowed around '='");
  EXPECT_EQ(error_of("ARGUS_FILTER=\"ip\n"), "test.conf:1: ARGUS_FILTER: missing closing quote");
  EXPECT_EQ(error_of("ARGUS_FILTER=\"ip\" tcp\n"),
            "test.conf:1: ARGUS_FILTER: unexpected text after the closing quote");
}

// On failure the caller's result is left as it was.
TEST(ArgusConf, FailureLeavesTheResultUntouched) {
  ArgusConfResult r;
  r.yaml = "before";
  r.notes = {"kept"};
  std::string err;
  EXPECT_FALSE(argus_conf_to_yaml("ARGUS_X=1\nbroken\n", kFile, r, err));
  EXPECT_EQ(r.yaml, "before");
  EXPECT_EQ(r.notes, std::vector<std::string>{"kept"});
}

// Strings are YAML-escaped, so quotes, backslashes and control characters in
// a value cannot break the document or its comments.
TEST(ArgusConf, StringsAreEscaped) {
  const ArgusConfResult r = convert(
      "ARGUS_FILTER=ether[0] = 0x5c and \\\\x \"q\"\n"
      "ARGUS_MONITOR_ID=\"a\rb\"\n");
  const YAML::Node y = YAML::Load(r.yaml);
  EXPECT_EQ(y["input"]["filter"].as<std::string>(), "ether[0] = 0x5c and \\\\x \"q\"");
  EXPECT_EQ(y["sensor"]["monitor_id"].as<std::string>(), "\"a\rb\"");
}

// A file with nothing to carry over still gives a map, so a loader that
// expects one does not trip over an empty document.
TEST(ArgusConf, EmptyFileGivesAnEmptyMap) {
  const ArgusConfResult r = convert("# nothing here\n");
  EXPECT_TRUE(r.notes.empty());
  EXPECT_TRUE(YAML::Load(r.yaml).IsMap());
  EXPECT_EQ(YAML::Load(r.yaml).size(), 0u);
  EXPECT_TRUE(YAML::Load(convert("").yaml).IsMap());
}

}  // namespace
}  // namespace argos
