// Every protocol of system/idl compiles as user-space C++ (the generated
// clients and servers are checked in full when their header is parsed).
#include <idl/block_ipc.h>
#include <idl/directory_ipc.h>
#include <idl/driver_ipc.h>
#include <idl/entropy_ipc.h>
#include <idl/gpio_ipc.h>
#include <idl/inspect_ipc.h>
#include <idl/net_ipc.h>
#include <idl/power_ipc.h>
#include <idl/rtc_ipc.h>
#include <idl/serial_ipc.h>

#include "system/idl/test/target/test.h"

namespace idl_target {
namespace {

// The largest response of the inspection protocol fits a sync call's
// buffers on the default stack.
TEST(protocols_message_bounds) {
  CHECK(idl::inspect::Inspect::ListNodesResponse::kMaxBytes <= mica::idl::kMaxBytes);
  CHECK(idl::directory::Directory::ListResponse::kMaxBytes <= mica::idl::kMaxBytes);
  CHECK(idl::driver::Driver::StartRequest::kMaxHandles <= mica::idl::kMaxHandles);
  CHECK_EQ(idl::block::Block::kVersion, 1);
}

}  // namespace
}  // namespace idl_target
