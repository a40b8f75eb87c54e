#include "app/core_plan.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

namespace argos {
namespace {

// One physical core as the planner sees it: its PUs in topology order and
// its NUMA node.
struct CoreSlot {
  std::vector<uint32_t> pus;
  int numa_node = -1;
};

int numa_node_of(hwloc_const_nodeset_t nodeset) {
  // A PU may be local to several nodes (DRAM plus HBM or NVDIMM); the first
  // is the ordinary DRAM node on the machines we know.
  if (nodeset == nullptr || hwloc_bitmap_iszero(nodeset)) return -1;
  return hwloc_bitmap_first(nodeset);
}

// The allowed PUs grouped by core, in topology (logical) order. A topology
// without Core objects gets one slot per PU.
std::vector<CoreSlot> collect_cores(hwloc_topology_t topo) {
  std::vector<CoreSlot> cores;
  hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(topo);
  hwloc_obj_t last_core = nullptr;
  const int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  for (int i = 0; i < n; ++i) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, static_cast<unsigned>(i));
    if (pu == nullptr || !hwloc_bitmap_isset(allowed, pu->os_index)) continue;
    hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);
    // PUs of one core are consecutive in logical order.
    if (core == nullptr || core != last_core || cores.empty()) {
      cores.push_back(CoreSlot{{}, numa_node_of(pu->nodeset)});
    }
    cores.back().pus.push_back(pu->os_index);
    last_core = core;
  }
  return cores;
}

size_t count_pus(const std::vector<CoreSlot>& cores) {
  size_t n = 0;
  for (const CoreSlot& c : cores) n += c.pus.size();
  return n;
}

PuPlacement placement(hwloc_topology_t topo, uint32_t pu_os) {
  hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(topo, pu_os);
  return PuPlacement{pu_os, pu == nullptr ? -1 : numa_node_of(pu->nodeset)};
}

bool core_is_free(const CoreSlot& c, const std::set<uint32_t>& used) {
  return std::none_of(c.pus.begin(), c.pus.end(), [&](uint32_t p) { return used.count(p) != 0; });
}

// Places the export and main threads on PUs not in `used`: whole free cores
// first (in `cores` order), then free sibling PUs, then the last worker's PU.
void place_service_threads(hwloc_topology_t topo, const std::vector<CoreSlot>& cores,
                           const std::set<uint32_t>& used, uint32_t last_worker_pu, CorePlan& plan) {
  std::vector<uint32_t> free_core_pus;  // first PU of each fully free core
  std::vector<uint32_t> free_siblings;  // free PUs on cores a worker uses
  std::vector<uint32_t> second_pus;     // second PU of each fully free core
  for (const CoreSlot& c : cores) {
    if (core_is_free(c, used)) {
      free_core_pus.push_back(c.pus[0]);
      if (c.pus.size() > 1) second_pus.push_back(c.pus[1]);
    } else {
      for (uint32_t p : c.pus) {
        if (used.count(p) == 0) free_siblings.push_back(p);
      }
    }
  }

  if (free_core_pus.size() >= 2) {
    plan.export_thread = placement(topo, free_core_pus[0]);
    plan.main_thread = placement(topo, free_core_pus[1]);
    return;
  }
  if (free_core_pus.size() == 1) {
    // The main thread only handles signals and stats: the export core's
    // sibling, or the export PU itself, is good enough.
    plan.export_thread = placement(topo, free_core_pus[0]);
    plan.main_thread =
        placement(topo, second_pus.empty() ? free_core_pus[0] : second_pus[0]);
    return;
  }
  if (!free_siblings.empty()) {
    plan.export_thread = placement(topo, free_siblings[0]);
    plan.main_thread =
        placement(topo, free_siblings.size() > 1 ? free_siblings[1] : free_siblings[0]);
    plan.warnings.push_back("no core is free of workers: the export thread runs on PU " +
                            std::to_string(free_siblings[0]) +
                            ", a hyper-thread sibling of a worker");
    return;
  }
  plan.export_thread = placement(topo, last_worker_pu);
  plan.main_thread = plan.export_thread;
  plan.warnings.push_back("no PU is free of workers: the export and main threads share PU " +
                          std::to_string(last_worker_pu) + " with the last worker");
}

std::string plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

bool plan_from_list(hwloc_topology_t topo, const std::vector<CoreSlot>& cores,
                    const CorePlanRequest& req, CorePlan& plan, std::string& err) {
  const std::vector<uint32_t>& list = req.core_list;
  if (list.size() < req.workers) {
    err = "core list has " + std::to_string(list.size()) +
          (list.size() == 1 ? " entry, " : " entries, ") + plural(req.workers, "worker") +
          " need " + std::to_string(req.workers);
    return false;
  }
  if (list.size() > static_cast<size_t>(req.workers) + 2) {
    err = "core list has " + std::to_string(list.size()) + " entries, at most " +
          std::to_string(req.workers + 2) + " are used (" + plural(req.workers, "worker") +
          ", export thread, main thread)";
    return false;
  }
  hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(topo);
  std::set<uint32_t> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const uint32_t pu = list[i];
    if (hwloc_get_pu_obj_by_os_index(topo, pu) == nullptr) {
      err = "core list entry " + std::to_string(i) + ": PU " + std::to_string(pu) +
            " does not exist on this machine";
      return false;
    }
    if (!hwloc_bitmap_isset(allowed, pu)) {
      err = "core list entry " + std::to_string(i) + ": PU " + std::to_string(pu) +
            " is not allowed for this process (cgroup or affinity mask)";
      return false;
    }
    if (!seen.insert(pu).second) {
      err = "core list entry " + std::to_string(i) + ": PU " + std::to_string(pu) +
            " appears twice";
      return false;
    }
  }

  for (uint32_t i = 0; i < req.workers; ++i) plan.workers.push_back(placement(topo, list[i]));
  // Given as is, but say when two workers share a physical core.
  for (const CoreSlot& c : cores) {
    size_t on_core = 0;
    for (const PuPlacement& w : plan.workers) {
      on_core += static_cast<size_t>(std::count(c.pus.begin(), c.pus.end(), w.pu));
    }
    if (on_core > 1) {
      plan.warnings.push_back("core list puts " + std::to_string(on_core) +
                              " workers on hyper-thread siblings of one core (PU " +
                              std::to_string(c.pus[0]) + ")");
    }
  }

  if (list.size() >= static_cast<size_t>(req.workers) + 1) {
    plan.export_thread = placement(topo, list[req.workers]);
    plan.main_thread = list.size() == static_cast<size_t>(req.workers) + 2
                           ? placement(topo, list[req.workers + 1])
                           : plan.export_thread;
    return true;
  }
  std::set<uint32_t> used(list.begin(), list.end());
  place_service_threads(topo, cores, used, list[req.workers - 1], plan);
  return true;
}

}  // namespace

bool load_machine_topology(Topology& out, std::string& err) {
  hwloc_topology_t topo = nullptr;
  if (hwloc_topology_init(&topo) != 0) {
    err = std::string("hwloc: cannot initialise a topology: ") + std::strerror(errno);
    return false;
  }
  Topology owned(topo);
  if (hwloc_topology_load(topo) != 0) {
    err = std::string("hwloc: cannot load this machine's topology: ") + std::strerror(errno);
    return false;
  }
  out = std::move(owned);
  return true;
}

bool load_xml_topology(const std::string& path, Topology& out, std::string& err) {
  if (!std::ifstream(path).good()) {
    err = "topology file " + path + ": cannot be read";
    return false;
  }
  hwloc_topology_t topo = nullptr;
  if (hwloc_topology_init(&topo) != 0) {
    err = std::string("hwloc: cannot initialise a topology: ") + std::strerror(errno);
    return false;
  }
  Topology owned(topo);
  if (hwloc_topology_set_xml(topo, path.c_str()) != 0) {
    err = "topology file " + path + ": hwloc cannot use it as XML: " + std::strerror(errno);
    return false;
  }
  if (hwloc_topology_load(topo) != 0) {
    err = "topology file " + path + ": not a valid hwloc XML topology";
    return false;
  }
  out = std::move(owned);
  return true;
}

bool plan_cores(hwloc_topology_t topo, const CorePlanRequest& req, CorePlan& plan,
                std::string& err) {
  if (topo == nullptr) {
    err = "core plan: no topology loaded";
    return false;
  }
  if (req.workers == 0) {
    err = "core plan: at least one worker is needed";
    return false;
  }
  std::vector<CoreSlot> cores = collect_cores(topo);
  if (cores.empty()) {
    err = "core plan: the topology has no usable PU";
    return false;
  }

  CorePlan out;
  int nic_node = req.nic_numa_node;
  if (nic_node >= 0 &&
      hwloc_get_numanode_obj_by_os_index(topo, static_cast<unsigned>(nic_node)) == nullptr) {
    out.warnings.push_back("NIC NUMA node " + std::to_string(nic_node) +
                           " is not in the topology: cores taken in topology order");
    nic_node = -1;
  }
  // The NIC's node first; the others keep their topology order.
  if (nic_node >= 0) {
    std::stable_partition(cores.begin(), cores.end(),
                          [&](const CoreSlot& c) { return c.numa_node == nic_node; });
  }

  if (!req.core_list.empty()) {
    if (!plan_from_list(topo, cores, req, out, err)) return false;
    plan = std::move(out);
    return true;
  }

  const size_t pus = count_pus(cores);
  if (pus < req.workers) {
    err = plural(req.workers, "worker") + " need " + plural(req.workers, "PU") +
          ", this machine has " + plural(pus, "PU") + " on " + plural(cores.size(), "core");
    return false;
  }

  // One PU per core first; then, level by level, the siblings.
  std::set<uint32_t> used;
  size_t siblings = 0;
  for (size_t level = 0; out.workers.size() < req.workers; ++level) {
    for (const CoreSlot& c : cores) {
      if (out.workers.size() == req.workers) break;
      if (level >= c.pus.size()) continue;
      out.workers.push_back(PuPlacement{c.pus[level], c.numa_node});
      used.insert(c.pus[level]);
      if (level > 0) ++siblings;
    }
  }
  if (siblings > 0) {
    out.warnings.push_back(plural(req.workers, "worker") + " on " +
                           plural(cores.size(), "core") + ": " +
                           std::to_string(siblings) +
                           (siblings == 1 ? " worker runs" : " workers run") +
                           " on a hyper-thread sibling of another worker");
  }
  if (nic_node >= 0) {
    const size_t off_node = static_cast<size_t>(
        std::count_if(out.workers.begin(), out.workers.end(),
                      [&](const PuPlacement& w) { return w.numa_node != nic_node; }));
    if (off_node > 0) {
      out.warnings.push_back(plural(off_node, "worker") + " run off the NIC's NUMA node " +
                             std::to_string(nic_node));
    }
  }
  place_service_threads(topo, cores, used, out.workers.back().pu, out);
  plan = std::move(out);
  return true;
}

std::string describe_core_plan(const CorePlan& plan) {
  auto where = [](const PuPlacement& p) {
    return "PU " + std::to_string(p.pu) +
           (p.numa_node < 0 ? std::string(" (no NUMA node)")
                            : " (NUMA node " + std::to_string(p.numa_node) + ")");
  };
  std::string s;
  for (size_t i = 0; i < plan.workers.size(); ++i) {
    s += "worker " + std::to_string(i) + ": " + where(plan.workers[i]) + "\n";
  }
  s += "export thread: " + where(plan.export_thread) + "\n";
  s += "main thread: " + where(plan.main_thread) + "\n";
  for (const std::string& w : plan.warnings) s += "warning: " + w + "\n";
  return s;
}

bool bind_memory_to_node(hwloc_topology_t topo, void* addr, size_t bytes, int numa_node,
                         std::string& err) {
  hwloc_obj_t node = numa_node < 0 ? nullptr
                                   : hwloc_get_numanode_obj_by_os_index(topo, static_cast<unsigned>(numa_node));
  if (!node) {
    err = "no NUMA node " + std::to_string(numa_node) + " in the topology";
    return false;
  }
  if (hwloc_set_area_membind(topo, addr, bytes, node->nodeset, HWLOC_MEMBIND_BIND,
                             HWLOC_MEMBIND_BYNODESET | HWLOC_MEMBIND_MIGRATE) != 0) {
    err = "cannot bind memory to NUMA node " + std::to_string(numa_node) + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

int memory_bound_node(hwloc_topology_t topo, const void* addr, size_t bytes) {
  hwloc_nodeset_t set = hwloc_bitmap_alloc();
  hwloc_membind_policy_t policy;
  int node = -1;
  if (hwloc_get_area_membind(topo, addr, bytes, set, &policy, HWLOC_MEMBIND_BYNODESET) == 0 &&
      policy == HWLOC_MEMBIND_BIND && hwloc_bitmap_weight(set) == 1)
    node = hwloc_bitmap_first(set);
  hwloc_bitmap_free(set);
  return node;
}

}  // namespace argos
