// Daemon operation: detaching from the starting shell with a readiness
// handshake, the pid file, and the log pump that carries everything written to
// stderr (ours, libpcap's, DPDK's) to syslog or a log file. Errors are one-line
// messages in `err`, never exceptions.
//
// Order in main(), and why:
//   1. parse and validate the configuration (usage errors reach the terminal
//      directly, exit 2, nothing forked);
//   2. daemon_detach() - before ANY thread exists: fork() copies only the
//      calling thread, so a thread started earlier (the log pump, the export
//      thread, DPDK's EAL service and interrupt threads) would be missing in
//      the daemon while its locks stay held. rte_eal_init() therefore comes
//      after this, never before;
//   3. PidFile::create() - after detaching, so the file names the daemon's pid
//      (an flock() also follows the open file into forked children);
//   4. LogPump::start() - the first thread; from here on, start-up messages
//      and DPDK's EAL log go to the log as well;
//   5. open inputs and outputs, rte_eal_init(), start the workers; a failure
//      calls daemon_failed(message) and exits 2 (3: an interface missing or down);
//   6. daemon_ready() once capture is running; the shell gets exit status 0;
//   7. at exit: LogPump::stop() last, so the final counters reach the log.
// daemon_ready(), daemon_failed() and LogPump::start()/stop() are called from
// the main thread only: they repoint the process-wide fds 1 and 2.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace argos {

// Detaches from the terminal and the shell's session. The original process
// forks and waits; the child calls setsid() and forks again so the daemon is
// not a session leader and can never acquire a controlling terminal; the
// grandchild is the daemon (cwd "/", umask 027, stdin on /dev/null, stdout and
// stderr still the inherited ones until daemon_ready/daemon_failed).
//
// Returns true in the daemon only. The original process does not return: it
// exits 0 when the daemon calls daemon_ready(); prints "argos: MESSAGE" and
// exits 2 (or 3) on daemon_failed(MESSAGE); prints a message and exits 2 when the
// daemon dies without reporting. Returns false (nothing detached, still the
// original process) when the handshake channel or the first fork fails.
bool daemon_detach(std::string& err);

// In the daemon, right after daemon_detach(): closes every descriptor above
// 2 but the handshake's. Those the starter left open (a script's
// `exec 3>file`, the write end of a pipe someone waits on) would otherwise
// be held for the daemon's whole life. Call it before opening anything.
void daemon_close_inherited();

// Start-up succeeded: the original process exits 0. The daemon's stdout, and
// its stderr unless the log pump holds it, move to /dev/null so nothing keeps
// the shell's terminal or a `$(argos -d ...)` capture pipe open. No-op when not
// detached or already reported.
void daemon_ready();

// Start-up failed: the original process prints "argos: MESSAGE" and exits
// with `exit_status` (2, or 3 for a failure on the machine's present state);
// the caller then exits. Releases stdout and stderr as daemon_ready() does.
// No-op when not detached or already reported.
void daemon_failed(const std::string& message, int exit_status = 2);

// Detached and the original process still waits for daemon_ready() or
// daemon_failed(): a failure message reaches the terminal through it.
bool daemon_starter_waiting();

// Exit status of a start that failed on the machine's present state (an
// interface to capture on missing or down), not on the settings: unlike
// status 2, the systemd unit restarts on it.
inline constexpr int kExitHostState = 3;

// Pid file held with flock() for the life of the process: a second argos with
// the same file refuses to start, and a file left by a crash (no lock holder)
// is taken over. Create it after daemon_detach().
class PidFile {
 public:
  PidFile() = default;
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  ~PidFile();

  // Opens or creates `path` (mode 0644), locks it and writes "PID\n". When
  // another process holds the lock: err = "PATH: another argos is running
  // (pid N)", N read from the file.
  bool create(const std::string& path, std::string& err);

  // Unlinks the file and closes it (releasing the lock). No-op when not held.
  // A sensor that gave root up may not unlink it (its directory belongs to
  // root): the file is then emptied, so no stale pid is left to signal.
  void remove();

  // Before root is given up (-u, -g): a file this run created changes
  // owner (one that was there keeps its own). "" or why not.
  std::string hand_over(uid_t uid, gid_t gid);

  // remove() from now on reaches the file through its directory as it is
  // now, for a sensor about to confine itself to another one (-c).
  bool keep_directory(std::string& err);

 private:
  std::string path_;
  int fd_ = -1;
  int dir_fd_ = -1;        // see keep_directory
  std::string base_;       // the file's name in that directory
  bool created_ = false;   // this run created the file (hand_over changes its owner)
};

// Syslog priority of one stderr line: LOG_ERR when it contains "error",
// "cannot" or "failed", LOG_WARNING when it contains "warning", else LOG_INFO.
// Case-insensitive, as DPDK writes "EAL: Error ...".
int log_line_priority(std::string_view line);

// Carries the process's stderr (fd 2) to syslog or to a log file through a
// pipe read by one thread. fd 2 itself is repointed, so every fprintf(stderr)
// and write(2, ...) in the program and its libraries (DPDK, libpcap) follows
// without knowing about the pump. Lines longer than kMaxLineBytes are split.
// One pump per process, started and stopped from the main thread.
class LogPump {
 public:
  enum class Target { kStderr, kSyslog, kFile };
  static constexpr size_t kMaxLineBytes = 4096;

  LogPump() = default;
  LogPump(const LogPump&) = delete;
  LogPump& operator=(const LogPump&) = delete;
  ~LogPump();

  // kStderr: nothing to do (stderr stays where it is: the terminal, or
  // systemd's journal). kSyslog: openlog("argos", LOG_PID, LOG_DAEMON); each
  // line at log_line_priority(), a leading "argos: " stripped as syslog adds
  // the tag. kFile: `file_path` opened O_APPEND|O_CREAT with mode 0640; each
  // line written as "2026-11-22T13:45:01.123Z argos[PID]: line" (UTC, the
  // time the pump read it), a leading "argos: " stripped likewise.
  bool start(Target target, const std::string& file_path, std::string& err);

  // Repoints fd 2 back to where it was at start() (or to /dev/null once the
  // daemon has released the terminal), then waits until the thread has
  // written every line, a last line without '\n' included. Anything still
  // holding a copy of the pipe's write end (a child process that inherited
  // fd 2) would delay this until it exits.
  void stop();

  // kFile: closes the log file and opens `file_path` anew, so after logrotate
  // renamed it the next lines go to a fresh file (call it on SIGHUP, from a
  // normal thread, not from the handler). On failure the old file is kept and
  // a line saying why goes to the log. No-op for the other targets.
  void reopen();

  // kFile: reopen() from now on reaches the file through its directory as
  // it is now, for a sensor about to confine itself to another one (-c).
  bool keep_directory(std::string& err);

  // Before root is given up (-u, -g): the log file, when the pump created
  // it, changes owner. "" or why not.
  std::string hand_over(uid_t uid, gid_t gid);

  // Lines the log file refused (disk full, I/O error). Each such line is also
  // written, best effort, to the stderr the pump replaced.
  uint64_t lines_lost() const { return lines_lost_.load(std::memory_order_relaxed); }

  // start() succeeded and stop() has not been called: fd 2 feeds the pump.
  bool running() const { return running_; }

 private:
  void run(int pipe_read_fd);
  void emit_line(const char* text, size_t len);

  Target target_ = Target::kStderr;
  std::string file_path_;
  int dir_fd_ = -1;        // see keep_directory
  std::string file_base_;  // the file's name in that directory
  bool running_ = false;
  int saved_stderr_ = -1;  // dup of fd 2 at start(), put back by stop()
  std::thread thread_;
  // The log file; reopen() (any thread) swaps it while the pump thread
  // writes, so both hold the mutex.
  std::mutex file_mutex_;
  int file_fd_ = -1;
  bool file_created_ = false;  // the open log file did not exist before
  // Written by the pump thread, read by anyone.
  std::atomic<uint64_t> lines_lost_{0};
};

}  // namespace argos
