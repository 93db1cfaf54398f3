// The service directory (system/idl/directory.idl) the manager serves for
// the program `drivers.then=` starts: opening a published service (the
// table's answer, service_table.h; the channel then goes to the driver in
// a Connect event of the Manager protocol) and listing the services.
#include <idl/directory_ipc.h>
#include <idl/driver_ipc.h>
#include <string.h>

#include "system/core/driver_manager/manager.h"

namespace driver_manager {

static_assert(idl::driver::MAX_NAME == 32, "CopyName takes String<32>");

namespace {

idl::directory::ServiceState ToState(ServiceState s) {
  return s == ServiceState::kAvailable ? idl::directory::ServiceState::AVAILABLE
                                       : idl::directory::ServiceState::RESTARTING;
}

class DirectoryImpl final : public idl::directory::DirectoryServer {
 public:
  DirectoryImpl(mica::async::Loop* loop, mica::Channel channel, Manager* manager)
      : DirectoryServer(loop, static_cast<mica::Channel&&>(channel)), manager_(manager) {}

  void Open(idl::directory::Directory::OpenRequest& req, OpenCompleter done) override {
    idl::directory::Directory::OpenResponse r;
    char service_class[kServiceNameSize];
    char protocol[kServiceNameSize];
    r.status = MICA_ERR_INVALID_ARGS;
    if (CopyName(req.service_class, service_class) && CopyName(req.protocol_name, protocol)) {
      r.status = manager_->OpenService(service_class, req.instance, protocol, req.protocol_version,
                                       static_cast<mica::Channel&&>(req.channel));
    }
    done.Reply(r);
  }

  void List(idl::directory::Directory::ListRequest& req, ListCompleter done) override {
    static idl::directory::Directory::ListResponse r;
    r = idl::directory::Directory::ListResponse();
    const ServiceTable& table = manager_->services();
    r.total = table.listed_count();
    for (uint32_t i = req.start; i < r.total && r.services.count < idl::directory::MAX_PAGE; i++) {
      const ServiceRecord* rec = table.listed(i);
      idl::directory::ServiceEntry e;
      e.service_class.Set(rec->service_class);
      e.instance = rec->instance;
      e.protocol_name.Set(rec->protocol);
      e.protocol_version = rec->version;
      e.node_path.SetLossy(manager_->node(rec->node).path, strlen(manager_->node(rec->node).path));
      e.state = ToState(rec->state);
      r.services.Push(e);
    }
    done.Reply(r);
  }

 private:
  Manager* manager_;
};

}  // namespace

mica_status_t Manager::OpenService(const char* service_class, uint32_t instance,
                                   const char* protocol, uint16_t version, mica::Channel channel) {
  uint32_t index = kNoNode;
  mica_status_t s = services_.Resolve(service_class, instance, protocol, version, &index);
  if (s != MICA_OK) {
    return s;
  }
  Node& n = *nodes_[index];
  // A driver that just ended may not be reaped yet: its link is closed.
  if (n.state != mica::driver::wire::NodeState::kBound || n.link == nullptr) {
    return MICA_ERR_UNAVAILABLE;
  }
  s = SendConnect(index, service_class, instance, static_cast<mica::Channel&&>(channel));
  return s == MICA_ERR_BAD_STATE || s == MICA_ERR_PEER_CLOSED ? MICA_ERR_UNAVAILABLE : s;
}

void Manager::ServeDirectory(mica::Channel channel) {
  auto* directory = new DirectoryImpl(&loop_, static_cast<mica::Channel&&>(channel), this);
  directory->set_error_handler([directory](mica_status_t) { delete directory; });
  directory->Begin();
}

}  // namespace driver_manager
