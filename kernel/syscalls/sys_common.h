// Shared helpers of the syscall implementations.
//
// Errors: a handler returns a mica::Status and works in mica::Result<T> and
// TRY inside (kernel/lib/result.h); the generated entry that calls it
// (syscall_gen::ToAbi in kernel/syscall_table.inc) is the one place that
// turns the Status into the ABI's status. Handles: Process::GetObject<T>
// and GetObjectCached<T> look an object up by its class, so a handler
// never downcasts.
#pragma once

#include <mica/types.h>

#include "kernel/arch/arm64/user_ptr.h"
#include "kernel/lib/result.h"
#include "kernel/lib/status.h"
#include "kernel/object/process.h"

#include "kernel/syscall_decls.h"

// Deadlines: MICA_TIME_INFINITE (and any value past it) never expires;
// negative values are already past.
inline uint64_t ToDeadline(mica_time_t deadline) {
  if (deadline < 0) {
    return 0;
  }
  return static_cast<uint64_t>(deadline) >= UINT64_MAX / 2 ? UINT64_MAX
                                                           : static_cast<uint64_t>(deadline);
}

// A pointer found inside a record copied in from user memory (e.g. the
// buffers of mica_channel_call_args_t): a user address, typed as one.
template <typename T>
user_in_ptr<const T> UserIn(const T* p) {
  return user_in_ptr<const T>(reinterpret_cast<uint64_t>(p));
}
template <typename T>
user_out_ptr<T> UserOut(T* p) {
  return user_out_ptr<T>(reinterpret_cast<uint64_t>(p));
}

// Writes a new handle for `object` to user memory; closes it again if the
// write faults so no handle leaks into a table the caller cannot see.
inline mica::Status AddAndCopyOut(Process* p, mica::RefPtr<Dispatcher> object, mica_rights_t rights,
                                  user_out_ptr<mica_handle_t> out) {
  mica_handle_t h;
  TRY(p->AddHandle(mica::Move(object), rights, &h));
  mica::Status s = out.copy_to_user(h);
  if (s != mica::Status::kOk) {
    (void)p->CloseHandle(h);
  }
  return s;
}

// AddAndCopyOut for the two ends of a new pair (channel_create,
// eventpair_create): both handles are written, or neither stays.
inline mica::Status AddPairAndCopyOut(Process* p, mica::RefPtr<Dispatcher> a,
                                      mica::RefPtr<Dispatcher> b, mica_rights_t rights,
                                      user_out_ptr<mica_handle_t> out0,
                                      user_out_ptr<mica_handle_t> out1) {
  mica_handle_t h0;
  TRY(p->AddHandle(mica::Move(a), rights, &h0));
  mica::Status s = AddAndCopyOut(p, mica::Move(b), rights, out1);
  if (s == mica::Status::kOk) {
    s = out0.copy_to_user(h0);
  }
  if (s != mica::Status::kOk) {
    (void)p->CloseHandle(h0);
  }
  return s;
}

// An object's name as a call passes it (a create call's `name`, the value
// of MICA_PROP_NAME): its first MICA_MAX_NAME_LEN - 1 bytes at most (a
// longer name is cut), NUL-terminated.
struct ObjectName {
  char text[MICA_MAX_NAME_LEN] = {};
  size_t len = 0;
};

inline mica::Status CopyInName(user_in_ptr<const void> name, size_t name_size, ObjectName* out) {
  out->len = name_size < MICA_MAX_NAME_LEN - 1 ? name_size : MICA_MAX_NAME_LEN - 1;
  return name.copy_from_user(out->text, out->len);
}

// The prologue of the calls that create an object inside another
// (job_create, process_create, thread_create), in the ABI's order: the
// parent `handle` looked up as a T with `rights`, then `options`, which
// must be 0 (kInvalidArgs), then the name, if the call takes one.
template <typename T>
mica::Result<mica::RefPtr<T>> GetParent(Process* p, mica_handle_t handle, mica_rights_t rights,
                                        uint32_t options) {
  mica::RefPtr<T> parent = TRY(p->GetObject<T>(handle, rights));
  if (options != 0) {
    return mica::Status::kInvalidArgs;
  }
  return parent;
}
template <typename T>
mica::Result<mica::RefPtr<T>> GetParent(Process* p, mica_handle_t handle, mica_rights_t rights,
                                        uint32_t options, user_in_ptr<const void> name,
                                        size_t name_size, ObjectName* name_out) {
  mica::RefPtr<T> parent = TRY(GetParent<T>(p, handle, rights, options));
  TRY(CopyInName(name, name_size, name_out));
  return parent;
}
