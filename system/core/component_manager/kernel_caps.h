// The kernel.* protocols (system/idl/kernel.idl) the component manager
// serves as the root's parent (docs/components.md, "The system tree"):
// kernel.RootJob, kernel.RootResource (INSPECT|TRANSFER), kernel.Bootfs
// (read-only). A route that leaves the root `from: parent` ends here.
#pragma once

#include <mica/async/loop.h>
#include <mica/cpp/objects.h>
#include <stddef.h>

namespace component_manager {

struct KernelObjects {
  mica_handle_t root_job = MICA_HANDLE_INVALID;
  mica_handle_t root_resource = MICA_HANDLE_INVALID;
  mica_handle_t bootfs = MICA_HANDLE_INVALID;
};

// The rights each Get hands out.
inline constexpr mica_rights_t kRootResourceRights = MICA_RIGHT_INSPECT | MICA_RIGHT_TRANSFER;
inline constexpr mica_rights_t kBootfsRights =
    MICA_RIGHT_DUPLICATE | MICA_RIGHT_TRANSFER | MICA_RIGHT_READ | MICA_RIGHT_MAP |
    MICA_RIGHT_EXECUTE | MICA_RIGHT_GET_PROPERTY | MICA_RIGHT_WAIT | MICA_RIGHT_INSPECT;

// Serves `name` on `channel` (the server deletes itself when its client
// goes away): MICA_OK, or MICA_ERR_NOT_FOUND if `name` is not a kernel.*
// protocol the manager has (the channel is then closed).
mica_status_t ServeKernelProtocol(mica::async::Loop* loop, const KernelObjects& objects,
                                  const char* name, size_t name_len, mica::Channel channel);

}  // namespace component_manager
