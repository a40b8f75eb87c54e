// Daemon operation tests: pid file, log pump, detach handshake. Everything
// runs in a temporary directory under /tmp; the detach tests run in a forked
// child so the test process itself keeps its session and terminal.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/daemon.h"

namespace argos {
namespace {

constexpr int kTimeoutMs = 10000;  // generous: sanitizer builds are slow

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/argos_daemon_test.XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    if (made) path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

bool is_dev_null(int fd) {
  struct stat st, null_st;
  return ::fstat(fd, &st) == 0 && ::stat("/dev/null", &null_st) == 0 && S_ISCHR(st.st_mode) &&
         st.st_rdev == null_st.st_rdev;
}

// Exit status of `pid`, or -1 (after killing it) when it outlives the timeout.
int wait_exit(pid_t pid) {
  for (int waited_ms = 0; waited_ms < kTimeoutMs; waited_ms += 5) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return -1;
    ::usleep(5000);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

// Reads `fd` to end of stream (bounded by the timeout).
std::string read_to_eof(int fd) {
  std::string text;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

// Waits until `path` contains `needle` (the pump writes asynchronously).
bool wait_for_text(const std::string& path, const std::string& needle) {
  for (int waited_ms = 0; waited_ms < kTimeoutMs; waited_ms += 5) {
    if (read_file(path).find(needle) != std::string::npos) return true;
    ::usleep(5000);
  }
  return false;
}

// Points fd 2 at a file for one scope, so a test can see what reaches "the
// stderr the pump replaced".
class StderrToFile {
 public:
  explicit StderrToFile(const std::string& path) {
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~StderrToFile() {
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }

 private:
  int saved_ = -1;
};

// One log-file line split into its parts.
struct LogLine {
  bool ok = false;
  std::string stamp;
  long pid = 0;
  std::string text;
};

LogLine parse_log_line(const std::string& line) {
  // "2026-11-22T13:45:01.123Z argos[PID]: text"; 'd' stands for a digit.
  constexpr std::string_view kStamp = "dddd-dd-ddTdd:dd:dd.dddZ argos[";
  LogLine out;
  if (line.size() < kStamp.size()) return out;
  for (size_t i = 0; i < kStamp.size(); ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(line[i])) != 0;
    if (kStamp[i] == 'd' ? !digit : line[i] != kStamp[i]) return out;
  }
  size_t pos = kStamp.size();
  const size_t pid_start = pos;
  while (pos < line.size() && std::isdigit(static_cast<unsigned char>(line[pos]))) ++pos;
  if (pos == pid_start || line.compare(pos, 3, "]: ") != 0) return out;
  out.ok = true;
  out.stamp = line.substr(0, 19);
  out.pid = std::stol(line.substr(pid_start, pos - pid_start));
  out.text = line.substr(pos + 3);
  return out;
}

// Seconds between a log timestamp (read as UTC) and now.
long seconds_from_now(const std::string& stamp) {
  tm t{};
  if (!::strptime(stamp.c_str(), "%Y-%m-%dT%H:%M:%S", &t)) return 1L << 30;
  return std::labs(static_cast<long>(::timegm(&t) - std::time(nullptr)));
}

// The text of each line of a pump log file, checking every line's format
// and, unless the lines come from another process (a daemon), our pid.
std::vector<std::string> log_texts(const std::string& path, bool written_by_us = true) {
  std::vector<std::string> texts;
  for (const std::string& line : lines_of(read_file(path))) {
    const LogLine parsed = parse_log_line(line);
    EXPECT_TRUE(parsed.ok) << "badly formed log line: " << line;
    if (written_by_us) {
      EXPECT_EQ(parsed.pid, static_cast<long>(::getpid())) << line;
    }
    EXPECT_LE(seconds_from_now(parsed.stamp), 60) << "timestamp is not UTC now: " << line;
    texts.push_back(parsed.text);
  }
  return texts;
}

// ---------------------------------------------------------------------------
// PidFile

// Shows: create() writes "PID\n" with our pid.
TEST(PidFile, WritesOurPid) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  PidFile pid_file;
  std::string err;
  ASSERT_TRUE(pid_file.create(dir.file("argos.pid"), err)) << err;
  EXPECT_EQ(read_file(dir.file("argos.pid")), std::to_string(::getpid()) + "\n");
}

// Shows: a pid file path that is a symbolic link (dangling or not) or a
// FIFO is refused, and the link's target is neither created nor touched:
// an account that can write the directory cannot aim root at a file.
TEST(PidFile, SymbolicLinksAndNonFilesAreRefused) {
  TempDir dir;
  const std::string target = dir.file("secret");
  {
    std::ofstream(target) << "keep me\n";
  }
  const std::string link = dir.file("argos.pid");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  PidFile pid_file;
  std::string err;
  EXPECT_FALSE(pid_file.create(link, err));
  EXPECT_NE(err.find("symbolic link"), std::string::npos) << err;
  EXPECT_EQ(read_file(target), "keep me\n");
  const std::string dangling = dir.file("dangling.pid");
  const std::string nowhere = dir.file("made-by-root");
  ASSERT_EQ(::symlink(nowhere.c_str(), dangling.c_str()), 0);
  EXPECT_FALSE(pid_file.create(dangling, err));
  struct stat st;
  EXPECT_NE(::stat(nowhere.c_str(), &st), 0) << "the link's target was created";
  const std::string fifo = dir.file("fifo.pid");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_FALSE(pid_file.create(fifo, err));  // and does not block in open()
  EXPECT_NE(err.find("not a regular file"), std::string::npos) << err;
}

// Shows: a pid file that was there before keeps its owner and mode when the
// sensor hands its files over (-u): only a file this run created changes.
TEST(PidFile, AnExistingFileKeepsItsOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "changing owners needs root";
  TempDir dir;
  const std::string path = dir.file("argos.pid");
  {
    std::ofstream(path) << "1\n";
  }
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  PidFile pid_file;
  std::string err;
  ASSERT_TRUE(pid_file.create(path, err)) << err;
  EXPECT_EQ(pid_file.hand_over(65534, 65534), "");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  PidFile fresh;
  const std::string made = dir.file("new.pid");
  ASSERT_TRUE(fresh.create(made, err)) << err;
  EXPECT_EQ(fresh.hand_over(65534, 65534), "");
  ASSERT_EQ(::stat(made.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
}

// Shows: while we hold the file, another process (a forked child) cannot
// take it, and its message names the path and our pid.
TEST(PidFile, SecondInstanceIsRefusedNamingTheHolder) {
  TempDir dir;
  const std::string path = dir.file("argos.pid");
  PidFile pid_file;
  std::string err;
  ASSERT_TRUE(pid_file.create(path, err)) << err;

  int msg[2];
  ASSERT_EQ(::pipe(msg), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(msg[0]);
    PidFile second;
    std::string child_err;
    const bool took_it = second.create(path, child_err);
    ssize_t ignored = ::write(msg[1], child_err.data(), child_err.size());
    (void)ignored;
    ::_exit(took_it ? 1 : 0);
  }
  ::close(msg[1]);
  const std::string child_err = read_to_eof(msg[0]);
  ::close(msg[0]);
  EXPECT_EQ(wait_exit(child), 0) << "the second PidFile::create succeeded";
  EXPECT_EQ(child_err, path + ": another argos is running (pid " + std::to_string(::getpid()) + ")");
  // The refused instance must not have touched the file.
  EXPECT_EQ(read_file(path), std::to_string(::getpid()) + "\n");
}

// Shows: remove() unlinks the file and releases it for the next instance.
TEST(PidFile, RemoveUnlinks) {
  TempDir dir;
  const std::string path = dir.file("argos.pid");
  PidFile pid_file;
  std::string err;
  ASSERT_TRUE(pid_file.create(path, err)) << err;
  pid_file.remove();
  struct stat st;
  EXPECT_NE(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(errno, ENOENT);
  PidFile next;
  EXPECT_TRUE(next.create(path, err)) << err;
}

// Shows: the destructor removes a held file (a normal exit cleans up).
TEST(PidFile, DestructorRemoves) {
  TempDir dir;
  const std::string path = dir.file("argos.pid");
  {
    PidFile pid_file;
    std::string err;
    ASSERT_TRUE(pid_file.create(path, err)) << err;
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

// Shows: a file left by a crashed run (nobody holds its lock) is taken over,
// and a longer stale pid is truncated away, not partly overwritten.
TEST(PidFile, StaleFileIsTakenOver) {
  TempDir dir;
  const std::string path = dir.file("argos.pid");
  write_file(path, "4194303999\n");
  PidFile pid_file;
  std::string err;
  ASSERT_TRUE(pid_file.create(path, err)) << err;
  EXPECT_EQ(read_file(path), std::to_string(::getpid()) + "\n");
}

// ---------------------------------------------------------------------------
// LogPump

// Shows: lines written with fprintf(stderr) by this thread and with
// write(2, ...) by another thread at the same time all reach the file whole,
// each writer's lines in order, timestamped with our pid, "argos: " stripped.
TEST(LogPump, FileGetsEveryLineInOrderTimestamped) {
  TempDir dir;
  const std::string log = dir.file("argos.log");
  LogPump pump;
  std::string err;
  ASSERT_TRUE(pump.start(LogPump::Target::kFile, log, err)) << err;

  constexpr int kLinesEach = 200;
  std::thread writer([] {
    for (int i = 0; i < kLinesEach; ++i) {
      const std::string line = "EAL: thread line " + std::to_string(i) + "\n";
      ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
      (void)ignored;
    }
  });
  for (int i = 0; i < kLinesEach; ++i) std::fprintf(stderr, "argos: main line %d\n", i);
  writer.join();
  std::fprintf(stderr, "argos: last\n");
  pump.stop();

  const std::vector<std::string> texts = log_texts(log);
  ASSERT_EQ(texts.size(), 2u * kLinesEach + 1);
  int next_main = 0, next_thread = 0;
  for (const std::string& text : texts) {
    if (text == "main line " + std::to_string(next_main)) {
      ++next_main;
    } else if (text == "EAL: thread line " + std::to_string(next_thread)) {
      ++next_thread;
    } else if (text != "last") {
      ADD_FAILURE() << "unexpected or out-of-order line: " << text;
    }
  }
  EXPECT_EQ(next_main, kLinesEach);
  EXPECT_EQ(next_thread, kLinesEach);
  EXPECT_EQ(texts.back(), "last");
  struct stat st;
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u & ~static_cast<unsigned>(::umask(::umask(0))));
}

// Shows: while the pump runs fd 2 is its pipe; stop() puts back the very
// file fd 2 was before, and later writes no longer reach the log.
TEST(LogPump, StopRestoresStderr) {
  TempDir dir;
  const std::string log = dir.file("argos.log");
  StderrToFile capture(dir.file("stderr.txt"));
  struct stat before, during, after;
  ASSERT_EQ(::fstat(STDERR_FILENO, &before), 0);

  LogPump pump;
  std::string err;
  ASSERT_TRUE(pump.start(LogPump::Target::kFile, log, err)) << err;
  ASSERT_EQ(::fstat(STDERR_FILENO, &during), 0);
  EXPECT_TRUE(S_ISFIFO(during.st_mode));
  std::fprintf(stderr, "argos: into the log\n");
  pump.stop();

  ASSERT_EQ(::fstat(STDERR_FILENO, &after), 0);
  EXPECT_TRUE(same_file(before, after));
  std::fprintf(stderr, "argos: back on stderr\n");
  EXPECT_EQ(log_texts(log), std::vector<std::string>{"into the log"});
  EXPECT_EQ(read_file(dir.file("stderr.txt")), "argos: back on stderr\n");
}

// Shows: the syslog target also takes fd 2 and gives it back (no line is
// written, so the machine's syslog stays clean).
TEST(LogPump, SyslogTargetTakesAndRestoresStderr) {
  struct stat before, during, after;
  ASSERT_EQ(::fstat(STDERR_FILENO, &before), 0);
  LogPump pump;
  std::string err;
  ASSERT_TRUE(pump.start(LogPump::Target::kSyslog, "", err)) << err;
  ASSERT_EQ(::fstat(STDERR_FILENO, &during), 0);
  EXPECT_TRUE(S_ISFIFO(during.st_mode));
  pump.stop();
  ASSERT_EQ(::fstat(STDERR_FILENO, &after), 0);
  EXPECT_TRUE(same_file(before, after));
}

// Shows: the stderr target changes nothing (systemd's journal or the
// terminal already takes stderr).
TEST(LogPump, StderrTargetLeavesFd2Alone) {
  struct stat before, after;
  ASSERT_EQ(::fstat(STDERR_FILENO, &before), 0);
  LogPump pump;
  std::string err;
  ASSERT_TRUE(pump.start(LogPump::Target::kStderr, "", err)) << err;
  ASSERT_EQ(::fstat(STDERR_FILENO, &after), 0);
  EXPECT_TRUE(same_file(before, after));
  pump.stop();
}

// Shows: a log file that cannot be opened fails start() with a message
// naming it, and fd 2 is left as it was.
TEST(LogPump, UnopenableFileFailsStart) {
  TempDir dir;
  struct stat before, after;
  ASSERT_EQ(::fstat(STDERR_FILENO, &before), 0);
  const std::string log = dir.file("no-such-dir/argos.log");
  LogPump pump;
  std::string err;
  EXPECT_FALSE(pump.start(LogPump::Target::kFile, log, err));
  EXPECT_EQ(err.rfind(log + ": ", 0), 0u) << err;
  ASSERT_EQ(::fstat(STDERR_FILENO, &after), 0);
  EXPECT_TRUE(same_file(before, after));
}

// Shows: after logrotate renamed the file, reopen() sends later lines to a
// new file at the original path while earlier ones stay in the renamed one.
TEST(LogPump, ReopenAfterRenameWritesToNewFile) {
  TempDir dir;
  const std::string log = dir.file("argos.log");
  const std::string rotated = dir.file("argos.log.1");
  LogPump pump;
  std::string err;
  ASSERT_TRUE(pump.start(LogPump::Target::kFile, log, err)) << err;
  std::fprintf(stderr, "argos: before rotation\n");
  // Only lines the pump has already written are pinned to the old file.
  ASSERT_TRUE(wait_for_text(log, "before rotation"));
  ASSERT_EQ(::rename(log.c_str(), rotated.c_str()), 0);
  pump.reopen();
  std::fprintf(stderr, "argos: after rotation\n");
  pump.stop();
  EXPECT_EQ(log_texts(rotated), std::vector<std::string>{"before rotation"});
  EXPECT_EQ(log_texts(log), std::vector<std::string>{"after rotation"});
}

// Shows: a last line without '\n' is not lost at stop(); the file still
// ends with a newline.
TEST(LogPump, PartialLastLineArrives) {
  TempDir dir;
  const std::string log = dir.file("argos.log");
  LogPump pump;
  std::string err;
  ASSERT_TRUE(pump.start(LogPump::Target::kFile, log, err)) << err;
  std::fprintf(stderr, "argos: whole\nargos: no newline at the end");
  pump.stop();
  EXPECT_EQ(log_texts(log), (std::vector<std::string>{"whole", "no newline at the end"}));
  const std::string text = read_file(log);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
}

// Shows: a line longer than kMaxLineBytes is split into pieces of that
// size, and a line of exactly that size is not followed by an empty one.
TEST(LogPump, LongLinesAreSplit) {
  TempDir dir;
  const std::string log = dir.file("argos.log");
  LogPump pump;
  std::string err;
  ASSERT_TRUE(pump.start(LogPump::Target::kFile, log, err)) << err;
  constexpr size_t kMax = LogPump::kMaxLineBytes;
  const std::string longer(2 * kMax + 100, 'x');
  const std::string exact(kMax, 'y');
  const std::string both = longer + "\n" + exact + "\n";
  ASSERT_EQ(::write(STDERR_FILENO, both.data(), both.size()), static_cast<ssize_t>(both.size()));
  pump.stop();
  EXPECT_EQ(log_texts(log),
            (std::vector<std::string>{std::string(kMax, 'x'), std::string(kMax, 'x'),
                                      std::string(100, 'x'), exact}));
}

// Shows: lines the log file refuses (here /dev/full: disk full) are counted
// in lines_lost() and still reach the stderr the pump replaced.
TEST(LogPump, RefusedLinesAreCountedAndKept) {
  TempDir dir;
  const std::string fallback = dir.file("stderr.txt");
  LogPump pump;
  {
    StderrToFile capture(fallback);
    std::string err;
    ASSERT_TRUE(pump.start(LogPump::Target::kFile, "/dev/full", err)) << err;
    std::fprintf(stderr, "argos: one\nargos: two\nthree\n");
    pump.stop();
  }
  EXPECT_EQ(pump.lines_lost(), 3u);
  std::vector<std::string> texts;
  for (const std::string& line : lines_of(read_file(fallback))) {
    const LogLine parsed = parse_log_line(line);
    EXPECT_TRUE(parsed.ok) << line;
    texts.push_back(parsed.text);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"one", "two", "three"}));
}

// Shows: syslog levels follow the words in the line, case-insensitively
// (DPDK writes "Error"), errors winning over warnings.
TEST(LogLinePriority, ClassifiesBySeverityWords) {
  EXPECT_EQ(log_line_priority("argos: cannot open eth9"), LOG_ERR);
  EXPECT_EQ(log_line_priority("EAL: Error - exiting with code: 1"), LOG_ERR);
  EXPECT_EQ(log_line_priority("output 'x': 3 failures, the last: write failed"), LOG_ERR);
  EXPECT_EQ(log_line_priority("warning: an error nearby"), LOG_ERR);
  EXPECT_EQ(log_line_priority("argos: warning: NIC on another NUMA node"), LOG_WARNING);
  EXPECT_EQ(log_line_priority("EAL: WARNING! Base virtual address hint"), LOG_WARNING);
  EXPECT_EQ(log_line_priority("argos: stats packets=10 bytes=600"), LOG_INFO);
  EXPECT_EQ(log_line_priority(""), LOG_INFO);
}

// ---------------------------------------------------------------------------
// daemon_detach

// What one detach run left behind: the starting process's exit status and
// stderr, and what the daemon wrote to its report pipe.
struct DetachRun {
  pid_t starter = -1;
  int starter_status = -1;
  std::string starter_stderr;
  std::string daemon_report;
};

// Waits (bounded) until every child of this process, the daemon included,
// has exited and been reaped.
void reap_orphans() {
  for (int waited_ms = 0; waited_ms < kTimeoutMs; waited_ms += 5) {
    const pid_t r = ::waitpid(-1, nullptr, WNOHANG);
    if (r > 0) continue;
    if (r < 0) return;  // ECHILD: none left
    ::usleep(5000);
  }
}

// Forks a "starter" (standing for argos started from a shell) whose stderr
// goes to a file; it detaches and `in_daemon` runs in the daemon with a pipe
// back to this test. The daemon never returns into the test binary.
DetachRun run_detached(const TempDir& dir, const std::function<void(int report_fd)>& in_daemon) {
  DetachRun run;
  // The daemon, orphaned by design, is then re-parented to this process
  // rather than to init, so each test reaps its own daemon and none outlives
  // it.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  int report[2];
  if (::pipe(report) != 0) return run;
  const std::string err_path = dir.file("starter.err");
  std::fflush(nullptr);
  run.starter = ::fork();
  if (run.starter == 0) {
    ::close(report[0]);
    const int fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
    std::string err;
    if (!daemon_detach(err)) {
      std::fprintf(stderr, "test: detach failed: %s\n", err.c_str());
      ::_exit(99);
    }
    in_daemon(report[1]);
    ::_exit(0);
  }
  ::close(report[1]);
  if (run.starter < 0) {
    ::close(report[0]);
    return run;
  }
  run.starter_status = wait_exit(run.starter);
  // Data already in the pipe when the starter exited was written before
  // daemon_ready(); the daemon's exit ends the stream.
  pollfd p{report[0], POLLIN, 0};
  if (::poll(&p, 1, 0) == 1) run.daemon_report = "readable-at-starter-exit\n";
  run.daemon_report += read_to_eof(report[0]);
  ::close(report[0]);
  reap_orphans();
  run.starter_stderr = read_file(err_path);
  return run;
}

void send_report(int fd, const std::string& text) {
  ssize_t ignored = ::write(fd, text.data(), text.size());
  (void)ignored;
}

std::map<std::string, std::string> parse_report(const std::string& text) {
  std::map<std::string, std::string> fields;
  for (const std::string& line : lines_of(text)) {
    const size_t eq = line.find('=');
    fields[line.substr(0, eq)] = eq == std::string::npos ? "" : line.substr(eq + 1);
  }
  return fields;
}

// Shows: the starter waits until the daemon calls daemon_ready() (the daemon
// dawdles first), then exits 0 with nothing on its stderr; after ready the
// daemon's stdout and stderr are /dev/null.
TEST(DaemonDetach, ReadyMakesTheStarterExitZero) {
  TempDir dir;
  const DetachRun run = run_detached(dir, [](int fd) {
    ::usleep(200 * 1000);
    send_report(fd, "before_ready=1\n");
    daemon_ready();
    send_report(fd, std::string("stdout_null=") + (is_dev_null(STDOUT_FILENO) ? "1" : "0") +
                        "\nstderr_null=" + (is_dev_null(STDERR_FILENO) ? "1" : "0") + "\n");
  });
  EXPECT_EQ(run.starter_status, 0);
  EXPECT_EQ(run.starter_stderr, "");
  auto report = parse_report(run.daemon_report);
  EXPECT_EQ(report.count("readable-at-starter-exit"), 1u) << "the starter exited before the daemon was ready";
  EXPECT_EQ(report["before_ready"], "1");
  EXPECT_EQ(report["stdout_null"], "1");
  EXPECT_EQ(report["stderr_null"], "1");
}

// Shows: daemon_failed("boom") makes the starter print "argos: boom" on its
// stderr and exit 2, the status a configuration error has in the foreground.
TEST(DaemonDetach, FailedMakesTheStarterPrintAndExitTwo) {
  TempDir dir;
  const DetachRun run = run_detached(dir, [](int) { daemon_failed("boom"); });
  EXPECT_EQ(run.starter_status, 2);
  EXPECT_EQ(run.starter_stderr, "argos: boom\n");
}

// Shows: a daemon that dies without reporting (a crash) still gives the
// starter exit status 2 and a message saying so.
TEST(DaemonDetach, SilentDeathMakesTheStarterExitTwo) {
  TempDir dir;
  const DetachRun run = run_detached(dir, [](int) { ::_exit(3); });
  EXPECT_EQ(run.starter_status, 2);
  EXPECT_NE(run.starter_stderr.find("argos: the daemon ended during start-up without reporting"),
            std::string::npos)
      << run.starter_stderr;
}

// Shows: the daemon is a different process in a session of its own, but not
// that session's leader (the second fork), so it has no controlling terminal
// and opening a tty can never give it one.
TEST(DaemonDetach, DaemonIsInItsOwnSessionWithoutTerminal) {
  TempDir dir;
  const DetachRun run = run_detached(dir, [](int fd) {
    const int tty = ::open("/dev/tty", O_RDWR | O_NOCTTY);
    send_report(fd, "pid=" + std::to_string(::getpid()) + "\nsid=" + std::to_string(::getsid(0)) +
                        "\npgid=" + std::to_string(::getpgrp()) + "\ntty=" + (tty >= 0 ? "1" : "0") + "\n");
    daemon_ready();
  });
  ASSERT_EQ(run.starter_status, 0);
  auto report = parse_report(run.daemon_report);
  ASSERT_TRUE(report.count("pid")) << run.daemon_report;
  const pid_t daemon = static_cast<pid_t>(std::stol(report["pid"]));
  const pid_t sid = static_cast<pid_t>(std::stol(report["sid"]));
  EXPECT_NE(daemon, run.starter);
  EXPECT_NE(daemon, ::getpid());
  EXPECT_NE(sid, ::getsid(0)) << "still in the test's session";
  EXPECT_NE(sid, run.starter);
  // The session belongs to the intermediate child, which has exited.
  EXPECT_NE(sid, daemon) << "the daemon is a session leader";
  EXPECT_EQ(std::stol(report["pgid"]), static_cast<long>(sid));
  EXPECT_EQ(report["tty"], "0");
}

// Shows: the daemon starts in "/" (keeps no file system busy), with umask
// 027 and stdin on /dev/null.
TEST(DaemonDetach, DaemonStartsInRootWithUmaskAndNullStdin) {
  TempDir dir;
  const DetachRun run = run_detached(dir, [](int fd) {
    char cwd[4096] = {};
    const mode_t mask = ::umask(0);
    ::umask(mask);
    send_report(fd, std::string("cwd=") + (::getcwd(cwd, sizeof cwd) ? cwd : "?") +
                        "\numask=" + std::to_string(mask) +
                        "\nstdin_null=" + (is_dev_null(STDIN_FILENO) ? "1" : "0") + "\n");
    daemon_ready();
  });
  ASSERT_EQ(run.starter_status, 0);
  auto report = parse_report(run.daemon_report);
  EXPECT_EQ(report["cwd"], "/");
  EXPECT_EQ(report["umask"], std::to_string(027));
  EXPECT_EQ(report["stdin_null"], "1");
}

// Shows: a log pump started in the daemon before daemon_ready() keeps the
// log, while the starter's stderr (which the pump replaced) is released at
// ready: the pump's stop() then restores /dev/null, not the shell's stderr.
TEST(DaemonDetach, ReadyReleasesTheStderrThePumpReplaced) {
  TempDir dir;
  const std::string log = dir.file("daemon.log");
  const DetachRun run = run_detached(dir, [&log](int fd) {
    LogPump pump;
    std::string err;
    if (!pump.start(LogPump::Target::kFile, log, err)) {
      daemon_failed(err);
      return;
    }
    std::fprintf(stderr, "argos: starting\n");
    daemon_ready();
    std::fprintf(stderr, "argos: running\n");
    pump.stop();
    std::fprintf(stderr, "argos: after the pump\n");
    send_report(fd, std::string("stderr_null=") + (is_dev_null(STDERR_FILENO) ? "1" : "0") + "\n");
  });
  EXPECT_EQ(run.starter_status, 0) << run.starter_stderr;
  EXPECT_EQ(parse_report(run.daemon_report)["stderr_null"], "1");
  EXPECT_EQ(run.starter_stderr, "");
  EXPECT_EQ(log_texts(log, false), (std::vector<std::string>{"starting", "running"}));
}

// Shows: without daemon_detach, daemon_ready() and daemon_failed() change
// nothing (argos in the foreground, or under systemd).
TEST(DaemonDetach, ReadyAndFailedAreNoOpsWhenNotDetached) {
  struct stat out_before, err_before, out_after, err_after;
  ASSERT_EQ(::fstat(STDOUT_FILENO, &out_before), 0);
  ASSERT_EQ(::fstat(STDERR_FILENO, &err_before), 0);
  daemon_ready();
  daemon_failed("not detached");
  ASSERT_EQ(::fstat(STDOUT_FILENO, &out_after), 0);
  ASSERT_EQ(::fstat(STDERR_FILENO, &err_after), 0);
  EXPECT_TRUE(same_file(out_before, out_after));
  EXPECT_TRUE(same_file(err_before, err_after));
}

}  // namespace
}  // namespace argos
