// The component manager proper (docs/components.md, "Runtime"): the tree
// of components built from meta/root.cm, each running in a process and job
// of its own with a namespace of exactly what it uses; routing Open to the
// provider (starting it if lazy), lifecycle (stop, kill after a timeout,
// restart with backoff or failed, ignore, reboot), collections, and the
// component.Realm protocol. Everything runs on one mica::async::Loop thread.
//
// Console lines (stable; tests rely on them), after the debug log's
// `component-manager(<koid>): ` prefix:
//   component: started <moniker> (process <koid>)
//   component: cannot start <moniker>: <why>
//   component: <moniker> cannot open <capability>: <broken hop>
//   component: <moniker> (process <koid>) <reason>; restart <n> in <ms> ms
//   component: <moniker> (process <koid>) <reason>; not restarted (<policy>)
//   component: failed <moniker>: <reason>; gave up after <n> restarts
//   component: stopped <moniker> (process <koid>): <reason>
//   component: <moniker> did not stop within <ms> ms: killed
//   component: <moniker> asks for a reboot: <reason>
// <reason>: `exited with status <n>`, `was killed`, `crashed (fault at
// 0x<far>, esr 0x<esr>)`.
#pragma once

#include <idl/component_ipc.h>
#include <idl/log_ipc.h>
#include <mica/async/loop.h>
#include <mica/cpp/handle.h>
#include <stddef.h>
#include <stdint.h>

#include "images/bootfs/bootfs.h"
#include "system/core/component_manager/lib/manifest.h"
#include "system/core/component_manager/lib/options.h"
#include "system/core/component_manager/lib/route.h"
#include "system/core/driver_manager/lib/restart_policy.h"

namespace component_manager {

inline constexpr uint32_t kMaxComponents = 128;
inline constexpr uint32_t kMaxDepth = 16;
inline constexpr uint32_t kMonikerSize = 256;
inline constexpr uint32_t kMaxPending = 8;  // connects queued for a restarting provider

using Options = cm::Options;

enum class State : uint8_t { kStopped, kStarting, kRunning, kFailed };

class NamespaceImpl;
class RealmImpl;

struct PendingConnect {
  char name[cm::kMaxName + 1];
  mica::Channel channel;
  // A log.Sink attached through the provider's log.Admin
  // (cm::AttachesLogSink) as the opener's log moniker and process koid.
  bool attach = false;
  char moniker[idl::log::MAX_MONIKER + 1] = {};
  uint64_t pid = 0;
};

struct Component {
  bool used = false;  // the slot holds a component
  uint64_t uid = 0;   // unique over the manager's life
  uint32_t parent = cm::kNoNode;
  uint32_t depth = 0;
  char name[cm::kMaxChildName + 16] = {};       // child name (a collection child's instance)
  char collection[cm::kMaxChildName + 1] = {};  // non-empty: a child of that collection
  char moniker[kMonikerSize] = {};
  cm::Startup startup = cm::Startup::kLazy;
  cm::OnTerminate on_terminate = cm::OnTerminate::kRestart;
  // The manifest (nullptr: a bare program from Realm.Run, `binary` + args).
  cm::Manifest* manifest = nullptr;
  char manifest_path[cm::kMaxString + 1] = {};
  char binary[cm::kMaxString + 1] = {};
  char* args = nullptr;  // a bare program's arguments, NUL-separated
  uint32_t argc = 0;
  mica::Handle stdout_log;  // Realm.Run's stdout (duplicated at each start)

  State state = State::kStopped;
  bool stopping = false;  // a requested stop: its end is not a failure
  uint32_t generation = 0;
  mica::Handle job;
  mica::Handle process;
  uint64_t koid = 0;
  uint64_t last_koid = 0;
  mica::async::WaitId process_wait = 0;
  NamespaceImpl* ns = nullptr;
  idl::component::OutgoingSyncClient* outgoing = nullptr;
  idl::component::LifecycleSyncClient* lifecycle = nullptr;
  // A log provider's log.Admin, opened at its first attach (per instance).
  idl::log::AdminAsyncClient* log_admin = nullptr;
  dm::RestartTracker* tracker = nullptr;
  bool has_exited = false;
  int64_t last_exit = 0;
  PendingConnect* pending[kMaxPending] = {};
  uint32_t pending_count = 0;
};

class Manager final : public cm::Topology {
 public:
  Manager(const bootfs::Image& fs, mica_handle_t bootfs_vmo, const Options& opts);

  // Builds the static tree from opts.root; false if the root manifest
  // cannot be read (logged).
  bool Load();
  // Starts the root (and, through it, every eager child); runs the loop
  // until opts.exit_with ends: the exit status.
  int Run();

  // The kernel objects the manager serves as the root's parent besides the
  // bootfs and the root job (kernel_caps.h: kernel.Devicetree; the root
  // resource behind kernel.RootResource, kernel.ManageResource,
  // kernel.DebugLog) and uses itself (a reboot's power resource).
  void SetSystemHandles(mica_handle_t dtb, mica_handle_t root_resource);

  // cm::Topology.
  const cm::Manifest* ManifestOf(uint32_t node) const override;
  uint32_t Parent(uint32_t node) const override;
  cm::Str OfferName(uint32_t node) const override;
  uint32_t Child(uint32_t node, const cm::Str& name) const override;
  void Moniker(uint32_t node, char* buf, size_t size) const override;

  // Namespace.Open for component `index`: routes `channel` (Namespace).
  mica_status_t Open(uint32_t index, const char* path, size_t len, mica::Channel channel);

  // Realm.
  uint32_t Find(const char* moniker, size_t len) const;
  // Tree order (a parent before its children): the count, indices in *out.
  uint32_t TreeOrder(uint32_t* out) const;
  void Fill(uint32_t index, idl::component::Component* out) const;
  mica_status_t StartComponent(uint32_t index);
  // Stops the component and everything below it (collection children
  // too; they stay listed until Realm.WaitExit collects them). Done when
  // SubtreeStopped(index) is true.
  void StopTree(uint32_t index);
  bool SubtreeStopped(uint32_t index) const;
  // Realm.Run: a new child of the collection named by `collection`.
  mica_status_t RunInCollection(const char* collection, size_t collection_len, const char* target,
                                size_t target_len, const char* const* args, uint32_t argc,
                                mica::Handle stdout_log, uint32_t* index);
  const Component& component(uint32_t index) const { return comps_[index]; }
  // A collection child whose exit code has been collected: removed.
  void Collected(uint32_t index);
  mica::async::Loop* loop() { return &loop_; }

  // Realm servers to tell about ends (their pending calls).
  void AddRealm(RealmImpl* realm);
  void RemoveRealm(RealmImpl* realm);

 private:
  uint32_t NewSlot();
  // Adds a child of `parent` from its manifest (recursively its static
  // children); kNoNode if the tree is full or too deep.
  uint32_t AddFromManifest(uint32_t parent, const char* name, const char* collection,
                           const char* manifest_path, cm::Startup startup,
                           cm::OnTerminate on_terminate);
  bool LoadManifest(Component& c, const char* path);
  void MakeMoniker(uint32_t index);
  // A component's startup log sink while it is launched: the server end
  // and its route (LogSinkRoute).
  struct LogSinkLaunch {
    Manager* manager = nullptr;
    uint32_t index = 0;
    cm::RouteResult route;
    mica::Channel server;
  };
  // Starts the program; `log_sink` (if valid) is given as its
  // MICA_BOOTSTRAP_LOG_SINK, and sink->server is attached before the
  // process starts if its provider runs (BeforeStart).
  bool Launch(uint32_t index, mica::Channel log_sink, LogSinkLaunch* sink, char* why, size_t size);
  static void BeforeStart(void* ctx, uint64_t koid);
  // The route of component `index`'s use of log.Sink if it ends at a
  // provider that attaches sinks and has not failed (cm::AttachesLogSink).
  bool LogSinkRoute(uint32_t index, cm::RouteResult* route);
  // Hands `channel` to the provider `route` found for `opener` (queued
  // until it runs; started if it is lazy): Outgoing.Connect, or for a
  // log.Sink its log.Admin's AttachSink.
  mica_status_t Connect(uint32_t opener, const cm::RouteResult& route, mica::Channel channel);
  void SendPending(uint32_t provider, PendingConnect* pc);
  idl::log::AdminAsyncClient* LogAdmin(uint32_t provider);
  void StartEagerChildren(uint32_t index);
  void WatchProcess(uint32_t index);
  void OnTerminated(uint32_t index, uint32_t generation);
  void EndInstance(uint32_t index);
  void StopOne(uint32_t index);
  void Restart(uint32_t index, const char* reason, uint64_t koid);
  void Reboot(uint32_t index, const char* reason);
  void FlushPending(uint32_t index);
  void DropPending(uint32_t index);
  void Remove(uint32_t index);
  void NotifyRealms();
  void ExitWith(int64_t status, uint32_t index);

  const bootfs::Image& fs_;
  mica_handle_t bootfs_vmo_;
  Options opts_;
  mica::async::Loop loop_;
  Component comps_[kMaxComponents];
  uint64_t next_uid_ = 1;
  uint32_t run_counter_ = 0;
  RealmImpl* realms_ = nullptr;
  mica::Handle dtb_;
  mica::Handle root_resource_;
  int exit_status_ = 0;
  bool exiting_ = false;
};

}  // namespace component_manager
