// The debug log object: writes go to the kernel log (and so the console),
// each line prefixed with the writing process's name and koid, and to the
// record ring (kernel/base/log.h) that debuglog_read reads. A readable log
// (created with the root resource) has its own read position, starting at
// the oldest record in the ring, and asserts MICA_SIGNAL_READABLE while
// records written with debuglog_write wait for it (kernel lines are read
// too, but do not raise the signal on their own).
//
// A console log (MICA_LOG_FLAG_CONSOLE, TakeConsole) has taken the console
// UART over from the kernel (kernel/base/log.h): its read position starts
// at the first record the kernel did not print, every read reports the
// position to the log, and its destruction gives the console back. Kernel
// lines raise its READABLE from a notifier thread within 10 ms
// (debuglog.cc), since they are logged where no signal can be raised.
//
// Lock order: the readers list lock -> Dispatcher::lock_ -> the kernel log
// lock (a console log reports its read position under its lock).
#pragma once

#include "kernel/lib/list.h"
#include "kernel/object/dispatcher.h"

class DebuglogDispatcher final : public Dispatcher {
 public:
  static constexpr size_t kMaxRecord = 224;
  explicit DebuglogDispatcher(bool readable = false);
  ~DebuglogDispatcher() override;
  mica_rights_t default_rights() const override {
    return readable_ ? MICA_DEFAULT_DEBUGLOG_RIGHTS
                     : MICA_DEFAULT_DEBUGLOG_RIGHTS & ~MICA_RIGHT_READ;
  }
  // Writes one record (lines of at most kMaxRecord bytes; longer ones are
  // split).
  void Write(const char* who, uint64_t koid, const char* data, size_t len);
  // debuglog_read: the next record; kShouldWait if there is none. *undo
  // lets a caller that could not deliver the record put it back (Unread),
  // so a bad user buffer loses nothing.
  struct ReadUndo {
    uint64_t before = 0;
    uint64_t after = 0;
  };
  mica::Status Read(mica_log_record_t* out, ReadUndo* undo);
  // debuglog_read with MICA_LOG_READ_LINE: the record's header in *out and
  // its console line in line[0..*len) (LogReadLine).
  mica::Status ReadLine(mica_log_record_t* out, char* line, size_t cap, size_t* len,
                        ReadUndo* undo);
  void Unread(const ReadUndo& undo);
  // Makes this (readable, not yet published) log the console's.
  // kAlreadyBound if another log has the console.
  mica::Status TakeConsole();
  // Boot: starts the thread that raises the console log's READABLE for
  // kernel lines (at most kConsolePollNs, 10 ms, after they are logged).
  static void StartConsoleNotifier();
  // Sets or clears READABLE from the read position.
  void UpdateReadable();

  mica::ListNode reader_node;  // on the readers list while readable

 private:
  const bool readable_;
  bool console_ = false;  // set before the log is published, then fixed
  uint64_t cursor_ GUARDED_BY(lock_) = 0;
};
