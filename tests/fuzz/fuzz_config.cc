// libFuzzer target: the YAML configuration loader. Any input must give
// either a configuration or one message, never a crash, a hang or an
// escaped exception; and a configuration it accepts must print as YAML that
// loads back to the same configuration.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "config/loader.h"
#include "config/sensor_config.h"
#include "tests/fuzz/far_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace argos;
  using fuzz::fail;
  if (size > kMaxConfigBytes) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  SensorConfig cfg;
  ConfigOrigins origins;
  std::string err;
  if (!load_config_text(text, "fuzz.yaml", cfg, origins, err)) {
    if (err.empty()) fail("refused without a message");
    return 0;
  }
  const std::string printed = print_config(cfg);
  SensorConfig back;
  ConfigOrigins back_origins;
  if (!load_config_text(printed, "printed.yaml", back, back_origins, err)) {
    std::fprintf(stderr, "%s\n%s\n", err.c_str(), printed.c_str());
    fail("the printed configuration does not load back");
  }
  if (print_config(back) != printed) fail("the printed configuration loads back different");
  // Validation without the host: messages, never a crash.
  SensorConfig checked = cfg;
  validate_config(checked, origins, ValidateScope::kPortable, err);
  return 0;
}
