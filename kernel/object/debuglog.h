// The debug log object: writes go to the kernel log (and so the console),
// each record prefixed with the writing process's name and koid.
#pragma once

#include "kernel/object/dispatcher.h"

class DebuglogDispatcher final : public Dispatcher {
 public:
  static constexpr size_t kMaxRecord = 224;
  DebuglogDispatcher() : Dispatcher(MICA_OBJ_TYPE_DEBUGLOG, MICA_SIGNAL_WRITABLE) {}
  mica_rights_t default_rights() const override { return MICA_DEFAULT_DEBUGLOG_RIGHTS; }
  // Writes one record (lines of at most kMaxRecord bytes; longer ones are
  // split).
  void Write(const char* who, uint64_t koid, const char* data, size_t len);
};
