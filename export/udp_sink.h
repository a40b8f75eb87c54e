// UDP push (argus's -w argus-udp://host[:port]): one record per datagram,
// the start MAR first; no handshake. Never blocks: a datagram the socket
// cannot take, or one the collector refuses, is counted and dropped.
#pragma once

#include <cstdint>
#include <string>

#include "export/record_sink.h"

namespace argos {

// True when `spec` names a UDP push output ("argus-udp://...").
bool is_udp_output(const std::string& spec);

class UdpSink final : public RecordSink {
 public:
  UdpSink() = default;
  ~UdpSink() override;
  UdpSink(const UdpSink&) = delete;
  UdpSink& operator=(const UdpSink&) = delete;

  // `spec`: argus-udp://HOST[:PORT] (port 561 by default; [v6addr]:port for
  // IPv6). False with a message when the host does not resolve.
  bool open(const std::string& spec, std::string& err);

  void start(const uint8_t* mar, size_t len) override { write(mar, len); }
  void write(const uint8_t* data, size_t len) override;
  bool flush() override { return true; }

  const std::string& spec() const { return spec_; }
  uint64_t datagrams_sent() const { return sent_; }
  uint64_t datagrams_dropped() const { return dropped_; }

 private:
  int fd_ = -1;
  std::string spec_;
  uint64_t sent_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace argos
