// The command line: argus's flags and Argos's own, applied over the YAML
// file (-F FILE, or the default file unless -X) through the option table.
#pragma once

#include <string>

#include "config/sensor_config.h"

namespace argos {

// Read when neither -F nor -X is given and the file exists, as argus reads
// /etc/argus.conf. ARGOS_DEFAULT_CONFIG names another path (packaging, tests).
inline constexpr const char* kDefaultConfigPath = "/etc/argos/argos.yaml";

// What the command line asks for besides a configuration.
struct CliRequest {
  bool help = false;
  bool print_config = false;     // --print-config: print the effective YAML, exit
  bool print_filter = false;     // -b: print the compiled capture filter, exit
  bool check_config = false;     // --check-config: validate against this host, exit
  bool check_portable = false;   // --check-portable: validate without looking at this host, exit
  std::string config_file;       // -F, or the default file when it was read
  std::string from_argus_conf;   // --from-argus-conf FILE: print its YAML, exit
  bool file_error = false;       // the error is in a configuration file, not in argv
};

// Builds cfg from the defaults, the configuration file and argv, in that
// order. Returns 0 to go on, 1 when only a request remains (help,
// --from-argus-conf), 2 on a usage or configuration error (err says which).
// Not validated yet: validate_config comes next.
int build_config(int argc, char** argv, CliRequest& req, SensorConfig& cfg, ConfigOrigins& origins,
                 std::string& err);

}  // namespace argos
