// ToMicaStatus: the one place a driver's Status (status.h) becomes the
// system's mica_status_t, for driver process wrappers (user space only).
#pragma once

#include <mica/status.h>

#include "drivers/lib/status.h"

namespace mica::drivers {

constexpr mica_status_t ToMicaStatus(Status s) {
  switch (s) {
    case Status::kOk:
      return MICA_OK;
    case Status::kNotFound:
      return MICA_ERR_NOT_FOUND;
    case Status::kInvalidArgs:
      return MICA_ERR_INVALID_ARGS;
    case Status::kTimedOut:
      return MICA_ERR_TIMED_OUT;
    case Status::kBadState:
      return MICA_ERR_BAD_STATE;
  }
  return MICA_ERR_IO;
}

}  // namespace mica::drivers
