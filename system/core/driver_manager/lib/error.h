// dm::Error: what went wrong, where, in words.
//
// Contract. Every fallible call of the driver-manager library
// (system/core/driver_manager/lib) returns a dm::Status and, if the caller
// passes a non-null Error*, fills it with the same code and a NUL-terminated
// English message that names the node (its full path) or the manifest
// offset and the offending entry, e.g.
//   "/pl011@9000000: interrupts[0]: GIC SPI 1000 out of range (0..987)".
// On success the Error is left untouched. Messages are truncated to fit
// kMessageSize; they never allocate. Error is a plain value (no heap).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace dm {

enum class Status : uint8_t {
  kOk = 0,
  kNotFound,        // no such property / entry (e.g. node without `reg`)
  kBadValue,        // a property or field has a malformed value
  kBadCells,        // a cell count (#address-cells, #interrupt-cells ...) is wrong
  kNoParent,        // an interrupt has no (valid) interrupt parent
  kNoTranslation,   // a `reg` address cannot be translated to a CPU address
  kOverflow,        // an address range wraps past 2^64
  kTooMany,         // more entries than the fixed capacity holds
  kUnsupported,     // a valid but unsupported form (e.g. GIC extended SPI)
  kBufferTooSmall,  // the caller's buffer is too small
  kMalformed,       // a binary manifest fails validation
};

// A constant name for `status` ("bad cells", ...).
const char* StatusString(Status status);

struct Error {
  static constexpr size_t kMessageSize = 192;
  Status status = Status::kOk;
  char message[kMessageSize] = {};
};

// Fills `err` (if non-null) with `status` and the printf-style message;
// returns `status` so callers can `return Fail(err, Status::kX, "...")`.
Status Fail(Error* err, Status status, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace dm
