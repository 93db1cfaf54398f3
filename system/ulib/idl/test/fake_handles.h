// A fake handle table for host tests of the IDL codec: handle_close and the
// handle-info function the Decoder is given, so tests can make handles of
// any object type and rights and check that none leaks or closes twice.
#pragma once

#include <mica/types.h>
#include <stddef.h>

namespace idl_test {

// A new open handle (values are distinct and never MICA_HANDLE_INVALID).
mica_handle_t NewHandle(mica_obj_type_t type, mica_rights_t rights);
bool IsOpen(mica_handle_t handle);
// Open handles; closes of handles that are not open (double closes).
size_t OpenCount();
size_t BadCloses();
// Zeroes the count of BadCloses.
void ForgetBadCloses();
// Forgets every handle.
void ResetHandles();
// The HandleInfoFn of the fake table.
mica_status_t FakeInfo(mica_handle_t handle, mica_obj_type_t* type, mica_rights_t* rights);

}  // namespace idl_test
