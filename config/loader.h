// YAML configuration files: load one on top of a SensorConfig, print one
// back. Loading never throws; every mistake is one message with the file,
// line:column and key path.
#pragma once

#include <string>

#include "config/sensor_config.h"

namespace argos {

// Configuration files larger than this are refused unread: a deployment
// file is a few kilobytes, a megabyte is a wrong path.
inline constexpr size_t kMaxConfigBytes = 1u << 20;

// Applies the settings of YAML `text` to cfg and records where each came
// from in `origins`. `file_name` prefixes messages. Lists in the file
// replace cfg's lists. False with `err` = "FILE:LINE:COL: KEY: why".
bool load_config_text(const std::string& text, const std::string& file_name, SensorConfig& cfg,
                      ConfigOrigins& origins, std::string& err);

// The same for a file on disk.
bool load_config_file(const std::string& path, SensorConfig& cfg, ConfigOrigins& origins, std::string& err);

// Every setting of cfg as a YAML document (with a comment per key) that
// load_config_text turns back into the same configuration.
std::string print_config(const SensorConfig& cfg);

}  // namespace argos
