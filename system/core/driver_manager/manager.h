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
//   driver: <path> cannot publish <class>: <status>
//   driver: <path> cannot add child <name>: <status>
//   driver: <path> refuses more: its further refusals are not logged
//   driver-manager: <b> nodes bound, <u> unbound
//   driver-manager: <power off|reboot> asked by <path> (<driver>, process <koid>)
//   driver-manager: <power off|reboot> asked by <then program> (process <koid>)
//   driver-manager: <power off|reboot> asked by a client routed to power.Power
//   driver-manager: told <n> Power clients
//   driver: stopped <path> (<driver>, process <koid>): <how>
//   driver-manager: <n> drivers depend on each other; stopped them by depth
//   driver-manager: every driver stopped; <powering off|rebooting>
// <reason> is one of: `crashed (fault at 0x<far>, esr 0x<esr>)`,
// `exited with status <n>`, `was killed`, `missed its liveness check`.
#pragma once

#include <idl/inspect.h>
#include <mica/async/loop.h>
#include <mica/component/component.h>
#include <mica/cpp/handle.h>
#include <stddef.h>
#include <stdint.h>

#include "devicetree/lib/fdt.h"
#include "images/bootfs/bootfs.h"
#include "system/core/driver_manager/manifests.h"
#include "system/core/driver_manager/node.h"
#include "system/core/driver_manager/options.h"
#include "system/core/driver_manager/service_table.h"

namespace driver_manager {

// The restart policy is each manifest's (`restart`, `backoff`, `stable`,
// `liveness`; lib/restart_policy.h decides).

// Copies an IDL name (driver.idl and directory.idl MAX_NAME) into a
// table name: false if it is too long for one or holds a NUL.
bool CopyName(const mica::idl::String<32>& in, char (&out)[kServiceNameSize]);

class Manager {
 public:
  Manager(const fdt::Fdt& dt, const bootfs::Image& fs, const ManifestSet& manifests,
          mica_handle_t bootfs_vmo, mica_handle_t root_resource, const Options& opts);

  // Walks the devicetree into nodes and starts a driver for every match.
  void BindAll();
  // Starts `opts.then` (docs/shell.md: bin/shell) with the service
  // directory, an inspection channel, a Power channel, a read-only
  // duplicate of the bootfs VMO and an INSPECT-only duplicate of the root
  // resource (kernel memory statistics), if set, once the boot's
  // binding has settled: every bound driver has answered Driver.Start (its
  // bind function returned), or ended, or kThenWaitNs has passed.
  void StartThen();
  // Started as a component (docs/components.md): serves `directory.Directory`
  // and `inspect.Inspect` to the clients the component manager sends on the
  // MICA_BOOTSTRAP_OUTGOING startup handle, and stops every driver and
  // exits on Lifecycle.Stop. Nothing (no line) if there is no such handle.
  void ServeOutgoing();
  // Runs the loop (forever, or until opts.run_ms, then stops every driver).
  int Run();

  // Inspection: the node tree in the format of bin/drivers.
  void PrintTree();
  uint32_t node_count() const { return node_count_; }
  const Node& node(uint32_t i) const { return *nodes_[i]; }
  void FillRecord(uint32_t index, mica::driver::wire::NodeRecord* out) const;
  // The node as the Inspect protocol (system/idl/inspect.idl) lists it.
  void FillInspectNode(uint32_t index, idl::inspect::Node* out) const;
  // The service directory's Open (system/idl/directory.idl): the table's
  // answer, then UNAVAILABLE if the driver's link is already closed; on
  // MICA_OK the channel went to the driver in a Connect event.
  mica_status_t OpenService(const char* service_class, uint32_t instance, const char* protocol,
                            uint16_t version, mica::Channel channel);
  const ServiceTable& services() const { return services_; }
  // The service `service_class` of the devicetree node whose phandle is
  // `phandle` (Manager.ConnectPhandle by the driver of node `consumer`),
  // refused as OpenService refuses. Records the consumer/provider link
  // (Node::providers) once the provider's service is found.
  mica_status_t ConnectPhandle(uint32_t consumer, uint32_t phandle, const char* service_class,
                               const char* protocol, uint16_t version, mica::Channel channel);

 private:
  uint32_t AddDtNode(fdt::Node dt, uint32_t parent, uint32_t depth);
  // Adds (or re-adds) a child of `parent` and starts its driver: its index
  // in *index. INVALID_ARGS (a malformed description or a path, not a
  // name), ALREADY_EXISTS (a live sibling has that name), OUT_OF_RANGE
  // (deeper than kMaxAddedDepth), NO_RESOURCES (kMaxChildren,
  // kMaxAddedNodes or the node table reached).
  mica_status_t AddChildNode(uint32_t parent, const uint8_t* description, uint32_t size,
                             uint32_t* index);
  // Whether a refusal for node `index`'s driver is still worth a line:
  // the first few per start, so no driver floods the console.
  bool LogRefusal(uint32_t index);
  void Match(uint32_t index);
  void Start(uint32_t index);
  const Node* ResourceSource(uint32_t index) const;
  bool Launch(uint32_t index, char* why, size_t size);
  // True if a node's driver file `binary` already passed Launch's CRC
  // check (the bootfs is mapped read-only: one check holds for every node
  // the same driver binds, e.g. the 32 virtio-mmio transports of QEMU virt).
  bool BinaryChecked(const char* binary) const;
  // The node /chosen/stdout-path names (the kernel's console UART).
  bool IsConsoleNode(uint32_t index) const;
  bool GrantConsole(uint32_t index, mica_handle_t* handles, uint32_t* info, uint32_t* count,
                    char* why, size_t size);
  // Appends a duplicate of the node's BTI (made at its first start, start.h
  // MICA_DRIVER_HANDLE_BTI).
  bool GrantBti(Node& n, mica_handle_t* handles, uint32_t* info, uint32_t* count, char* why,
                size_t size);
  void WatchProcess(uint32_t index);
  void OnTerminated(uint32_t index, uint32_t generation);
  void SchedulePing(uint32_t index);
  void Ping(uint32_t index, uint32_t generation);
  // Calls the driver's Driver.Start; its answer marks the node ready.
  void SendStart(uint32_t index);
  // True once no bound node is still binding (see StartThen).
  bool Settled() const;
  void LaunchThen();
  void Stop(uint32_t index);
  void Failed(uint32_t index, const char* reason, dm::FailureReason why, uint64_t koid);
  void RemoveChildren(uint32_t index);
  // Publishes `service_class` for node `index`: its instance number.
  mica_status_t Publish(uint32_t index, const char* service_class, const char* protocol,
                        uint16_t version, uint32_t* instance);
  friend class ManagerLink;
  // Hands `channel` to node `index`'s driver (a Connect event); BAD_STATE
  // if its link is closed.
  mica_status_t SendConnect(uint32_t index, const char* service_class, uint32_t instance,
                            mica::Channel channel);
  // Serves the service directory on `channel` (directory.cc).
  void ServeDirectory(mica::Channel channel);
  friend class PowerLink;
  // power.cc: a Power channel for the driver of `index` (`grant power`),
  // the driver's end in *theirs.
  mica_status_t MakePowerLink(uint32_t index, mica::Handle* theirs);
  void DropPowerLink(uint32_t index);
  // The `drivers.then=` program's Power channel (the shell's poweroff and
  // reboot); its Shutdown is asked by kThenAsker.
  static constexpr uint32_t kThenAsker = UINT32_MAX;
  mica_status_t MakeThenPowerLink(mica::Handle* theirs);
  // Serves power.Power on `channel` (the Outgoing's power.Power, as a
  // component: what the `drivers.then=` program gets otherwise); its
  // Shutdown is asked by kRoutedAsker (component.Outgoing's Connect does
  // not say who the client is).
  static constexpr uint32_t kRoutedAsker = UINT32_MAX - 1;
  void ServePower(mica::Channel channel);
  // A clean shutdown asked by the driver of `index`: logs why, stops every
  // driver (children before parents), then system_power(action). Returns
  // only if the kernel refused (the status).
  mica_status_t Shutdown(uint32_t index, uint32_t action);
  // Asks one driver to stop (Driver.Stop), kills it if it has not ended
  // within the grace period, and logs how it ended.
  void StopForShutdown(uint32_t index);
  // Node `consumer` opened a service of node `provider` (power.cc).
  void LinkProvider(uint32_t consumer, uint32_t provider);
  // Stops every running driver, dependents before what they depend on
  // (lib/shutdown_order.h).
  void StopAllForShutdown();
  bool stop_pending_[kMaxNodes] = {};  // StopInOrder's scratch
  // Power.ShuttingDown to every driver holding a Power connection.
  void TellShuttingDown(uint32_t action);
  bool shutting_down_ = false;
  void ServeDevices();
  // drivers.kill=: task_kill a driver's process from outside, later.
  void KillLater();
  uint64_t QuietKernelFree(uint64_t* vmo_mmu);
  // The fault campaign (campaign.cc, drivers.inject= and drivers.kmem-ms=).
  // The `inject=<fault>` argument for this start of node n, if it gets one.
  bool InjectArgument(Node& n, char* arg, size_t size);
  // After a start: the manager's part of the start's fault (the kill of
  // `kill` and `stall`) and the memory reading, if asked.
  void AfterStart(uint32_t index);
  void InjectedKill(uint32_t index, uint32_t generation);
  void KernelMemoryReading(uint32_t index, uint32_t generation);
  // Between an end and the restart (the instance is gone, the next not
  // started): the reading that must come back exactly.
  void KernelMemoryAfterEnd(uint32_t index);
  bool IsMemoryTarget(const Node& n) const;
  void PrintKernelMemory(const char* when, uint32_t count, const Node& n);
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
  uint32_t added_count_ = 0;  // nodes drivers added (kMaxAddedNodes)
  ServiceTable services_;
  mica::Handle then_process_;
  mica::component::Outgoing* outgoing_ = nullptr;  // ServeOutgoing
  bool then_waiting_ = false;                      // StartThen waits for Settled()
};

}  // namespace driver_manager
