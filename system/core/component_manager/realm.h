// The servers the manager runs per connection (manager.h): a component's
// Namespace, and component.Realm (the tree, start, stop, run, exit codes).
#pragma once

#include <idl/component_ipc.h>

#include "system/core/component_manager/manager.h"

namespace component_manager {

// Serves one instance's MICA_BOOTSTRAP_SVC channel; owned by its
// Component (deleted when the instance ends).
class NamespaceImpl final : public idl::component::NamespaceServer {
 public:
  NamespaceImpl(Manager* manager, uint32_t index, mica::Channel channel)
      : NamespaceServer(manager->loop(), static_cast<mica::Channel&&>(channel)),
        manager_(manager),
        index_(index) {}
  void Open(idl::component::Namespace::OpenRequest& req, OpenCompleter done) override;

 private:
  Manager* manager_;
  uint32_t index_;
};

// One Realm connection; deletes itself when its client goes away, with
// the calls it still holds (Stop and WaitExit answer later).
class RealmImpl final : public idl::component::RealmServer {
 public:
  static constexpr uint32_t kMaxWaits = 8;
  RealmImpl(Manager* manager, mica::Channel channel);
  ~RealmImpl() override;
  // Starts serving; the object deletes itself when the connection ends.
  void Serve();

  void List(idl::component::Realm::ListRequest& req, ListCompleter done) override;
  void Start(idl::component::Realm::StartRequest& req, StartCompleter done) override;
  void Stop(idl::component::Realm::StopRequest& req, StopCompleter done) override;
  void Run(idl::component::Realm::RunRequest& req, RunCompleter done) override;
  void WaitExit(idl::component::Realm::WaitExitRequest& req, WaitExitCompleter done) override;

  // Something ended: answers the pending calls that can be answered.
  void OnChange();
  RealmImpl* next = nullptr;

 private:
  struct StopWait {
    bool used = false;
    uint32_t index = 0;
    uint64_t uid = 0;
    StopCompleter done;
  };
  struct ExitWait {
    bool used = false;
    uint32_t index = 0;
    uint64_t uid = 0;
    uint32_t generation = 0;
    WaitExitCompleter done;
  };
  Manager* manager_;
  StopWait stops_[kMaxWaits];
  ExitWait exits_[kMaxWaits];
};

}  // namespace component_manager
