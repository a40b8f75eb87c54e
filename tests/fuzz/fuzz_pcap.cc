// libFuzzer target: the input is a whole capture file (pcap or pcapng) and
// goes through the replay path of argos: PcapFileSource, run_worker (parser,
// flow table, sweeps, batches) or, for two workers, run_dispatcher with
// RingSources, then the FAR encoder on every record the workers send.
//
// A second thread drains the batch channels while the workers run, as the
// export thread does: a worker waiting for an empty batch is always
// released, so no input can deadlock the harness however many records it
// produces. Worker 0 runs on the fuzzer's own thread (its stack is the one a
// timeout report shows); the dispatcher and worker 1 get threads of their own.
//
// The last input byte picks the variant, so every capture stays a valid seed:
//   bit 0  two workers behind the dispatcher (else one worker on the source)
//   bit 1  full-table policy drop (else evict)
// Tables hold 64 flows (the smallest FlowTable) so full tables, evictions
// and sweeps happen with small inputs.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dataplane/dispatch.h"
#include "dataplane/pcap_source.h"
#include "dataplane/worker.h"
#include "dataplane/worker_counters.h"
#include "export/argus_encoder.h"
#include "export/record_batch.h"
#include "flowtable/flow_table.h"
#include "tests/fuzz/far_check.h"

namespace {

using namespace argos;

constexpr uint32_t kTableFlows = 64;
constexpr uint8_t kVariantTwoWorkers = 0x01;
constexpr uint8_t kVariantDropPolicy = 0x02;

// One file for the whole run, rewritten per input: an anonymous memory file
// when the kernel has memfd_create, else a temporary file that is unlinked
// at once. PcapFileSource opens it by name (/proc/self/fd/N).
class InputFile {
 public:
  InputFile() {
    fd_ = memfd_create("fuzz_pcap", MFD_CLOEXEC);
    if (fd_ < 0) {
      const char* dir = std::getenv("TMPDIR");
      std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/fuzz_pcap.XXXXXX";
      fd_ = mkstemp(tmpl.data());
      if (fd_ >= 0) unlink(tmpl.c_str());
    }
    if (fd_ < 0) fuzz::fail("cannot create the input file");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  const std::string& write(const uint8_t* data, size_t size) {
    if (ftruncate(fd_, 0) != 0) fuzz::fail("ftruncate");
    size_t done = 0;
    while (done < size) {
      const ssize_t n = pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n <= 0) fuzz::fail("pwrite", done, size);
      done += static_cast<size_t>(n);
    }
    return path_;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

struct Worker {
  std::unique_ptr<FlowTable> table;
  std::unique_ptr<BatchChannel> channel;
  std::unique_ptr<WorkerCounters> counters;
  WorkerContext ctx{};
};

// Starts a helper thread that cannot receive SIGALRM: libFuzzer's -timeout
// alarm is ignored unless it lands on the fuzzing thread.
template <class Fn>
std::thread spawn(Fn fn) {
  sigset_t alarm, old;
  sigemptyset(&alarm);
  sigaddset(&alarm, SIGALRM);
  pthread_sigmask(SIG_BLOCK, &alarm, &old);
  std::thread t(std::move(fn));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return t;
}

// Drains every channel until each has sent its end-of-stream batch; checks
// and encodes every record. Returns the number of records.
uint64_t drain(std::vector<Worker>& workers, const EncodeOptions& opt) {
  uint64_t records = 0;
  size_t open = workers.size();
  std::vector<bool> ended(workers.size(), false);
  while (open) {
    bool got = false;
    for (size_t w = 0; w < workers.size(); ++w) {
      if (ended[w]) continue;
      RecordBatch* b = workers[w].channel->take_full();
      if (!b) continue;
      got = true;
      if (b->count > RecordBatch::kCapacity) fuzz::fail("batch count", b->count);
      for (uint32_t i = 0; i < b->count; ++i) fuzz::encode_and_check(b->records[i], opt);
      records += b->count;
      if (b->end_of_stream) {
        ended[w] = true;
        --open;
      }
      workers[w].channel->give_back(b);
    }
    if (!got) std::this_thread::yield();
  }
  return records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static InputFile file;
  const uint8_t variant = size ? data[size - 1] : 0;
  const std::string& path = file.write(data, size);

  // As main(): inputs are validated before anything starts.
  PcapFileSource source({path}, "");
  std::string err;
  if (!source.validate(err)) return 0;

  const uint32_t nw = (variant & kVariantTwoWorkers) ? 2 : 1;
  std::vector<Worker> workers(nw);
  for (uint32_t w = 0; w < nw; ++w) {
    Worker& k = workers[w];
    FlowTableConfig cfg;
    cfg.capacity = kTableFlows;
    cfg.full_policy = (variant & kVariantDropPolicy) ? FullPolicy::kDropNew : FullPolicy::kEvictOldest;
    cfg.flow_id_base = 1 + w;
    cfg.flow_id_stride = nw;
    k.table = std::make_unique<FlowTable>(cfg);
    if (!k.table->ok()) fuzz::fail("flow table allocation");
    k.channel = std::make_unique<BatchChannel>();
    k.counters = std::make_unique<WorkerCounters>();
    k.ctx.table = k.table.get();
    k.ctx.channel = k.channel.get();
    k.ctx.counters = k.counters.get();
    k.ctx.batch_policy = BatchPolicy::kWait;  // sweep settings: main()'s defaults
  }

  EncodeOptions opt;
  opt.srcid.type = SrcIdType::kInt;
  opt.srcid.value = 7;
  // Worker 0 runs on this thread so that a timeout report shows its stack.
  std::vector<std::unique_ptr<PacketRing>> rings;
  std::vector<PacketRing*> ring_ptrs;
  std::vector<std::unique_ptr<RingSource>> ring_sources;
  uint64_t records = 0;
  std::vector<std::thread> threads;
  threads.push_back(spawn([&] { records = drain(workers, opt); }));
  if (nw == 1) {
    run_worker(source, workers[0].ctx);
  } else {
    for (uint32_t w = 0; w < nw; ++w) {
      rings.push_back(std::make_unique<PacketRing>());
      ring_ptrs.push_back(rings.back().get());
      ring_sources.push_back(std::make_unique<RingSource>(*rings.back()));
    }
    threads.push_back(spawn([&] { run_dispatcher(source, ring_ptrs, nullptr); }));
    for (uint32_t w = 1; w < nw; ++w)
      threads.push_back(spawn([&, w] { run_worker(*ring_sources[w], workers[w].ctx); }));
    run_worker(*ring_sources[0], workers[0].ctx);
  }
  for (auto& t : threads) t.join();

  // Totals agree: every record the workers counted reached the channel, every
  // flow was flushed, and the packets the source read were all accounted.
  uint64_t counted = 0;
  uint64_t pkts = 0;
  uint64_t parsed = 0;
  for (const Worker& k : workers) {
    counted += k.counters->get(WorkerCounter::kRecords);
    pkts += k.counters->get(WorkerCounter::kPackets);
    for (unsigned i = 0; i < kParseResultCount; ++i)
      parsed += k.counters->parse[i].load(std::memory_order_relaxed);
    if (k.counters->get(WorkerCounter::kRecordsDropped) != 0) fuzz::fail("records dropped in kWait");
    if (k.table->active_flows() != 0) fuzz::fail("flows left after the end", k.table->active_flows());
  }
  if (counted != records) fuzz::fail("records counted vs delivered", counted, records);
  if (parsed != pkts) fuzz::fail("parse counters vs packets", parsed, pkts);

  // The MARs of the run, as the exporter writes them.
  uint8_t mar[kMarBytes];
  MarInfo mi;
  mi.kind = MarKind::kStop;
  mi.pkts_rcvd = pkts;
  mi.records = static_cast<uint32_t>(records);
  mi.interface_type = static_cast<uint8_t>(source.first_linktype());
  if (encode_mar(mi, mar) != kMarBytes) fuzz::fail("MAR length");
  return 0;
}
