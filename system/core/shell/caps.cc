// See caps.h.
#include "system/core/shell/caps.h"

#include <idl/rtc_ipc.h>
#include <idl/serial_ipc.h>
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

}  // namespace

void TakeCaps(Caps* caps) {
  caps->directory = mica::driver::ServiceDirectory() != MICA_HANDLE_INVALID;
  caps->inspect = mica::Channel(Take(MICA_DRIVER_HANDLE_INSPECT));
  caps->power = mica::Channel(Take(MICA_DRIVER_HANDLE_POWER));
  caps->root_job = mica_rt_job_default();
  caps->kmem = mica_rt_root_resource();
  caps->bootfs = Take(MICA_BOOTSTRAP_VMO_BOOTFS);
}

mica_status_t OpenConsole(mica_duration_t timeout, mica::Channel* out) {
  return mica::driver::WaitForService<::idl::serial::Serial>("console", 0, timeout, out);
}

mica_status_t OpenRtc(mica::Channel* out) {
  return mica::driver::WaitForService<::idl::rtc::Rtc>("rtc", 0, 1'000'000'000, out);
}

}  // namespace shell
