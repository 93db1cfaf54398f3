#include "system/core/driver_manager/lib/error.h"

#include <stdarg.h>
#include <stdio.h>

namespace dm {

const char* StatusString(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kNotFound:
      return "not found";
    case Status::kBadValue:
      return "bad value";
    case Status::kBadCells:
      return "bad cells";
    case Status::kNoParent:
      return "no interrupt parent";
    case Status::kNoTranslation:
      return "no translation";
    case Status::kOverflow:
      return "overflow";
    case Status::kTooMany:
      return "too many";
    case Status::kUnsupported:
      return "unsupported";
    case Status::kBufferTooSmall:
      return "buffer too small";
    case Status::kMalformed:
      return "malformed";
  }
  return "unknown";
}

Status Fail(Error* err, Status status, const char* fmt, ...) {
  if (err != nullptr) {
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
  }
  return status;
}

}  // namespace dm
