// Where the exporter's encoded records go: files, TCP stream clients, UDP
// collectors. Runs on the export thread only (not the packet path), so a
// virtual call per record is fine. Sinks never block the exporter for long
// and never throw: failures are counted and reported by each sink.
#pragma once

#include <cstddef>
#include <cstdint>

#include "flowtable/flow_record.h"

namespace argos {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // The start MAR (128 bytes), once before any record: a file writes it, a
  // server keeps it for every client that connects later.
  virtual void start(const uint8_t* mar, size_t len) = 0;
  // One whole record (FAR or MAR).
  virtual void write(const uint8_t* data, size_t len) = 0;
  // One flow record, encoded (`data`) and as reported (`rec`), for a sink
  // that selects per reader: a server applies each client's filter.
  virtual void write_far(const FlowRecord& rec, const uint8_t* data, size_t len) {
    (void)rec;
    write(data, len);
  }
  // The exporter is idle: push buffered bytes out. False after an error.
  virtual bool flush() = 0;
  // Housekeeping on every pass of the export loop (accept clients, read
  // their messages, time them out). `now_ns`: wall clock.
  virtual void poll(uint64_t now_ns) { (void)now_ns; }
  // After the closing MAR: deliver what is buffered, within reason, and close.
  virtual void finish() {}
  // SIGHUP: files close and open their name again (logrotate moved them).
  virtual void reopen() {}
  // Readers this sink serves, for the MAR's `clients` field: one for a file
  // or a UDP collector, the started clients of a server.
  virtual uint32_t clients() const { return 1; }
};

}  // namespace argos
