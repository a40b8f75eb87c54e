#include "export/file_sink.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace argos {

FileSink::~FileSink() { close(); }

bool FileSink::open(const std::string& path, std::string& err) {
  path_ = path;
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    owns_fd_ = false;
  } else {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      err = "cannot open output file '" + path + "': " + std::strerror(errno);
      return false;
    }
    owns_fd_ = true;
  }
  buf_ = static_cast<uint8_t*>(std::malloc(kBufBytes));
  if (!buf_) {
    err = "out of memory for the output buffer of '" + path + "'";
    return false;
  }
  return true;
}

bool FileSink::write_all(const uint8_t* data, size_t len) {
  while (len > 0) {
    const ssize_t n = ::write(fd_, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      ++errors_;
      last_error_ = std::strerror(errno);
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

void FileSink::write(const uint8_t* data, size_t len) {
  if (fd_ < 0) return;
  bytes_ += len;
  if (used_ + len > kBufBytes) {
    flush();
    if (len > kBufBytes) {
      write_all(data, len);
      return;
    }
  }
  std::memcpy(buf_ + used_, data, len);
  used_ += len;
}

bool FileSink::flush() {
  if (fd_ < 0 || used_ == 0) return errors_ == 0;
  const bool ok = write_all(buf_, used_);
  used_ = 0;
  return ok && errors_ == 0;
}

bool FileSink::close() {
  if (fd_ < 0) return errors_ == 0;
  flush();
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
