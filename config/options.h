// The option table: every configurable value once, with its YAML key, its
// command-line flag, its type, its range and where it lives in SensorConfig.
// The YAML loader, the command line and --print-config all read this table,
// so a value is parsed and range-checked the same way wherever it is given.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "config/sensor_config.h"

namespace argos {

enum class OptionKind : uint8_t {
  kBool,       // true/false (yes/no, on/off)
  kCount,      // whole number, uint32
  kBytes,      // whole number of bytes with an optional unit (KiB, MiB, GiB, k, M, G)
  kSeconds,    // duration with an optional unit (ms, s, m, h); bare numbers in `bare_unit`
  kNumber,     // plain decimal number
  kText,       // string
  kChoice,     // one word out of `choices`
  kTextList,   // list of strings (YAML sequence; comma-separated on the command line)
  kCountList,  // list of whole numbers
  kFiles,      // outputs.files: list of {path, rotate_size, rotate_interval, rotate_utc}
  kPorts,      // input.dpdk.ports: list of {name, rx_queues}
  kUdp,        // outputs.udp: list of {address, filter}
};

struct OptionSpec {
  const char* key;   // YAML path, dotted ("flows.idle_timeout.tcp")
  const char* flag;  // command-line flag, nullptr = YAML only
  OptionKind kind;
  double min;        // range of kCount, kBytes, kSeconds, kNumber
  double max;
  const char* choices;     // kChoice: "a|b|c"
  const char* bare_unit;   // kSeconds: unit of a bare number ("s" or "ms")
  const char* help;        // one line for --print-config comments and messages
  // Where the value lives; exactly one is set, matching `kind`.
  bool& (*as_bool)(SensorConfig&) = nullptr;
  uint32_t& (*as_count)(SensorConfig&) = nullptr;
  uint64_t& (*as_bytes)(SensorConfig&) = nullptr;
  double& (*as_double)(SensorConfig&) = nullptr;
  std::string& (*as_text)(SensorConfig&) = nullptr;
  std::vector<std::string>& (*as_text_list)(SensorConfig&) = nullptr;
  std::vector<uint32_t>& (*as_count_list)(SensorConfig&) = nullptr;
  // kBool flags: the value the flag sets (-p sets promiscuous to false).
  bool flag_sets = true;
};

std::span<const OptionSpec> option_table();
const OptionSpec* find_option_by_key(const std::string& key);
const OptionSpec* find_option_by_flag(const std::string& flag);

// Parses one scalar for `spec` (a list item for the list kinds) and stores
// it (appends, for lists). False with `why` ("'6x' is not a duration (...)").
bool parse_option_value(const OptionSpec& spec, const std::string& text, SensorConfig& cfg, std::string& why);

// Value parsers shared with the outputs.files entries.
bool parse_bool_text(const std::string& text, bool& out);
bool parse_bytes_text(const std::string& text, uint64_t& out);
bool parse_seconds_text(const std::string& text, const char* bare_unit, double& out);
// True when `s` is a whole number of seconds that fits 32 bits (rotation
// intervals). Checked before any conversion: a cast of an out-of-range
// double is undefined.
inline bool whole_seconds_u32(double s) { return s >= 0 && s <= 4294967295.0 && s == static_cast<double>(static_cast<uint32_t>(s)); }

// The value of `spec` in cfg as YAML scalar text ("60s", "8MiB", "true").
std::string format_seconds(double s);
std::string format_bytes(uint64_t b);

// The closest known key or flag to a misspelt one, "" when none is close.
std::string closest_key(const std::string& key);
std::string closest_flag(const std::string& flag);

// Whether `spec` holds different values in a and b.
bool option_differs(const OptionSpec& spec, const SensorConfig& a, const SensorConfig& b);


}  // namespace argos
