// Status: the kernel's internal error codes.
//
// Values are negative (kOk is 0) and grouped by kind. They are internal: the
// generated syscall entry (syscall_gen::ToAbi in kernel/syscall_table.inc) is
// the one place that translates them to the ABI status codes of
// system/public. The enum is [[nodiscard]]: a returned Status must be
// looked at (or explicitly discarded with a cast to void). It is 64 bits
// wide, the width of the ABI's x0: a handler's Status is its syscall's
// result without a sign extension, so an entry can tail-call its handler.
#pragma once

#include <stdint.h>

namespace mica {

// clang-format 14 misreads an attribute on an enum; keep the layout by hand.
// clang-format off
enum class [[nodiscard]] Status : int64_t {
  kOk = 0,

  // Something inside the kernel went wrong.
  kInternal = -1,
  kNotSupported = -2,
  kNoResources = -3,
  kNoMemory = -4,

  // The caller passed something wrong.
  kInvalidArgs = -10,
  kBadHandle = -11,
  kWrongType = -12,
  kBadSyscall = -13,
  kOutOfRange = -14,
  kBufferTooSmall = -15,

  // The state of the object or system does not allow the operation.
  kBadState = -20,
  kTimedOut = -21,
  kShouldWait = -22,
  kCanceled = -23,
  kPeerClosed = -24,
  kNotFound = -25,
  kAlreadyExists = -26,
  kAlreadyBound = -27,
  kUnavailable = -28,

  // Permissions.
  kAccessDenied = -30,

  // Input/output.
  kIoError = -40,
  kIoInvalid = -41,
  kIoDataIntegrity = -42,
};
// clang-format on

// The name of `s` without the leading `k` ("Ok", "NoMemory", ...), or
// "Unknown" for values outside the enum.
const char* StatusString(Status s);

}  // namespace mica
