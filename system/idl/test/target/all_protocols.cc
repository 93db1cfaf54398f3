// Every protocol of system/idl compiles as user-space C++ (the generated
// clients and servers are checked in full when their header is parsed).
#include <idl/block_ipc.h>
#include <idl/component_ipc.h>
#include <idl/directory_ipc.h>
#include <idl/driver_ipc.h>
#include <idl/entropy_ipc.h>
#include <idl/gpio_ipc.h>
#include <idl/inspect_ipc.h>
#include <idl/log_ipc.h>
#include <idl/net_ipc.h>
#include <idl/power_ipc.h>
#include <idl/rtc_ipc.h>
#include <idl/serial_ipc.h>

#include "system/idl/test/target/test.h"

namespace idl_target {
namespace {

// FNV-1a-32 (docs/idl.md, the protocol id), at compile time.
constexpr uint32_t Fnv1a32(const char* s) {
  uint32_t h = 0x811c9dc5u;
  for (; *s != '\0'; s++) {
    h = (h ^ static_cast<uint8_t>(*s)) * 0x01000193u;
  }
  return h;
}

// Each protocol's kName is the `library.Protocol` its id is hashed from
// (what the service directory matches).
template <typename P>
constexpr bool NameMatchesId() {
  return Fnv1a32(P::kName) == P::kId;
}
static_assert(NameMatchesId<idl::block::Block>() && NameMatchesId<idl::rtc::Rtc>() &&
              NameMatchesId<idl::directory::Directory>() && NameMatchesId<idl::driver::Manager>() &&
              NameMatchesId<idl::driver::Driver>() && NameMatchesId<idl::entropy::Entropy>() &&
              NameMatchesId<idl::net::Device>() && NameMatchesId<idl::inspect::Inspect>());

// The largest response of the inspection protocol fits a sync call's
// buffers on the default stack.
TEST(protocols_message_bounds) {
  CHECK(idl::inspect::Inspect::ListNodesResponse::kMaxBytes <= mica::idl::kMaxBytes);
  CHECK(idl::directory::Directory::ListResponse::kMaxBytes <= mica::idl::kMaxBytes);
  CHECK(idl::driver::Driver::StartRequest::kMaxHandles <= mica::idl::kMaxHandles);
  CHECK_EQ(idl::block::Block::kVersion, 1);
  CHECK(__builtin_strcmp(idl::rtc::Rtc::kName, "rtc.Rtc") == 0);
  CHECK(__builtin_strcmp(idl::net::Device::kName, "net.Device") == 0);
}

}  // namespace
}  // namespace idl_target
