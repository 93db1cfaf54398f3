// Mica status codes: what every syscall returns.
//
// A syscall returns MICA_OK (0) on success and a negative status on failure
// (docs/syscalls.md). The values equal those of mica::Status in
// kernel/lib/status.h and are part of the ABI: they never change.
//
// Each code's comment is its one-line meaning; gen_syscalls.py reads these
// comments into the status table of docs/syscalls.md, so keep the layout:
// one `// meaning` line directly above each #define.
#pragma once

#include <stdint.h>

typedef int32_t mica_status_t;

// Success.
#define MICA_OK ((mica_status_t)0)

// Something inside the kernel went wrong; not the caller's fault.
#define MICA_ERR_INTERNAL ((mica_status_t)-1)
// The operation or an option is not supported by this object or kernel.
#define MICA_ERR_NOT_SUPPORTED ((mica_status_t)-2)
// A kernel resource other than memory (an id space, a table) is exhausted.
#define MICA_ERR_NO_RESOURCES ((mica_status_t)-3)
// The kernel could not allocate the memory the operation needs.
#define MICA_ERR_NO_MEMORY ((mica_status_t)-4)

// An argument is invalid: bad options, bad pointer, misaligned address.
#define MICA_ERR_INVALID_ARGS ((mica_status_t)-10)
// A handle argument does not name a handle of the calling process.
#define MICA_ERR_BAD_HANDLE ((mica_status_t)-11)
// A handle names an object of the wrong type for the operation.
#define MICA_ERR_WRONG_TYPE ((mica_status_t)-12)
// The syscall number is not a syscall of this kernel.
#define MICA_ERR_BAD_SYSCALL ((mica_status_t)-13)
// An argument is well-formed but outside the range the operation accepts.
#define MICA_ERR_OUT_OF_RANGE ((mica_status_t)-14)
// A caller's buffer is too small; the size needed is reported where possible.
#define MICA_ERR_BUFFER_TOO_SMALL ((mica_status_t)-15)

// The object's state does not allow the operation now.
#define MICA_ERR_BAD_STATE ((mica_status_t)-20)
// The deadline passed before the operation could complete.
#define MICA_ERR_TIMED_OUT ((mica_status_t)-21)
// The operation cannot complete now; wait for a signal and retry.
#define MICA_ERR_SHOULD_WAIT ((mica_status_t)-22)
// The operation was canceled, e.g. the handle waited on was closed.
#define MICA_ERR_CANCELED ((mica_status_t)-23)
// The other end of a channel or event pair is closed.
#define MICA_ERR_PEER_CLOSED ((mica_status_t)-24)
// The requested entity does not exist.
#define MICA_ERR_NOT_FOUND ((mica_status_t)-25)
// The entity to create already exists.
#define MICA_ERR_ALREADY_EXISTS ((mica_status_t)-26)
// The object is already bound (to a port, say) and cannot be bound again.
#define MICA_ERR_ALREADY_BOUND ((mica_status_t)-27)
// The resource is temporarily unavailable; a retry may succeed.
#define MICA_ERR_UNAVAILABLE ((mica_status_t)-28)

// The handle lacks a right the operation needs, or a policy forbids it.
#define MICA_ERR_ACCESS_DENIED ((mica_status_t)-30)

// A device reported an input/output error.
#define MICA_ERR_IO ((mica_status_t)-40)
// A device rejected the request as malformed.
#define MICA_ERR_IO_INVALID ((mica_status_t)-41)
// Data read from a device failed an integrity check.
#define MICA_ERR_IO_DATA_INTEGRITY ((mica_status_t)-42)
