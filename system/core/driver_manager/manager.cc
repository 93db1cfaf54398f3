// See manager.h. This file: the node tree, matching and starting drivers;
// supervise.cc: failures, liveness, restarts; services.cc: children,
// services and inspection.
#include "system/core/driver_manager/manager.h"

#include <mica/driver/start.h>
#include <mica/driver/status_name.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

#include "system/core/driver_manager/resources.h"
#include "system/core/userboot/launch.h"

namespace driver_manager {

using mica::driver::wire::NodeState;

Manager::Manager(const fdt::Fdt& dt, const bootfs::Image& fs, mica_handle_t bootfs_vmo,
                 mica_handle_t root_resource, const Options& opts)
    : dt_(dt), fs_(fs), bootfs_vmo_(bootfs_vmo), root_(root_resource), opts_(opts) {}

uint32_t Manager::AddDtNode(fdt::Node dt, uint32_t parent, uint32_t depth) {
  if (node_count_ == kMaxNodes) {
    return kNoNode;
  }
  Node* n = new Node;
  n->dt = dt;
  n->parent = parent;
  n->depth = depth;
  if (dt_.GetPath(dt, n->path, sizeof(n->path)) != fdt::Status::kOk) {
    snprintf(n->path, sizeof(n->path), "%s", dt_.Name(dt));
  }
  fdt::Property compat = dt_.FindProperty(dt, "compatible");
  if (compat.valid()) {
    n->compatible = compat.data;
    n->compatible_size = compat.len;
  }
  nodes_[node_count_] = n;
  return node_count_++;
}

void Manager::Match(uint32_t index) {
  Node& n = *nodes_[index];
  n.driver = n.compatible == nullptr
                 ? nullptr
                 : MatchCompatible(opts_.test_set, reinterpret_cast<const char*>(n.compatible),
                                   n.compatible_size);
}

void Manager::BindAll() {
  // Depth-first, so a parent comes before its children; a disabled node's
  // subtree is skipped (DT spec v0.4 §2.3.4).
  uint32_t stack[fdt::kMaxDepth + 1];
  int depth = 0;
  fdt::Node root = dt_.Root();
  stack[0] = AddDtNode(root, kNoNode, 0);
  fdt::Node at = root;
  int skip_below = -1;
  for (;;) {
    int d = depth;
    at = dt_.NextNode(at, &d);
    if (!at.valid() || d <= 0) {
      break;
    }
    depth = d;
    if (skip_below >= 0 && depth > skip_below) {
      continue;
    }
    skip_below = -1;
    if (!dt_.IsEnabled(at)) {
      skip_below = depth;
      continue;
    }
    uint32_t index = AddDtNode(at, stack[depth - 1], static_cast<uint32_t>(depth));
    if (index == kNoNode) {
      printf("driver-manager: more than %u nodes; the rest are ignored\n", kMaxNodes);
      break;
    }
    stack[depth] = index;
  }
  uint32_t bound = 0;
  for (uint32_t i = 0; i < node_count_; i++) {
    Match(i);
    if (nodes_[i]->driver != nullptr) {
      Start(i);
      bound += nodes_[i]->state == NodeState::kBound ? 1 : 0;
    }
  }
  printf("driver-manager: %u nodes bound, %u unbound\n", bound, node_count_ - bound);
}

bool Manager::Launch(uint32_t index, char* why, size_t size) {
  Node& n = *nodes_[index];
  Grant grant;
  if (n.dt.valid() && !ResolveNode(dt_, n.dt, &grant, why, size)) {
    return false;
  }
  mica_handle_t handles[MICA_CHANNEL_MAX_MSG_HANDLES];
  uint32_t info[MICA_CHANNEL_MAX_MSG_HANDLES];
  uint32_t count = 0;
  mica::Handle job, mine, theirs, node_vmo;
  mica_status_t s = mica_job_create(mica_rt_job_default(), 0, job.reset_and_get_address());
  if (s == MICA_OK) {
    job.set_name(n.driver->name, strlen(n.driver->name));
    s = mica_channel_create(0, mine.reset_and_get_address(), theirs.reset_and_get_address());
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
  handles[count] = node_vmo.release();
  info[count++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_NODE, 0);
  if (!MakeResourceHandles(root_, grant, handles, info, &count, why, size)) {
    mica_handle_close_many(handles, count);
    return false;
  }
  char start_count[12];
  snprintf(start_count, sizeof(start_count), "%u", n.restarts);
  const char* argv[] = {n.driver->binary, n.path, n.driver->name, start_count, n.driver->arg};
  userboot::LaunchSpec spec;
  spec.path = n.driver->binary;
  spec.name = n.driver->name;
  spec.argv = argv;
  spec.argc = n.driver->arg != nullptr ? 5 : 4;
  spec.job = job.get();
  spec.bootfs_vmo = bootfs_vmo_;
  spec.handles = handles;
  spec.info = info;
  spec.handle_count = count;
  mica::Handle process;
  if (!userboot::Launch(fs_, spec, &process, nullptr, why, size)) {
    return false;
  }
  mica_info_handle_basic_t basic = {};
  (void)process.get_info(MICA_INFO_HANDLE_BASIC, &basic, sizeof(basic), nullptr, nullptr);
  n.koid = basic.koid;
  n.job = static_cast<mica::Handle&&>(job);
  n.process = static_cast<mica::Handle&&>(process);
  n.channel = static_cast<mica::Handle&&>(mine);
  return true;
}

void Manager::Start(uint32_t index) {
  Node& n = *nodes_[index];
  n.generation++;
  n.ping_outstanding = false;
  char why[128];
  if (!Launch(index, why, sizeof(why))) {
    printf("driver: cannot start %s (%s): %s\n", n.path, n.driver->name, why);
    snprintf(n.last_reason, sizeof(n.last_reason), "cannot start: %s", why);
    n.state = NodeState::kFailed;
    return;
  }
  n.state = NodeState::kBound;
  printf("driver: bound %s to %s (process %llu)\n", n.path, n.driver->name,
         static_cast<unsigned long long>(n.koid));
  WatchProcess(index);
  WatchChannel(index);
  SchedulePing(index);
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

void Manager::WatchChannel(uint32_t index) {
  uint32_t gen = nodes_[index]->generation;
  loop_.BeginWait(
      nodes_[index]->channel.get(), MICA_CHANNEL_READABLE,
      [this, index, gen](mica_status_t status, mica_signals_t) {
        if (status != MICA_OK || nodes_[index]->generation != gen) {
          return;
        }
        OnDriverMessages(index);
        if (nodes_[index]->generation == gen && nodes_[index]->channel) {
          WatchChannel(index);
        }
      },
      &nodes_[index]->channel_wait);
}

int Manager::Run() {
  if (opts_.run_ms != 0) {
    loop_.PostTaskAfter(
        [this] {
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
