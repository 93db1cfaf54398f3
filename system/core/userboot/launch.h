// Starting a program from the bootfs in a new process, with a bootstrap
// message (docs/process-bootstrap.md): what userboot does for
// `userboot.next=`, for any user program that holds the bootfs VMO
// (bin/syscall-fuzz starts its fuzzing children this way).
#pragma once

#include <mica/cpp/handle.h>
#include <stddef.h>
#include <stdint.h>

#include "images/bootfs/bootfs.h"

namespace userboot {

// Maps the bootfs VMO read-only into the caller's root VMAR and opens it
// (structure checked; each started file's CRC is checked by Launch).
bool OpenBootfs(mica_handle_t vmo, bootfs::Image* fs, char* why, size_t why_size);

struct LaunchSpec {
  const char* path = nullptr;         // the bootfs file
  const char* name = nullptr;         // the process name; nullptr: the file's base name
  const char* const* argv = nullptr;  // argv[0] is the path by convention
  uint32_t argc = 0;
  mica_handle_t job = MICA_HANDLE_INVALID;  // where the process goes (not consumed)
  // The VMO `fs` was opened from (OpenBootfs; not consumed), if the caller
  // has it: the program's pages are then cloned copy-on-write from the
  // file instead of copied (LoadProgram's `from`).
  mica_handle_t bootfs_vmo = MICA_HANDLE_INVALID;
  // Handles for the program besides those Launch adds (debug log, root VMAR,
  // process, thread, job): consumed either way. A MICA_BOOTSTRAP_DEBUGLOG
  // handle here is the program's stdout instead of the caller's debug log.
  const mica_handle_t* handles = nullptr;
  const uint32_t* info = nullptr;
  uint32_t handle_count = 0;
  // The caller has already started this file from this `fs` (whose mapping
  // is read-only, so its bytes cannot have changed): skip the file's CRC
  // check, which costs about 8 instructions a byte (the driver manager's
  // restarts).
  bool file_checked = false;
  // Called with the new process's koid once it exists, before its first
  // thread starts (the component manager attaches the process's log sink
  // then: the log service knows it before it writes anything).
  void (*before_start)(void* ctx, uint64_t koid) = nullptr;
  void* before_start_ctx = nullptr;
};

// Loads spec.path from `fs` into a new process in spec.job (LoadProgram) and
// starts it with a bootstrap message carrying spec.argv, a duplicate of the
// caller's debug log, the new process's root VMAR, the process and its
// first thread, a duplicate of spec.job as its default job, and
// spec.handles. On success *process is the new process (and *info_out, if
// given, its load address and entry); on failure a one-line reason is in
// why[0, why_size) and nothing is left running.
struct LaunchInfo {
  uint64_t base = 0;
  uint64_t entry = 0;
  uint64_t stack_top = 0;
};
bool Launch(const bootfs::Image& fs, const LaunchSpec& spec, mica::Handle* process,
            LaunchInfo* info_out, char* why, size_t why_size);

}  // namespace userboot
