#include "kernel/lib/status.h"

namespace mica {

const char* StatusString(Status s) {
  switch (s) {
    case Status::kOk:
      return "Ok";
    case Status::kInternal:
      return "Internal";
    case Status::kNotSupported:
      return "NotSupported";
    case Status::kNoResources:
      return "NoResources";
    case Status::kNoMemory:
      return "NoMemory";
    case Status::kInvalidArgs:
      return "InvalidArgs";
    case Status::kBadHandle:
      return "BadHandle";
    case Status::kWrongType:
      return "WrongType";
    case Status::kBadSyscall:
      return "BadSyscall";
    case Status::kOutOfRange:
      return "OutOfRange";
    case Status::kBufferTooSmall:
      return "BufferTooSmall";
    case Status::kBadState:
      return "BadState";
    case Status::kTimedOut:
      return "TimedOut";
    case Status::kShouldWait:
      return "ShouldWait";
    case Status::kCanceled:
      return "Canceled";
    case Status::kPeerClosed:
      return "PeerClosed";
    case Status::kNotFound:
      return "NotFound";
    case Status::kAlreadyExists:
      return "AlreadyExists";
    case Status::kAlreadyBound:
      return "AlreadyBound";
    case Status::kUnavailable:
      return "Unavailable";
    case Status::kAccessDenied:
      return "AccessDenied";
    case Status::kIoError:
      return "IoError";
    case Status::kIoInvalid:
      return "IoInvalid";
    case Status::kIoDataIntegrity:
      return "IoDataIntegrity";
  }
  return "Unknown";
}

}  // namespace mica
