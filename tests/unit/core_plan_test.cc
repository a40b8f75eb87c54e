// Core plan tests over synthetic machines saved as hwloc XML
// (tests/unit/topologies):
//   two_numa_4core.xml      2 NUMA nodes x 4 cores, 1 PU per core:
//                           node 0 = PUs 0-3, node 1 = PUs 4-7
//   two_numa_4core_smt.xml  the same with 2 PUs per core, numbered as Linux
//                           does: core i holds PUs i and i+8
//   one_numa_2core.xml      1 NUMA node, 2 cores, PUs 0 and 1
#include <gtest/gtest.h>

#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app/core_plan.h"

namespace argos {
namespace {

Topology load(const std::string& name) {
  Topology topo;
  std::string err;
  EXPECT_TRUE(load_xml_topology(std::string(ARGOS_TOPOLOGY_DIR) + "/" + name, topo, err)) << err;
  return topo;
}

std::vector<uint32_t> worker_pus(const CorePlan& plan) {
  std::vector<uint32_t> pus;
  for (const PuPlacement& w : plan.workers) pus.push_back(w.pu);
  return pus;
}

std::vector<int> worker_nodes(const CorePlan& plan) {
  std::vector<int> nodes;
  for (const PuPlacement& w : plan.workers) nodes.push_back(w.numa_node);
  return nodes;
}

bool any_warning_has(const CorePlan& plan, const std::string& text) {
  for (const std::string& w : plan.warnings) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

struct Planned {
  bool ok = false;
  CorePlan plan;
  std::string err;
};

Planned plan(const std::string& topology, uint32_t workers, int nic_node,
             std::vector<uint32_t> core_list = {}) {
  Topology topo = load(topology);
  Planned p;
  if (!topo) return p;
  CorePlanRequest req;
  req.workers = workers;
  req.nic_numa_node = nic_node;
  req.core_list = std::move(core_list);
  p.ok = plan_cores(topo.get(), req, p.plan, p.err);
  return p;
}

// Two NUMA nodes, NIC node unknown: workers fill node 0 in topology order,
// export and main threads land on free cores of node 1.
TEST(CorePlan, TwoNodesUnknownNicFillsTopologyOrder) {
  Planned p = plan("two_numa_4core.xml", 4, -1);
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(worker_pus(p.plan), (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(worker_nodes(p.plan), (std::vector<int>{0, 0, 0, 0}));
  EXPECT_EQ(p.plan.export_thread.pu, 4u);
  EXPECT_EQ(p.plan.export_thread.numa_node, 1);
  EXPECT_EQ(p.plan.main_thread.pu, 5u);
  EXPECT_TRUE(p.plan.warnings.empty());
}

// NIC on node 1: workers take node 1's cores first; the export thread takes
// the last free core of node 1, the main thread the first core of node 0.
TEST(CorePlan, NicOnNodeOneTakesItsCoresFirst) {
  Planned p = plan("two_numa_4core.xml", 3, 1);
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(worker_pus(p.plan), (std::vector<uint32_t>{4, 5, 6}));
  EXPECT_EQ(worker_nodes(p.plan), (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(p.plan.export_thread.pu, 7u);
  EXPECT_EQ(p.plan.export_thread.numa_node, 1);
  EXPECT_EQ(p.plan.main_thread.pu, 0u);
  EXPECT_EQ(p.plan.main_thread.numa_node, 0);
  EXPECT_TRUE(p.plan.warnings.empty());
}

// NIC on node 1 with more workers than node 1 has cores: the rest spill to
// node 0, and the plan says how many run off the NIC's node.
TEST(CorePlan, NicOnNodeOneSpillsToNodeZero) {
  Planned p = plan("two_numa_4core.xml", 6, 1);
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(worker_pus(p.plan), (std::vector<uint32_t>{4, 5, 6, 7, 0, 1}));
  EXPECT_EQ(worker_nodes(p.plan), (std::vector<int>{1, 1, 1, 1, 0, 0}));
  EXPECT_EQ(p.plan.export_thread.pu, 2u);
  EXPECT_EQ(p.plan.main_thread.pu, 3u);
  EXPECT_TRUE(any_warning_has(p.plan, "2 workers run off the NIC's NUMA node 1"));
}

// SMT siblings: one PU per physical core, never PUs 12-15 (the siblings of
// node 1's cores) while node 0 still has whole cores.
TEST(CorePlan, SmtOnePuPerPhysicalCore) {
  Planned p = plan("two_numa_4core_smt.xml", 4, 1);
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(worker_pus(p.plan), (std::vector<uint32_t>{4, 5, 6, 7}));
  EXPECT_EQ(worker_nodes(p.plan), (std::vector<int>{1, 1, 1, 1}));
  EXPECT_EQ(p.plan.export_thread.pu, 0u);
  EXPECT_EQ(p.plan.main_thread.pu, 1u);
  EXPECT_TRUE(p.plan.warnings.empty());
}

// SMT, 8 workers on 8 cores: one PU per core on both nodes; no core is left,
// so the export and main threads take free siblings, with a warning.
TEST(CorePlan, SmtAllCoresBusyServiceThreadsOnSiblings) {
  Planned p = plan("two_numa_4core_smt.xml", 8, -1);
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(worker_pus(p.plan), (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(p.plan.export_thread.pu, 8u);
  EXPECT_EQ(p.plan.main_thread.pu, 9u);
  EXPECT_TRUE(any_warning_has(p.plan, "export thread runs on PU 8"));
  EXPECT_FALSE(any_warning_has(p.plan, "workers run on a hyper-thread sibling"));
}

// SMT, 10 workers on 8 cores: cores run out, so two workers take siblings
// (node 1's first, the NIC's node) and the plan warns.
TEST(CorePlan, SmtSiblingsOnlyWhenCoresRunOut) {
  Planned p = plan("two_numa_4core_smt.xml", 10, 1);
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(worker_pus(p.plan), (std::vector<uint32_t>{4, 5, 6, 7, 0, 1, 2, 3, 12, 13}));
  EXPECT_EQ(worker_nodes(p.plan), (std::vector<int>{1, 1, 1, 1, 0, 0, 0, 0, 1, 1}));
  EXPECT_TRUE(any_warning_has(p.plan, "2 workers run on a hyper-thread sibling"));
  EXPECT_EQ(p.plan.export_thread.pu, 14u);
  EXPECT_EQ(p.plan.main_thread.pu, 15u);
}

// Every PU is a worker: the export and main threads share the last worker's
// PU, with a warning.
TEST(CorePlan, EveryPuBusyServiceThreadsShareLastWorker) {
  Planned p = plan("two_numa_4core_smt.xml", 16, -1);
  ASSERT_TRUE(p.ok) << p.err;
  ASSERT_EQ(p.plan.workers.size(), 16u);
  EXPECT_EQ(p.plan.workers.back().pu, 15u);
  EXPECT_EQ(p.plan.export_thread.pu, 15u);
  EXPECT_EQ(p.plan.main_thread.pu, 15u);
  EXPECT_TRUE(any_warning_has(p.plan, "share PU 15 with the last worker"));
}

// Two workers on a two-core machine: allowed, service threads share the
// last worker's core.
TEST(CorePlan, WorkersTakeEveryCore) {
  Planned p = plan("one_numa_2core.xml", 2, 0);
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(worker_pus(p.plan), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(p.plan.export_thread.pu, 1u);
  EXPECT_EQ(p.plan.main_thread.pu, 1u);
  EXPECT_FALSE(p.plan.warnings.empty());
}

// One free core: the export thread takes it and the main thread shares it.
TEST(CorePlan, OneFreeCoreHoldsExportAndMain) {
  Planned p = plan("one_numa_2core.xml", 1, -1);
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(worker_pus(p.plan), (std::vector<uint32_t>{0}));
  EXPECT_EQ(p.plan.export_thread.pu, 1u);
  EXPECT_EQ(p.plan.main_thread.pu, 1u);
  EXPECT_TRUE(p.plan.warnings.empty());
}

// Too few cores: a clear error naming what was asked and what there is; the
// output plan is left untouched.
TEST(CorePlan, TooFewCoresIsAnError) {
  Topology topo = load("one_numa_2core.xml");
  ASSERT_TRUE(topo);
  CorePlanRequest req;
  req.workers = 3;
  CorePlan out;
  out.warnings.push_back("untouched");
  std::string err;
  EXPECT_FALSE(plan_cores(topo.get(), req, out, err));
  EXPECT_EQ(err, "3 workers need 3 PUs, this machine has 2 PUs on 2 cores");
  EXPECT_TRUE(out.workers.empty());
  ASSERT_EQ(out.warnings.size(), 1u);
}

// Zero workers is an error, not an empty plan.
TEST(CorePlan, ZeroWorkersIsAnError) {
  Planned p = plan("one_numa_2core.xml", 0, -1);
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.err, "core plan: at least one worker is needed");
}

// A NIC node the topology does not have: planned as unknown, with a warning.
TEST(CorePlan, UnknownNicNodeWarnsAndUsesTopologyOrder) {
  Planned p = plan("two_numa_4core.xml", 2, 5);
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(worker_pus(p.plan), (std::vector<uint32_t>{0, 1}));
  EXPECT_TRUE(any_warning_has(p.plan, "NIC NUMA node 5 is not in the topology"));
}

// An explicit core list wins over the NIC node and the one-PU-per-core rule;
// each worker gets its node; export and main go to cores not in the list,
// the NIC's node first.
TEST(CorePlan, ExplicitCoreListWins) {
  Planned p = plan("two_numa_4core_smt.xml", 3, 1, {9, 3, 12});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(worker_pus(p.plan), (std::vector<uint32_t>{9, 3, 12}));
  EXPECT_EQ(worker_nodes(p.plan), (std::vector<int>{0, 0, 1}));
  EXPECT_EQ(p.plan.export_thread.pu, 5u);
  EXPECT_EQ(p.plan.export_thread.numa_node, 1);
  EXPECT_EQ(p.plan.main_thread.pu, 6u);
  EXPECT_TRUE(p.plan.warnings.empty());
}

// Entries after the workers pin the export thread, then the main thread.
TEST(CorePlan, ExplicitCoreListPinsExportAndMain) {
  Planned p = plan("two_numa_4core.xml", 2, -1, {4, 5, 0, 1});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(worker_pus(p.plan), (std::vector<uint32_t>{4, 5}));
  EXPECT_EQ(p.plan.export_thread.pu, 0u);
  EXPECT_EQ(p.plan.export_thread.numa_node, 0);
  EXPECT_EQ(p.plan.main_thread.pu, 1u);

  Planned q = plan("two_numa_4core.xml", 2, -1, {4, 5, 0});
  ASSERT_TRUE(q.ok) << q.err;
  EXPECT_EQ(q.plan.export_thread.pu, 0u);
  EXPECT_EQ(q.plan.main_thread.pu, 0u);
}

// An explicit list that puts two workers on siblings of one core is used as
// given, with a warning.
TEST(CorePlan, ExplicitSiblingsWarn) {
  Planned p = plan("two_numa_4core_smt.xml", 2, -1, {0, 8});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(worker_pus(p.plan), (std::vector<uint32_t>{0, 8}));
  EXPECT_TRUE(any_warning_has(p.plan, "hyper-thread siblings of one core"));
}

// An explicit list naming a PU the machine does not have is an error that
// names the entry and the PU.
TEST(CorePlan, ExplicitListBadPuIsAnError) {
  Planned p = plan("two_numa_4core_smt.xml", 2, -1, {0, 99});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.err, "core list entry 1: PU 99 does not exist on this machine");
}

// A PU listed twice is an error.
TEST(CorePlan, ExplicitListDuplicateIsAnError) {
  Planned p = plan("two_numa_4core.xml", 2, -1, {4, 4});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.err, "core list entry 1: PU 4 appears twice");
}

// Fewer entries than workers is an error; so are entries nobody would use.
TEST(CorePlan, ExplicitListWrongLengthIsAnError) {
  Planned few = plan("two_numa_4core.xml", 3, -1, {4, 5});
  EXPECT_FALSE(few.ok);
  EXPECT_EQ(few.err, "core list has 2 entries, 3 workers need 3");

  Planned many = plan("two_numa_4core.xml", 1, -1, {0, 1, 2, 3});
  EXPECT_FALSE(many.ok);
  EXPECT_EQ(many.err,
            "core list has 4 entries, at most 3 are used (1 worker, export thread, main thread)");
}

// The description lists every thread and the warnings.
TEST(CorePlan, DescribeListsThreadsAndWarnings) {
  Planned p = plan("two_numa_4core_smt.xml", 10, 1);
  ASSERT_TRUE(p.ok) << p.err;
  const std::string text = describe_core_plan(p.plan);
  EXPECT_NE(text.find("worker 0: PU 4 (NUMA node 1)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("worker 9: PU 13 (NUMA node 1)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("export thread: PU 14 (NUMA node 1)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("warning: "), std::string::npos) << text;
}

// A missing or malformed topology file is an error message, not a crash.
TEST(CorePlan, LoadXmlErrors) {
  Topology topo;
  std::string err;
  EXPECT_FALSE(load_xml_topology("/nonexistent/topology.xml", topo, err));
  EXPECT_EQ(err, "topology file /nonexistent/topology.xml: cannot be read");
  EXPECT_FALSE(topo);

  const std::string path = ::testing::TempDir() + "argos_core_plan_bad.xml";
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("<?xml version=\"1.0\"?>\n<not-a-topology/>\n", f);
  std::fclose(f);
  err.clear();
  EXPECT_FALSE(load_xml_topology(path, topo, err));
  EXPECT_NE(err.find("not a valid hwloc XML topology"), std::string::npos) << err;
  EXPECT_FALSE(topo);
  std::remove(path.c_str());
}

// This machine's topology loads and one worker can always be planned.
TEST(CorePlan, MachineTopologyPlansOneWorker) {
  Topology topo;
  std::string err;
  ASSERT_TRUE(load_machine_topology(topo, err)) << err;
  CorePlanRequest req;
  CorePlan out;
  ASSERT_TRUE(plan_cores(topo.get(), req, out, err)) << err;
  EXPECT_EQ(out.workers.size(), 1u);
}


// Memory bound to the planned worker's node reads back as bound to it, and
// its pages, touched afterwards, are there (this machine's real kernel).
TEST(CorePlan, BindsMemoryToTheWorkersNode) {
  Topology topo;
  std::string err;
  ASSERT_TRUE(load_machine_topology(topo, err)) << err;
  CorePlanRequest req;
  CorePlan plan;
  ASSERT_TRUE(plan_cores(topo.get(), req, plan, err)) << err;
  const int node = plan.workers[0].numa_node;
  if (node < 0) GTEST_SKIP() << "this machine's topology has no NUMA node";
  const size_t bytes = 4u << 20;
  void* m = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(m, MAP_FAILED);
  if (!bind_memory_to_node(topo.get(), m, bytes, node, err)) {
    ::munmap(m, bytes);
    if (err.find(std::strerror(ENOSYS)) != std::string::npos || err.find(std::strerror(EPERM)) != std::string::npos)
      GTEST_SKIP() << "the kernel refuses memory binding here: " << err;
    FAIL() << err;
  }
  std::memset(m, 1, bytes);
  EXPECT_EQ(memory_bound_node(topo.get(), m, bytes), node);
  ::munmap(m, bytes);
}

// Unknown nodes are an error with a message, never a crash.
TEST(CorePlan, BindToAnUnknownNodeFails) {
  Topology topo;
  std::string err;
  ASSERT_TRUE(load_machine_topology(topo, err)) << err;
  char buf[4096];
  EXPECT_FALSE(bind_memory_to_node(topo.get(), buf, sizeof buf, 4095, err));
  EXPECT_NE(err.find("no NUMA node 4095"), std::string::npos) << err;
  EXPECT_FALSE(bind_memory_to_node(topo.get(), buf, sizeof buf, -1, err));
}

}  // namespace
}  // namespace argos
