// log_service::PidMonikers: which moniker the router vouched for each
// process koid with (log.Admin.AttachSink), so that the process's own
// debug log records (its stdout, merged from the kernel's log) carry its
// component's moniker instead of `debuglog` (docs/logging.md, "The
// kernel's log merged in").
//
// Contract:
// - Bounded: `capacity` entries allocated once at construction (ok() says
//   whether that worked); never more than one entry per pid.
// - Attach(pid, moniker): the pid is now known as `moniker` (a later attach
//   of the same pid renames it: the router's latest word wins) and holds
//   one more live connection. pid 0 (the attacher did not know the
//   process) is ignored: nothing vouches for it.
// - Detach(pid): one of its connections closed. With none left the entry
//   is retired, not forgotten: a process's last lines may be merged from
//   the kernel's log after its Sink closed (it exited, the kernel log is
//   read later). A retired entry is reused, the longest retired first,
//   only when a new pid finds no free entry. Koids are never reused
//   (docs/kernel.md), so a retired entry never names another process.
// - A live entry holds at least one open connection, so with capacity >=
//   the service's connection limit every attached process has its entry;
//   Attach fails (false) only when every entry is live.
// - Find(pid): the moniker, or an empty view. Views stay valid until the
//   next Attach.
// Not thread-safe: the service uses it from its loop thread only.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "system/core/log_service/ring.h"

namespace log_service {

class PidMonikers {
 public:
  explicit PidMonikers(size_t capacity);
  ~PidMonikers();
  PidMonikers(const PidMonikers&) = delete;
  PidMonikers& operator=(const PidMonikers&) = delete;

  bool ok() const { return entries_ != nullptr; }
  size_t capacity() const { return capacity_; }
  // Entries in use (live or retired).
  size_t size() const;

  bool Attach(uint64_t pid, std::string_view moniker);
  void Detach(uint64_t pid);
  std::string_view Find(uint64_t pid) const;
  // Connections open for `pid` (0: retired or unknown).
  uint32_t live(uint64_t pid) const;

 private:
  struct Entry {
    uint64_t pid = 0;  // 0: free
    uint32_t live = 0;
    uint64_t retired = 0;  // when it was retired (a counter), if live == 0
    uint8_t moniker_len = 0;
    char moniker[kMaxMoniker];
  };
  Entry* Lookup(uint64_t pid) const;

  Entry* entries_ = nullptr;
  size_t capacity_ = 0;
  uint64_t retire_clock_ = 0;
};

// The moniker a record merged from the kernel's log carries: `kernel` for
// pid 0 (the kernel's own lines), the attached moniker of a known process,
// else `debuglog`.
std::string_view KernelRecordMoniker(uint64_t pid, const PidMonikers& pids);

}  // namespace log_service
