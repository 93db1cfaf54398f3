// The status codes of <mica/status.h> as one list, for the code that names
// them (mica::StatusString in the kernel, ct_status_name in core-tests).
//
// MICA_STATUS_LIST(X) expands X(CODE, Name) once per code, in the order of
// <mica/status.h>: CODE is the MICA_OK / MICA_ERR_* macro (#CODE spells it)
// and Name the name of mica::Status's enumerator without its leading `k`
// (kernel/lib/status.h; status.cc checks both directions at compile time).
// A new status code is added here, in <mica/status.h> and in mica::Status.
#pragma once

#include "status.h"

#define MICA_STATUS_LIST(X)                    \
  X(MICA_OK, Ok)                               \
  X(MICA_ERR_INTERNAL, Internal)               \
  X(MICA_ERR_NOT_SUPPORTED, NotSupported)      \
  X(MICA_ERR_NO_RESOURCES, NoResources)        \
  X(MICA_ERR_NO_MEMORY, NoMemory)              \
  X(MICA_ERR_INVALID_ARGS, InvalidArgs)        \
  X(MICA_ERR_BAD_HANDLE, BadHandle)            \
  X(MICA_ERR_WRONG_TYPE, WrongType)            \
  X(MICA_ERR_BAD_SYSCALL, BadSyscall)          \
  X(MICA_ERR_OUT_OF_RANGE, OutOfRange)         \
  X(MICA_ERR_BUFFER_TOO_SMALL, BufferTooSmall) \
  X(MICA_ERR_BAD_STATE, BadState)              \
  X(MICA_ERR_TIMED_OUT, TimedOut)              \
  X(MICA_ERR_SHOULD_WAIT, ShouldWait)          \
  X(MICA_ERR_CANCELED, Canceled)               \
  X(MICA_ERR_PEER_CLOSED, PeerClosed)          \
  X(MICA_ERR_NOT_FOUND, NotFound)              \
  X(MICA_ERR_ALREADY_EXISTS, AlreadyExists)    \
  X(MICA_ERR_ALREADY_BOUND, AlreadyBound)      \
  X(MICA_ERR_UNAVAILABLE, Unavailable)         \
  X(MICA_ERR_ACCESS_DENIED, AccessDenied)      \
  X(MICA_ERR_IO, IoError)                      \
  X(MICA_ERR_IO_INVALID, IoInvalid)            \
  X(MICA_ERR_IO_DATA_INTEGRITY, IoDataIntegrity)
