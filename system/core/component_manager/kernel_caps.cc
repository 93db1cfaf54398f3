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
  mica::Handle log;
  mica_handle_t out = MICA_HANDLE_INVALID;
  if (root_resource == MICA_HANDLE_INVALID ||
      mica_debuglog_create(root_resource, MICA_LOG_FLAG_READABLE, log.reset_and_get_address()) !=
          MICA_OK ||
      mica_handle_replace(log.get(), rights, &out) != MICA_OK) {
    return MICA_HANDLE_INVALID;  // a failed replace leaves `log` valid: closed here
  }
  (void)log.release();  // replaced by `out`
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

using StartFn = mica_status_t (*)(mica::async::Loop* loop, mica::Channel channel,
                                  mica_handle_t object, mica_rights_t rights, MakeFn make);

template <typename P, typename Server, auto Field>
mica_status_t Start(mica::async::Loop* loop, mica::Channel channel, mica_handle_t object,
                    mica_rights_t rights, MakeFn make) {
  auto* server = new GetServer<P, Server, Field>(loop, static_cast<mica::Channel&&>(channel),
                                                 object, rights, make);
  server->set_error_handler([server](mica_status_t) { delete server; });
  mica_status_t s = server->Begin();
  if (s != MICA_OK) {
    delete server;
  }
  return s;
}

// One served name: the object behind it (a KernelObjects member), its
// rights and how its handle is made.
struct Protocol {
  const char* name;
  mica_handle_t KernelObjects::*object;
  mica_rights_t rights;
  StartFn start;
  MakeFn make;
};

namespace k = idl::kernel;

constexpr Protocol kProtocols[] = {
    {k::RootJob::kName, &KernelObjects::root_job, kRootJobRights,
     Start<k::RootJob, k::RootJobServer, &k::RootJob::GetResponse::job>, Dup},
    {k::RootResource::kName, &KernelObjects::root_resource, kRootResourceRights,
     Start<k::RootResource, k::RootResourceServer, &k::RootResource::GetResponse::resource>, Dup},
    {k::ManageResource::kName, &KernelObjects::root_resource, kManageResourceRights,
     Start<k::ManageResource, k::ManageResourceServer, &k::ManageResource::GetResponse::resource>,
     Dup},
    {k::Bootfs::kName, &KernelObjects::bootfs, kBootfsRights,
     Start<k::Bootfs, k::BootfsServer, &k::Bootfs::GetResponse::vmo>, Dup},
    {k::Devicetree::kName, &KernelObjects::dtb, kDevicetreeRights,
     Start<k::Devicetree, k::DevicetreeServer, &k::Devicetree::GetResponse::vmo>, Dup},
    {k::DebugLog::kName, &KernelObjects::root_resource, kDebugLogRights,
     Start<k::DebugLog, k::DebugLogServer, &k::DebugLog::GetResponse::log>, ReadableLog},
};

}  // namespace

mica_status_t ServeKernelProtocol(mica::async::Loop* loop, const KernelObjects& objects,
                                  const char* name, size_t name_len, mica::Channel channel) {
  for (const Protocol& p : kProtocols) {
    mica_handle_t object = objects.*p.object;
    if (object != MICA_HANDLE_INVALID && strlen(p.name) == name_len &&
        memcmp(name, p.name, name_len) == 0) {
      return p.start(loop, static_cast<mica::Channel&&>(channel), object, p.rights, p.make);
    }
  }
  return MICA_ERR_NOT_FOUND;
}

}  // namespace component_manager
