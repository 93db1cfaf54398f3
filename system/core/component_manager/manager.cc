// See manager.h. This file: the tree, starting and ending components,
// routing; realm.cc: the Namespace and Realm servers.
#include "system/core/component_manager/manager.h"

#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/core/component_manager/kernel_caps.h"
#include "system/core/component_manager/lib/log_sink.h"
#include "system/core/component_manager/realm.h"
#include "system/core/userboot/launch.h"

namespace component_manager {

namespace {

constexpr mica_duration_t kMs = 1000000;

// Restarts: immediate first, then 10 ms doubling to 2 s; more than 5 in
// 30 s is failed (the driver manager's defaults, lib/restart_policy.h).
dm::RestartPolicy ComponentPolicy() {
  return dm::RestartPolicy();
}

void DescribeEnd(const mica_info_process_t& info, char* buf, size_t size) {
  if (info.flags & MICA_INFO_PROCESS_FLAG_FAULTED) {
    snprintf(buf, size, "crashed (fault at 0x%llx, esr 0x%x)",
             static_cast<unsigned long long>(info.fault_address), info.fault_esr);
  } else if (info.flags & MICA_INFO_PROCESS_FLAG_KILLED) {
    snprintf(buf, size, "was killed");
  } else {
    snprintf(buf, size, "exited with status %lld", static_cast<long long>(info.return_code));
  }
}

}  // namespace

Manager::Manager(const bootfs::Image& fs, mica_handle_t bootfs_vmo, const Options& opts)
    : fs_(fs), bootfs_vmo_(bootfs_vmo), opts_(opts) {}

void Manager::SetSystemHandles(mica_handle_t dtb, mica_handle_t root_resource) {
  dtb_.reset(dtb);
  root_resource_.reset(root_resource);
}

// --- the tree ---------------------------------------------------------

const cm::Manifest* Manager::ManifestOf(uint32_t node) const {
  return comps_[node].manifest;
}

uint32_t Manager::Parent(uint32_t node) const {
  return comps_[node].parent;
}

cm::Str Manager::OfferName(uint32_t node) const {
  const Component& c = comps_[node];
  cm::Str s;
  s.data = c.collection[0] != '\0' ? c.collection : c.name;
  s.size = static_cast<uint16_t>(strlen(s.data));
  return s;
}

uint32_t Manager::Child(uint32_t node, const cm::Str& name) const {
  for (uint32_t i = 0; i < kMaxComponents; i++) {
    const Component& c = comps_[i];
    if (c.used && c.parent == node && c.collection[0] == '\0' && name.Equals(c.name)) {
      return i;
    }
  }
  return cm::kNoNode;
}

void Manager::Moniker(uint32_t node, char* buf, size_t size) const {
  snprintf(buf, size, "%s", comps_[node].moniker);
}

void Manager::MakeMoniker(uint32_t index) {
  Component& c = comps_[index];
  if (c.parent == cm::kNoNode) {
    snprintf(c.moniker, sizeof(c.moniker), "/");
    return;
  }
  const char* up = comps_[c.parent].moniker;
  const char* sep = strcmp(up, "/") == 0 ? "" : "/";
  if (c.collection[0] != '\0') {
    snprintf(c.moniker, sizeof(c.moniker), "%s%s%s:%s", up, sep, c.collection, c.name);
  } else {
    snprintf(c.moniker, sizeof(c.moniker), "%s%s%s", up, sep, c.name);
  }
}

uint32_t Manager::Find(const char* moniker, size_t len) const {
  for (uint32_t i = 0; i < kMaxComponents; i++) {
    if (comps_[i].used && strlen(comps_[i].moniker) == len &&
        memcmp(comps_[i].moniker, moniker, len) == 0) {
      return i;
    }
  }
  return cm::kNoNode;
}

uint32_t Manager::TreeOrder(uint32_t* out) const {
  // Depth-first from the root; children in slot order (the manifest's
  // order for static children, creation order for collection children).
  uint32_t count = 0;
  uint32_t stack[kMaxComponents];
  uint32_t top = 0;
  if (comps_[0].used) {
    stack[top++] = 0;
  }
  while (top > 0) {
    uint32_t i = stack[--top];
    out[count++] = i;
    for (uint32_t k = kMaxComponents; k-- > 0;) {  // pushed in reverse: popped in order
      if (comps_[k].used && comps_[k].parent == i && top < kMaxComponents) {
        stack[top++] = k;
      }
    }
  }
  return count;
}

uint32_t Manager::NewSlot() {
  for (uint32_t i = 0; i < kMaxComponents; i++) {
    if (!comps_[i].used) {
      return i;
    }
  }
  return cm::kNoNode;
}

bool Manager::LoadManifest(Component& c, const char* path) {
  bootfs::File f;
  if (!fs_.Find(path, &f)) {
    printf("component: %s: no manifest %s in the bootfs\n", c.moniker, path);
    return false;
  }
  if (!fs_.CheckFile(f)) {
    printf("component: %s: manifest %s: its checksum does not match\n", c.moniker, path);
    return false;
  }
  cm::Manifest* m = new cm::Manifest;
  cm::Error err;
  if (cm::ParseManifest(f.data, f.size, m, &err) != cm::Status::kOk) {
    printf("component: %s: manifest %s: %s\n", c.moniker, path, err.message);
    delete m;
    return false;
  }
  c.manifest = m;
  return true;
}

uint32_t Manager::AddFromManifest(uint32_t parent, const char* name, const char* collection,
                                  const char* manifest_path, cm::Startup startup,
                                  cm::OnTerminate on_terminate) {
  uint32_t depth = parent == cm::kNoNode ? 0 : comps_[parent].depth + 1;
  uint32_t index = NewSlot();
  if (index == cm::kNoNode || depth > kMaxDepth) {
    printf("component: cannot add %s under %s: %s\n", name,
           parent == cm::kNoNode ? "(none)" : comps_[parent].moniker,
           index == cm::kNoNode ? "the tree is full" : "too deep");
    return cm::kNoNode;
  }
  Component& c = comps_[index];
  c = Component();
  c.used = true;
  c.uid = next_uid_++;
  c.parent = parent;
  c.depth = depth;
  snprintf(c.name, sizeof(c.name), "%s", name);
  snprintf(c.collection, sizeof(c.collection), "%s", collection);
  snprintf(c.manifest_path, sizeof(c.manifest_path), "%s", manifest_path);
  c.startup = startup;
  c.on_terminate = on_terminate;
  MakeMoniker(index);
  if (!LoadManifest(c, manifest_path)) {
    c.state = State::kFailed;  // listed, never started; nothing else is affected
    return index;
  }
  if (c.manifest->has_program) {
    snprintf(c.binary, sizeof(c.binary), "%.*s", c.manifest->program.binary.size,
             c.manifest->program.binary.data);
  }
  for (uint32_t i = 0; i < c.manifest->child_count; i++) {
    const cm::Child& k = c.manifest->children[i];
    char kname[cm::kMaxChildName + 1];
    char kpath[cm::kMaxString + 1];
    snprintf(kname, sizeof(kname), "%.*s", k.name.size, k.name.data);
    snprintf(kpath, sizeof(kpath), "%.*s", k.manifest.size, k.manifest.data);
    AddFromManifest(index, kname, "", kpath, k.startup, k.on_terminate);
  }
  return index;
}

bool Manager::Load() {
  uint32_t root = AddFromManifest(cm::kNoNode, "", "", opts_.root, cm::Startup::kEager,
                                  cm::OnTerminate::kIgnore);
  if (root != 0 || comps_[0].manifest == nullptr) {
    printf("component-manager: cannot load the root manifest %s\n", opts_.root);
    return false;
  }
  uint32_t n = 0;
  for (const Component& c : comps_) {
    n += c.used ? 1 : 0;
  }
  printf("component-manager: %u components from %s\n", n, opts_.root);
  return true;
}

void Manager::Remove(uint32_t index) {
  Component& c = comps_[index];
  for (uint32_t i = 0; i < kMaxComponents; i++) {
    if (comps_[i].used && comps_[i].parent == index) {
      Remove(i);
    }
  }
  EndInstance(index);
  DropPending(index);
  delete c.manifest;
  delete c.tracker;
  free(c.args);
  c = Component();
}

void Manager::Collected(uint32_t index) {
  Component& c = comps_[index];
  if (c.used && c.collection[0] != '\0' && c.state != State::kRunning &&
      c.state != State::kStarting) {
    Remove(index);
  }
}

// --- starting -----------------------------------------------------------

bool Manager::Launch(uint32_t index, mica::Channel log_sink, LogSinkLaunch* sink, char* why,
                     size_t size) {
  Component& c = comps_[index];
  mica::Handle job;
  mica::Channel svc_mine, svc_theirs, out_mine, out_theirs, life_mine, life_theirs;
  mica_status_t s = mica_job_create(mica_rt_job_default(), 0, job.reset_and_get_address());
  if (s == MICA_OK) {
    job.set_name(c.name[0] != '\0' ? c.name : "root", strlen(c.name[0] != '\0' ? c.name : "root"));
    s = mica::Channel::Create(0, &svc_mine, &svc_theirs);
  }
  if (s == MICA_OK) {
    s = mica::Channel::Create(0, &out_mine, &out_theirs);
  }
  if (s == MICA_OK) {
    s = mica::Channel::Create(0, &life_mine, &life_theirs);
  }
  if (s != MICA_OK) {
    snprintf(why, size, "status %d", static_cast<int>(s));
    return false;
  }
  mica_handle_t handles[10];
  uint32_t info[10];
  uint32_t count = 0;
  handles[count] = svc_theirs.release();
  info[count++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_SVC, 0);
  handles[count] = out_theirs.release();
  info[count++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_OUTGOING, 0);
  handles[count] = life_theirs.release();
  info[count++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_LIFECYCLE, 0);
  if (log_sink.is_valid()) {
    handles[count] = log_sink.release();
    info[count++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_LOG_SINK, 0);
  }
  auto grant = [&](mica_handle_t h, uint32_t kind) {
    mica_handle_t dup = MICA_HANDLE_INVALID;
    if (h != MICA_HANDLE_INVALID &&
        mica_handle_duplicate(h, MICA_RIGHT_SAME_RIGHTS, &dup) == MICA_OK) {
      handles[count] = dup;
      info[count++] = MICA_BOOTSTRAP_HANDLE_INFO(kind, 0);
    }
  };
  if (c.stdout_log) {
    grant(c.stdout_log.get(), MICA_BOOTSTRAP_DEBUGLOG);
  }
  // argv: the binary, the manifest's arguments, then Realm.Run's.
  const char* argv[1 + cm::kMaxArgs + idl::component::MAX_ARGS];
  char argbuf[2048];
  uint32_t argc = 0;
  argv[argc++] = c.binary;
  size_t used = 0;
  if (c.manifest != nullptr) {
    for (uint32_t i = 0; i < c.manifest->program.argc && argc < 1 + cm::kMaxArgs; i++) {
      cm::Str a;
      if (!c.manifest->Arg(i, &a) || used + a.size + 1 > sizeof(argbuf)) {
        break;
      }
      memcpy(argbuf + used, a.data, a.size);
      argbuf[used + a.size] = '\0';
      argv[argc++] = argbuf + used;
      used += a.size + 1;
    }
  }
  const char* p = c.args;
  for (uint32_t i = 0; i < c.argc && argc < sizeof(argv) / sizeof(argv[0]); i++) {
    argv[argc++] = p;
    p += strlen(p) + 1;
  }
  userboot::LaunchSpec spec;
  spec.path = c.binary;
  spec.name =
      nullptr;  // the binary's base name: a program's log prefix is the same under the manager
  spec.argv = argv;
  spec.argc = argc;
  spec.job = job.get();
  spec.bootfs_vmo = bootfs_vmo_;
  spec.handles = handles;
  spec.info = info;
  spec.handle_count = count;
  if (sink->server.is_valid()) {
    spec.before_start = &Manager::BeforeStart;
    spec.before_start_ctx = sink;
  }
  mica::Handle process;
  if (!userboot::Launch(fs_, spec, &process, nullptr, why, size)) {
    c.koid = 0;  // BeforeStart may have set it
    return false;
  }
  mica_info_handle_basic_t basic = {};
  (void)process.get_info(MICA_INFO_HANDLE_BASIC, &basic, sizeof(basic), nullptr, nullptr);
  c.koid = basic.koid;
  c.job = static_cast<mica::Handle&&>(job);
  c.process = static_cast<mica::Handle&&>(process);
  c.ns = new NamespaceImpl(this, index, static_cast<mica::Channel&&>(svc_mine));
  c.ns->Begin();
  c.outgoing = new idl::component::OutgoingSyncClient(static_cast<mica::Channel&&>(out_mine));
  c.lifecycle = new idl::component::LifecycleSyncClient(static_cast<mica::Channel&&>(life_mine));
  return true;
}

void Manager::BeforeStart(void* ctx, uint64_t koid) {
  // The attach goes out before the process runs, so the log service has it
  // before any line the process writes (docs/components.md, "Logs"). A
  // provider that is not running is left for StartComponent (starting one
  // here would nest a launch in this one).
  auto* sink = static_cast<LogSinkLaunch*>(ctx);
  Manager* m = sink->manager;
  m->comps_[sink->index].koid = koid;  // Connect names the opener by it
  if (m->comps_[sink->route.provider].state == State::kRunning) {
    (void)m->Connect(sink->index, sink->route, static_cast<mica::Channel&&>(sink->server));
  }
}

mica_status_t Manager::StartComponent(uint32_t index) {
  Component& c = comps_[index];
  if (exiting_) {
    return MICA_ERR_BAD_STATE;
  }
  if (c.state == State::kRunning || c.state == State::kStarting) {
    return MICA_OK;
  }
  if (c.manifest == nullptr && c.binary[0] == '\0') {
    return MICA_ERR_UNAVAILABLE;  // its manifest could not be read
  }
  // A component runs only inside a running parent.
  if (c.parent != cm::kNoNode && comps_[c.parent].state != State::kRunning) {
    mica_status_t s = StartComponent(c.parent);
    if (s != MICA_OK) {
      return s;
    }
    if (c.state == State::kRunning) {
      return MICA_OK;  // the parent started it (eager)
    }
  }
  c.stopping = false;
  if (c.state == State::kFailed) {
    delete c.tracker;  // Realm.Start of a failed component: a fresh history
    c.tracker = nullptr;
  }
  if (c.binary[0] == '\0') {
    c.state = State::kRunning;  // no program: only a realm for its children
    StartEagerChildren(index);
    return MICA_OK;
  }
  if (c.tracker == nullptr) {
    c.tracker = new dm::RestartTracker(ComponentPolicy());
  }
  c.generation++;
  // A component that uses log.Sink starts with one already attached (its
  // MICA_BOOTSTRAP_LOG_SINK): the log service knows its process, and so
  // names its stdout lines, before it has written anything
  // (docs/components.md, "Logs").
  LogSinkLaunch sink;
  sink.manager = this;
  sink.index = index;
  mica::Channel sink_client;
  if (LogSinkRoute(index, &sink.route)) {
    (void)mica::Channel::Create(0, &sink_client, &sink.server);
  }
  char why[160];
  if (!Launch(index, static_cast<mica::Channel&&>(sink_client), &sink, why, sizeof(why))) {
    printf("component: cannot start %s: %s\n", c.moniker, why);
    c.state = State::kFailed;
    DropPending(index);
    NotifyRealms();
    return MICA_ERR_UNAVAILABLE;
  }
  c.state = State::kRunning;
  c.tracker->OnStarted(static_cast<uint64_t>(mica::async::Loop::Now()));
  printf("component: started %s (process %llu)\n", c.moniker,
         static_cast<unsigned long long>(c.koid));
  if (sink.server.is_valid()) {
    // Its provider was not running: attached now (and started, if lazy).
    (void)Connect(index, sink.route, static_cast<mica::Channel&&>(sink.server));
  }
  WatchProcess(index);
  FlushPending(index);
  StartEagerChildren(index);
  return MICA_OK;
}

void Manager::StartEagerChildren(uint32_t index) {
  for (uint32_t i = 0; i < kMaxComponents; i++) {
    Component& k = comps_[i];
    if (k.used && k.parent == index && k.collection[0] == '\0' &&
        k.startup == cm::Startup::kEager && k.state == State::kStopped) {
      (void)StartComponent(i);
    }
  }
}

void Manager::WatchProcess(uint32_t index) {
  uint32_t gen = comps_[index].generation;
  loop_.BeginWait(
      comps_[index].process.get(), MICA_TASK_TERMINATED,
      [this, index, gen](mica_status_t status, mica_signals_t) {
        if (status == MICA_OK) {
          OnTerminated(index, gen);
        }
      },
      &comps_[index].process_wait);
}

// --- routing ------------------------------------------------------------

mica_status_t Manager::Open(uint32_t index, const char* path, size_t len, mica::Channel channel) {
  cm::RouteResult r;
  cm::Route(*this, index, path, len, &r);
  if (r.kind == cm::RouteKind::kFailed) {
    printf("component: %s\n", r.why);
    return MICA_ERR_NOT_FOUND;
  }
  if (r.kind == cm::RouteKind::kRootParent) {
    // The root's parent: the manager's kernel.* protocols.
    KernelObjects objects;
    objects.root_job = mica_rt_job_default();
    objects.root_resource = root_resource_.get();
    objects.bootfs = bootfs_vmo_;
    objects.dtb = dtb_.get();
    if (ServeKernelProtocol(&loop_, objects, r.capability.data, r.capability.size,
                            static_cast<mica::Channel&&>(channel)) != MICA_OK) {
      printf("component: %s cannot open %.*s: not offered to the root, which has no parent\n",
             comps_[index].moniker, r.capability.size, r.capability.data);
      return MICA_ERR_NOT_FOUND;
    }
    return MICA_OK;
  }
  if (r.kind == cm::RouteKind::kFramework) {
    if (!r.capability.Equals("component.Realm")) {
      printf("component: %s cannot open %.*s: not a framework capability\n", comps_[index].moniker,
             r.capability.size, r.capability.data);
      return MICA_ERR_NOT_FOUND;
    }
    auto* realm = new RealmImpl(this, static_cast<mica::Channel&&>(channel));
    realm->Serve();
    return MICA_OK;
  }
  return Connect(index, r, static_cast<mica::Channel&&>(channel));
}

bool Manager::LogSinkRoute(uint32_t index, cm::RouteResult* route) {
  const cm::Manifest* m = comps_[index].manifest;
  const cm::Use implicit = cm::ImplicitLogSinkUse();
  const cm::Use* use = m == nullptr ? &implicit : nullptr;  // a bare program
  for (uint32_t i = 0; m != nullptr && i < m->use_count && use == nullptr; i++) {
    const cm::Use& u = m->uses[i];
    use = u.kind == cm::CapKind::kProtocol && u.name.Equals(cm::kLogSink) ? &u : nullptr;
  }
  if (use == nullptr) {
    return false;
  }
  cm::RouteUse(*this, index, use, route);
  return route->kind == cm::RouteKind::kProvider &&
         comps_[route->provider].state != State::kFailed &&
         cm::AttachesLogSink(comps_[route->provider].manifest, route->capability);
}

mica_status_t Manager::Connect(uint32_t opener, const cm::RouteResult& r, mica::Channel channel) {
  Component& p = comps_[r.provider];
  if (p.state == State::kFailed) {
    printf("component: %s cannot open %.*s: its provider %s has failed\n", comps_[opener].moniker,
           r.used.size, r.used.data, p.moniker);
    return MICA_ERR_UNAVAILABLE;
  }
  if (p.pending_count == kMaxPending) {
    return MICA_ERR_UNAVAILABLE;
  }
  // Queued, then sent once the provider runs (at once if it does).
  auto* pc = new PendingConnect;
  snprintf(pc->name, sizeof(pc->name), "%.*s", r.capability.size, r.capability.data);
  pc->channel = static_cast<mica::Channel&&>(channel);
  if (cm::AttachesLogSink(p.manifest, r.capability)) {
    // The opener's identity now: it may have ended by the time the
    // provider runs.
    pc->attach = true;
    cm::LogMoniker(comps_[opener].moniker, pc->moniker, sizeof(pc->moniker));
    pc->pid = comps_[opener].koid;
  }
  p.pending[p.pending_count++] = pc;
  if (p.state == State::kStopped) {
    mica_status_t s = StartComponent(r.provider);  // lazy: started on first use
    if (s != MICA_OK) {
      DropPending(r.provider);  // it (or an ancestor) cannot run: nothing waits for it
      return s;
    }
  }
  if (p.state == State::kRunning) {
    FlushPending(r.provider);
  }
  return MICA_OK;
}

void Manager::FlushPending(uint32_t index) {
  Component& p = comps_[index];
  // An instance that has just ended (its TERMINATED not handled yet) keeps
  // them for the next one: a connect sent to it would be lost.
  mica_signals_t seen = 0;
  if (p.state != State::kRunning || p.outgoing == nullptr ||
      mica_object_wait_one(p.process.get(), MICA_TASK_TERMINATED, MICA_TIME_INFINITE_PAST, &seen) ==
          MICA_OK ||
      mica_object_wait_one(p.outgoing->channel().get(), MICA_CHANNEL_PEER_CLOSED,
                           MICA_TIME_INFINITE_PAST, &seen) == MICA_OK) {
    return;
  }
  for (uint32_t i = 0; i < p.pending_count; i++) {
    SendPending(index, p.pending[i]);
    delete p.pending[i];
    p.pending[i] = nullptr;
  }
  p.pending_count = 0;
}

void Manager::SendPending(uint32_t provider, PendingConnect* pc) {
  Component& p = comps_[provider];
  if (!pc->attach) {
    idl::component::Outgoing::ConnectRequest req;
    req.name.Set(pc->name);
    req.channel = static_cast<mica::Channel&&>(pc->channel);
    (void)p.outgoing->Connect(req);  // one that ends now: its client sees PEER_CLOSED
    return;
  }
  // Asynchronous: the manager never waits for the log service (which may
  // itself be writing to a component that waits for the manager). A sink
  // that cannot be attached is closed: its writer falls back to the debug
  // log (docs/logging.md, "The API").
  idl::log::AdminAsyncClient* admin = LogAdmin(provider);
  idl::log::Admin::AttachSinkRequest req;
  req.moniker.Set(pc->moniker);
  req.pid = pc->pid;
  req.sink = static_cast<mica::Channel&&>(pc->channel);
  uint64_t pid = pc->pid;
  auto report = [this, pid](mica_status_t status) {
    const char* moniker = "(gone)";
    for (const Component& c : comps_) {
      moniker = c.used && pid != 0 && (c.koid == pid || c.last_koid == pid) ? c.moniker : moniker;
    }
    printf("component: cannot attach the log.Sink of %s (process %llu): status %d\n", moniker,
           static_cast<unsigned long long>(pid), static_cast<int>(status));
  };
  mica_status_t s =
      admin == nullptr
          ? MICA_ERR_UNAVAILABLE
          : admin->AttachSink(
                req, [report](mica_status_t status, idl::log::Admin::AttachSinkResponse* resp) {
                  if (status == MICA_OK && resp->status != MICA_OK) {
                    status = resp->status;
                  }
                  if (status != MICA_OK) {
                    report(status);
                  }
                });
  if (s != MICA_OK) {
    report(s);
    return;
  }
  // Written now, not with the loop's next port wait (a write from a
  // handler is deferred): the process it names may start before that
  // (BeforeStart), and the service must have the attach first.
  (void)loop_.FlushWrite(admin->channel().get());
}

idl::log::AdminAsyncClient* Manager::LogAdmin(uint32_t provider) {
  Component& p = comps_[provider];
  if (p.log_admin != nullptr && p.log_admin->is_open()) {
    return p.log_admin;
  }
  delete p.log_admin;  // the provider closed it
  p.log_admin = nullptr;
  mica::Channel mine, theirs;
  if (mica::Channel::Create(0, &mine, &theirs) != MICA_OK) {
    return nullptr;
  }
  idl::component::Outgoing::ConnectRequest req;
  req.name.Set(cm::kLogAdmin);
  req.channel = static_cast<mica::Channel&&>(theirs);
  if (p.outgoing->Connect(req) != MICA_OK) {
    return nullptr;
  }
  auto* admin = new idl::log::AdminAsyncClient(&loop_, static_cast<mica::Channel&&>(mine));
  if (admin->Begin() != MICA_OK) {
    delete admin;
    return nullptr;
  }
  p.log_admin = admin;
  return admin;
}

void Manager::DropPending(uint32_t index) {
  Component& p = comps_[index];
  for (uint32_t i = 0; i < p.pending_count; i++) {
    delete p.pending[i];
    p.pending[i] = nullptr;
  }
  p.pending_count = 0;
}

// --- ends -----------------------------------------------------------------

void Manager::EndInstance(uint32_t index) {
  Component& c = comps_[index];
  c.generation++;
  if (c.process_wait != 0) {
    loop_.CancelWait(c.process_wait);
    c.process_wait = 0;
  }
  delete c.ns;
  c.ns = nullptr;
  delete c.outgoing;
  c.outgoing = nullptr;
  delete c.lifecycle;
  c.lifecycle = nullptr;
  delete c.log_admin;  // its pending attaches end with the instance
  c.log_admin = nullptr;
  if (c.job) {
    (void)mica_task_kill(c.job.get());
  }
  c.job.reset();
  c.process.reset();
  if (c.koid != 0) {
    c.last_koid = c.koid;
  }
  c.koid = 0;
}

void Manager::OnTerminated(uint32_t index, uint32_t generation) {
  Component& c = comps_[index];
  if (c.generation != generation || c.state != State::kRunning) {
    return;
  }
  c.process_wait = 0;
  mica_info_process_t info = {};
  (void)c.process.get_info(MICA_INFO_PROCESS, &info, sizeof(info), nullptr, nullptr);
  char reason[96];
  DescribeEnd(info, reason, sizeof(reason));
  uint64_t koid = c.koid;
  c.has_exited = true;
  c.last_exit = info.return_code;
  EndInstance(index);
  bool clean = !(info.flags & (MICA_INFO_PROCESS_FLAG_FAULTED | MICA_INFO_PROCESS_FLAG_KILLED)) &&
               info.return_code == 0;
  if (opts_.exit_with != nullptr && strcmp(opts_.exit_with, c.moniker) == 0) {
    printf("component: stopped %s (process %llu): %s\n", c.moniker,
           static_cast<unsigned long long>(koid), reason);
    c.state = State::kStopped;
    ExitWith(info.return_code, index);
    return;
  }
  cm::OnTerminate policy = c.on_terminate;
  if (c.collection[0] != '\0' && c.parent != cm::kNoNode) {
    const cm::Manifest* pm = comps_[c.parent].manifest;
    cm::Str coll;
    coll.data = c.collection;
    coll.size = static_cast<uint16_t>(strlen(c.collection));
    const cm::Collection* col = pm != nullptr ? pm->FindCollection(coll) : nullptr;
    policy = col != nullptr ? col->on_terminate : cm::OnTerminate::kIgnore;
  }
  if (c.stopping) {
    c.stopping = false;
    c.state = State::kStopped;
    printf("component: stopped %s (process %llu): %s\n", c.moniker,
           static_cast<unsigned long long>(koid), reason);
  } else if (policy == cm::OnTerminate::kIgnore || clean) {
    c.state = State::kStopped;
    printf("component: %s (process %llu) %s; not restarted (%s)\n", c.moniker,
           static_cast<unsigned long long>(koid), reason,
           clean && policy != cm::OnTerminate::kIgnore ? "a clean exit" : "on_terminate ignore");
  } else if (policy == cm::OnTerminate::kReboot) {
    c.state = State::kFailed;
    Reboot(index, reason);
  } else {
    Restart(index, reason, koid);
  }
  NotifyRealms();
}

void Manager::Restart(uint32_t index, const char* reason, uint64_t koid) {
  Component& c = comps_[index];
  dm::RestartDecision d = c.tracker->OnFailure(static_cast<uint64_t>(mica::async::Loop::Now()),
                                               dm::FailureReason::kCrashed);
  if (d.state != dm::DriverState::kBackoff) {
    c.state = State::kFailed;
    DropPending(index);
    printf("component: failed %s: %s; gave up after %u restarts\n", c.moniker, reason,
           c.tracker->restart_count());
    return;
  }
  c.state = State::kStarting;
  printf("component: %s (process %llu) %s; restart %u in %llu ms\n", c.moniker,
         static_cast<unsigned long long>(koid), reason, c.tracker->restart_count(),
         static_cast<unsigned long long>(d.delay_ns / kMs));
  uint32_t gen = c.generation;
  auto again = [this, index, gen] {
    Component& m = comps_[index];
    if (m.used && m.generation == gen && m.state == State::kStarting) {
      m.state = State::kStopped;
      (void)StartComponent(index);
      NotifyRealms();
    }
  };
  if (d.delay_ns == 0) {
    loop_.PostTask(again);
  } else {
    loop_.PostTaskAfter(again, static_cast<mica_duration_t>(d.delay_ns));
  }
}

void Manager::Reboot(uint32_t index, const char* reason) {
  printf("component: %s asks for a reboot: %s\n", comps_[index].moniker, reason);
  mica::Handle power;
  mica_status_t s = root_resource_
                        ? mica_resource_create(root_resource_.get(), MICA_RSRC_KIND_SYSTEM,
                                               MICA_RSRC_SYSTEM_POWER, 1, "power", 5,
                                               power.reset_and_get_address())
                        : MICA_ERR_ACCESS_DENIED;
  if (s != MICA_OK) {
    printf("component-manager: cannot reboot (no power resource: status %d); left failed\n",
           static_cast<int>(s));
    return;
  }
  exiting_ = true;
  uint32_t order[kMaxComponents];
  uint32_t n = TreeOrder(order);
  for (uint32_t i = n; i-- > 0;) {  // children before parents
    EndInstance(order[i]);
  }
  printf("component-manager: every component stopped; rebooting\n");
  s = mica_system_power(power.get(), MICA_SYSTEM_POWER_REBOOT);
  printf("component-manager: system_power failed: status %d\n", static_cast<int>(s));
}

// --- stopping -------------------------------------------------------------

void Manager::StopOne(uint32_t index) {
  Component& c = comps_[index];
  if (c.state == State::kStarting) {
    c.generation++;  // cancels the pending restart
    c.state = State::kStopped;
    DropPending(index);
    return;
  }
  if (c.state != State::kRunning) {
    return;
  }
  if (!c.process) {
    c.state = State::kStopped;  // no program
    return;
  }
  if (c.stopping) {
    return;
  }
  c.stopping = true;
  idl::component::Lifecycle::StopRequest req;
  if (c.lifecycle == nullptr || c.lifecycle->Stop(req) != MICA_OK) {
    (void)mica_task_kill(c.job.get());  // it cannot be asked: killed at once
    return;
  }
  uint32_t gen = c.generation;
  loop_.PostTaskAfter(
      [this, index, gen] {
        Component& m = comps_[index];
        if (m.used && m.generation == gen && m.state == State::kRunning && m.job) {
          printf("component: %s did not stop within %u ms: killed\n", m.moniker,
                 opts_.stop_timeout_ms);
          (void)mica_task_kill(m.job.get());
        }
      },
      static_cast<mica_duration_t>(opts_.stop_timeout_ms) * kMs);
}

void Manager::StopTree(uint32_t index) {
  for (uint32_t i = 0; i < kMaxComponents; i++) {
    if (comps_[i].used && comps_[i].parent == index) {
      StopTree(i);
    }
  }
  StopOne(index);
  NotifyRealms();
}

bool Manager::SubtreeStopped(uint32_t index) const {
  const Component& c = comps_[index];
  if (c.state == State::kRunning || c.state == State::kStarting) {
    return false;
  }
  for (uint32_t i = 0; i < kMaxComponents; i++) {
    if (comps_[i].used && comps_[i].parent == index && !SubtreeStopped(i)) {
      return false;
    }
  }
  return true;
}

void Manager::ExitWith(int64_t status, uint32_t index) {
  exiting_ = true;
  exit_status_ = status == 0 ? 0 : 1;
  uint32_t order[kMaxComponents];
  uint32_t n = TreeOrder(order);
  for (uint32_t i = n; i-- > 0;) {
    EndInstance(order[i]);
  }
  printf("component-manager: %s ended with status %lld; every component stopped\n",
         comps_[index].moniker, static_cast<long long>(status));
  loop_.Quit();
}

// --- collections ---------------------------------------------------------

mica_status_t Manager::RunInCollection(const char* collection, size_t collection_len,
                                       const char* target, size_t target_len,
                                       const char* const* args, uint32_t argc,
                                       mica::Handle stdout_log, uint32_t* out) {
  // "/run" is the root's collection `run`; "/a/b/run" that of /a/b.
  if (collection_len < 2 || collection[0] != '/' || target_len == 0 ||
      target_len > cm::kMaxString) {
    return MICA_ERR_INVALID_ARGS;
  }
  size_t slash = collection_len;
  while (slash > 0 && collection[slash - 1] != '/') {
    slash--;
  }
  const char* coll = collection + slash;
  size_t coll_len = collection_len - slash;
  if (!cm::ValidChildName(coll, coll_len)) {
    return MICA_ERR_INVALID_ARGS;
  }
  uint32_t parent = slash == 1 ? Find("/", 1) : Find(collection, slash - 1);
  if (parent == cm::kNoNode || comps_[parent].manifest == nullptr) {
    return MICA_ERR_NOT_FOUND;
  }
  cm::Str cs;
  cs.data = coll;
  cs.size = static_cast<uint16_t>(coll_len);
  if (comps_[parent].manifest->FindCollection(cs) == nullptr) {
    return MICA_ERR_NOT_FOUND;
  }
  char path[cm::kMaxString + 1];
  snprintf(path, sizeof(path), "%.*s", static_cast<int>(target_len), target);
  bool is_manifest = target_len > 3 && strcmp(path + target_len - 3, ".cm") == 0;
  // The instance name: the target's base name (up to 20 characters of
  // a-z 0-9 _ -, others as '_'), '-', a counter.
  const char* base = strrchr(path, '/');
  base = base != nullptr ? base + 1 : path;
  char name[cm::kMaxChildName + 1];
  size_t k = 0;
  for (; base[k] != '\0' && k < 20 && !(is_manifest && strcmp(base + k, ".cm") == 0); k++) {
    char ch = base[k];
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
    name[k] = ok ? ch : '_';
  }
  snprintf(name + k, sizeof(name) - k, "-%u", ++run_counter_);
  char coll_name[cm::kMaxChildName + 1];
  snprintf(coll_name, sizeof(coll_name), "%.*s", static_cast<int>(coll_len), coll);
  uint32_t index = cm::kNoNode;
  if (is_manifest) {
    index = AddFromManifest(parent, name, coll_name, path, cm::Startup::kLazy,
                            cm::OnTerminate::kIgnore);
    if (index == cm::kNoNode) {
      return MICA_ERR_NO_RESOURCES;
    }
    if (comps_[index].manifest == nullptr) {
      Remove(index);
      return MICA_ERR_NOT_FOUND;
    }
    if (comps_[index].binary[0] == '\0' && argc != 0) {
      Remove(index);
      return MICA_ERR_INVALID_ARGS;  // no program to hand them to
    }
  } else {
    bootfs::File f;
    if (!fs_.Find(path, &f)) {
      return MICA_ERR_NOT_FOUND;
    }
    index = NewSlot();
    if (index == cm::kNoNode || comps_[parent].depth + 1 > kMaxDepth) {
      return MICA_ERR_NO_RESOURCES;
    }
    Component& c = comps_[index];
    c = Component();
    c.used = true;
    c.uid = next_uid_++;
    c.parent = parent;
    c.depth = comps_[parent].depth + 1;
    snprintf(c.name, sizeof(c.name), "%s", name);
    snprintf(c.collection, sizeof(c.collection), "%s", coll_name);
    snprintf(c.binary, sizeof(c.binary), "%s", path);
    MakeMoniker(index);
  }
  // The arguments (after a manifest's own, Launch).
  Component& c = comps_[index];
  size_t total = 0;
  for (uint32_t i = 0; i < argc; i++) {
    total += strlen(args[i]) + 1;
  }
  c.args = static_cast<char*>(malloc(total + 1));
  if (c.args == nullptr) {
    Remove(index);
    return MICA_ERR_NO_MEMORY;
  }
  char* p = c.args;
  for (uint32_t i = 0; i < argc; i++) {
    size_t n = strlen(args[i]) + 1;
    memcpy(p, args[i], n);
    p += n;
  }
  c.argc = argc;
  comps_[index].stdout_log = static_cast<mica::Handle&&>(stdout_log);
  mica_status_t s = StartComponent(index);
  if (s != MICA_OK) {
    Remove(index);
    return s;
  }
  *out = index;
  return MICA_OK;
}

// --- inspection ------------------------------------------------------------

void Manager::Fill(uint32_t index, idl::component::Component* out) const {
  const Component& c = comps_[index];
  *out = idl::component::Component();
  out->moniker.Set(c.moniker);
  out->binary.Set(c.binary);
  switch (c.state) {
    case State::kStopped:
      out->state = idl::component::State::STOPPED;
      break;
    case State::kStarting:
      out->state = idl::component::State::STARTING;
      break;
    case State::kRunning:
      out->state = idl::component::State::RUNNING;
      break;
    case State::kFailed:
      out->state = idl::component::State::FAILED;
      break;
  }
  out->koid = c.koid;
  if (c.manifest != nullptr) {
    for (uint32_t i = 0; i < c.manifest->use_count && out->uses.count < idl::component::MAX_CAPS;
         i++) {
      mica::idl::String<idl::component::MAX_NAME> s;
      s.SetLossy(c.manifest->uses[i].name.data, c.manifest->uses[i].name.size);
      out->uses.Push(s);
    }
    for (uint32_t i = 0;
         i < c.manifest->expose_count && out->exposes.count < idl::component::MAX_CAPS; i++) {
      mica::idl::String<idl::component::MAX_NAME> s;
      s.SetLossy(c.manifest->exposes[i].as.data, c.manifest->exposes[i].as.size);
      out->exposes.Push(s);
    }
  }
  out->restarts = c.tracker != nullptr ? c.tracker->restart_count() : 0;
  out->has_exited = c.has_exited;
  out->last_exit_code = c.last_exit;
  out->depth = c.depth;
}

void Manager::AddRealm(RealmImpl* realm) {
  realm->next = realms_;
  realms_ = realm;
}

void Manager::RemoveRealm(RealmImpl* realm) {
  for (RealmImpl** p = &realms_; *p != nullptr; p = &(*p)->next) {
    if (*p == realm) {
      *p = realm->next;
      return;
    }
  }
}

void Manager::NotifyRealms() {
  for (RealmImpl* r = realms_; r != nullptr;) {
    RealmImpl* next = r->next;
    r->OnChange();
    r = next;
  }
}

int Manager::Run() {
  (void)StartComponent(0);
  if (!exiting_) {
    loop_.Run();
  }
  return exit_status_;
}

}  // namespace component_manager
