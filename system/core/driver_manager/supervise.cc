// See manager.h: how a driver's end is seen (TERMINATED on its process, a
// missed liveness answer) and what follows (restart with backoff, or the
// failed state), in the spirit of MINIX 3's reincarnation server.
#include <mica/driver/protocol.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

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
  uint64_t koid = n.koid;
  Stop(index);
  Failed(index, reason);
  if (n.state == NodeState::kRestarting) {
    uint32_t k = n.failure_count < kFailureWindow ? n.failure_count : kFailureWindow;
    uint64_t delay = kBackoffBaseMs << (k - 1);
    delay = delay > kBackoffMaxMs ? kBackoffMaxMs : delay;
    printf("driver: %s (%s, process %llu) %s; restart %u in %llu ms\n", n.path, n.driver->name,
           static_cast<unsigned long long>(koid), reason, n.restarts + 1,
           static_cast<unsigned long long>(delay));
    uint32_t gen = n.generation;
    loop_.PostTaskAfter(
        [this, index, gen] {
          Node& m = *nodes_[index];
          if (m.generation == gen && m.state == NodeState::kRestarting) {
            m.restarts++;
            Start(index);
          }
        },
        static_cast<mica_duration_t>(delay) * kMs);
  }
}

// Records a failure at `now` and decides: restarting, or failed after
// kFailureWindow failures within kFailWindowMs.
void Manager::Failed(uint32_t index, const char* reason) {
  Node& n = *nodes_[index];
  mica_time_t now = mica::async::Loop::Now();
  n.failures[n.failure_count % kFailureWindow] = now;
  n.failure_count++;
  snprintf(n.last_reason, sizeof(n.last_reason), "%s", reason);
  mica_time_t oldest = n.failures[n.failure_count % kFailureWindow];
  bool window_full = n.failure_count >= kFailureWindow;
  if (window_full && now - oldest <= static_cast<mica_time_t>(kFailWindowMs) * kMs) {
    n.state = NodeState::kFailed;
    printf("driver: failed %s (%s): %s; %u failures in %llu ms\n", n.path, n.driver->name, reason,
           kFailureWindow, static_cast<unsigned long long>((now - oldest) / kMs));
    return;
  }
  n.state = NodeState::kRestarting;
}

void Manager::Stop(uint32_t index) {
  Node& n = *nodes_[index];
  n.generation++;
  if (n.process_wait != 0) {
    loop_.CancelWait(n.process_wait);
    n.process_wait = 0;
  }
  if (n.channel_wait != 0) {
    loop_.CancelWait(n.channel_wait);
    n.channel_wait = 0;
  }
  if (n.job) {
    (void)mica_task_kill(n.job.get());
  }
  n.job.reset();
  n.process.reset();
  n.channel.reset();
  n.koid = 0;
  n.missed_ping = false;
  for (uint32_t i = 0; i < service_count_; i++) {
    if (services_[i].node == index) {
      services_[i].live = false;
    }
  }
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
      c.state = NodeState::kUnbound;
    }
  }
}

void Manager::SchedulePing(uint32_t index) {
  uint32_t gen = nodes_[index]->generation;
  loop_.PostTaskAfter([this, index, gen] { Ping(index, gen); },
                      static_cast<mica_duration_t>(opts_.ping_ms) * kMs);
}

void Manager::Ping(uint32_t index, uint32_t generation) {
  Node& n = *nodes_[index];
  if (n.generation != generation || n.state != NodeState::kBound) {
    return;
  }
  if (n.ping_outstanding) {
    // No answer within a period: kill it; its TERMINATED wait reports it.
    n.missed_ping = true;
    (void)mica_task_kill(n.job.get());
    return;
  }
  mica::driver::wire::PingMessage ping = {{mica::driver::wire::kPing, ++n.ping_txid}};
  if (mica_channel_write(n.channel.get(), 0, &ping, sizeof(ping), nullptr, 0) == MICA_OK) {
    n.ping_outstanding = true;
  }
  SchedulePing(index);
}

}  // namespace driver_manager
