#include "config/run_as.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace argos {

namespace {

size_t lookup_buffer_bytes(int name) {
  const long n = ::sysconf(name);
  return n > 0 ? static_cast<size_t>(n) : 16384;
}

// The ids, in the order that keeps the right to change the next one:
// groups while still root, the user last.
bool take_ids(const RunAs& as, int& error) {
  if (as.change_group || as.change_user) {
    if (::setgroups(as.groups.size(), as.groups.data()) != 0 || ::setresgid(as.gid, as.gid, as.gid) != 0) {
      error = errno;
      return false;
    }
  }
  if (as.change_user && ::setresuid(as.uid, as.uid, as.uid) != 0) {
    error = errno;
    return false;
  }
  return true;
}

}  // namespace

bool resolve_run_as(const std::string& user, const std::string& group, RunAs& out, std::string& err) {
  out = RunAs{};
  if (user.empty() && group.empty()) return true;
  if (!user.empty()) {
    std::vector<char> buf(lookup_buffer_bytes(_SC_GETPW_R_SIZE_MAX));
    struct passwd pw;
    struct passwd* found = nullptr;
    const int e = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
    if (!found) {
      err = e ? "cannot look user '" + user + "' up: " + std::strerror(e) : "no user '" + user + "' on this host";
      return false;
    }
    out.change_user = true;
    out.change_group = true;
    out.uid = pw.pw_uid;
    out.gid = pw.pw_gid;
    out.user = user;
  } else {
    out.uid = ::geteuid();
  }
  if (!group.empty()) {
    std::vector<char> buf(lookup_buffer_bytes(_SC_GETGR_R_SIZE_MAX));
    struct group gr;
    struct group* found = nullptr;
    const int e = ::getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &found);
    if (!found) {
      err = e ? "cannot look group '" + group + "' up: " + std::strerror(e) : "no group '" + group + "' on this host";
      return false;
    }
    out.change_group = true;
    out.gid = gr.gr_gid;
    out.group = group;
  }
  if (out.group.empty()) {
    const struct group* gr = ::getgrgid(out.gid);
    out.group = gr ? gr->gr_name : std::to_string(out.gid);
  }
  // Without root, only the ids the process has already are possible (a
  // sensor started as its own user with the same -u): nothing to change.
  if (::geteuid() != 0) {
    if ((out.change_user && out.uid != ::geteuid()) || (out.change_group && out.gid != ::getegid())) {
      err = "switching to " + (out.change_user ? "user '" + out.user + "'" : "group '" + out.group + "'") +
            " needs root (argos runs as uid " + std::to_string(::geteuid()) + ")";
      return false;
    }
    out = RunAs{};
    return true;
  }
  // The user's own supplementary groups (as login would give them), with
  // the chosen group among them; -g alone leaves that group only.
  out.groups.assign(1, out.gid);
  if (out.change_user) {
    int n = 64;
    for (int tries = 0; tries < 4; ++tries) {
      out.groups.resize(static_cast<size_t>(n));
      int want = n;
      if (::getgrouplist(out.user.c_str(), out.gid, out.groups.data(), &want) >= 0) {
        out.groups.resize(static_cast<size_t>(want));
        break;
      }
      n = want > n ? want : n * 2;
    }
  }
  return true;
}

int first_denied(const RunAs& as, const std::vector<AccessCheck>& checks, int& error) {
  error = 0;
  if (checks.empty()) return -1;
  int fds[2];
  if (::pipe(fds) != 0) {
    error = errno;
    return 0;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    error = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return 0;
  }
  if (pid == 0) {
    // The child takes the user's ids and tries each path; only system
    // calls from here (no allocation).
    ::close(fds[0]);
    int result[2] = {-1, 0};
    int e = 0;
    if (!take_ids(as, e)) {
      result[0] = 0;
      result[1] = e;
    } else {
      for (size_t i = 0; i < checks.size(); ++i) {
        if (::access(checks[i].path.c_str(), checks[i].mode) != 0) {
          result[0] = static_cast<int>(i);
          result[1] = errno;
          break;
        }
      }
    }
    const ssize_t w = ::write(fds[1], result, sizeof result);
    ::_exit(w == static_cast<ssize_t>(sizeof result) ? 0 : 1);
  }
  ::close(fds[1]);
  int result[2] = {0, EIO};
  ssize_t got = 0;
  while (got < static_cast<ssize_t>(sizeof result)) {
    const ssize_t n = ::read(fds[0], reinterpret_cast<char*>(result) + got, sizeof result - static_cast<size_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += n;
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got != static_cast<ssize_t>(sizeof result)) {
    error = EIO;
    return 0;
  }
  error = result[1];
  return result[0];
}

bool drop_privileges(const RunAs& as, std::string& err, bool keep_capture) {
  if (!as.active()) return true;
  int e = 0;
  // A live capture keeps the one capability that opening an interface
  // again needs (after a NIC reset or a re-created interface): raw packet
  // sockets. Nothing else of root stays, and it cannot be taken back.
  const bool keep = keep_capture && as.change_user && as.uid != 0;
  if (keep) ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
  if (!take_ids(as, e)) {
    err = "cannot run as " + (as.change_user ? "user '" + as.user + "'" : "group '" + as.group + "'") + ": " +
          std::strerror(e);
    return false;
  }
  if (keep) {
    ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    __user_cap_header_struct head{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    data[0].effective = data[0].permitted = 1u << CAP_NET_RAW;
    if (::syscall(SYS_capset, &head, data) != 0) {
      err = std::string("cannot keep the capture capability (CAP_NET_RAW) as user '") + as.user +
            "': " + std::strerror(errno);
      return false;
    }
  }
  // For good: neither root nor the old group may be taken back.
  if ((as.change_user && as.uid != 0 && ::setuid(0) == 0) ||
      (as.change_user && as.gid != 0 && ::setgid(0) == 0)) {
    err = "root could be taken back after switching to user '" + as.user + "'";
    return false;
  }
  return true;
}

}  // namespace argos
