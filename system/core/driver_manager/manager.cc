// See manager.h. This file: the node tree, matching and starting drivers;
// supervise.cc: failures, liveness, restarts; services.cc: children,
// services and inspection.
#include "system/core/driver_manager/manager.h"

#include <mica/driver/start.h>
#include <mica/driver/status_name.h>
#include <mica/log/log.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

#include "system/core/driver_manager/lib/match.h"
#include "system/core/driver_manager/lib/resources.h"
#include "system/core/driver_manager/resources.h"
#include "system/core/userboot/launch.h"

namespace driver_manager {

using mica::driver::wire::NodeState;

Manager::Manager(const fdt::Fdt& dt, const bootfs::Image& fs, const ManifestSet& manifests,
                 mica_handle_t bootfs_vmo, mica_handle_t root_resource, const Options& opts)
    : dt_(dt),
      fs_(fs),
      manifests_(manifests),
      bootfs_vmo_(bootfs_vmo),
      root_(root_resource),
      opts_(opts) {}

uint32_t Manager::AddDtNode(fdt::Node dt, uint32_t parent, uint32_t depth) {
  if (node_count_ == kMaxNodes) {
    return kNoNode;
  }
  Node* n = new Node;
  n->dt = dt;
  n->parent = parent;
  n->depth = depth;
  if (dm::NodePath(dt_, dt, n->path, sizeof(n->path), nullptr) != dm::Status::kOk) {
    snprintf(n->path, sizeof(n->path), "%s", dt_.Name(dt));
  }
  fdt::Property compat = dt_.FindProperty(dt, "compatible");
  if (compat.valid()) {
    n->compatible = compat.data;
    n->compatible_size = compat.len;
  }
  // IDL strings are UTF-8 and the DTB's are ASCII by the DT spec (v0.4
  // §2.2.1, §2.3.1), but the parser takes any byte: such a node is still
  // matched and bound on its raw bytes; IDL messages (inspect, directory)
  // show each bad byte as '?'.
  if (!mica::idl::IsUtf8(n->path, strlen(n->path)) ||
      (compat.valid() &&
       !mica::idl::IsUtf8(reinterpret_cast<const char*>(compat.data), compat.len))) {
    mica::log::LogKv(mica::log::kWarn, "driver", {{"node", n->path}},
                     "name or compatible is not UTF-8; listed with '?' for bad bytes");
  }
  nodes_[node_count_] = n;
  return node_count_++;
}

void Manager::Match(uint32_t index) {
  Node& n = *nodes_[index];
  if (n.dt.valid()) {
    n.driver = manifests_.Match(dm::FdtNodeProperties(dt_, n.dt));
    return;
  }
  // An added node: its properties as the driver sent them.
  mica::driver::NodeInfo info;
  dm::PropertyEntry props[mica::driver::kNodeInfoMaxProps];
  uint32_t count = 0;
  if (info.Parse(n.added, n.added_size)) {
    for (uint32_t i = 0; i < info.property_count(); i++) {
      mica::driver::NodeProperty p;
      if (info.PropertyAt(i, &p)) {
        props[count++] = {p.name, p.value, p.size};
      }
    }
  }
  n.driver = manifests_.Match(dm::PropertyListNode(props, count));
}

void Manager::BindAll() {
  // Depth-first, so a parent comes before its children; a disabled node's
  // subtree is skipped (lib/resources.h, ForEachEnabledNode).
  uint32_t stack[fdt::kMaxDepth + 1];
  dm::ForEachEnabledNode(dt_, [&](fdt::Node node, int depth) {
    if (depth < 0 || depth > fdt::kMaxDepth) {
      return true;
    }
    uint32_t parent = depth == 0 ? kNoNode : stack[depth - 1];
    uint32_t index = AddDtNode(node, parent, static_cast<uint32_t>(depth));
    if (index == kNoNode) {
      char limit[16];
      snprintf(limit, sizeof(limit), "%u", kMaxNodes);
      mica::log::LogKv(mica::log::kWarn, "devicetree", {{"limit", limit}},
                       "more nodes than the limit; the rest are ignored");
      return false;
    }
    stack[depth] = index;
    return true;
  });
  uint32_t bound = 0;
  for (uint32_t i = 0; i < node_count_; i++) {
    Match(i);
    if (nodes_[i]->driver != nullptr && IsConsoleNode(i) && !opts_.bind_console) {
      // drivers.bind-console=0: the kernel keeps its console UART
      // (docs/drivers.md, "The console").
      printf("driver: %s is the kernel's console: not bound to %s\n", nodes_[i]->path,
             nodes_[i]->driver->name());
      nodes_[i]->driver = nullptr;
    }
    if (nodes_[i]->driver != nullptr) {
      Start(i);
      bound += nodes_[i]->state == NodeState::kBound ? 1 : 0;
    }
  }
  printf("driver-manager: %u nodes bound, %u unbound\n", bound, node_count_ - bound);
}

// Whose devicetree resources a node is granted: its own for a devicetree
// node; for a node a driver added with "mica,parent-resources", its
// parent's (recursively); none otherwise.
const Node* Manager::ResourceSource(uint32_t index) const {
  for (uint32_t depth = 0; index != kNoNode && depth < kMaxNodes; depth++) {
    const Node& n = *nodes_[index];
    if (n.dt.valid()) {
      return &n;
    }
    if (!InheritsResources(n)) {
      return nullptr;
    }
    index = n.parent;
  }
  return nullptr;
}

bool Manager::IsConsoleNode(uint32_t index) const {
  fdt::Node console = dt_.StdoutNode();
  return console.valid() && nodes_[index]->dt.valid() && nodes_[index]->dt == console;
}

// The SYSTEM resource for MICA_RSRC_SYSTEM_CONSOLE, only to a driver whose
// manifest says `grant console` and only on the node /chosen/stdout-path
// names; nothing is added otherwise.
bool Manager::GrantConsole(uint32_t index, mica_handle_t* handles, uint32_t* info, uint32_t* count,
                           char* why, size_t size) {
  if (!nodes_[index]->driver->grants_console() || !IsConsoleNode(index)) {
    return true;
  }
  mica_handle_t rsrc = MICA_HANDLE_INVALID;
  mica_handle_t narrowed = MICA_HANDLE_INVALID;
  mica_status_t s = mica_resource_create(root_, MICA_RSRC_KIND_SYSTEM, MICA_RSRC_SYSTEM_CONSOLE, 1,
                                         "console", 7, &rsrc);
  if (s == MICA_OK) {
    // Enough for debuglog_create; nothing can be carved from it.
    s = mica_handle_replace(rsrc, MICA_DEFAULT_RESOURCE_RIGHTS & ~MICA_RIGHT_MANAGE_RESOURCE,
                            &narrowed);
  }
  if (s != MICA_OK) {
    snprintf(why, size, "console resource: %s", mica::driver::StatusName(s));
    return false;
  }
  handles[*count] = narrowed;
  info[(*count)++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_SYSTEM,
                                                static_cast<uint32_t>(MICA_RSRC_SYSTEM_CONSOLE));
  return true;
}

bool Manager::GrantBti(Node& n, mica_handle_t* handles, uint32_t* info, uint32_t* count, char* why,
                       size_t size) {
  // A node that runs on its parent's resources (a virtio device behind its
  // transport) is that same device to the bus: it gets the parent's BTI, so
  // removing it (its transport died) cannot release a quarantine its
  // device may still write into; the next driver to reset the device does.
  Node* owner = &n;
  while (InheritsResources(*owner) && owner->parent != kNoNode) {
    owner = nodes_[owner->parent];
  }
  mica_status_t s = MICA_OK;
  if (!owner->bti) {
    s = mica_bti_create(root_, 0, owner->bti.reset_and_get_address());
  }
  mica_handle_t dup = MICA_HANDLE_INVALID;
  if (s == MICA_OK) {
    s = mica_handle_duplicate(owner->bti.get(), MICA_RIGHT_SAME_RIGHTS, &dup);
  }
  if (s != MICA_OK) {
    snprintf(why, size, "bti: %s", mica::driver::StatusName(s));
    return false;
  }
  handles[*count] = dup;
  info[(*count)++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_BTI, 0);
  return true;
}

bool Manager::BinaryChecked(const char* binary) const {
  for (uint32_t i = 0; i < node_count_; i++) {
    const Node& other = *nodes_[i];
    if (other.binary_checked && other.driver != nullptr &&
        strcmp(other.driver->binary(), binary) == 0) {
      return true;
    }
  }
  return false;
}

bool Manager::Launch(uint32_t index, char* why, size_t size) {
  Node& n = *nodes_[index];
  // Resolved at the first start and kept: the devicetree does not change,
  // and resolving walks it (about 0.5 M instructions on virt, most of a
  // restart's cost before this cache).
  if (n.grant == nullptr) {
    dm::NodeResources* resolved = new dm::NodeResources();
    const Node* source = ResourceSource(index);
    if (source != nullptr && !ResolveNode(dt_, source->dt, resolved, why, size)) {
      delete resolved;
      return false;
    }
    n.grant = resolved;
  }
  const dm::NodeResources& grant = *n.grant;
  mica_handle_t handles[MICA_CHANNEL_MAX_MSG_HANDLES];
  uint32_t info[MICA_CHANNEL_MAX_MSG_HANDLES];
  uint32_t count = 0;
  mica::Handle job, node_vmo;
  mica::Channel mine, theirs, drv_mine, drv_theirs;
  mica_status_t s = mica_job_create(mica_rt_job_default(), 0, job.reset_and_get_address());
  if (s == MICA_OK) {
    job.set_name(n.driver->name(), strlen(n.driver->name()));
    s = mica_channel_create(0, mine.reset_and_get_address(), theirs.reset_and_get_address());
  }
  if (s == MICA_OK) {
    s = mica_channel_create(0, drv_mine.reset_and_get_address(),
                            drv_theirs.reset_and_get_address());
  }
  if (s == MICA_OK) {
    s = MakeNodeVmo(dt_, n, grant, &node_vmo);
  }
  if (s != MICA_OK) {
    snprintf(why, size, "%s", mica::driver::StatusName(s));
    return false;
  }
  handles[count] = theirs.release();
  info[count++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_MANAGER, 0);
  handles[count] = drv_theirs.release();
  info[count++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_DRIVER, 0);
  handles[count] = node_vmo.release();
  info[count++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_NODE, 0);
  if (!GrantBti(n, handles, info, &count, why, size)) {
    mica_handle_close_many(handles, count);
    return false;
  }
  if (!MakeResourceHandles(root_, grant, handles, info, &count, why, size) ||
      !GrantConsole(index, handles, info, &count, why, size)) {
    mica_handle_close_many(handles, count);
    return false;
  }
  mica::Handle power;
  if (n.driver->grants_power()) {
    s = MakePowerLink(index, &power);
    if (s != MICA_OK) {
      mica_handle_close_many(handles, count);
      snprintf(why, size, "power channel: %s", mica::driver::StatusName(s));
      return false;
    }
    handles[count] = power.release();
    info[count++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_POWER, 0);
  }
  char start_count[12];
  snprintf(start_count, sizeof(start_count), "%u", n.tracker->restart_count());
  const char* argv[] = {n.driver->binary(),   n.path, n.driver->name(), start_count,
                        n.driver->argument(), nullptr};
  int argc = n.driver->argument() != nullptr ? 5 : 4;
  char inject[48];
  if (InjectArgument(n, inject, sizeof(inject))) {
    argv[argc++] = inject;
  }
  userboot::LaunchSpec spec;
  spec.path = n.driver->binary();
  spec.name = n.driver->name();
  spec.argv = argv;
  spec.argc = argc;
  spec.job = job.get();
  spec.bootfs_vmo = bootfs_vmo_;
  spec.handles = handles;
  spec.info = info;
  spec.handle_count = count;
  spec.file_checked = n.binary_checked || BinaryChecked(n.driver->binary());
  mica::Handle process;
  if (!userboot::Launch(fs_, spec, &process, nullptr, why, size)) {
    Unlink(index);  // the power link, if one was made
    return false;
  }
  n.binary_checked = true;
  mica_info_handle_basic_t basic = {};
  (void)process.get_info(MICA_INFO_HANDLE_BASIC, &basic, sizeof(basic), nullptr, nullptr);
  n.koid = basic.koid;
  n.job = static_cast<mica::Handle&&>(job);
  n.process = static_cast<mica::Handle&&>(process);
  Link(index, static_cast<mica::Channel&&>(mine), static_cast<mica::Channel&&>(drv_mine));
  return true;
}

void Manager::Start(uint32_t index) {
  Node& n = *nodes_[index];
  if (shutting_down_) {
    return;
  }
  n.generation++;
  n.ping_outstanding = false;
  n.ready = false;
  n.refusals_logged = 0;
  if (n.tracker == nullptr) {
    n.tracker = new dm::RestartTracker(n.driver->restart());
  }
  char why[200];
  if (!Launch(index, why, sizeof(why))) {
    printf("driver: cannot start %s (%s): %s\n", n.path, n.driver->name(), why);
    snprintf(n.last_reason, sizeof(n.last_reason), "cannot start: %s", why);
    n.state = NodeState::kFailed;
    services_.NodeGone(index);
    return;
  }
  n.state = NodeState::kBound;
  n.tracker->OnStarted(static_cast<uint64_t>(mica::async::Loop::Now()));
  printf("driver: bound %s to %s (process %llu)\n", n.path, n.driver->name(),
         static_cast<unsigned long long>(n.koid));
  AfterStart(index);
  WatchProcess(index);
  SendStart(index);
  if (n.driver->liveness_ns() != 0) {
    SchedulePing(index);
  }
}

void Manager::WatchProcess(uint32_t index) {
  uint32_t gen = nodes_[index]->generation;
  loop_.BeginWait(
      nodes_[index]->process.get(), MICA_TASK_TERMINATED,
      [this, index, gen](mica_status_t status, mica_signals_t) {
        if (status == MICA_OK) {
          OnTerminated(index, gen);
        }
      },
      &nodes_[index]->process_wait);
}

// The kernel's available memory (KMEM_STATS free pages + free heap) once
// its reaper and channel collector are idle and 8 readings 10 ms apart
// agree (as core-tests' ct_quiet_available), with the pages committed to
// VMOs and user page tables then in *vmo_mmu; 0 if it cannot be read.
uint64_t Manager::QuietKernelFree(uint64_t* vmo_mmu) {
  uint64_t last = 0;
  int agree = 0;
  for (int i = 0; i < 500 && agree < 8; i++) {
    mica_info_kmem_stats_t k = {};
    if (mica_object_get_info(root_, MICA_INFO_KMEM_STATS, &k, sizeof(k), nullptr, nullptr) !=
        MICA_OK) {
      return 0;
    }
    *vmo_mmu = k.vmo_bytes + k.mmu_bytes;
    uint64_t now = k.free_bytes + k.heap_free_bytes;
    bool idle = k.unreaped_processes == 0 && k.collector_busy == 0;
    agree = idle && now == last ? agree + 1 : 0;
    last = now;
    mica_nanosleep(mica::async::Loop::Now() + 10'000'000);
  }
  return agree >= 8 ? last : 0;
}

void Manager::KillLater() {
  if (opts_.kill_path[0] == '\0') {
    return;
  }
  loop_.PostTaskAfter(
      [this] {
        for (uint32_t i = 0; i < node_count_; i++) {
          Node& n = *nodes_[i];
          if (strcmp(n.path, opts_.kill_path) == 0 && n.state == NodeState::kBound) {
            kmem_baseline_ = QuietKernelFree(&kmem_user_baseline_);
            printf("driver-manager: killing process %llu (%s), as asked\n",
                   static_cast<unsigned long long>(n.koid), n.path);
            // The kill's time, for the restart benchmark (test/bench/bench.py:
            // kill -> the client's next answer, in guest time under -icount).
            mica_time_t at = 0;
            mica_clock_get_monotonic(&at);
            (void)mica_task_kill(n.process.get());
            printf("driver-manager: killed process %llu at %lld ns\n",
                   static_cast<unsigned long long>(n.koid), static_cast<long long>(at));
          }
        }
        if (++kills_ < opts_.kill_times) {
          KillLater();
        }
      },
      static_cast<mica_duration_t>(opts_.kill_ms) * 1000000);
}

int Manager::Run() {
  KillLater();
  if (opts_.run_ms != 0) {
    loop_.PostTaskAfter(
        [this] {
          if (kmem_baseline_ != 0) {
            uint64_t user = 0;
            uint64_t now = QuietKernelFree(&user);
            printf(
                "driver-manager: kernel free memory %llu bytes, %lld from before the kill "
                "(VMO and user page-table pages %lld)\n",
                static_cast<unsigned long long>(now),
                static_cast<long long>(now) - static_cast<long long>(kmem_baseline_),
                static_cast<long long>(user) - static_cast<long long>(kmem_user_baseline_));
          }
          PrintTree();
          printf("driver-manager: stopping after %llu ms\n",
                 static_cast<unsigned long long>(opts_.run_ms));
          for (uint32_t i = 0; i < node_count_; i++) {
            Stop(i);
          }
          if (then_process_) {
            (void)mica_task_kill(then_process_.get());
          }
          loop_.Quit();
        },
        static_cast<mica_duration_t>(opts_.run_ms) * 1000000);
  }
  loop_.Run();
  return 0;
}

}  // namespace driver_manager
