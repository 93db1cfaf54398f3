// See <mica/driver/service.h>.
#include <idl/directory_ipc.h>
#include <mica/driver/protocol.h>
#include <mica/driver/service.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>

namespace mica::driver {
namespace {

constexpr mica_duration_t kRetryInterval = 10'000'000;

mica_time_t Now() {
  mica_time_t t = 0;
  mica_clock_get_monotonic(&t);
  return t;
}

}  // namespace

mica_handle_t ServiceDirectory() {
  static mica_handle_t directory =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_DEVICES, 0));
  return directory;
}

mica_status_t OpenServiceIn(mica_handle_t directory, const char* service_class, uint32_t instance,
                            const char* protocol_name, uint16_t version, mica::Channel* out) {
  if (directory == MICA_HANDLE_INVALID) {
    return MICA_ERR_BAD_STATE;
  }
  ::idl::directory::Directory::OpenRequest req;
  if (!req.service_class.Set(service_class) || !req.protocol_name.Set(protocol_name)) {
    return MICA_ERR_INVALID_ARGS;
  }
  req.instance = instance;
  req.protocol_version = version;
  mica::Channel mine;
  mica_status_t s =
      mica_channel_create(0, mine.reset_and_get_address(), req.channel.reset_and_get_address());
  if (s != MICA_OK) {
    return s;
  }
  // The client borrows the directory handle for one call.
  ::idl::directory::DirectorySyncClient client{mica::Channel(directory)};
  ::idl::directory::Directory::OpenResponse resp;
  s = client.Open(req, &resp);
  static_cast<void>(client.TakeChannel().release());
  if (s == MICA_OK) {
    s = resp.status;
  }
  if (s == MICA_OK) {
    *out = static_cast<mica::Channel&&>(mine);
  }
  return s;
}

mica_status_t WaitForServiceIn(mica_handle_t directory, const char* service_class,
                               uint32_t instance, const char* protocol_name, uint16_t version,
                               mica_duration_t timeout, mica::Channel* out) {
  mica_time_t deadline = Now() + timeout;
  for (;;) {
    mica_status_t s =
        OpenServiceIn(directory, service_class, instance, protocol_name, version, out);
    if ((s != MICA_ERR_NOT_FOUND && s != MICA_ERR_UNAVAILABLE) || Now() >= deadline) {
      return s;
    }
    mica_nanosleep(Now() + kRetryInterval);
  }
}

mica_status_t OpenService(const char* service_class, uint32_t instance, const char* protocol_name,
                          uint16_t version, mica::Channel* out) {
  return OpenServiceIn(ServiceDirectory(), service_class, instance, protocol_name, version, out);
}

mica_status_t WaitForService(const char* service_class, uint32_t instance,
                             const char* protocol_name, uint16_t version, mica_duration_t timeout,
                             mica::Channel* out) {
  return WaitForServiceIn(ServiceDirectory(), service_class, instance, protocol_name, version,
                          timeout, out);
}

}  // namespace mica::driver
