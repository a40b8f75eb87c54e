// Core plan: which processing unit (PU) each worker, the export thread and
// the main thread are pinned to, decided once at start-up from the hwloc
// topology. Pure planning: nothing here binds a thread or allocates on a
// node; app/ applies the plan. Errors are messages, never exceptions.
#pragma once

#include <hwloc.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace argos {

// Owns a loaded hwloc topology.
struct TopologyDestroy {
  void operator()(hwloc_topology_t topo) const { hwloc_topology_destroy(topo); }
};
using Topology = std::unique_ptr<hwloc_topology, TopologyDestroy>;

// Loads the topology of this machine (PUs this process may run on only).
// On error returns false with one message.
bool load_machine_topology(Topology& out, std::string& err);

// Loads a topology saved as hwloc XML (`lstopo --of xml`), e.g. for tests or
// to plan for another machine. On error returns false with one message.
bool load_xml_topology(const std::string& path, Topology& out, std::string& err);

struct CorePlanRequest {
  uint32_t workers = 1;
  // OS index of the NUMA node the NIC hangs off, -1 when unknown (libpcap,
  // vdevs, single-node machines). Workers go on its cores first.
  int nic_numa_node = -1;
  // Explicit PU OS indexes (as in /proc/cpuinfo "processor"). When not empty
  // it wins over the topology order: entry i pins worker i; the entry after
  // the workers, if any, pins the export thread and the next one the main
  // thread. Each PU must exist and appear once.
  std::vector<uint32_t> core_list;
};

struct PuPlacement {
  uint32_t pu = 0;     // PU OS index, what sched_setaffinity takes
  int numa_node = -1;  // OS index of the PU's NUMA node, -1 when the topology has none
};

// The frozen result: held as a const object once planned.
struct CorePlan {
  std::vector<PuPlacement> workers;  // worker i runs on workers[i]
  PuPlacement export_thread;
  PuPlacement main_thread;
  // Compromises the plan had to make (hyper-thread siblings, shared cores,
  // unknown NIC node), one sentence each, for the start-up log.
  std::vector<std::string> warnings;
};

// Plans the cores for `req` over a loaded topology. Rules, in order:
//   * workers on the NIC's NUMA node first, then the other nodes in
//     topology order; one PU per physical core, hyper-thread siblings only
//     when the cores run out (with a warning);
//   * the export and the main threads on cores no worker uses, preferring
//     the NIC's node; failing that on an unused sibling PU, failing that on
//     the last worker's PU (with a warning);
//   * more workers than PUs is an error.
// On error returns false with one message and leaves `plan` untouched.
bool plan_cores(hwloc_topology_t topo, const CorePlanRequest& req, CorePlan& plan,
                std::string& err);

// Binds the pages of [addr, addr + bytes) to NUMA node `numa_node` (OS
// index), moving any already touched: a worker's flow table and batch pool
// live on its own node. False with a message when the node is unknown or
// the kernel refuses (no NUMA support, a container without mbind).
bool bind_memory_to_node(hwloc_topology_t topo, void* addr, size_t bytes, int numa_node,
                         std::string& err);

// The NUMA node (OS index) [addr, addr + bytes) is bound to, -1 when it is
// not bound to exactly one node.
int memory_bound_node(hwloc_topology_t topo, const void* addr, size_t bytes);

// One line per thread ("worker 0: PU 4 (NUMA node 1)"), then the warnings.
std::string describe_core_plan(const CorePlan& plan);

}  // namespace argos
