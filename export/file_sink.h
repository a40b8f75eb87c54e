// Argus output file (or standard output). Opened before any packet is read;
// a write error is reported once and counted, never thrown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "export/record_sink.h"

namespace argos {

class FileSink final : public RecordSink {
 public:
  FileSink() = default;
  ~FileSink();
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  // Opens `path` for appending ("-" = standard output), as argus does.
  // On failure returns false and fills `err`.
  bool open(const std::string& path, std::string& err);
  void start(const uint8_t* mar, size_t len) override { write(mar, len); }
  void write(const uint8_t* data, size_t len) override;
  // Flushes buffered bytes to the kernel; returns false after a write error.
  bool flush() override;
  bool close();

  const std::string& path() const { return path_; }
  uint64_t bytes_written() const { return bytes_; }
  uint64_t write_errors() const { return errors_; }
  const std::string& last_error() const { return last_error_; }

 private:
  bool write_all(const uint8_t* data, size_t len);

  static constexpr size_t kBufBytes = 1 << 20;
  int fd_ = -1;
  bool owns_fd_ = false;
  std::string path_;
  uint8_t* buf_ = nullptr;
  size_t used_ = 0;
  uint64_t bytes_ = 0;
  uint64_t errors_ = 0;
  std::string last_error_;
};

}  // namespace argos
