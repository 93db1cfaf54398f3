// The driver manager proper (docs/drivers.md): the node tree, starting a
// driver per matched node in a process and job of its own, watching it,
// restarting it with backoff, and serving children, services and
// inspection. Everything runs on one mica::async::Loop thread.
//
// Console lines (stable; tests and users rely on them), after the debug
// log's `driver-manager(<koid>): ` prefix:
//   driver: bound <path> to <driver> (process <koid>)
//   driver: <path> (<driver>, process <koid>) <reason>; restart <n> in <ms> ms
//   driver: failed <path> (<driver>): <reason>; <n> failures in <ms> ms
//   driver: cannot start <path> (<driver>): <why>
//   driver: published <class>/<instance> v<version> by <path>
//   driver-manager: <b> nodes bound, <u> unbound
// <reason> is one of: `crashed (fault at 0x<far>, esr 0x<esr>)`,
// `exited with status <n>`, `was killed`, `missed its liveness check`.
#pragma once

#include <mica/async/loop.h>
#include <mica/cpp/handle.h>
#include <stddef.h>
#include <stdint.h>

#include "devicetree/lib/fdt.h"
#include "images/bootfs/bootfs.h"
#include "system/core/driver_manager/node.h"
#include "system/core/driver_manager/options.h"

namespace driver_manager {

// Restart policy (docs/drivers.md, "Failure"): the k-th failure within
// kFailWindowMs waits min(kBackoffBaseMs << (k - 1), kBackoffMaxMs) before
// the restart; the kFailureWindow-th failure within the window marks the
// node failed.
inline constexpr uint64_t kBackoffBaseMs = 5;
inline constexpr uint64_t kBackoffMaxMs = 2000;
inline constexpr uint64_t kFailWindowMs = 10000;

struct Service {
  char service_class[mica::driver::wire::kClassNameSize] = {};
  uint32_t instance = 0;
  uint32_t version = 0;
  uint32_t node = kNoNode;
  bool live = false;
};
inline constexpr uint32_t kMaxServices = 64;

class Manager {
 public:
  Manager(const fdt::Fdt& dt, const bootfs::Image& fs, mica_handle_t bootfs_vmo,
          mica_handle_t root_resource, const Options& opts);

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
  mica_status_t Connect(const char* service_class, uint32_t instance, mica::Handle channel);

 private:
  uint32_t AddDtNode(fdt::Node dt, uint32_t parent, uint32_t depth);
  uint32_t AddChildNode(uint32_t parent, const uint8_t* description, uint32_t size);
  void Match(uint32_t index);
  void Start(uint32_t index);
  bool Launch(uint32_t index, char* why, size_t size);
  void WatchProcess(uint32_t index);
  void WatchChannel(uint32_t index);
  void OnTerminated(uint32_t index, uint32_t generation);
  void OnDriverMessages(uint32_t index);
  void SchedulePing(uint32_t index);
  void Ping(uint32_t index, uint32_t generation);
  void Stop(uint32_t index);
  void Failed(uint32_t index, const char* reason);
  void RemoveChildren(uint32_t index);
  void Publish(uint32_t index, const mica::driver::wire::PublishMessage& m);
  void ServeDevices();

  const fdt::Fdt& dt_;
  const bootfs::Image& fs_;
  mica_handle_t bootfs_vmo_;
  mica_handle_t root_;
  Options opts_;
  mica::async::Loop loop_;
  Node* nodes_[kMaxNodes] = {};
  uint32_t node_count_ = 0;
  Service services_[kMaxServices];
  uint32_t service_count_ = 0;
  mica::Handle then_process_;
  mica::Handle devices_;  // the inspection channel's manager end
};

}  // namespace driver_manager
