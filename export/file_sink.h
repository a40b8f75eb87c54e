// Argus output file (or standard output). Opened before any packet is read;
// a write error is reported once and counted, never thrown.
//
// Rotation: the name may be a strftime pattern ("argus.%Y%m%d-%H.out").
// With an interval, a new file starts at every multiple of it on the wall
// clock (local time names it: hourly files at the hour); with a size limit,
// a file that would grow past it is closed at a record boundary and the
// next one gets the same name plus ".1", ".2", ... Every file starts with
// the start MAR, and every record goes to exactly one file. reopen()
// (SIGHUP, after logrotate moved the file away) closes the file and opens
// its name again, with a start MAR. A file that cannot be opened is tried
// again once a second; records meanwhile are counted as lost.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "export/record_sink.h"

namespace argos {

struct FileRotation {
  uint64_t max_bytes = 0;    // 0: no size limit
  uint32_t interval_s = 0;   // 0: no time rotation
  bool utc = false;          // strftime fields in UTC rather than local time
};

// The file name for a pattern at wall-clock time `t` (local time or UTC).
std::string expand_file_pattern(const std::string& pattern, time_t t, bool utc = false);

// open(2) for appending (O_WRONLY | O_APPEND | O_CLOEXEC), creating the file
// with `mode` when it does not exist; `created` tells which happened, so a
// sensor that gives root up hands over only the files it made.
int open_append(const std::string& path, mode_t mode, bool& created);
// The same with `path` relative to the directory `dir_fd` (openat(2)).
int open_append_at(int dir_fd, const std::string& path, mode_t mode, bool& created);

class FileSink final : public RecordSink {
 public:
  FileSink() = default;
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  // Opens `path` (a pattern when rotating) for appending ("-" = standard
  // output), as argus does. On failure returns false and fills `err`.
  bool open(const std::string& path, std::string& err, const FileRotation& rotation = {},
            time_t now = 0);
  // -c DIR (chroot): until the sensor has entered DIR, the files are reached
  // through it from outside ("DIR"), then from inside (""). `path` stays
  // the name inside.
  void set_root(std::string root) { root_ = std::move(root); }
  void start(const uint8_t* mar, size_t len) override;
  void write(const uint8_t* data, size_t len) override;
  // Flushes buffered bytes to the kernel; returns false after a write error.
  bool flush() override;
  void poll(uint64_t now_ns) override;
  bool close();
  // Closes the current file and opens its name again (SIGHUP).
  void reopen() override;
  // Before root is given up (-u, -g): the open file, when this sink created
  // it, changes owner so that the sensor may reopen it later. "" or why not.
  std::string hand_over(uid_t uid, gid_t gid);

  const std::string& path() const { return path_; }
  // Every file written so far, in order (the current one last).
  const std::vector<std::string>& files() const { return files_; }
  uint64_t bytes_written() const { return bytes_; }
  uint64_t write_errors() const { return errors_; }
  // Records (and MARs) lost: while no file could be opened, and those a
  // failed write took with it (a full disk).
  uint64_t records_lost() const { return records_lost_; }
  const std::string& last_error() const { return last_error_; }

 private:
  // Writes `len` bytes; `written` tells how many made it when it fails.
  bool write_all(const uint8_t* data, size_t len, size_t& written);
  // After a write that stored `written` of the `len` bytes at file size
  // `before`: the file is cut back to `before + keep` (a regular file).
  void cut_back(uint64_t before, size_t keep);
  void note_error(const std::string& what);
  void append(const uint8_t* data, size_t len);
  bool open_file(const std::string& name);
  void rotate_to(const std::string& name);
  void drop_if_empty();
  void next_free_seq();  // seq_ of the next numbered file that is missing or empty
  std::string current_name() const;
  std::string rooted(const std::string& inside) const;  // the name as opened (see set_root)

  static constexpr size_t kBufBytes = 1 << 20;
  int fd_ = -1;
  bool owns_fd_ = false;
  bool created_ = false;     // the open file did not exist before
  std::string path_;         // as given (pattern)
  std::string file_name_;    // the open file
  std::vector<std::string> files_;
  std::string root_;  // see set_root
  FileRotation rotation_;
  time_t period_start_ = 0;  // wall-clock second the current period began
  uint32_t seq_ = 0;         // size rotations within the period
  uint64_t file_bytes_ = 0;  // bytes in the current file, buffered included
  std::vector<uint8_t> start_mar_;
  uint8_t* buf_ = nullptr;
  size_t used_ = 0;
  uint64_t bytes_ = 0;
  uint64_t errors_ = 0;
  uint64_t records_lost_ = 0;
  uint64_t buffered_records_ = 0;  // records in buf_, lost if its write fails
  // Where each buffered record ends in buf_: a write cut short (a full
  // disk, a reader gone) is cut back to its last whole record, so the file
  // stays readable to its end and the records counted lost are exact.
  std::vector<uint32_t> ends_;
  bool regular_ = false;  // the output is a regular file (it can be cut back)
  time_t last_retry_s_ = 0;
  bool opened_ = false;      // open() succeeded: later failures are reported as they happen  // last attempt to open a file after a failure
  std::string last_error_;
};

}  // namespace argos
