// See kernel_caps.h.
#include "system/core/component_manager/kernel_caps.h"

#include <idl/kernel_ipc.h>
#include <string.h>

namespace component_manager {

namespace {

// How a Get makes its handle from the manager's object: a new handle with
// `rights`, or invalid (the reply then fails and the client sees its
// channel close).
using MakeFn = mica_handle_t (*)(mica_handle_t object, mica_rights_t rights);

mica_handle_t Dup(mica_handle_t object, mica_rights_t rights) {
  mica_handle_t out = MICA_HANDLE_INVALID;
  if (object == MICA_HANDLE_INVALID || mica_handle_duplicate(object, rights, &out) != MICA_OK) {
    return MICA_HANDLE_INVALID;
  }
  return out;
}

// A new readable debug log (needs the root resource), reduced to `rights`.
mica_handle_t ReadableLog(mica_handle_t root_resource, mica_rights_t rights) {
  mica_handle_t log = MICA_HANDLE_INVALID;
  if (root_resource == MICA_HANDLE_INVALID ||
      mica_debuglog_create(root_resource, MICA_LOG_FLAG_READABLE, &log) != MICA_OK) {
    return MICA_HANDLE_INVALID;
  }
  mica_handle_t out = MICA_HANDLE_INVALID;
  if (mica_handle_replace(log, rights, &out) != MICA_OK) {
    return MICA_HANDLE_INVALID;  // replace consumes `log` either way
  }
  return out;
}

// The server of one kernel.* protocol P: every Get answers make(object,
// rights) in the response's `Field`.
template <typename P, typename Server, auto Field>
class GetServer final : public Server {
 public:
  GetServer(mica::async::Loop* loop, mica::Channel c, mica_handle_t object, mica_rights_t rights,
            MakeFn make)
      : Server(loop, static_cast<mica::Channel&&>(c)),
        object_(object),
        rights_(rights),
        make_(make) {}
  void Get(typename P::GetRequest&, typename Server::GetCompleter done) override {
    typename P::GetResponse r;
    (r.*Field).reset(make_(object_, rights_));
    done.Reply(r);
  }

 private:
  mica_handle_t object_;
  mica_rights_t rights_;
  MakeFn make_;
};

template <typename P, typename Server, auto Field>
mica_status_t Start(mica::async::Loop* loop, mica::Channel channel, mica_handle_t object,
                    mica_rights_t rights, MakeFn make = Dup) {
  auto* server = new GetServer<P, Server, Field>(loop, static_cast<mica::Channel&&>(channel),
                                                 object, rights, make);
  server->set_error_handler([server](mica_status_t) { delete server; });
  mica_status_t s = server->Begin();
  if (s != MICA_OK) {
    delete server;
  }
  return s;
}

bool Is(const char* name, size_t len, const char* want) {
  return strlen(want) == len && memcmp(name, want, len) == 0;
}

}  // namespace

mica_status_t ServeKernelProtocol(mica::async::Loop* loop, const KernelObjects& objects,
                                  const char* name, size_t name_len, mica::Channel channel) {
  using idl::kernel::Bootfs, idl::kernel::DebugLog, idl::kernel::Devicetree,
      idl::kernel::ManageResource, idl::kernel::RootJob, idl::kernel::RootResource;
  using idl::kernel::BootfsServer, idl::kernel::DebugLogServer, idl::kernel::DevicetreeServer,
      idl::kernel::ManageResourceServer, idl::kernel::RootJobServer,
      idl::kernel::RootResourceServer;
  auto serves = [&](const char* want, mica_handle_t object) {
    return object != MICA_HANDLE_INVALID && Is(name, name_len, want);
  };
  if (serves(RootJob::kName, objects.root_job)) {
    return Start<RootJob, RootJobServer, &RootJob::GetResponse::job>(
        loop, static_cast<mica::Channel&&>(channel), objects.root_job, kRootJobRights);
  }
  if (serves(RootResource::kName, objects.root_resource)) {
    return Start<RootResource, RootResourceServer, &RootResource::GetResponse::resource>(
        loop, static_cast<mica::Channel&&>(channel), objects.root_resource, kRootResourceRights);
  }
  if (serves(ManageResource::kName, objects.root_resource)) {
    return Start<ManageResource, ManageResourceServer, &ManageResource::GetResponse::resource>(
        loop, static_cast<mica::Channel&&>(channel), objects.root_resource, kManageResourceRights);
  }
  if (serves(Bootfs::kName, objects.bootfs)) {
    return Start<Bootfs, BootfsServer, &Bootfs::GetResponse::vmo>(
        loop, static_cast<mica::Channel&&>(channel), objects.bootfs, kBootfsRights);
  }
  if (serves(Devicetree::kName, objects.dtb)) {
    return Start<Devicetree, DevicetreeServer, &Devicetree::GetResponse::vmo>(
        loop, static_cast<mica::Channel&&>(channel), objects.dtb, kDevicetreeRights);
  }
  if (serves(DebugLog::kName, objects.root_resource)) {
    return Start<DebugLog, DebugLogServer, &DebugLog::GetResponse::log>(
        loop, static_cast<mica::Channel&&>(channel), objects.root_resource, kDebugLogRights,
        ReadableLog);
  }
  return MICA_ERR_NOT_FOUND;
}

}  // namespace component_manager
