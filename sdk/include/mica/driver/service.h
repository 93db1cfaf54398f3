// Opening a published service (docs/drivers.md, "Services"): the client
// side of the driver manager's service directory (system/idl/directory.idl).
// Every client opens services with these functions only.
//
//   #include <mica/driver/service.h>
//   mica::Channel ch;
//   mica_status_t s = mica::driver::WaitForService<idl::rtc::Rtc>("rtc", 0, 5'000'000'000, &ch);
//   idl::rtc::RtcSyncClient rtc(std::move(ch));
//
// Contract:
// - The directory is the channel the program was started with under
//   MICA_DRIVER_HANDLE_DEVICES (the manager gives it to the program that
//   `drivers.then=` starts); ServiceDirectory() takes it on first use and
//   keeps it for the process's life. Without one every call returns
//   MICA_ERR_BAD_STATE. The *In variants take the directory as a
//   parameter (MICA_ERR_BAD_STATE likewise if it is invalid).
// - OpenService asks once: MICA_OK and *out the service's channel (the
//   driver serves it), or the directory's refusal: MICA_ERR_NOT_FOUND (no
//   such class/instance), MICA_ERR_WRONG_TYPE (it speaks another
//   protocol), MICA_ERR_NOT_SUPPORTED (another version),
//   MICA_ERR_UNAVAILABLE (its driver is restarting), MICA_ERR_INVALID_ARGS
//   (an empty or overlong name); or a transport error (PEER_CLOSED: the
//   manager is gone). *out is untouched unless MICA_OK.
// - WaitForService retries every 10 ms while the answer is NOT_FOUND (not
//   published yet) or UNAVAILABLE (restarting), for at most `timeout` ns;
//   it then returns the last answer. Every other answer returns at once.
// - A client of a driver that dies sees PEER_CLOSED on its channel and
//   calls WaitForService again to reach the restarted driver.
// - Calls block the calling thread (channel_call); any thread may call.
#pragma once

#include <mica/cpp/objects.h>
#include <mica/syscalls.h>
#include <stdint.h>

namespace mica::driver {

// The directory channel (see above), or MICA_HANDLE_INVALID.
mica_handle_t ServiceDirectory();

// In `directory` (a directory.Directory channel, borrowed; e.g. one a
// component got through its namespace): as below.
mica_status_t OpenServiceIn(mica_handle_t directory, const char* service_class, uint32_t instance,
                            const char* protocol_name, uint16_t version, mica::Channel* out);
mica_status_t WaitForServiceIn(mica_handle_t directory, const char* service_class,
                               uint32_t instance, const char* protocol_name, uint16_t version,
                               mica_duration_t timeout, mica::Channel* out);

// In ServiceDirectory().
mica_status_t OpenService(const char* service_class, uint32_t instance, const char* protocol_name,
                          uint16_t version, mica::Channel* out);
mica_status_t WaitForService(const char* service_class, uint32_t instance,
                             const char* protocol_name, uint16_t version, mica_duration_t timeout,
                             mica::Channel* out);

// The same for the IDL protocol P (its generated struct, e.g.
// idl::block::Block): its name and version are the ones the client speaks.
template <typename P>
mica_status_t OpenService(const char* service_class, uint32_t instance, mica::Channel* out) {
  return OpenService(service_class, instance, P::kName, P::kVersion, out);
}
template <typename P>
mica_status_t WaitForService(const char* service_class, uint32_t instance, mica_duration_t timeout,
                             mica::Channel* out) {
  return WaitForService(service_class, instance, P::kName, P::kVersion, timeout, out);
}

}  // namespace mica::driver
