// See kernel_caps.h.
#include "system/core/component_manager/kernel_caps.h"

#include <idl/kernel_ipc.h>
#include <string.h>

namespace component_manager {

namespace {

mica_handle_t Dup(mica_handle_t h, mica_rights_t rights) {
  mica_handle_t out = MICA_HANDLE_INVALID;
  if (h == MICA_HANDLE_INVALID || mica_handle_duplicate(h, rights, &out) != MICA_OK) {
    return MICA_HANDLE_INVALID;
  }
  return out;
}

class RootJobImpl final : public idl::kernel::RootJobServer {
 public:
  RootJobImpl(mica::async::Loop* loop, mica::Channel c, mica_handle_t job)
      : RootJobServer(loop, static_cast<mica::Channel&&>(c)), job_(job) {}
  void Get(idl::kernel::RootJob::GetRequest&, GetCompleter done) override {
    idl::kernel::RootJob::GetResponse r;
    r.job.reset(Dup(job_, MICA_RIGHT_SAME_RIGHTS));
    done.Reply(r);
  }

 private:
  mica_handle_t job_;
};

class RootResourceImpl final : public idl::kernel::RootResourceServer {
 public:
  RootResourceImpl(mica::async::Loop* loop, mica::Channel c, mica_handle_t resource)
      : RootResourceServer(loop, static_cast<mica::Channel&&>(c)), resource_(resource) {}
  void Get(idl::kernel::RootResource::GetRequest&, GetCompleter done) override {
    idl::kernel::RootResource::GetResponse r;
    r.resource.reset(Dup(resource_, kRootResourceRights));
    done.Reply(r);
  }

 private:
  mica_handle_t resource_;
};

class BootfsImpl final : public idl::kernel::BootfsServer {
 public:
  BootfsImpl(mica::async::Loop* loop, mica::Channel c, mica_handle_t vmo)
      : BootfsServer(loop, static_cast<mica::Channel&&>(c)), vmo_(vmo) {}
  void Get(idl::kernel::Bootfs::GetRequest&, GetCompleter done) override {
    idl::kernel::Bootfs::GetResponse r;
    r.vmo.reset(Dup(vmo_, kBootfsRights));
    done.Reply(r);
  }

 private:
  mica_handle_t vmo_;
};

template <typename T>
mica_status_t Start(T* server) {
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
  if (Is(name, name_len, idl::kernel::RootJob::kName) && objects.root_job != MICA_HANDLE_INVALID) {
    return Start(new RootJobImpl(loop, static_cast<mica::Channel&&>(channel), objects.root_job));
  }
  if (Is(name, name_len, idl::kernel::RootResource::kName) &&
      objects.root_resource != MICA_HANDLE_INVALID) {
    return Start(
        new RootResourceImpl(loop, static_cast<mica::Channel&&>(channel), objects.root_resource));
  }
  if (Is(name, name_len, idl::kernel::Bootfs::kName) && objects.bootfs != MICA_HANDLE_INVALID) {
    return Start(new BootfsImpl(loop, static_cast<mica::Channel&&>(channel), objects.bootfs));
  }
  return MICA_ERR_NOT_FOUND;
}

}  // namespace component_manager
