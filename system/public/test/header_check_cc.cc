// <mica/syscalls.h> as C++20 (built in the host, kernel and user toolchains).
#include <mica/syscalls.h>

#include "system/public/test/layout_asserts.h"

namespace {

static_assert(MICA_SYS_HANDLE_CLOSE == 1, "numbers start at 1");
static_assert(MICA_SYS_COUNT - 1 == MICA_SYS_OBJECT_GET_CHILD, "the last call");

}  // namespace

// A C++ caller sees the C linkage declaration.
extern "C" mica_status_t (*const mica_header_check_cc_fn)(mica_handle_t) = &mica_handle_close;
