// See manager.h: what drivers send the manager (liveness answers, child
// nodes, published services) and what clients ask it (the node tree, a
// service directory: directory.cc).
#include <idl/directory.h>
#include <idl/driver_ipc.h>
#include <idl/inspect_ipc.h>
#include <idl/power_ipc.h>
#include <mica/driver/protocol.h>
#include <mica/driver/start.h>
#include <mica/driver/status_name.h>
#include <mica/log/log.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/core/driver_manager/manager.h"
#include "system/core/driver_manager/record_format.h"
#include "system/core/userboot/launch.h"

namespace driver_manager {

namespace wire = mica::driver::wire;
using wire::NodeState;

namespace {

// strnlen (not in picolibc's strict C headers).
size_t BoundedLen(const char* s, size_t max) {
  size_t n = 0;
  while (n < max && s[n] != '\0') {
    n++;
  }
  return n;
}

// The Inspect protocol's server on the manager's loop: pages of the node
// tree (system/idl/inspect.idl). Lives until its client goes away.
class InspectImpl final : public idl::inspect::InspectServer {
 public:
  InspectImpl(mica::async::Loop* loop, mica::Channel channel, const Manager* manager)
      : InspectServer(loop, static_cast<mica::Channel&&>(channel)), manager_(manager) {}

  void ListNodes(idl::inspect::Inspect::ListNodesRequest& request,
                 ListNodesCompleter completer) override {
    static idl::inspect::Inspect::ListNodesResponse response;
    response = idl::inspect::Inspect::ListNodesResponse();
    uint32_t total = manager_->node_count();
    for (uint32_t i = request.start; i < total && response.nodes.count < idl::inspect::MAX_PAGE;
         i++) {
      static idl::inspect::Node node;
      manager_->FillInspectNode(i, &node);
      response.nodes.Push(node);
    }
    response.total = total;
    completer.Reply(response);
  }

 private:
  const Manager* manager_;
};

// DT spec v0.4 §2.2.1 (Table 2.1): a node name is 1-31 of [0-9a-zA-Z,._+-]
// starting with a letter, then optionally '@' and a unit address of the same characters. Nothing
// else reaches a path, so no name can break a console line (a '\n' would
// start a line of the manager's own).
bool ValidNodeName(const mica::idl::String<32>& name) {
  uint32_t at = name.size;
  for (uint32_t i = 0; i < name.size; i++) {
    char c = name.data[i];
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == ',' || c == '.' || c == '_' || c == '+' || c == '-';
    if (c == '@' && at == name.size && i != 0 && i + 1 < name.size) {
      at = i;
    } else if (!ok) {
      return false;
    }
  }
  char first = name.size != 0 ? name.data[0] : '\0';
  return ((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z')) && at <= 31;
}

// §2.2.4.1 (Table 2.2): a property name is 1-31 of [0-9a-zA-Z,._+?#-].
bool ValidPropertyName(const mica::idl::String<32>& name) {
  for (uint32_t i = 0; i < name.size; i++) {
    char c = name.data[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ',' ||
          c == '.' || c == '_' || c == '+' || c == '?' || c == '#' || c == '-')) {
      return false;
    }
  }
  return name.size != 0 && name.size <= 31;
}

// A `compatible` value (§2.3.1): one or more non-empty strings of
// printable ASCII, each NUL-terminated (the node tree prints them).
bool ValidCompatible(const uint8_t* value, uint32_t size) {
  uint32_t len = 0;
  for (uint32_t i = 0; i < size; i++) {
    if (value[i] == 0) {
      if (len == 0) {
        return false;
      }
      len = 0;
    } else if (value[i] < 0x20 || value[i] > 0x7e) {
      return false;
    } else {
      len++;
    }
  }
  return size != 0 && len == 0;
}

bool ValidChild(const idl::driver::Manager::AddChildRequest& req) {
  if (!ValidNodeName(req.name)) {
    return false;
  }
  for (const idl::driver::Property& p : req.properties) {
    if (!ValidPropertyName(p.name) ||
        (p.name.Equals("compatible") && !ValidCompatible(p.value.items, p.value.count))) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool CopyName(const mica::idl::String<32>& in, char (&out)[kServiceNameSize]) {
  if (in.size >= kServiceNameSize || BoundedLen(in.data, in.size) != in.size) {
    return false;  // too long for the table, or an embedded NUL
  }
  memcpy(out, in.data, in.size);
  out[in.size] = '\0';
  return true;
}

namespace {

void Append(char* buf, size_t size, const char* text) {
  size_t used = strlen(buf);
  if (used < size) {
    snprintf(buf + used, size - used, "%s", text);
  }
}

}  // namespace

void FormatCompatible(const Node& node, char* buf, size_t size) {
  buf[0] = '\0';
  const char* list = reinterpret_cast<const char*>(node.compatible);
  uint32_t at = 0;
  while (list != nullptr && at < node.compatible_size) {
    size_t len = BoundedLen(list + at, node.compatible_size - at);
    if (len == node.compatible_size - at) {
      break;
    }
    Append(buf, size, buf[0] == '\0' ? "\"" : " \"");
    Append(buf, size, list + at);
    Append(buf, size, "\"");
    at += static_cast<uint32_t>(len + 1);
  }
}

bool InheritsResources(const Node& node) {
  mica::driver::NodeInfo info;
  mica::driver::NodeProperty p;
  return !node.dt.valid() && node.added != nullptr && info.Parse(node.added, node.added_size) &&
         info.FindProperty(MICA_DRIVER_PROP_PARENT_RESOURCES, &p);
}

bool Manager::LogRefusal(uint32_t index) {
  constexpr uint32_t kLogged = 4;
  Node& n = *nodes_[index];
  if (n.refusals_logged == kLogged) {
    mica::log::LogKv(mica::log::kWarn, "driver", {{"node", n.path}},
                     "refuses more: its further refusals are not logged");
  }
  return n.refusals_logged++ < kLogged;
}

mica_status_t Manager::AddChildNode(uint32_t parent, const uint8_t* description, uint32_t size,
                                    uint32_t* out) {
  mica::driver::NodeInfo info;
  if (!info.Parse(description, size) || info.reg_count() != 0 || info.irq_count() != 0 ||
      strchr(info.path(), '/') != nullptr || info.path()[0] == '\0') {
    return MICA_ERR_INVALID_ARGS;  // children get no resources of their own; a name, not a path
  }
  char path[kPathSize];
  int len = snprintf(path, sizeof(path), "%s/%s", nodes_[parent]->path, info.path());
  if (len < 0 || static_cast<size_t>(len) >= sizeof(path)) {
    return MICA_ERR_INVALID_ARGS;
  }
  uint32_t added_depth = 1;
  for (uint32_t a = parent; a != kNoNode && !nodes_[a]->dt.valid(); a = nodes_[a]->parent) {
    added_depth++;
  }
  if (added_depth > kMaxAddedDepth) {
    return MICA_ERR_OUT_OF_RANGE;
  }
  mica::driver::NodeProperty inherit;
  bool inherits = info.FindProperty(MICA_DRIVER_PROP_PARENT_RESOURCES, &inherit);
  uint32_t index = kNoNode;
  uint32_t children = 0;
  for (uint32_t i = 0; i < node_count_; i++) {
    const Node& c = *nodes_[i];
    if (c.parent != parent || c.dt.valid()) {
      continue;
    }
    children++;
    bool same = strcmp(c.path, path) == 0;
    if (!c.removed && (same || (inherits && InheritsResources(c)))) {
      // A live sibling of that name; or the node's resources, which go to
      // one child at most, are already handed on.
      return same ? MICA_ERR_ALREADY_EXISTS : MICA_ERR_INVALID_ARGS;
    }
    index = c.removed && same ? i : index;
  }
  if (index == kNoNode) {
    if (children >= kMaxChildren || added_count_ >= kMaxAddedNodes || node_count_ == kMaxNodes) {
      return MICA_ERR_NO_RESOURCES;
    }
    index = node_count_++;
    added_count_++;
    nodes_[index] = new Node;
  }
  Node& n = *nodes_[index];
  delete n.grant;  // its resources may come from elsewhere now
  n.grant = nullptr;
  n.binary_checked = false;
  free(n.added);
  n.added = static_cast<uint8_t*>(malloc(size));
  if (n.added == nullptr) {
    n.removed = true;  // kept for a later add of the same name
    return MICA_ERR_NO_MEMORY;
  }
  memcpy(n.added, description, size);
  n.added_size = size;
  n.removed = false;
  n.parent = parent;
  n.depth = nodes_[parent]->depth + 1;
  snprintf(n.path, sizeof(n.path), "%s", path);
  info.Parse(n.added, size);
  mica::driver::NodeProperty compat;
  n.compatible = nullptr;
  n.compatible_size = 0;
  if (info.FindProperty("compatible", &compat)) {
    n.compatible = compat.value;
    n.compatible_size = compat.size;
  }
  Match(index);
  if (n.driver != nullptr) {
    Start(index);
  }
  *out = index;
  return MICA_OK;
}

mica_status_t Manager::Publish(uint32_t index, const char* service_class, const char* protocol,
                               uint16_t version, uint32_t* instance) {
  mica_status_t s = services_.Publish(index, service_class, protocol, version, instance);
  if (s != MICA_OK && LogRefusal(index)) {
    printf("driver: %s cannot publish %s: %s\n", nodes_[index]->path,
           ValidServiceName(service_class) ? service_class : "(an invalid name)",
           mica::driver::StatusName(s));
  }
  if (s != MICA_OK) {
    return s;
  }
  printf("driver: published %s/%u by %s\n", service_class, *instance, nodes_[index]->path);
  return MICA_OK;
}

// The IDL Manager protocol (system/idl/driver.idl) served for the driver of
// one node, for one start of it: AddChild, Remove, PublishService, and
// Connect events carrying clients' channels.
class ManagerLink final : public idl::driver::ManagerServer {
 public:
  ManagerLink(Manager* manager, uint32_t index, mica::Channel channel)
      : ManagerServer(&manager->loop_, static_cast<mica::Channel&&>(channel)),
        manager_(manager),
        index_(index) {}

  void AddChild(idl::driver::Manager::AddChildRequest& req, AddChildCompleter done) override {
    idl::driver::Manager::AddChildResponse r;
    r.status = MICA_ERR_INVALID_ARGS;
    static uint8_t buf[mica::driver::kNodeInfoMaxSize];
    mica::driver::NodeInfoWriter w(buf, sizeof(buf));
    char name[idl::driver::MAX_NAME + 1];
    snprintf(name, sizeof(name), "%.*s", static_cast<int>(req.name.size), req.name.data);
    w.SetPath(name);
    for (const idl::driver::Property& p : req.properties) {
      char pname[idl::driver::MAX_NAME + 1];
      snprintf(pname, sizeof(pname), "%.*s", static_cast<int>(p.name.size), p.name.data);
      w.AddProperty(pname, p.value.items, p.value.count);
    }
    uint32_t size = w.Finish();
    uint32_t child = kNoNode;
    if (size != 0 && ValidChild(req)) {
      r.status = manager_->AddChildNode(index_, buf, size, &child);
    }
    if (r.status == MICA_OK) {
      r.child_id = child;
    } else if (manager_->LogRefusal(index_)) {
      mica::log::LogKv(mica::log::kWarn, "driver",
                       {{"node", manager_->nodes_[index_]->path},
                        {"child", ValidNodeName(req.name) ? name : "(an invalid name)"},
                        {"status", mica::driver::StatusName(r.status)}},
                       "cannot add a child node");
    }
    done.Reply(r);
  }

  void Remove(idl::driver::Manager::RemoveRequest& req, RemoveCompleter done) override {
    idl::driver::Manager::RemoveResponse r;
    r.status = MICA_ERR_NOT_FOUND;
    if (req.child_id < manager_->node_count_) {
      uint32_t child = static_cast<uint32_t>(req.child_id);
      Node& c = *manager_->nodes_[child];
      if (c.parent == index_ && !c.dt.valid() && !c.removed) {
        manager_->Stop(child);
        manager_->services_.NodeGone(child);
        c.removed = true;
        c.bti.reset();  // releases what its drivers left quarantined
        c.state = NodeState::kUnbound;
        r.status = MICA_OK;
      }
    }
    done.Reply(r);
  }

  void PublishService(idl::driver::Manager::PublishServiceRequest& req,
                      PublishServiceCompleter done) override {
    idl::driver::Manager::PublishServiceResponse r;
    char name[kServiceNameSize];
    char protocol[kServiceNameSize];
    r.status = MICA_ERR_INVALID_ARGS;
    if (CopyName(req.service_class, name) && CopyName(req.protocol_name, protocol)) {
      r.status = manager_->Publish(index_, name, protocol, req.protocol_version, &r.instance);
    }
    done.Reply(r);
  }

  void ConnectPhandle(idl::driver::Manager::ConnectPhandleRequest& req,
                      ConnectPhandleCompleter done) override {
    idl::driver::Manager::ConnectPhandleResponse r;
    char name[kServiceNameSize];
    char protocol[kServiceNameSize];
    r.status = MICA_ERR_INVALID_ARGS;
    if (CopyName(req.service_class, name) && CopyName(req.protocol_name, protocol) && req.channel) {
      r.status = manager_->ConnectPhandle(index_, req.phandle, name, protocol, req.protocol_version,
                                          mica::Channel(req.channel.release()));
    }
    done.Reply(r);
  }

 private:
  Manager* manager_;
  uint32_t index_;
};

void Manager::Link(uint32_t index, mica::Channel manager_end, mica::Channel driver_end) {
  Node& n = *nodes_[index];
  n.link = new ManagerLink(this, index, static_cast<mica::Channel&&>(manager_end));
  n.client = new idl::driver::DriverAsyncClient(&loop_, static_cast<mica::Channel&&>(driver_end));
  // A connection that ends is left alone: the process's TERMINATED wait
  // decides, and Stop deletes both.
  n.link->Begin();
  n.client->Begin();
}

void Manager::Unlink(uint32_t index) {
  Node& n = *nodes_[index];
  DropPowerLink(index);
  delete n.link;
  n.link = nullptr;
  delete n.client;
  n.client = nullptr;
}

mica_status_t Manager::SendConnect(uint32_t index, const char* service_class, uint32_t instance,
                                   mica::Channel channel) {
  ManagerLink* link = nodes_[index]->link;
  if (link == nullptr || !link->is_open()) {
    return MICA_ERR_BAD_STATE;
  }
  idl::driver::Manager::ConnectEvent e;
  e.service_class.Set(service_class);
  e.instance = instance;
  e.channel = static_cast<mica::Channel&&>(channel);
  return link->SendConnect(e);
}

mica_status_t Manager::ConnectPhandle(uint32_t consumer, uint32_t phandle,
                                      const char* service_class, const char* protocol,
                                      uint16_t version, mica::Channel channel) {
  if (phandle == 0 || phandle == ~uint32_t{0}) {
    return MICA_ERR_NOT_FOUND;  // DT spec v0.4 §2.3.3: not a valid phandle
  }
  for (uint32_t i = 0; i < node_count_; i++) {
    const Node& n = *nodes_[i];
    if (!n.dt.valid() || dt_.Phandle(n.dt) != phandle) {
      continue;
    }
    for (uint32_t k = 0; k < services_.count(); k++) {
      const ServiceRecord& r = services_.at(k);
      if (r.node == i && strcmp(r.service_class, service_class) == 0) {
        LinkProvider(consumer, i);
        return OpenService(service_class, r.instance, protocol, version,
                           static_cast<mica::Channel&&>(channel));
      }
    }
    return MICA_ERR_NOT_FOUND;  // the node's driver has not published it (yet)
  }
  return MICA_ERR_NOT_FOUND;
}

void Manager::FillRecord(uint32_t index, wire::NodeRecord* out) const {
  const Node& n = *nodes_[index];
  *out = wire::NodeRecord();
  out->state = static_cast<uint32_t>(n.state);
  out->koid = n.koid;
  out->restarts = n.tracker != nullptr ? n.tracker->restart_count() : 0;
  out->depth = n.depth;
  size_t len = strlen(n.path);
  if (len < sizeof(out->path)) {
    memcpy(out->path, n.path, len + 1);
  } else {
    snprintf(out->path, sizeof(out->path), "...%s", n.path + len - (sizeof(out->path) - 4));
  }
  FormatCompatible(n, out->compatible, sizeof(out->compatible));
  if (n.driver != nullptr) {
    snprintf(out->driver, sizeof(out->driver), "%s", n.driver->name());
  }
  for (uint32_t i = 0; i < services_.count(); i++) {
    const ServiceRecord& s = services_.at(i);
    if (s.node == index && s.state == ServiceState::kAvailable) {
      char one[48];
      snprintf(one, sizeof(one), "%s%s/%u", out->services[0] ? " " : "", s.service_class,
               s.instance);
      Append(out->services, sizeof(out->services), one);
    }
  }
}

void Manager::FillInspectNode(uint32_t index, idl::inspect::Node* out) const {
  const Node& n = *nodes_[index];
  *out = idl::inspect::Node();
  out->path.SetLossy(n.path, strlen(n.path));  // a DTB name need not be UTF-8
  const char* list = reinterpret_cast<const char*>(n.compatible);
  for (uint32_t at = 0; list != nullptr && at < n.compatible_size;) {
    size_t len = BoundedLen(list + at, n.compatible_size - at);
    if (len == n.compatible_size - at || out->compatibles.count == idl::driver::MAX_COMPATIBLES) {
      break;
    }
    mica::idl::String<idl::driver::MAX_COMPATIBLE> c;
    c.SetLossy(list + at, len);
    out->compatibles.Push(c);
    at += static_cast<uint32_t>(len + 1);
  }
  if (n.driver != nullptr) {
    out->driver.Set(n.driver->name());
  }
  out->koid = n.koid;
  out->restart_count = n.tracker != nullptr ? n.tracker->restart_count() : 0;
  switch (n.removed ? NodeState::kUnbound : n.state) {
    case NodeState::kBound:
      out->state = idl::inspect::NodeState::BOUND;
      break;
    case NodeState::kRestarting:
      out->state = idl::inspect::NodeState::RESTARTING;
      break;
    case NodeState::kFailed:
      out->state = idl::inspect::NodeState::FAILED;
      break;
    case NodeState::kUnbound:
      out->state = idl::inspect::NodeState::UNBOUND;
      break;
  }
  for (uint32_t i = 0; i < services_.count(); i++) {
    const ServiceRecord& s = services_.at(i);
    if (s.node == index && s.state == ServiceState::kAvailable &&
        out->services.count < idl::inspect::MAX_SERVICES) {
      idl::inspect::Service svc;
      svc.service_class.Set(s.service_class);
      svc.instance = s.instance;
      out->services.Push(svc);
    }
  }
}

// The binding of a boot settles once no bound driver is still in its bind
// function; a driver that never answers (hung in bind) holds `then` back
// at most kThenWaitNs.
constexpr mica_duration_t kThenWaitNs = 5'000'000'000;

void Manager::SendStart(uint32_t index) {
  Node& n = *nodes_[index];
  idl::driver::Driver::StartRequest req;
  (void)req.args.node_path.SetLossy(n.path, strlen(n.path));
  // The first of the node's compatibles (in order) that the manifest binds.
  for (uint32_t at = 0; at < n.compatible_size && req.args.matched.size == 0;) {
    const char* c = reinterpret_cast<const char*>(n.compatible) + at;
    size_t len = 0;
    while (at + len < n.compatible_size && c[len] != '\0') {
      len++;
    }
    for (uint32_t b = 0; b < n.driver->bind_count(); b++) {
      if (strlen(n.driver->bind(b).compatible) == len &&
          memcmp(n.driver->bind(b).compatible, c, len) == 0) {
        (void)req.args.matched.SetLossy(c, len);
        break;
      }
    }
    at += static_cast<uint32_t>(len) + 1;
  }
  uint32_t gen = n.generation;
  // The resources came as startup handles (start.h); Start's answer says
  // the bind function returned MICA_OK. A driver whose bind fails exits.
  (void)n.client->Start(req,
                        [this, index, gen](mica_status_t s, idl::driver::Driver::StartResponse* r) {
                          Node& m = *nodes_[index];
                          if (m.generation != gen) {
                            return;
                          }
                          m.ready = s == MICA_OK && r->status == MICA_OK;
                          if (then_waiting_ && Settled()) {
                            LaunchThen();
                          }
                        });
}

bool Manager::Settled() const {
  for (uint32_t i = 0; i < node_count_; i++) {
    const Node& n = *nodes_[i];
    mica_signals_t ended = 0;
    if (n.state == NodeState::kBound && !n.ready &&
        mica_object_wait_one(n.process.get(), MICA_TASK_TERMINATED, MICA_TIME_INFINITE_PAST,
                             &ended) != MICA_OK) {
      return false;
    }
  }
  return true;
}

void Manager::StartThen() {
  if (opts_.then[0] == '\0') {
    return;
  }
  if (Settled()) {
    LaunchThen();
    return;
  }
  then_waiting_ = true;
  loop_.PostTaskAfter(
      [this] {
        if (then_waiting_) {
          LaunchThen();
        }
      },
      kThenWaitNs);
}

void Manager::LaunchThen() {
  then_waiting_ = false;
  mica::Channel directory_mine, directory_theirs;
  mica::Channel inspect_mine, inspect_theirs;
  if (mica_channel_create(0, directory_mine.reset_and_get_address(),
                          directory_theirs.reset_and_get_address()) != MICA_OK ||
      mica_channel_create(0, inspect_mine.reset_and_get_address(),
                          inspect_theirs.reset_and_get_address()) != MICA_OK) {
    return;
  }
  // What the shell (docs/shell.md) needs besides: power off and reboot,
  // bootfs programs to run, kernel memory statistics (read-only: an
  // INSPECT-only root resource (TRANSFER to hand it over) creates nothing
  // and cannot power off).
  mica::Handle power, bootfs, kmem;
  constexpr mica_rights_t kBootfsRights =
      MICA_RIGHT_DUPLICATE | MICA_RIGHT_TRANSFER | MICA_RIGHT_READ | MICA_RIGHT_MAP |
      MICA_RIGHT_EXECUTE | MICA_RIGHT_GET_PROPERTY | MICA_RIGHT_WAIT | MICA_RIGHT_INSPECT;
  if (MakeThenPowerLink(&power) != MICA_OK ||
      mica_handle_duplicate(bootfs_vmo_, kBootfsRights, bootfs.reset_and_get_address()) !=
          MICA_OK ||
      mica_handle_duplicate(root_, MICA_RIGHT_INSPECT | MICA_RIGHT_TRANSFER,
                            kmem.reset_and_get_address()) != MICA_OK) {
    return;
  }
  mica_handle_t handles[5] = {directory_theirs.release(), inspect_theirs.release(), power.release(),
                              bootfs.release(), kmem.release()};
  uint32_t info[5] = {MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_DEVICES, 0),
                      MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_INSPECT, 0),
                      MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_POWER, 0),
                      MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_BOOTFS, 0),
                      MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_ROOT_RESOURCE, 0)};
  const char* argv[] = {opts_.then, opts_.then_arg};
  userboot::LaunchSpec spec;
  spec.path = opts_.then;
  spec.argv = argv;
  spec.argc = opts_.then_arg[0] != '\0' ? 2 : 1;
  spec.job = mica_rt_job_default();
  spec.bootfs_vmo = bootfs_vmo_;
  spec.handles = handles;
  spec.info = info;
  spec.handle_count = 5;
  char why[128];
  if (!userboot::Launch(fs_, spec, &then_process_, nullptr, why, sizeof(why))) {
    printf("driver-manager: cannot start %s: %s\n", opts_.then, why);
    return;
  }
  ServeDirectory(static_cast<mica::Channel&&>(directory_mine));
  auto* inspect = new InspectImpl(&loop_, static_cast<mica::Channel&&>(inspect_mine), this);
  inspect->set_error_handler([inspect](mica_status_t) { delete inspect; });
  inspect->Begin();
}

void Manager::ServeOutgoing() {
  auto* out = new mica::component::Outgoing(&loop_);
  out->AddProtocol(idl::directory::Directory::kName,
                   [this](mica::Channel c) { ServeDirectory(static_cast<mica::Channel&&>(c)); });
  out->AddProtocol(idl::inspect::Inspect::kName, [this](mica::Channel c) {
    auto* inspect = new InspectImpl(&loop_, static_cast<mica::Channel&&>(c), this);
    inspect->set_error_handler([inspect](mica_status_t) { delete inspect; });
    inspect->Begin();
  });
  out->AddProtocol(idl::power::Power::kName,
                   [this](mica::Channel c) { ServePower(static_cast<mica::Channel&&>(c)); });
  if (out->ServeFromStartup() != MICA_OK) {
    delete out;  // not started as a component
    return;
  }
  (void)out->ServeLifecycle([this] {
    for (uint32_t i = 0; i < node_count_; i++) {
      Stop(i);
    }
    loop_.Quit();
  });
  outgoing_ = out;
}

void Manager::PrintTree() {
  printf("driver-manager: node tree (%u nodes):\n", node_count_);
  for (uint32_t i = 0; i < node_count_; i++) {
    if (nodes_[i]->removed) {
      continue;
    }
    wire::NodeRecord r;
    FillRecord(i, &r);
    char line[600];
    FormatRecord(r, line, sizeof(line));
    printf("driver-manager: %s\n", line);
  }
}

}  // namespace driver_manager
