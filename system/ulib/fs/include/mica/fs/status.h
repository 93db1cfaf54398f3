// mica::fs::Status (docs/storage.md, "The client library"): what a file
// operation gives back. Pure; host-tested (test/path_test.cc).
//
// `error` is the service's fs.Error (system/idl/fs.idl) and `detail` its
// words, kept as it sent them (which check a corrupt volume failed). When
// the service could not be asked, the client fills them itself: NOT_FOUND
// for a mount the namespace does not have, NOT_MOUNTED for one whose
// provider is unavailable, IO when the call failed (the service gone and
// not back after one reconnection, a deadline); `transport` then keeps the
// kernel's status (MICA_OK otherwise).
#pragma once

#include <idl/fs.h>
#include <mica/types.h>
#include <stddef.h>

namespace mica::fs {

using Error = ::idl::fs::Error;

// "no such file or directory", "is a directory", ...: the reason in words,
// the way `rm: /data/x: no such file or directory` says it. Never null.
const char* ErrorString(Error error);

struct Status {
  Error error = Error::OK;
  mica_status_t transport = MICA_OK;
  char detail[::idl::fs::MAX_DETAIL + 1] = {};

  bool ok() const { return error == Error::OK; }
  // A status of `error` with the service's `detail` (cut to fit).
  static Status Of(Error error, const char* detail, size_t length);
  static Status Of(Error error) { return Of(error, "", 0); }
  template <typename S>
  static Status Of(Error error, const S& detail) {
    return Of(error, detail.data, detail.size);
  }

  // "<ErrorString>" or "<ErrorString>: <detail>" into `out` (cut to fit,
  // NUL-terminated); returns `out`.
  const char* Describe(char* out, size_t size) const;
};

}  // namespace mica::fs
