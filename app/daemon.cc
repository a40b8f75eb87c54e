// Daemon operation: detach with a readiness handshake, pid file, log pump.
// See daemon.h for the order main() must follow.
#include "app/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <system_error>

#include "export/file_sink.h"

namespace argos {
namespace {

// Process-wide state, deliberately file-static: the handshake and fds 1 and 2
// belong to the process, and daemon_ready()/daemon_failed() take no handle
// because any start-up path in main() must be able to report. Both are touched
// by the main thread only (see daemon.h).
//
// The daemon's end of the handshake socket; -1 when not detached or once the
// outcome has been reported.
int g_handshake_fd = -1;
// LogPump's copy of the stderr it replaced, -1 when no pump runs. Releasing
// the terminal must repoint this copy too, or the pump would hold the
// shell's terminal (or capture pipe) open until it stops.
int g_pump_saved_stderr = -1;

// Handshake bytes, daemon to original process: one status byte, then for a
// failure the message up to end of stream.
constexpr char kReady = 'R';
constexpr char kFailed = 'F';
constexpr char kFailedHostState = 'H';  // failed on the machine's state: exit 3
// A failure message longer than this is cut: it is one line for a terminal.
constexpr size_t kMaxReportBytes = 8192;
constexpr int kExitConfigError = 2;  // main()'s status for start-up failures

// Large enough that a burst of start-up lines (DPDK's EAL prints dozens)
// never blocks a writer behind a slow syslog; best effort, as the kernel caps
// it for unprivileged processes.
constexpr int kPumpPipeBytes = 1 << 20;

std::string errno_text(int e) { return std::strerror(e); }

// send() with MSG_NOSIGNAL instead of write(): if the waiting process is gone
// (Ctrl-C in the starting shell), a pipe would kill the daemon with SIGPIPE.
void send_all(int fd, const char* data, size_t len) {
  while (len > 0) {
    const ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nobody is listening any more; nothing to tell
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
}

void report_failure(int fd, char status, const std::string& message) {
  std::string bytes(1, status);
  bytes += message;
  send_all(fd, bytes.data(), bytes.size());
}

// The original process: waits for the daemon's verdict and turns it into the
// exit status the shell sees. Never returns; _exit() because the atexit
// handlers, stdio buffers and static destructors now belong to the daemon.
[[noreturn]] void wait_for_daemon(pid_t middle, int fd) {
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  std::string report;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    report.append(buf, static_cast<size_t>(n));
    // Ready needs no more bytes; a fork()ed helper that kept the socket open
    // must not delay the shell.
    if (report[0] == kReady) ::_exit(0);
    if (report.size() > kMaxReportBytes) break;
  }
  if (!report.empty() && (report[0] == kFailed || report[0] == kFailedHostState)) {
    std::string message = report.substr(1, kMaxReportBytes);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    std::fprintf(stderr, "argos: %s\n", message.c_str());
    if (report[0] == kFailedHostState) ::_exit(kExitHostState);
  } else {
    std::fprintf(stderr,
                 "argos: the daemon ended during start-up without reporting success or "
                 "failure (crashed?); see its log\n");
  }
  ::_exit(kExitConfigError);
}

// Points stdout, and stderr unless the log pump owns it, at /dev/null: the
// daemon must not write into the shell's terminal after the prompt returned,
// nor keep a `$(argos -d ...)` capture pipe open forever.
void release_terminal() {
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) return;
  std::fflush(stdout);
  std::fflush(stderr);
  ::dup2(null_fd, STDOUT_FILENO);
  if (g_pump_saved_stderr >= 0) {
    // Keeps the fd number (and CLOEXEC) the pump will restore at stop().
    ::dup3(null_fd, g_pump_saved_stderr, O_CLOEXEC);
  } else {
    ::dup2(null_fd, STDERR_FILENO);
  }
  ::close(null_fd);
}

void report_and_release(char status, const std::string& message) {
  if (g_handshake_fd < 0) return;
  // Release first, so by the time the shell prompt returns the daemon holds
  // none of the shell's file descriptors.
  release_terminal();
  if (status == kReady) {
    send_all(g_handshake_fd, &kReady, 1);
  } else {
    report_failure(g_handshake_fd, status, message);
  }
  ::close(g_handshake_fd);
  g_handshake_fd = -1;
}

bool contains_ci(std::string_view text, std::string_view word) {
  if (word.size() > text.size()) return false;
  for (size_t i = 0; i + word.size() <= text.size(); ++i) {
    size_t k = 0;
    while (k < word.size() &&
           std::tolower(static_cast<unsigned char>(text[i + k])) == word[k]) {
      ++k;
    }
    if (k == word.size()) return true;
  }
  return false;
}

}  // namespace

bool daemon_detach(std::string& err) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    err = "cannot create the start-up handshake socket: " + errno_text(errno);
    return false;
  }
  // Buffered output would otherwise be written once by each process.
  std::fflush(nullptr);
  const pid_t middle = ::fork();
  if (middle < 0) {
    err = "cannot fork: " + errno_text(errno);
    ::close(sv[0]);
    ::close(sv[1]);
    return false;
  }
  if (middle > 0) {
    ::close(sv[1]);
    wait_for_daemon(middle, sv[0]);
  }

  // Intermediate child: a new session without a terminal, then fork again
  // so the daemon is not the session leader and opening a tty can never make
  // it the daemon's controlling terminal.
  ::close(sv[0]);
  if (::setsid() < 0) {
    report_failure(sv[1], kFailed, "setsid: " + errno_text(errno));
    ::_exit(kExitConfigError);
  }
  const pid_t daemon = ::fork();
  if (daemon < 0) {
    report_failure(sv[1], kFailed, "cannot fork the daemon: " + errno_text(errno));
    ::_exit(kExitConfigError);
  }
  if (daemon > 0) ::_exit(0);

  // The daemon. "/" so it never keeps a mounted file system busy; umask 027
  // so files it creates (logs, flow records) are not world-readable.
  if (::chdir("/") != 0) {
    report_failure(sv[1], kFailed, "chdir /: " + errno_text(errno));
    ::_exit(kExitConfigError);
  }
  ::umask(027);
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) {
    report_failure(sv[1], kFailed, "/dev/null: " + errno_text(errno));
    ::_exit(kExitConfigError);
  }
  ::dup2(null_fd, STDIN_FILENO);
  ::close(null_fd);
  g_handshake_fd = sv[1];
  return true;
}

void daemon_close_inherited() {
  if (g_handshake_fd < 0) return;
  const unsigned keep = static_cast<unsigned>(g_handshake_fd);
  if (keep > 3) ::close_range(3, keep - 1, 0);
  ::close_range(keep + 1, ~0U, 0);
}

void daemon_ready() { report_and_release(kReady, std::string()); }

bool daemon_starter_waiting() { return g_handshake_fd >= 0; }

void daemon_failed(const std::string& message, int exit_status) {
  report_and_release(exit_status == kExitHostState ? kFailedHostState : kFailed, message);
}

// ---------------------------------------------------------------------------

PidFile::~PidFile() { remove(); }

bool PidFile::create(const std::string& path, std::string& err) {
  if (fd_ >= 0) {
    err = path + ": this process already holds pid file " + path_;
    return false;
  }
  // A holder that exits between our open() and our flock() unlinks the file:
  // we would then lock an inode nobody else can find, and a third instance
  // could start. Re-checking that the path still names our inode closes that
  // window; the bound only stops a pathological loop.
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    // Never through a symbolic link, and never anything but a regular
    // file: a pid file in a directory another account can write would
    // otherwise let that account have root truncate, rewrite and hand over
    // any file it points the link at.
    bool created = true;
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) {
      created = false;
      fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    }
    if (fd < 0) {
      err = path + ": " + (errno == ELOOP ? std::string("a symbolic link: refused as a pid file") : errno_text(errno));
      return false;
    }
    struct stat kind;
    if (::fstat(fd, &kind) != 0 || !S_ISREG(kind.st_mode)) {
      err = path + ": not a regular file: refused as a pid file";
      ::close(fd);
      return false;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int e = errno;
      if (e != EWOULDBLOCK) {
        err = path + ": cannot lock: " + errno_text(e);
        ::close(fd);
        return false;
      }
      // The holder locks before it writes its pid: give it a moment.
      long pid = 0;
      for (int tries = 0; tries < 10 && pid <= 0; ++tries) {
        char buf[32] = {};
        const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
        if (n > 0) pid = std::strtol(buf, nullptr, 10);
        if (pid <= 0) ::usleep(2000);
      }
      ::close(fd);
      err = path + ": another argos is running (pid " +
            (pid > 0 ? std::to_string(pid) : std::string("unknown")) + ")";
      return false;
    }
    struct stat held, named;
    if (::fstat(fd, &held) != 0 || ::stat(path.c_str(), &named) != 0 ||
        held.st_dev != named.st_dev || held.st_ino != named.st_ino) {
      ::close(fd);
      continue;
    }
    // A stale file from a crashed run may hold a longer pid.
    const std::string text = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
      err = path + ": cannot write: " + errno_text(errno);
      ::close(fd);
      return false;
    }
    // The daemon's umask 027 would make it 0640; tools that only read the
    // pid (monitoring, scripts run as other users) expect 0644. Best effort:
    // a file owned by someone else keeps its mode.
    if (created) ::fchmod(fd, 0644);
    fd_ = fd;
    path_ = path;
    created_ = created;
    return true;
  }
  err = path + ": the file keeps being replaced while we lock it";
  return false;
}

void PidFile::remove() {
  if (fd_ < 0) return;
  // Unlink while still holding the lock, so nobody can lock the old inode
  // and believe it owns the path.
  const int gone = dir_fd_ >= 0 ? ::unlinkat(dir_fd_, base_.c_str(), 0) : ::unlink(path_.c_str());
  if (gone != 0 && ::ftruncate(fd_, 0) != 0) {
    // Neither: the stale pid stays; the lock is gone with the close, so the
    // next start takes the file over all the same.
  }
  ::close(fd_);
  fd_ = -1;
  path_.clear();
  if (dir_fd_ >= 0) ::close(dir_fd_);
  dir_fd_ = -1;
}

namespace {
// The directory holding `path` as a descriptor (O_PATH), and the file's name
// in it, so that the file stays within reach after a chroot. -1 with `err`.
int open_parent(const std::string& path, const char* what, std::string& base, std::string& err) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    err = std::string(what) + " " + path + ": cannot open its directory: " + errno_text(errno);
    return -1;
  }
  base = slash == std::string::npos ? path : path.substr(slash + 1);
  return fd;
}
}  // namespace

bool PidFile::keep_directory(std::string& err) {
  if (fd_ < 0 || dir_fd_ >= 0) return true;
  dir_fd_ = open_parent(path_, "pid file", base_, err);
  return dir_fd_ >= 0;
}

std::string PidFile::hand_over(uid_t uid, gid_t gid) {
  // Only a file this run created changes owner: one that was there keeps
  // its owner, as the log file does.
  if (fd_ < 0 || !created_ || ::fchown(fd_, uid, gid) == 0) return "";
  return "cannot hand pid file " + path_ + " over: " + errno_text(errno);
}

// ---------------------------------------------------------------------------

int log_line_priority(std::string_view line) {
  if (contains_ci(line, "error") || contains_ci(line, "cannot") || contains_ci(line, "failed")) {
    return LOG_ERR;
  }
  if (contains_ci(line, "warning")) return LOG_WARNING;
  return LOG_INFO;
}

LogPump::~LogPump() {
  stop();
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

bool LogPump::start(Target target, const std::string& file_path, std::string& err) {
  if (running_) {
    err = "log pump already running";
    return false;
  }
  if (target == Target::kStderr) return true;
  if (g_pump_saved_stderr >= 0) {
    err = "another log pump already holds stderr";
    return false;
  }
  int file_fd = -1;
  if (target == Target::kFile) {
    file_fd = open_append(file_path, 0640, file_created_);
    if (file_fd < 0) {
      err = file_path + ": " + errno_text(errno);
      return false;
    }
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    err = "log pump: cannot create a pipe: " + errno_text(errno);
    if (file_fd >= 0) ::close(file_fd);
    return false;
  }
  ::fcntl(pipe_fds[1], F_SETPIPE_SZ, kPumpPipeBytes);
  int saved = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  if (saved < 0 && errno == EBADF) {
    // Started with fd 2 closed: there is no old stderr to go back to.
    saved = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  }
  if (saved < 0) {
    err = "log pump: cannot duplicate stderr: " + errno_text(errno);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    if (file_fd >= 0) ::close(file_fd);
    return false;
  }

  target_ = target;
  file_path_ = file_path;
  file_fd_ = file_fd;
  saved_stderr_ = saved;
  lines_lost_.store(0, std::memory_order_relaxed);
  // LOG_NDELAY: connected to the log socket now, so a sensor that confines
  // itself to a directory (-c) later keeps it.
  if (target == Target::kSyslog) ::openlog("argos", LOG_PID | LOG_NDELAY, LOG_DAEMON);
  // The thread starts before fd 2 moves, so a failure here leaves stderr as
  // it was. std::thread reports failure by exception; it goes no further.
  try {
    thread_ = std::thread(&LogPump::run, this, pipe_fds[0]);
  } catch (const std::system_error& e) {
    err = std::string("log pump: cannot start its thread: ") + e.what();
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    ::close(saved);
    if (file_fd >= 0) ::close(file_fd);
    if (target == Target::kSyslog) ::closelog();
    saved_stderr_ = file_fd_ = -1;
    return false;
  }
  std::fflush(stderr);
  // From here fd 2 is the pipe's only write end, so restoring fd 2 in stop()
  // is what ends the stream.
  ::dup2(pipe_fds[1], STDERR_FILENO);
  ::close(pipe_fds[1]);
  g_pump_saved_stderr = saved;
  running_ = true;
  return true;
}

void LogPump::stop() {
  if (!running_) return;
  std::fflush(stderr);
  // Closes the last write end: the thread reads what is still in the pipe
  // (a write in progress in another thread completes first), then EOF.
  ::dup2(saved_stderr_, STDERR_FILENO);
  thread_.join();
  g_pump_saved_stderr = -1;
  ::close(saved_stderr_);
  saved_stderr_ = -1;
  if (file_fd_ >= 0) ::close(file_fd_);
  file_fd_ = -1;
  if (target_ == Target::kSyslog) ::closelog();
  running_ = false;
}

bool LogPump::keep_directory(std::string& err) {
  if (!running_ || target_ != Target::kFile || dir_fd_ >= 0) return true;
  dir_fd_ = open_parent(file_path_, "log file", file_base_, err);
  return dir_fd_ >= 0;
}

void LogPump::reopen() {
  if (!running_ || target_ != Target::kFile) return;
  bool created = false;
  const int fd = dir_fd_ >= 0 ? open_append_at(dir_fd_, file_base_, 0640, created)
                              : open_append(file_path_, 0640, created);
  if (fd < 0) {
    const int e = errno;
    // Goes through the pump into the old file, which is still open: the
    // mutex is not held here, so a full pipe cannot deadlock us.
    std::fprintf(stderr, "argos: log file %s: cannot reopen (%s); still writing to the old file\n",
                 file_path_.c_str(), errno_text(e).c_str());
    return;
  }
  int old = -1;
  {
    std::lock_guard<std::mutex> lock(file_mutex_);
    old = file_fd_;
    file_fd_ = fd;
    file_created_ = created;
  }
  ::close(old);
}

std::string LogPump::hand_over(uid_t uid, gid_t gid) {
  std::lock_guard<std::mutex> lock(file_mutex_);
  if (file_fd_ < 0 || !file_created_ || ::fchown(file_fd_, uid, gid) == 0) return "";
  return "cannot hand log file " + file_path_ + " over: " + errno_text(errno);
}

void LogPump::run(int pipe_read_fd) {
  // Asynchronous signals belong to the main thread (its handlers set flags
  // it polls); here they would only interrupt the read.
  sigset_t block;
  sigemptyset(&block);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGPIPE}) {
    sigaddset(&block, s);
  }
  pthread_sigmask(SIG_BLOCK, &block, nullptr);

  char chunk[16384];
  char line[kMaxLineBytes];
  size_t len = 0;
  for (;;) {
    const ssize_t n = ::read(pipe_read_fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    const char* p = chunk;
    const char* const end = chunk + n;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      const char* const stop = nl ? nl : end;
      while (p < stop) {
        // Split only when more text follows, so a line of exactly
        // kMaxLineBytes does not leave an empty line behind.
        if (len == kMaxLineBytes) {
          emit_line(line, len);
          len = 0;
        }
        const size_t take = std::min(kMaxLineBytes - len, static_cast<size_t>(stop - p));
        std::memcpy(line + len, p, take);
        len += take;
        p += take;
      }
      if (nl) {
        emit_line(line, len);
        len = 0;
        p = nl + 1;
      }
    }
  }
  if (len > 0) emit_line(line, len);  // a last line without '\n'
  ::close(pipe_read_fd);
}

void LogPump::emit_line(const char* text, size_t len) {
  // Both syslog and the file prefix name the program already.
  constexpr std::string_view kOwnPrefix = "argos: ";
  std::string_view line(text, len);
  if (line.substr(0, kOwnPrefix.size()) == kOwnPrefix) line.remove_prefix(kOwnPrefix.size());

  if (target_ == Target::kSyslog) {
    ::syslog(log_line_priority(line), "%.*s", static_cast<int>(line.size()), line.data());
    return;
  }

  timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  tm utc;
  ::gmtime_r(&now.tv_sec, &utc);
  char stamp[32];
  const size_t stamp_len = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  // Timestamp + pid + the line + '\n' in one write(): with O_APPEND each line
  // lands whole even if another process appends to the same file.
  char out[kMaxLineBytes + 96];
  int head = std::snprintf(out, sizeof out, "%.*s.%03ldZ argos[%ld]: ", static_cast<int>(stamp_len), stamp,
                           static_cast<long>(now.tv_nsec / 1000000), static_cast<long>(::getpid()));
  if (head < 0) head = 0;
  size_t total = static_cast<size_t>(head);
  std::memcpy(out + total, line.data(), line.size());
  total += line.size();
  out[total++] = '\n';

  bool written = false;
  {
    std::lock_guard<std::mutex> lock(file_mutex_);
    size_t done = 0;
    while (done < total) {
      const ssize_t n = ::write(file_fd_, out + done, total - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    written = done == total;
  }
  if (!written) {
    // Single writer (this thread): a plain load and store suffice.
    lines_lost_.store(lines_lost_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    // Best effort: the stderr we replaced (the terminal in the foreground,
    // /dev/null once detached) rather than nowhere.
    const ssize_t ignored = ::write(saved_stderr_, out, total);
    (void)ignored;
  }
}

}  // namespace argos
