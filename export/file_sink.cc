#include "export/file_sink.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "export/argus_encoder.h"
#include "export/exporter.h"

namespace argos {

std::string expand_file_pattern(const std::string& pattern, time_t t, bool utc) {
  if (pattern.find('%') == std::string::npos) return pattern;
  tm fields{};
  if (utc)
    gmtime_r(&t, &fields);
  else
    localtime_r(&t, &fields);
  char out[4096];
  const size_t n = std::strftime(out, sizeof out, pattern.c_str(), &fields);
  return n ? std::string(out, n) : pattern;
}

namespace {
// The start of the rotation period holding `now`: periods are aligned on the
// clock the file names are written in, so that with local names an hourly
// file starts at a local hour (in +05:30 too) and a daily one at local
// midnight, not UTC's.
time_t period_start(time_t now, uint32_t interval_s, bool utc) {
  long offset = 0;
  if (!utc) {
    struct tm fields;
    if (localtime_r(&now, &fields)) offset = fields.tm_gmtoff;
  }
  const long long local = static_cast<long long>(now) + offset;
  long long rem = local % static_cast<long long>(interval_s);
  if (rem < 0) rem += interval_s;
  return static_cast<time_t>(static_cast<long long>(now) - rem);
}
}  // namespace

FileSink::~FileSink() { close(); }

void FileSink::note_error(const std::string& what) {
  // Said at once (a sensor may run for months), then counted; later writes
  // and reopens keep trying (a full disk may have room again, a directory
  // may come back).
  // (A failure inside open() is the caller's one message instead.)
  if (errors_++ == 0 && opened_) std::fprintf(stderr, "argos: %s (further failures counted)\n", what.c_str());
  last_error_ = what;
}

std::string FileSink::current_name() const {
  const std::string base = expand_file_pattern(path_, period_start_, rotation_.utc);
  return seq_ ? base + "." + std::to_string(seq_) : base;
}

std::string FileSink::rooted(const std::string& inside) const {
  return root_.empty() ? inside : root_ + (inside[0] == '/' ? "" : "/") + inside;
}

int open_append(const std::string& path, mode_t mode, bool& created) {
  return open_append_at(AT_FDCWD, path, mode, created);
}

int open_append_at(int dir_fd, const std::string& path, mode_t mode, bool& created) {
  // Exclusive creation first, so `created` is exact even when another
  // process makes the file in between (the plain open then finds it).
  for (int attempt = 0; attempt < 3; ++attempt) {
    int fd = ::openat(dir_fd, path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd >= 0 || errno != EEXIST) {
      created = fd >= 0;
      return fd;
    }
    // Non-blocking, as argus opens it: a FIFO without a reader is refused
    // (ENXIO) instead of blocking the sensor, through every signal, until
    // one comes; at a reopen it is an output that failed, counted.
    fd = ::openat(dir_fd, path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if (fd >= 0 || errno != ENOENT) {
      created = false;
      return fd;
    }
  }
  // A dangling symbolic link fails both: open through it as before.
  created = false;
  return ::openat(dir_fd, path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode);
}

std::string FileSink::hand_over(uid_t uid, gid_t gid) {
  if (!owns_fd_ || fd_ < 0 || !created_) return "";
  if (::fchown(fd_, uid, gid) != 0)
    return "cannot hand '" + file_name_ + "' over: " + std::strerror(errno);
  return "";
}

bool FileSink::open_file(const std::string& inside) {
  const std::string name = rooted(inside);
  fd_ = open_append(name, 0644, created_);
  if (fd_ < 0) {
    note_error("cannot open '" + name + "': " +
               (errno == ENXIO ? std::string("a FIFO with no reader") : std::strerror(errno)));
    return false;
  }
  owns_fd_ = true;
  file_name_ = name;
  struct stat st;
  const bool known = ::fstat(fd_, &st) == 0;
  file_bytes_ = known ? static_cast<uint64_t>(st.st_size) : 0;
  regular_ = known && S_ISREG(st.st_mode);
  files_.push_back(name);
  return true;
}

bool FileSink::open(const std::string& path, std::string& err, const FileRotation& rotation, time_t now) {
  path_ = path;
  rotation_ = rotation;
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    owns_fd_ = false;
    file_name_ = "<standard output>";
    rotation_ = {};
  } else {
    if (now == 0) now = ::time(nullptr);
    period_start_ = rotation_.interval_s ? period_start(now, rotation_.interval_s, rotation_.utc) : now;
    if (!open_file(current_name())) {
      err = last_error_;
      return false;
    }
  }
  ends_.reserve(kBufBytes / 64);  // records are at least 64 bytes; more only grows it
  buf_ = static_cast<uint8_t*>(std::malloc(kBufBytes));
  if (!buf_) {
    err = "out of memory for the output buffer of '" + path + "'";
    return false;
  }
  opened_ = true;
  return true;
}

bool FileSink::write_all(const uint8_t* data, size_t len, size_t& written) {
  written = 0;
  while (len > 0) {
    const ssize_t n = ::write(fd_, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      note_error("writing '" + file_name_ + "' failed: " + std::strerror(errno));
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
    written += static_cast<size_t>(n);
  }
  return true;
}

void FileSink::cut_back(uint64_t before, size_t keep) {
  // A record cut in two would end every reader at it, and records written
  // after it (once the disk has room again) would be lost to them too.
  if (regular_ && ::ftruncate(fd_, static_cast<off_t>(before + keep)) != 0)
    note_error("cutting '" + file_name_ + "' back to its last whole record failed: " + std::strerror(errno));
  struct stat st;
  file_bytes_ = regular_ && ::fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : before + keep;
}

void FileSink::start(const uint8_t* mar, size_t len) {
  start_mar_.assign(mar, mar + len);
  // A file an earlier run filled to the size limit is not grown past it:
  // the output starts in the next free numbered file.
  if (rotation_.max_bytes && file_bytes_ > 0 && file_bytes_ + len > rotation_.max_bytes) {
    next_free_seq();
    rotate_to(current_name());  // writes the start MAR there
    return;
  }
  append(mar, len);
}

void FileSink::next_free_seq() {
  // Past the highest number there is, not into a gap an archiver left
  // (o.2 moved away, o.3 to o.16 still there): the numbers keep the order
  // in which the files were written.
  const std::string base = rooted(expand_file_pattern(path_, period_start_, rotation_.utc));
  const size_t slash = base.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : base.substr(0, slash);
  const std::string prefix = (slash == std::string::npos ? base : base.substr(slash + 1)) + ".";
  uint64_t highest = seq_;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
      const std::string digits = name.substr(prefix.size());
      if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
      const uint64_t n = std::strtoull(digits.c_str(), nullptr, 10);
      if (n > highest) highest = n;
    }
    ::closedir(d);
  }
  seq_ = static_cast<decltype(seq_)>(highest);
  struct stat st;
  do {
    ++seq_;
  } while (seq_ < 1000000 && ::stat(rooted(current_name()).c_str(), &st) == 0 && st.st_size > 0);
}

// A file this sink created that holds nothing (its start MAR did not fit on
// a full disk) is removed rather than left for a reader to trip on.
void FileSink::drop_if_empty() {
  struct stat st;
  if (owns_fd_ && fd_ >= 0 && created_ && ::fstat(fd_, &st) == 0 && st.st_size == 0) ::unlink(file_name_.c_str());
}

void FileSink::rotate_to(const std::string& name) {
  flush();
  drop_if_empty();
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
  fd_ = -1;
  // A failure is counted; records are then lost (and counted) until the
  // next rotation or reopen succeeds.
  if (!open_file(name)) return;
  if (!start_mar_.empty()) {
    // Each file opens with the start MAR, stamped with the time it was
    // opened (its `now`), as argus's files are.
    mar_set_now(start_mar_.data(), start_mar_.size(), wall_clock_ns());
    append(start_mar_.data(), start_mar_.size());
  }
}

void FileSink::write(const uint8_t* data, size_t len) {
  // A size limit closes the file before the record that would cross it
  // (never leaving a file with the start MAR alone).
  if (rotation_.max_bytes && file_bytes_ + len > rotation_.max_bytes && file_bytes_ > start_mar_.size()) {
    // The next number no earlier run has filled: a numbered file that is
    // there already is left as it is, never grown past the limit.
    next_free_seq();
    rotate_to(current_name());
  }
  append(data, len);
}

void FileSink::append(const uint8_t* data, size_t len) {
  if (fd_ < 0) {
    ++records_lost_;
    return;
  }
  bytes_ += len;
  file_bytes_ += len;
  if (used_ + len > kBufBytes) {
    flush();
    if (len > kBufBytes) {
      const uint64_t before = file_bytes_ - len;
      size_t written = 0;
      if (!write_all(data, len, written)) {
        ++records_lost_;
        cut_back(before, 0);
      }
      return;
    }
  }
  std::memcpy(buf_ + used_, data, len);
  used_ += len;
  ends_.push_back(static_cast<uint32_t>(used_));
  ++buffered_records_;
}

void FileSink::poll(uint64_t now_ns) {
  const time_t now = static_cast<time_t>(now_ns / 1'000'000'000ULL);
  if (fd_ < 0) {
    // No file since a failed rotation or reopen: try again once a second.
    if (!path_.empty() && path_ != "-" && now != last_retry_s_) {
      last_retry_s_ = now;
      rotate_to(current_name());
    }
    return;
  }
  if (!rotation_.interval_s) return;
  if (now < period_start_ + static_cast<time_t>(rotation_.interval_s)) return;
  period_start_ = period_start(now, rotation_.interval_s, rotation_.utc);
  seq_ = 0;
  rotate_to(current_name());
}

void FileSink::reopen() {
  if (!owns_fd_ && fd_ >= 0) return;  // standard output
  rotate_to(current_name());
}

bool FileSink::flush() {
  if (fd_ < 0 || used_ == 0) return errors_ == 0;
  const uint64_t before = file_bytes_ - used_;
  size_t written = 0;
  const bool ok = write_all(buf_, used_, written);
  if (!ok) {
    // The records that went out whole stay; the rest are lost, counted.
    const size_t whole = static_cast<size_t>(std::upper_bound(ends_.begin(), ends_.end(), written) - ends_.begin());
    records_lost_ += buffered_records_ - whole;
    cut_back(before, whole ? ends_[whole - 1] : 0);
  }
  buffered_records_ = 0;
  used_ = 0;
  ends_.clear();
  return ok && errors_ == 0;
}

bool FileSink::close() {
  if (fd_ < 0) {
    std::free(buf_);
    buf_ = nullptr;
    return errors_ == 0;
  }
  flush();
  drop_if_empty();
  if (owns_fd_ && ::close(fd_) != 0) {
    ++errors_;
    last_error_ = std::strerror(errno);
  }
  fd_ = -1;
  std::free(buf_);
  buf_ = nullptr;
  return errors_ == 0;
}

}  // namespace argos
