// Shared helpers of the syscall implementations.
#pragma once

#include <mica/types.h>

#include "kernel/arch/arm64/user_ptr.h"
#include "kernel/lib/status.h"
#include "kernel/object/process.h"

#include "kernel/syscall_decls.h"

inline int64_t Err(mica::Status s) {
  return static_cast<int64_t>(s);
}
constexpr int64_t kOk = 0;

// Deadlines: MICA_TIME_INFINITE (and any value past it) never expires;
// negative values are already past.
inline uint64_t ToDeadline(mica_time_t deadline) {
  if (deadline < 0) {
    return 0;
  }
  return static_cast<uint64_t>(deadline) >= UINT64_MAX / 2 ? UINT64_MAX
                                                           : static_cast<uint64_t>(deadline);
}

// Writes a new handle for `object` to user memory; closes it again if the
// write faults so no handle leaks into a table the caller cannot see.
inline mica::Status AddAndCopyOut(Process* p, mica::RefPtr<Dispatcher> object, mica_rights_t rights,
                                  user_out_ptr<mica_handle_t> out) {
  mica_handle_t h;
  mica::Status s = p->AddHandle(mica::Move(object), rights, &h);
  if (s != mica::Status::kOk) {
    return s;
  }
  s = out.copy_to_user(h);
  if (s != mica::Status::kOk) {
    (void)p->CloseHandle(h);
  }
  return s;
}
