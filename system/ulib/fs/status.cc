// See <mica/fs/status.h>.
#include "mica/fs/status.h"

#include <mica/fs/path.h>
#include <stdio.h>
#include <string.h>

namespace mica::fs {

static_assert(kMaxPath == ::idl::fs::MAX_PATH);

const char* ErrorString(Error error) {
  switch (error) {
    case Error::OK:
      return "ok";
    case Error::NOT_FOUND:
      return "no such file or directory";
    case Error::EXISTS:
      return "file exists";
    case Error::NOT_DIRECTORY:
      return "not a directory";
    case Error::IS_DIRECTORY:
      return "is a directory";
    case Error::NOT_EMPTY:
      return "directory not empty";
    case Error::NO_SPACE:
      return "no space left on the volume";
    case Error::TOO_LARGE:
      return "file too large";
    case Error::BAD_NAME:
      return "invalid name";
    case Error::BAD_PATH:
      return "invalid path";
    case Error::READ_ONLY:
      return "read-only";
    case Error::ACCESS_DENIED:
      return "access denied";
    case Error::IO:
      return "input/output error";
    case Error::CORRUPT:
      return "corrupt file system";
    case Error::NOT_MOUNTED:
      return "not mounted";
    case Error::INVALID:
      return "invalid request";
    case Error::BUSY:
      return "busy";
    case Error::NOT_SUPPORTED:
      return "not supported";
  }
  return "unknown error";
}

Status Status::Of(Error error, const char* detail, size_t length) {
  Status s;
  s.error = error;
  if (length > sizeof(s.detail) - 1) {
    length = sizeof(s.detail) - 1;
  }
  memcpy(s.detail, detail, length);
  s.detail[length] = '\0';
  return s;
}

const char* Status::Describe(char* out, size_t size) const {
  if (size == 0) {
    return out;
  }
  if (detail[0] != '\0') {
    snprintf(out, size, "%s: %s", ErrorString(error), detail);
  } else {
    snprintf(out, size, "%s", ErrorString(error));
  }
  return out;
}

}  // namespace mica::fs
