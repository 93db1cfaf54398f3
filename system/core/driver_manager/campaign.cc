// The fault campaign's part in the manager (docs/drivers.md, "Fault
// injection"; options.h: drivers.inject=, drivers.inject-every=,
// drivers.kmem-ms=). Start i of a target node gets fault i of the list:
// crash, exit, hang and stall go to the driver as `inject=<fault>` (the
// runtime acts on them, <mica/driver/driver.h>); kill and stall are also a
// task_kill by the manager drivers.inject-kill-ms (1.5 s) after the start, as an outsider
// would kill it (for stall, while the held request is in flight).
#include <mica/async/loop.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

#include "system/core/driver_manager/manager.h"

namespace driver_manager {

bool Manager::InjectArgument(Node& n, char* arg, size_t size) {
  n.kill_injected = false;
  n.stall_injected = false;
  if (n.parent != kNoNode && nodes_[n.parent]->stall_injected) {
    // The parent's start holds a request of its child's clients: the kill
    // of the parent then lands while that request is in flight.
    snprintf(arg, size, "inject=stall");
    return true;
  }
  char fault[32];
  if (!IsInjectTarget(opts_, n.path, n.driver->name()) ||
      !FaultForStart(opts_, n.tracker->restart_count(), fault, sizeof(fault))) {
    return false;
  }
  const bool kill = strcmp(fault, "kill") == 0;
  n.stall_injected = strcmp(fault, "stall") == 0;
  n.kill_injected = kill || n.stall_injected;
  if (kill) {
    return false;  // the manager's own fault: the driver is not told
  }
  snprintf(arg, size, "inject=%s", fault);
  return true;
}

void Manager::AfterStart(uint32_t index) {
  Node& n = *nodes_[index];
  const uint32_t gen = n.generation;
  if (n.kill_injected) {
    loop_.PostTaskAfter([this, index, gen] { InjectedKill(index, gen); },
                        static_cast<mica_duration_t>(opts_.inject_kill_ms) * 1'000'000);
  }
  if (opts_.kmem_ms != 0 && IsMemoryTarget(n)) {
    loop_.PostTaskAfter([this, index, gen] { KernelMemoryReading(index, gen); },
                        static_cast<mica_duration_t>(opts_.kmem_ms) * 1'000'000);
  }
}

void Manager::InjectedKill(uint32_t index, uint32_t generation) {
  Node& n = *nodes_[index];
  if (n.generation != generation || n.state != mica::driver::wire::NodeState::kBound) {
    return;  // that start already ended
  }
  printf("driver-manager: killing process %llu (%s), as injected\n",
         static_cast<unsigned long long>(n.koid), n.path);
  (void)mica_task_kill(n.process.get());
}

bool Manager::IsMemoryTarget(const Node& n) const {
  return opts_.kmem_ms != 0 &&
         (IsInjectTarget(opts_, n.path, n.driver->name()) ||
          (opts_.kill_path[0] != '\0' && strcmp(opts_.kill_path, n.path) == 0));
}

// The readings (docs/drivers.md, "Memory"): the kernel's free memory (free
// pages, spare page tables and free heap bytes) once no dead process is
// left to reap, no channel collection is due, and 8 readings 10 ms apart
// agree (QuietKernelFree). "at start <i>": in the middle of start i, the
// previous instance gone, the clients reconnected and idle. "after end
// <i>": between end i and the restart, with no instance of the node alive
// (its translation tables, which ASLR makes differ between instances, are
// gone too) and the clients waiting for the service to come back. Then the
// dead instance's DMA pins are quarantined on the node's BTI (the next
// instance releases them after its device reset): not free, and printed
// as "DMA quarantine" for the record; every end leaves the same pins (the
// rings, the request headers, the client's attached VMO), so the readings
// still agree exactly, and a release that never came would show as pages
// lost end after end.
void Manager::KernelMemoryReading(uint32_t index, uint32_t generation) {
  Node& n = *nodes_[index];
  if (n.generation != generation || n.state != mica::driver::wire::NodeState::kBound) {
    printf("driver-manager: no kernel memory reading at start %u of %s: it ended before\n",
           n.tracker->restart_count(), n.path);
    return;
  }
  PrintKernelMemory("at start", n.tracker->restart_count(), n);
}

void Manager::KernelMemoryAfterEnd(uint32_t index) {
  Node& n = *nodes_[index];
  if (IsMemoryTarget(n)) {
    PrintKernelMemory("after end", n.tracker->restart_count(), n);
  }
}

void Manager::PrintKernelMemory(const char* when, uint32_t count, const Node& n) {
  uint64_t user = 0;
  uint64_t free_bytes = QuietKernelFree(&user);
  mica_info_kmem_stats_t k = {};
  (void)mica_object_get_info(root_, MICA_INFO_KMEM_STATS, &k, sizeof(k), nullptr, nullptr);
  // The user memory of the processes that live on (this one and the
  // client) and of the instance, to tell their growth from the kernel's.
  mica_info_task_stats_t mine = {}, client = {}, driver = {};
  if (n.process) {
    (void)n.process.get_info(MICA_INFO_TASK_STATS, &driver, sizeof(driver), nullptr, nullptr);
  }
  (void)mica_object_get_info(mica_rt_process_self(), MICA_INFO_TASK_STATS, &mine, sizeof(mine),
                             nullptr, nullptr);
  if (then_process_) {
    (void)then_process_.get_info(MICA_INFO_TASK_STATS, &client, sizeof(client), nullptr, nullptr);
  }
  printf(
      "driver-manager: kernel free memory %llu bytes %s %u of %s (heap in use %llu, other %llu; "
      "committed: manager %llu, client %llu, driver %llu; DMA quarantine %llu)\n",
      static_cast<unsigned long long>(free_bytes), when, count, n.path,
      static_cast<unsigned long long>(k.heap_bytes), static_cast<unsigned long long>(k.other_bytes),
      static_cast<unsigned long long>(mine.mem_private_bytes),
      static_cast<unsigned long long>(client.mem_private_bytes),
      static_cast<unsigned long long>(driver.mem_private_bytes),
      static_cast<unsigned long long>(k.quarantined_bytes));
}

}  // namespace driver_manager
