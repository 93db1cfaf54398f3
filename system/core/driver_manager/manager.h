// The driver manager proper (docs/drivers.md): the node tree, starting a
// driver per matched node in a process and job of its own, watching it,
// restarting it with backoff, and serving children, services and
// inspection. Everything runs on one mica::async::Loop thread.
//
// Console lines (stable; tests and users rely on them), after the debug
// log's `driver-manager(<koid>): ` prefix:
//   driver: bound <path> to <driver> (process <koid>)
//   driver: <path> (<driver>, process <koid>) <reason>; restart <n> in <ms> ms
//   driver: failed <path> (<driver>): <reason>; gave up after <n> restarts
//   driver: cannot start <path> (<driver>): <why>
//   driver: published <class>/<instance> by <path>
//   driver-manager: <b> nodes bound, <u> unbound
//   driver-manager: <power off|reboot> asked by <path> (<driver>, process <koid>)
//   driver: stopped <path> (<driver>, process <koid>): <how>
//   driver-manager: every driver stopped; <powering off|rebooting>
// <reason> is one of: `crashed (fault at 0x<far>, esr 0x<esr>)`,
// `exited with status <n>`, `was killed`, `missed its liveness check`.
#pragma once

#include <idl/inspect.h>
#include <mica/async/loop.h>
#include <mica/cpp/handle.h>
#include <stddef.h>
#include <stdint.h>

#include "devicetree/lib/fdt.h"
#include "images/bootfs/bootfs.h"
#include "system/core/driver_manager/manifests.h"
#include "system/core/driver_manager/node.h"
#include "system/core/driver_manager/options.h"

namespace driver_manager {

// The restart policy is each manifest's (`restart`, `backoff`, `stable`,
// `liveness`; lib/restart_policy.h decides).

struct Service {
  char service_class[mica::driver::wire::kClassNameSize] = {};
  uint32_t instance = 0;
  uint32_t node = kNoNode;
  bool live = false;
};
inline constexpr uint32_t kMaxServices = 64;

class Manager {
 public:
  Manager(const fdt::Fdt& dt, const bootfs::Image& fs, const ManifestSet& manifests,
          mica_handle_t bootfs_vmo, mica_handle_t root_resource, const Options& opts);

  // Walks the devicetree into nodes and starts a driver for every match.
  void BindAll();
  // Starts `opts.then` with an inspection channel, if set.
  void StartThen();
  // Runs the loop (forever, or until opts.run_ms, then stops every driver).
  int Run();

  // Inspection: the node tree in the format of bin/drivers.
  void PrintTree();
  uint32_t node_count() const { return node_count_; }
  const Node& node(uint32_t i) const { return *nodes_[i]; }
  void FillRecord(uint32_t index, mica::driver::wire::NodeRecord* out) const;
  // The node as the Inspect protocol (system/idl/inspect.idl) lists it.
  void FillInspectNode(uint32_t index, idl::inspect::Node* out) const;
  mica_status_t Connect(const char* service_class, uint32_t instance, mica::Handle channel);
  // The service `service_class` of the devicetree node whose phandle is
  // `phandle` (Manager.ConnectPhandle).
  mica_status_t ConnectPhandle(uint32_t phandle, const char* service_class, mica::Handle channel);

 private:
  uint32_t AddDtNode(fdt::Node dt, uint32_t parent, uint32_t depth);
  uint32_t AddChildNode(uint32_t parent, const uint8_t* description, uint32_t size);
  void Match(uint32_t index);
  void Start(uint32_t index);
  const Node* ResourceSource(uint32_t index) const;
  bool Launch(uint32_t index, char* why, size_t size);
  void WatchProcess(uint32_t index);
  void OnTerminated(uint32_t index, uint32_t generation);
  void SchedulePing(uint32_t index);
  void Ping(uint32_t index, uint32_t generation);
  void Stop(uint32_t index);
  void Failed(uint32_t index, const char* reason, dm::FailureReason why, uint64_t koid);
  void RemoveChildren(uint32_t index);
  // Publishes `service_class` for node `index`: its instance number.
  mica_status_t Publish(uint32_t index, const char* service_class, uint32_t* instance);
  friend class ManagerLink;
  friend class PowerLink;
  // power.cc: a Power channel for the driver of `index` (`grant power`),
  // the driver's end in *theirs.
  mica_status_t MakePowerLink(uint32_t index, mica::Handle* theirs);
  void DropPowerLink(uint32_t index);
  // A clean shutdown asked by the driver of `index`: logs why, stops every
  // driver (children before parents), then system_power(action). Returns
  // only if the kernel refused (the status).
  mica_status_t Shutdown(uint32_t index, uint32_t action);
  // Asks one driver to stop (Driver.Stop), kills it if it has not ended
  // within the grace period, and logs how it ended.
  void StopForShutdown(uint32_t index);
  bool shutting_down_ = false;
  void ServeDevices();
  // drivers.kill=: task_kill a driver's process from outside, later.
  void KillLater();
  uint64_t QuietKernelFree(uint64_t* vmo_mmu);
  uint64_t kmem_baseline_ = 0;  // before drivers.kill=, if asked
  uint64_t kmem_user_baseline_ = 0;
  uint64_t kills_ = 0;  // drivers.kill= kills done

  const fdt::Fdt& dt_;
  const bootfs::Image& fs_;
  const ManifestSet& manifests_;
  mica_handle_t bootfs_vmo_;
  mica_handle_t root_;
  Options opts_;
  mica::async::Loop loop_;
  void Link(uint32_t index, mica::Channel manager_end, mica::Channel driver_end);
  // Ends both connections (the driver sees PEER_CLOSED).
  void Unlink(uint32_t index);
  Node* nodes_[kMaxNodes] = {};
  uint32_t node_count_ = 0;
  Service services_[kMaxServices];
  uint32_t service_count_ = 0;
  mica::Handle then_process_;
  mica::Handle devices_;  // the inspection channel's manager end
};

}  // namespace driver_manager
