// <mica/syscalls.h> as C11 (built in the host, kernel and user toolchains):
// the ABI layouts hold and the prototypes are C.
#include "system/public/test/layout_asserts.h"

// Takes the address of a prototype so the declaration is really used.
mica_status_t (*const mica_header_check_c_fn)(mica_handle_t) = &mica_handle_close;
