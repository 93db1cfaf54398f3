// See caps.h.
#include "system/core/shell/caps.h"

#include <idl/kernel_ipc.h>
#include <idl/rtc_ipc.h>
#include <idl/serial_ipc.h>
#include <mica/component/component.h>
#include <mica/driver/protocol.h>
#include <mica/driver/service.h>
#include <mica/driver/start.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>

namespace shell {

namespace {

mica_handle_t Take(uint32_t kind) {
  return mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(kind, 0));
}

// As a component: the routed directory.Directory (else the driver SDK's
// startup handle is used).
mica::Channel g_directory;

mica::Channel Connect(const char* protocol) {
  mica::Channel c;
  if (mica::component::Connect(protocol, &c) != MICA_OK) {
    return mica::Channel();
  }
  return c;
}

// kernel.<P>.Get through the namespace (mica::component::GetHandle): the
// handle, or invalid.
template <typename P, typename Client, typename Response, typename H>
mica_handle_t GetKernelObject(H Response::*field) {
  H object;
  return mica::component::GetHandle<P, Client>(field, &object) == MICA_OK ? object.release()
                                                                          : MICA_HANDLE_INVALID;
}

// In the routed directory as a component, else the driver SDK's startup
// handle (started by the driver manager).
template <typename P>
mica_status_t WaitFor(const char* service_class, uint32_t instance, mica_duration_t timeout,
                      mica::Channel* out) {
  mica_handle_t directory = g_directory ? g_directory.get() : mica::driver::ServiceDirectory();
  return mica::driver::WaitForServiceIn(directory, service_class, instance, P::kName, P::kVersion,
                                        timeout, out);
}

}  // namespace

void TakeCaps(Caps* caps) {
  if (mica::component::HasNamespace()) {
    // Started by the component manager (meta/shell.cm): everything through
    // its namespace, the kernel objects too (kernel.RootJob,
    // kernel.RootResource: INSPECT|TRANSFER, kernel.Bootfs: read-only).
    g_directory = Connect("directory.Directory");
    caps->directory = static_cast<bool>(g_directory);
    caps->inspect = Connect("inspect.Inspect");
    caps->power = Connect("power.Power");
    caps->realm = Connect("component.Realm");
    caps->log_reader = Connect("log.Reader");
    caps->root_job = GetKernelObject<::idl::kernel::RootJob, ::idl::kernel::RootJobSyncClient>(
        &::idl::kernel::RootJob::GetResponse::job);
    caps->kmem =
        GetKernelObject<::idl::kernel::RootResource, ::idl::kernel::RootResourceSyncClient>(
            &::idl::kernel::RootResource::GetResponse::resource);
    caps->bootfs = GetKernelObject<::idl::kernel::Bootfs, ::idl::kernel::BootfsSyncClient>(
        &::idl::kernel::Bootfs::GetResponse::vmo);
    return;
  }
  caps->directory = mica::driver::ServiceDirectory() != MICA_HANDLE_INVALID;
  caps->inspect = mica::Channel(Take(MICA_DRIVER_HANDLE_INSPECT));
  caps->power = mica::Channel(Take(MICA_DRIVER_HANDLE_POWER));
  caps->root_job = mica_rt_job_default();
  caps->kmem = mica_rt_root_resource();
  caps->bootfs = Take(MICA_BOOTSTRAP_VMO_BOOTFS);
}

mica_status_t OpenConsole(mica_duration_t timeout, mica::Channel* out) {
  return WaitFor<::idl::serial::Serial>("console", 0, timeout, out);
}

mica_status_t OpenLogReader(Caps* caps, mica::Channel* out) {
  if (mica::component::HasNamespace()) {
    return mica::component::Connect("log.Reader", out);
  }
  if (!caps->log_reader) {
    return MICA_ERR_UNAVAILABLE;
  }
  *out = static_cast<mica::Channel&&>(caps->log_reader);
  return MICA_OK;
}

mica_status_t OpenRtc(mica::Channel* out) {
  return WaitFor<::idl::rtc::Rtc>("rtc", 0, 1'000'000'000, out);
}

}  // namespace shell
