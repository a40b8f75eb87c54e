// Running as an unprivileged user after start-up (-u USER, -g GROUP, as
// argus does): capture devices, DPDK ports, sockets and files are opened as
// root, then the process gives root up for good before the first packet.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace argos {

struct RunAs {
  bool change_user = false;   // -u given
  bool change_group = false;  // -g given (or implied by -u: the user's group)
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;   // names, for messages
  std::string group;
  std::vector<gid_t> groups;  // supplementary groups: the user's (getgrouplist), or just gid
  bool active() const { return change_user || change_group; }
};

// Looks the names up ("" = not asked). -u alone takes the user's primary
// group; -g alone keeps the user and changes the group only. False with
// err when a name is unknown.
bool resolve_run_as(const std::string& user, const std::string& group, RunAs& out, std::string& err);

// What the sensor will need to do as that user once root is given up.
struct AccessCheck {
  std::string path;
  int mode;  // access(2) mode: W_OK, W_OK | X_OK, ...
};

// Checks each path's access as the user would have it (in a child process
// that takes the user's ids, so modes, ACLs and read-only mounts all count).
// Returns the index of the first check that fails with its errno in
// `error`, or -1 when all pass. Call before any thread exists.
int first_denied(const RunAs& as, const std::vector<AccessCheck>& checks, int& error);

// Gives root up for good: supplementary groups, group, then user; checks
// that root cannot be taken back. Every thread of the process follows
// (glibc applies set*id to all of them).
// `keep_capture`: a live capture keeps CAP_NET_RAW (alone), so that an
// interface that went away can be opened again as the user.
bool drop_privileges(const RunAs& as, std::string& err, bool keep_capture = false);

}  // namespace argos
