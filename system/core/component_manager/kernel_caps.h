// The kernel.* protocols (system/idl/kernel.idl) the component manager
// serves as the root's parent (docs/components.md, "Kernel objects as
// protocols"). A route that leaves the root `from: parent` ends here.
//
// Rights are limited per route by protocol: the same object may be served
// under several names, each with fixed rights (kernel.RootResource:
// INSPECT|TRANSFER for the shell; kernel.ManageResource: every right, for
// the driver manager), and a manifest offers a component only the names
// it needs.
#pragma once

#include <mica/async/loop.h>
#include <mica/cpp/objects.h>
#include <stddef.h>

namespace component_manager {

struct KernelObjects {
  mica_handle_t root_job = MICA_HANDLE_INVALID;
  mica_handle_t root_resource = MICA_HANDLE_INVALID;
  mica_handle_t bootfs = MICA_HANDLE_INVALID;
  mica_handle_t dtb = MICA_HANDLE_INVALID;
};

// The rights each Get hands out (MICA_RIGHT_SAME_RIGHTS: the manager's own).
inline constexpr mica_rights_t kRootJobRights = MICA_RIGHT_SAME_RIGHTS;
inline constexpr mica_rights_t kRootResourceRights = MICA_RIGHT_INSPECT | MICA_RIGHT_TRANSFER;
inline constexpr mica_rights_t kManageResourceRights = MICA_RIGHT_SAME_RIGHTS;
inline constexpr mica_rights_t kBootfsRights =
    MICA_RIGHT_DUPLICATE | MICA_RIGHT_TRANSFER | MICA_RIGHT_READ | MICA_RIGHT_MAP |
    MICA_RIGHT_EXECUTE | MICA_RIGHT_GET_PROPERTY | MICA_RIGHT_WAIT | MICA_RIGHT_INSPECT;
inline constexpr mica_rights_t kDevicetreeRights =
    MICA_RIGHT_DUPLICATE | MICA_RIGHT_TRANSFER | MICA_RIGHT_READ | MICA_RIGHT_MAP |
    MICA_RIGHT_GET_PROPERTY | MICA_RIGHT_WAIT | MICA_RIGHT_INSPECT;
inline constexpr mica_rights_t kDebugLogRights = MICA_RIGHTS_BASIC | MICA_RIGHT_READ;

// Serves `name` on `channel` (the server deletes itself when its client
// goes away): MICA_OK, or MICA_ERR_NOT_FOUND if `name` is not a kernel.*
// protocol the manager has (the channel is then closed).
mica_status_t ServeKernelProtocol(mica::async::Loop* loop, const KernelObjects& objects,
                                  const char* name, size_t name_len, mica::Channel channel);

}  // namespace component_manager
