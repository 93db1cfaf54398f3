// See manager.h: what drivers send the manager (liveness answers, child
// nodes, published services) and what clients ask it (the node tree, a
// service connection).
#include <idl/driver_ipc.h>
#include <idl/inspect_ipc.h>
#include <mica/driver/protocol.h>
#include <mica/driver/start.h>
#include <mica/driver/status_name.h>
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

bool TerminatedName(const char* s, size_t cap) {
  return BoundedLen(s, cap) < cap && s[0] != '\0';
}

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

uint32_t Manager::AddChildNode(uint32_t parent, const uint8_t* description, uint32_t size) {
  mica::driver::NodeInfo info;
  if (!info.Parse(description, size) || info.reg_count() != 0 || info.irq_count() != 0 ||
      strchr(info.path(), '/') != nullptr || info.path()[0] == '\0') {
    return kNoNode;  // children get no resources of their own; a name, not a path
  }
  char path[kPathSize];
  int len = snprintf(path, sizeof(path), "%s/%s", nodes_[parent]->path, info.path());
  if (len < 0 || static_cast<size_t>(len) >= sizeof(path)) {
    return kNoNode;
  }
  mica::driver::NodeProperty inherit;
  if (info.FindProperty(MICA_DRIVER_PROP_PARENT_RESOURCES, &inherit)) {
    for (uint32_t i = 0; i < node_count_; i++) {
      const Node& c = *nodes_[i];
      if (c.parent == parent && !c.removed && InheritsResources(c)) {
        return kNoNode;  // the node's resources go to one child at most
      }
    }
  }
  uint32_t index = kNoNode;
  for (uint32_t i = 0; i < node_count_ && index == kNoNode; i++) {
    if (nodes_[i]->removed && nodes_[i]->parent == parent && strcmp(nodes_[i]->path, path) == 0) {
      index = i;
    }
  }
  if (index == kNoNode) {
    if (node_count_ == kMaxNodes) {
      return kNoNode;
    }
    index = node_count_++;
    nodes_[index] = new Node;
  }
  Node& n = *nodes_[index];
  free(n.added);
  n.added = static_cast<uint8_t*>(malloc(size));
  if (n.added == nullptr) {
    return kNoNode;
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
  return index;
}

mica_status_t Manager::Publish(uint32_t index, const char* service_class, uint32_t* instance) {
  if (!TerminatedName(service_class, wire::kClassNameSize)) {
    return MICA_ERR_INVALID_ARGS;
  }
  Service* svc = nullptr;
  uint32_t next_instance = 0;
  for (uint32_t i = 0; i < service_count_; i++) {
    Service& s = services_[i];
    if (strcmp(s.service_class, service_class) == 0) {
      next_instance = s.instance + 1 > next_instance ? s.instance + 1 : next_instance;
      if (s.node == index) {
        svc = &s;  // the same node publishes again after a restart
      }
    }
  }
  if (svc == nullptr) {
    if (service_count_ == kMaxServices) {
      return MICA_ERR_NO_RESOURCES;
    }
    svc = &services_[service_count_++];
    snprintf(svc->service_class, sizeof(svc->service_class), "%s", service_class);
    svc->instance = next_instance;
    svc->node = index;
  }
  svc->live = true;
  *instance = svc->instance;
  printf("driver: published %s/%u by %s\n", svc->service_class, svc->instance, nodes_[index]->path);
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
    uint32_t child = size == 0 || strlen(name) != req.name.size
                         ? kNoNode
                         : manager_->AddChildNode(index_, buf, size);
    if (child != kNoNode) {
      r.status = MICA_OK;
      r.child_id = child;
    } else {
      printf("driver: %s sent an invalid child node\n", manager_->nodes_[index_]->path);
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
        c.removed = true;
        c.state = NodeState::kUnbound;
        r.status = MICA_OK;
      }
    }
    done.Reply(r);
  }

  void PublishService(idl::driver::Manager::PublishServiceRequest& req,
                      PublishServiceCompleter done) override {
    idl::driver::Manager::PublishServiceResponse r;
    char name[wire::kClassNameSize];
    r.status = MICA_ERR_INVALID_ARGS;
    if (req.service_class.size < sizeof(name)) {
      snprintf(name, sizeof(name), "%.*s", static_cast<int>(req.service_class.size),
               req.service_class.data);
      if (strlen(name) == req.service_class.size) {
        r.status = manager_->Publish(index_, name, &r.instance);
      }
    }
    done.Reply(r);
  }

  void ConnectPhandle(idl::driver::Manager::ConnectPhandleRequest& req,
                      ConnectPhandleCompleter done) override {
    idl::driver::Manager::ConnectPhandleResponse r;
    char name[wire::kClassNameSize];
    r.status = MICA_ERR_INVALID_ARGS;
    if (req.service_class.size < sizeof(name)) {
      snprintf(name, sizeof(name), "%.*s", static_cast<int>(req.service_class.size),
               req.service_class.data);
      if (strlen(name) == req.service_class.size && req.channel) {
        r.status = manager_->ConnectPhandle(req.phandle, name, mica::Handle(req.channel.release()));
      }
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

mica_status_t Manager::Connect(const char* service_class, uint32_t instance, mica::Handle channel) {
  for (uint32_t i = 0; i < service_count_; i++) {
    Service& s = services_[i];
    if (s.instance != instance || strcmp(s.service_class, service_class) != 0) {
      continue;
    }
    Node& n = *nodes_[s.node];
    // A driver that just ended may not be reaped yet: its link is closed.
    if (!s.live || n.state != NodeState::kBound || n.link == nullptr || !n.link->is_open()) {
      return MICA_ERR_UNAVAILABLE;
    }
    idl::driver::Manager::ConnectEvent e;
    e.service_class.Set(s.service_class);
    e.instance = s.instance;
    e.channel = mica::Channel(channel.release());
    mica_status_t st = n.link->SendConnect(e);
    return st == MICA_ERR_BAD_STATE || st == MICA_ERR_PEER_CLOSED ? MICA_ERR_UNAVAILABLE : st;
  }
  return MICA_ERR_NOT_FOUND;
}

mica_status_t Manager::ConnectPhandle(uint32_t phandle, const char* service_class,
                                      mica::Handle channel) {
  if (phandle == 0 || phandle == ~uint32_t{0}) {
    return MICA_ERR_NOT_FOUND;  // DT spec v0.4 §2.3.3: not a valid phandle
  }
  for (uint32_t i = 0; i < node_count_; i++) {
    const Node& n = *nodes_[i];
    if (!n.dt.valid() || dt_.Phandle(n.dt) != phandle) {
      continue;
    }
    for (uint32_t k = 0; k < service_count_; k++) {
      if (services_[k].node == i && strcmp(services_[k].service_class, service_class) == 0) {
        return Connect(service_class, services_[k].instance, static_cast<mica::Handle&&>(channel));
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
  for (uint32_t i = 0; i < service_count_; i++) {
    if (services_[i].node == index && services_[i].live) {
      char one[40];
      snprintf(one, sizeof(one), "%s%s/%u", out->services[0] ? " " : "", services_[i].service_class,
               services_[i].instance);
      Append(out->services, sizeof(out->services), one);
    }
  }
}

void Manager::FillInspectNode(uint32_t index, idl::inspect::Node* out) const {
  const Node& n = *nodes_[index];
  *out = idl::inspect::Node();
  out->path.Set(n.path);
  const char* list = reinterpret_cast<const char*>(n.compatible);
  for (uint32_t at = 0; list != nullptr && at < n.compatible_size;) {
    size_t len = BoundedLen(list + at, n.compatible_size - at);
    if (len == n.compatible_size - at || out->compatibles.count == idl::inspect::MAX_COMPATIBLES) {
      break;
    }
    mica::idl::String<idl::inspect::MAX_COMPATIBLE> c;
    c.Set(list + at, len);
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
  for (uint32_t i = 0; i < service_count_; i++) {
    if (services_[i].node == index && services_[i].live &&
        out->services.count < idl::inspect::MAX_SERVICES) {
      idl::inspect::Service svc;
      svc.service_class.Set(services_[i].service_class);
      svc.instance = services_[i].instance;
      out->services.Push(svc);
    }
  }
}

void Manager::ServeDevices() {
  loop_.BeginWait(
      devices_.get(), MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED,
      [this](mica_status_t status, mica_signals_t observed) {
        if (status != MICA_OK) {
          return;
        }
        for (;;) {
          alignas(8) uint8_t buf[64];
          mica_handle_t h[1];
          uint32_t bytes = 0, count = 0;
          if (wire::ReadMessage(devices_.get(), buf, sizeof(buf), h, 1, &bytes, &count) !=
              MICA_OK) {
            break;
          }
          mica::Handle handle(count == 1 ? h[0] : MICA_HANDLE_INVALID);
          wire::MessageHeader hdr;
          if (bytes < sizeof(hdr)) {
            continue;
          }
          memcpy(&hdr, buf, sizeof(hdr));
          if (hdr.ordinal == wire::kConnect && bytes == sizeof(wire::ConnectMessage) && handle) {
            wire::ConnectMessage m;
            memcpy(&m, buf, sizeof(m));
            wire::ConnectReply reply = {{wire::kConnectReply, hdr.txid}, 0, 0};
            reply.status =
                TerminatedName(m.service_class, sizeof(m.service_class))
                    ? Connect(m.service_class, m.instance, static_cast<mica::Handle&&>(handle))
                    : MICA_ERR_INVALID_ARGS;
            mica_channel_write(devices_.get(), 0, &reply, sizeof(reply), nullptr, 0);
          }
        }
        if (observed & MICA_CHANNEL_PEER_CLOSED) {
          devices_.reset();
          return;
        }
        ServeDevices();
      });
}

void Manager::StartThen() {
  if (opts_.then[0] == '\0') {
    return;
  }
  mica::Handle theirs;
  if (mica_channel_create(0, devices_.reset_and_get_address(), theirs.reset_and_get_address()) !=
      MICA_OK) {
    return;
  }
  mica::Channel inspect_mine, inspect_theirs;
  if (mica_channel_create(0, inspect_mine.reset_and_get_address(),
                          inspect_theirs.reset_and_get_address()) != MICA_OK) {
    devices_.reset();
    return;
  }
  mica_handle_t handles[2] = {theirs.release(), inspect_theirs.release()};
  uint32_t info[2] = {MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_DEVICES, 0),
                      MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_INSPECT, 0)};
  const char* argv[] = {opts_.then, opts_.then_arg};
  userboot::LaunchSpec spec;
  spec.path = opts_.then;
  spec.argv = argv;
  spec.argc = opts_.then_arg[0] != '\0' ? 2 : 1;
  spec.job = mica_rt_job_default();
  spec.bootfs_vmo = bootfs_vmo_;
  spec.handles = handles;
  spec.info = info;
  spec.handle_count = 2;
  char why[128];
  if (!userboot::Launch(fs_, spec, &then_process_, nullptr, why, sizeof(why))) {
    printf("driver-manager: cannot start %s: %s\n", opts_.then, why);
    devices_.reset();
    return;
  }
  ServeDevices();
  auto* inspect = new InspectImpl(&loop_, static_cast<mica::Channel&&>(inspect_mine), this);
  inspect->set_error_handler([inspect](mica_status_t) { delete inspect; });
  inspect->Begin();
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
