// See manager.h: how a driver's end is seen (TERMINATED on its process, a
// missed liveness answer) and what follows (restart with backoff, or the
// failed state), in the spirit of MINIX 3's reincarnation server.
#include <mica/driver/protocol.h>
#include <mica/driver/start.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

#include "system/core/driver_manager/lib/restart_policy.h"
#include "system/core/driver_manager/manager.h"

namespace driver_manager {

using mica::driver::wire::NodeState;

namespace {

constexpr mica_duration_t kMs = 1000000;

void DescribeEnd(const mica_info_process_t& info, bool liveness, char* buf, size_t size) {
  if (liveness) {
    snprintf(buf, size, "missed its liveness check");
  } else if (info.flags & MICA_INFO_PROCESS_FLAG_FAULTED) {
    snprintf(buf, size, "crashed (fault at 0x%llx, esr 0x%x)",
             static_cast<unsigned long long>(info.fault_address), info.fault_esr);
  } else if (info.flags & MICA_INFO_PROCESS_FLAG_KILLED) {
    snprintf(buf, size, "was killed");
  } else {
    snprintf(buf, size, "exited with status %lld", static_cast<long long>(info.return_code));
  }
}

}  // namespace

void Manager::OnTerminated(uint32_t index, uint32_t generation) {
  Node& n = *nodes_[index];
  if (n.generation != generation || n.state != NodeState::kBound) {
    return;
  }
  n.process_wait = 0;
  mica_info_process_t info = {};
  (void)n.process.get_info(MICA_INFO_PROCESS, &info, sizeof(info), nullptr, nullptr);
  char reason[96];
  DescribeEnd(info, n.missed_ping, reason, sizeof(reason));
  dm::FailureReason why = n.missed_ping ? dm::FailureReason::kLivenessMissed
                          : (info.flags & MICA_INFO_PROCESS_FLAG_FAULTED)
                              ? dm::FailureReason::kCrashed
                              : dm::FailureReason::kExited;
  uint64_t koid = n.koid;
  Stop(index);
  if (why == dm::FailureReason::kExited && !(info.flags & MICA_INFO_PROCESS_FLAG_KILLED) &&
      info.return_code == MICA_DRIVER_EXIT_NO_DEVICE) {
    // An empty slot (e.g. a virtio-mmio transport with device ID 0): not a
    // failure; the node stays unbound and is not restarted.
    snprintf(n.last_reason, sizeof(n.last_reason), "no device");
    n.state = NodeState::kUnbound;
  } else {
    Failed(index, reason, why, koid);
  }
  if (then_waiting_ && Settled()) {
    LaunchThen();
  }
}

// Asks the restart policy: a restart after its backoff, or the failed state.
void Manager::Failed(uint32_t index, const char* reason, dm::FailureReason why, uint64_t koid) {
  Node& n = *nodes_[index];
  snprintf(n.last_reason, sizeof(n.last_reason), "%s", reason);
  // Immediate first restart for every node, virtio devices too: a device
  // still completing the dead driver's DMA writes pages the kernel keeps
  // quarantined on the node's BTI (which this manager holds across
  // restarts) until the new instance has reset the device.
  dm::RestartDecision d =
      n.tracker->OnFailure(static_cast<uint64_t>(mica::async::Loop::Now()), why);
  if (d.state != dm::DriverState::kBackoff) {
    n.state = NodeState::kFailed;
    services_.NodeGone(index);
    printf("driver: failed %s (%s): %s; gave up after %u restarts\n", n.path, n.driver->name(),
           reason, n.tracker->restart_count());
    return;
  }
  n.state = NodeState::kRestarting;
  printf("driver: %s (%s, process %llu) %s; restart %u in %llu ms\n", n.path, n.driver->name(),
         static_cast<unsigned long long>(koid), reason, n.tracker->restart_count(),
         static_cast<unsigned long long>(d.delay_ns / kMs));
  KernelMemoryAfterEnd(index);
  uint32_t gen = n.generation;
  auto restart = [this, index, gen] {
    Node& m = *nodes_[index];
    if (m.generation == gen && m.state == NodeState::kRestarting) {
      Start(index);
    }
  };
  // No delay (a first failure): the next turn of the loop, without a timer.
  if (d.delay_ns == 0) {
    loop_.PostTask(restart);
  } else {
    loop_.PostTaskAfter(restart, static_cast<mica_duration_t>(d.delay_ns));
  }
}

void Manager::Stop(uint32_t index) {
  Node& n = *nodes_[index];
  n.generation++;
  if (n.process_wait != 0) {
    loop_.CancelWait(n.process_wait);
    n.process_wait = 0;
  }
  Unlink(index);
  if (n.job) {
    (void)mica_task_kill(n.job.get());
  }
  n.job.reset();
  n.process.reset();
  n.koid = 0;
  n.missed_ping = false;
  services_.DriverEnded(index);
  RemoveChildren(index);
  if (n.state == NodeState::kBound) {
    n.state = NodeState::kUnbound;
  }
}

void Manager::RemoveChildren(uint32_t index) {
  for (uint32_t i = 0; i < node_count_; i++) {
    Node& c = *nodes_[i];
    if (c.parent == index && !c.dt.valid() && !c.removed) {
      Stop(i);
      c.removed = true;
      c.bti.reset();  // releases what its drivers left quarantined
      c.state = NodeState::kUnbound;
      services_.NodeGone(i);
    }
  }
}

void Manager::SchedulePing(uint32_t index) {
  uint32_t gen = nodes_[index]->generation;
  loop_.PostTaskAfter([this, index, gen] { Ping(index, gen); },
                      static_cast<mica_duration_t>(nodes_[index]->driver->liveness_ns()));
}

void Manager::Ping(uint32_t index, uint32_t generation) {
  Node& n = *nodes_[index];
  // Stale; or it ended by itself (a crash closes its link too, which must
  // not read as a missed check): its TERMINATED wait reports why.
  mica_signals_t ended = 0;
  if (n.generation != generation || n.state != NodeState::kBound ||
      mica_object_wait_one(n.process.get(), MICA_TASK_TERMINATED, MICA_TIME_INFINITE_PAST,
                           &ended) == MICA_OK) {
    return;
  }
  if (n.ping_outstanding) {
    // No answer within the manifest's liveness period: kill it; its
    // TERMINATED wait reports it.
    n.missed_ping = true;
    (void)mica_task_kill(n.job.get());
    return;
  }
  idl::driver::Driver::PingRequest ping;
  ping.seq = ++n.ping_seq;
  uint64_t seq = ping.seq;
  // A Driver link that cannot carry the Ping (the driver closed it, or
  // sent what the client rejected: a reply twice, garbage) counts as a
  // ping not answered: the next check kills the driver, unless it has
  // ended by itself by then. It must not exempt a driver from liveness.
  (void)n.client->Ping(
      ping, [this, index, generation, seq](mica_status_t s, idl::driver::Driver::PingResponse* r) {
        Node& m = *nodes_[index];
        if (s == MICA_OK && m.generation == generation && r->seq == seq) {
          m.ping_outstanding = false;
        }
      });
  n.ping_outstanding = true;
  SchedulePing(index);
}

}  // namespace driver_manager
