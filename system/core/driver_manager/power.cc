// See manager.h: the IDL Power protocol (system/idl/power.idl) served to
// drivers whose manifest says `grant power`, and the clean shutdown it
// leads to (docs/drivers.md, "Power"). The manager is the only process
// with the root resource, so it is the one that makes the SYSTEM POWER
// resource and calls system_power (PSCI SYSTEM_OFF / SYSTEM_RESET, Arm
// DEN0022 §5.10-5.11), after every driver has stopped.
#include <idl/power_ipc.h>
#include <mica/driver/status_name.h>
#include <mica/log/log.h>
#include <mica/syscalls.h>
#include <stdio.h>

#include "system/core/driver_manager/lib/shutdown_order.h"
#include "system/core/driver_manager/manager.h"

namespace driver_manager {

using mica::driver::wire::NodeState;

namespace {

// How long a driver gets to end after Driver.Stop before it is killed.
constexpr mica_duration_t kStopGrace = 500'000'000;

const char* ActionName(uint32_t action) {
  return action == MICA_SYSTEM_POWER_REBOOT ? "reboot" : "power off";
}

}  // namespace

// One driver's Power channel, for one start of it (Stop deletes it).
class PowerLink final : public idl::power::PowerServer {
 public:
  PowerLink(Manager* manager, uint32_t index, mica::Channel channel)
      : PowerServer(&manager->loop_, static_cast<mica::Channel&&>(channel)),
        manager_(manager),
        index_(index) {}

  void Shutdown(idl::power::Power::ShutdownRequest& req, ShutdownCompleter done) override {
    uint32_t action =
        req.action == idl::power::Action::REBOOT ? MICA_SYSTEM_POWER_REBOOT : MICA_SYSTEM_POWER_OFF;
    if (manager_->shutting_down_) {
      idl::power::Power::ShutdownResponse r;
      r.status = MICA_ERR_BAD_STATE;
      done.Reply(r);
      return;
    }
    // Without PSCI (the Pi 4: no /psci node) system_power can only refuse:
    // refuse before stopping anything.
    if (!manager_->dt_.FindNode("/psci")) {
      printf("driver-manager: %s refused: no /psci in the devicetree\n", ActionName(action));
      idl::power::Power::ShutdownResponse r;
      r.status = MICA_ERR_NOT_SUPPORTED;
      done.Reply(r);
      return;
    }
    // Not from inside this handler: the shutdown stops this driver, which
    // deletes this link.
    Manager* m = manager_;
    uint32_t index = index_;
    m->loop_.PostTask([m, index, action] { m->Shutdown(index, action); });
  }

 private:
  Manager* manager_;
  uint32_t index_;
};

mica_status_t Manager::MakePowerLink(uint32_t index, mica::Handle* theirs) {
  mica::Channel mine, other;
  mica_status_t s =
      mica_channel_create(0, mine.reset_and_get_address(), other.reset_and_get_address());
  if (s != MICA_OK) {
    return s;
  }
  Node& n = *nodes_[index];
  n.power = new PowerLink(this, index, static_cast<mica::Channel&&>(mine));
  // A driver that closes its end just gives the grant up; Stop deletes it.
  n.power->Begin();
  theirs->reset(other.release());
  return MICA_OK;
}

mica_status_t Manager::MakeThenPowerLink(mica::Handle* theirs) {
  mica::Channel mine, other;
  mica_status_t s =
      mica_channel_create(0, mine.reset_and_get_address(), other.reset_and_get_address());
  if (s != MICA_OK) {
    return s;
  }
  auto* link = new PowerLink(this, kThenAsker, static_cast<mica::Channel&&>(mine));
  link->set_error_handler([link](mica_status_t) { delete link; });
  link->Begin();
  theirs->reset(other.release());
  return MICA_OK;
}

void Manager::ServePower(mica::Channel channel) {
  auto* link = new PowerLink(this, kRoutedAsker, static_cast<mica::Channel&&>(channel));
  link->set_error_handler([link](mica_status_t) { delete link; });
  link->Begin();
}

void Manager::DropPowerLink(uint32_t index) {
  delete nodes_[index]->power;
  nodes_[index]->power = nullptr;
}

void Manager::StopForShutdown(uint32_t index) {
  Node& n = *nodes_[index];
  if (n.state != NodeState::kBound || !n.process) {
    Stop(index);  // restarting or failed: nothing runs; cancel its restart
    return;
  }
  uint64_t koid = n.koid;
  if (n.client != nullptr) {
    idl::driver::Driver::StopRequest stop;
    (void)n.client->Stop(stop);
  }
  mica_signals_t seen = 0;
  mica_status_t s = mica_object_wait_one(n.process.get(), MICA_TASK_TERMINATED,
                                         mica::async::Loop::Now() + kStopGrace, &seen);
  char how[64];
  if (s == MICA_OK) {
    mica_info_process_t info = {};
    (void)n.process.get_info(MICA_INFO_PROCESS, &info, sizeof(info), nullptr, nullptr);
    snprintf(how, sizeof(how), "exited with status %lld", static_cast<long long>(info.return_code));
  } else {
    snprintf(how, sizeof(how), "killed after %llu ms",
             static_cast<unsigned long long>(kStopGrace / 1'000'000));
  }
  Stop(index);  // kills the job (if still running) and ends both links
  printf("driver: stopped %s (%s, process %llu): %s\n", n.path, n.driver->name(),
         static_cast<unsigned long long>(koid), how);
}

void Manager::LinkProvider(uint32_t consumer, uint32_t provider) {
  Node& n = *nodes_[consumer];
  for (uint32_t k = 0; k < n.provider_count; k++) {
    if (n.providers[k] == provider) {
      return;
    }
  }
  if (consumer != provider && n.provider_count < kMaxProviders) {
    n.providers[n.provider_count++] = provider;
  }
}

namespace {

// The node tree as lib/shutdown_order.h reads it.
class StopGraph {
 public:
  StopGraph(Node* const* nodes, uint32_t count) : nodes_(nodes), count_(count) {}
  uint32_t count() const { return count_; }
  bool running(uint32_t i) const {
    const Node& n = *nodes_[i];
    return n.driver != nullptr && !n.removed &&
           (n.state == NodeState::kBound || n.state == NodeState::kRestarting);
  }
  uint32_t parent(uint32_t i) const { return nodes_[i]->parent; }
  uint32_t depth(uint32_t i) const { return nodes_[i]->depth; }
  uint32_t provider_count(uint32_t i) const { return nodes_[i]->provider_count; }
  uint32_t provider(uint32_t i, uint32_t k) const { return nodes_[i]->providers[k]; }

 private:
  Node* const* nodes_;
  uint32_t count_;
};

}  // namespace

// Each stop is bounded by kStopGrace, so the whole shutdown is too.
void Manager::StopAllForShutdown() {
  uint32_t unordered = dm::StopInOrder(StopGraph(nodes_, node_count_), stop_pending_,
                                       [this](uint32_t i) { StopForShutdown(i); });
  if (unordered != 0) {
    printf("driver-manager: %u drivers depend on each other; stopped them by depth\n", unordered);
  }
}

void Manager::TellShuttingDown(uint32_t action) {
  idl::power::Power::ShuttingDownEvent e;
  e.action = action == MICA_SYSTEM_POWER_REBOOT ? idl::power::Action::REBOOT
                                                : idl::power::Action::POWEROFF;
  uint32_t told = 0;
  for (uint32_t i = 0; i < node_count_; i++) {
    Node& n = *nodes_[i];
    if (n.power != nullptr && n.state == NodeState::kBound && n.power->is_open() &&
        n.power->SendShuttingDown(e) == MICA_OK) {
      told++;
    }
  }
  printf("driver-manager: told %u Power clients\n", told);
}

mica_status_t Manager::Shutdown(uint32_t index, uint32_t action) {
  if (shutting_down_) {
    return MICA_ERR_BAD_STATE;
  }
  if (index == kThenAsker) {
    mica_info_handle_basic_t info = {};
    (void)then_process_.get_info(MICA_INFO_HANDLE_BASIC, &info, sizeof(info), nullptr, nullptr);
    printf("driver-manager: %s asked by %s (process %llu)\n", ActionName(action), opts_.then,
           static_cast<unsigned long long>(info.koid));
  } else if (index == kRoutedAsker) {
    printf("driver-manager: %s asked by a client routed to %s\n", ActionName(action),
           idl::power::Power::kName);
  } else {
    Node& asker = *nodes_[index];
    printf("driver-manager: %s asked by %s (%s, process %llu)\n", ActionName(action), asker.path,
           asker.driver != nullptr ? asker.driver->name() : "?",
           static_cast<unsigned long long>(asker.koid));
  }
  mica::Handle power;
  mica_status_t s = mica_resource_create(root_, MICA_RSRC_KIND_SYSTEM, MICA_RSRC_SYSTEM_POWER, 1,
                                         "power", 5, power.reset_and_get_address());
  if (s != MICA_OK) {
    mica::log::LogKv(mica::log::kError, "power", {{"status", mica::driver::StatusName(s)}},
                     "no power resource");
    return s;
  }
  shutting_down_ = true;
  TellShuttingDown(action);
  StopAllForShutdown();
  if (then_process_) {
    (void)mica_task_kill(then_process_.get());
  }
  printf("driver-manager: every driver stopped; %s\n",
         action == MICA_SYSTEM_POWER_REBOOT ? "rebooting" : "powering off");
  s = mica_system_power(power.get(), action);
  printf("driver-manager: system_power failed: %s\n", mica::driver::StatusName(s));
  return s;
}

}  // namespace driver_manager
