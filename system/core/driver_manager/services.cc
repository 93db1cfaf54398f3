// See manager.h: what drivers send the manager (liveness answers, child
// nodes, published services) and what clients ask it (the node tree, a
// service connection).
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

void Manager::Publish(uint32_t index, const wire::PublishMessage& m) {
  if (!TerminatedName(m.service_class, sizeof(m.service_class))) {
    return;
  }
  Service* svc = nullptr;
  uint32_t next_instance = 0;
  for (uint32_t i = 0; i < service_count_; i++) {
    Service& s = services_[i];
    if (strcmp(s.service_class, m.service_class) == 0) {
      next_instance = s.instance + 1 > next_instance ? s.instance + 1 : next_instance;
      if (s.node == index) {
        svc = &s;  // the same node publishes again after a restart
      }
    }
  }
  if (svc == nullptr) {
    if (service_count_ == kMaxServices) {
      return;
    }
    svc = &services_[service_count_++];
    memcpy(svc->service_class, m.service_class, sizeof(svc->service_class));
    svc->instance = next_instance;
    svc->node = index;
  }
  svc->version = m.version;
  svc->live = true;
  printf("driver: published %s/%u v%u by %s\n", svc->service_class, svc->instance, svc->version,
         nodes_[index]->path);
}

void Manager::OnDriverMessages(uint32_t index) {
  Node& n = *nodes_[index];
  uint32_t gen = n.generation;
  for (int budget = 0; budget < 16 && n.generation == gen; budget++) {
    alignas(8) static uint8_t buf[sizeof(wire::MessageHeader) + mica::driver::kNodeInfoMaxSize];
    mica_handle_t handles[1];
    uint32_t bytes = 0, count = 0;
    if (wire::ReadMessage(n.channel.get(), buf, sizeof(buf), handles, 1, &bytes, &count) !=
        MICA_OK) {
      return;
    }
    if (count != 0) {
      mica_handle_close(handles[0]);  // no driver message carries handles
      continue;
    }
    wire::MessageHeader h;
    if (bytes < sizeof(h)) {
      continue;
    }
    memcpy(&h, buf, sizeof(h));
    if (h.ordinal == wire::kPong && h.txid == n.ping_txid) {
      n.ping_outstanding = false;
    } else if (h.ordinal == wire::kAddChild) {
      if (AddChildNode(index, buf + sizeof(h), bytes - static_cast<uint32_t>(sizeof(h))) ==
          kNoNode) {
        printf("driver: %s (%s) sent an invalid child node\n", n.path, n.driver->name);
      }
    } else if (h.ordinal == wire::kPublish && bytes == sizeof(wire::PublishMessage)) {
      wire::PublishMessage m;
      memcpy(&m, buf, sizeof(m));
      Publish(index, m);
    }
  }
  // More may be queued: the wait is re-armed by the caller and fires again.
}

mica_status_t Manager::Connect(const char* service_class, uint32_t instance, mica::Handle channel) {
  for (uint32_t i = 0; i < service_count_; i++) {
    Service& s = services_[i];
    if (s.instance != instance || strcmp(s.service_class, service_class) != 0) {
      continue;
    }
    Node& n = *nodes_[s.node];
    if (!s.live || n.state != NodeState::kBound) {
      return MICA_ERR_UNAVAILABLE;
    }
    wire::OpenMessage m = {};
    m.header = {wire::kOpen, 0};
    memcpy(m.service_class, s.service_class, sizeof(m.service_class));
    m.instance = s.instance;
    m.version = s.version;
    mica_handle_t h = channel.release();
    return mica_channel_write(n.channel.get(), 0, &m, sizeof(m), &h, 1);
  }
  return MICA_ERR_NOT_FOUND;
}

void Manager::FillRecord(uint32_t index, wire::NodeRecord* out) const {
  const Node& n = *nodes_[index];
  *out = wire::NodeRecord();
  out->header = {wire::kListReply, 0};
  out->state = static_cast<uint32_t>(n.state);
  out->koid = n.koid;
  out->restarts = n.restarts;
  out->depth = n.depth;
  size_t len = strlen(n.path);
  if (len < sizeof(out->path)) {
    memcpy(out->path, n.path, len + 1);
  } else {
    snprintf(out->path, sizeof(out->path), "...%s", n.path + len - (sizeof(out->path) - 4));
  }
  FormatCompatible(n, out->compatible, sizeof(out->compatible));
  if (n.driver != nullptr) {
    snprintf(out->driver, sizeof(out->driver), "%s", n.driver->name);
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

void Manager::ServeDevices() {
  loop_.BeginWait(devices_.get(), MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED,
                  [this](mica_status_t status, mica_signals_t observed) {
                    if (status != MICA_OK) {
                      return;
                    }
                    for (;;) {
                      alignas(8) uint8_t buf[64];
                      mica_handle_t h[1];
                      uint32_t bytes = 0, count = 0;
                      if (wire::ReadMessage(devices_.get(), buf, sizeof(buf), h, 1, &bytes,
                                            &count) != MICA_OK) {
                        break;
                      }
                      mica::Handle handle(count == 1 ? h[0] : MICA_HANDLE_INVALID);
                      wire::MessageHeader hdr;
                      if (bytes < sizeof(hdr)) {
                        continue;
                      }
                      memcpy(&hdr, buf, sizeof(hdr));
                      if (hdr.ordinal == wire::kList && !handle) {
                        for (uint32_t i = 0; i < node_count_; i++) {
                          wire::NodeRecord r;
                          FillRecord(i, &r);
                          r.header.txid = hdr.txid;
                          r.flags = i + 1 == node_count_ ? wire::kListLast : 0;
                          mica_channel_write(devices_.get(), 0, &r, sizeof(r), nullptr, 0);
                        }
                      } else if (hdr.ordinal == wire::kConnect &&
                                 bytes == sizeof(wire::ConnectMessage) && handle) {
                        wire::ConnectMessage m;
                        memcpy(&m, buf, sizeof(m));
                        wire::ConnectReply reply = {{wire::kConnectReply, hdr.txid}, 0, 0};
                        reply.status = TerminatedName(m.service_class, sizeof(m.service_class))
                                           ? Connect(m.service_class, m.instance,
                                                     static_cast<mica::Handle&&>(handle))
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
  mica_handle_t handles[1] = {theirs.release()};
  uint32_t info[1] = {MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_DEVICES, 0)};
  const char* argv[] = {opts_.then, opts_.then_arg};
  userboot::LaunchSpec spec;
  spec.path = opts_.then;
  spec.argv = argv;
  spec.argc = opts_.then_arg[0] != '\0' ? 2 : 1;
  spec.job = mica_rt_job_default();
  spec.bootfs_vmo = bootfs_vmo_;
  spec.handles = handles;
  spec.info = info;
  spec.handle_count = 1;
  char why[128];
  if (!userboot::Launch(fs_, spec, &then_process_, nullptr, why, sizeof(why))) {
    printf("driver-manager: cannot start %s: %s\n", opts_.then, why);
    devices_.reset();
    return;
  }
  ServeDevices();
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
