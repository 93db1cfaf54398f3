// userboot: the first user process (docs/kernel.md, "Starting programs").
//
// The kernel starts it with, in its bootstrap message: the kernel command
// line as argv[1]; the bootfs and DTB VMOs (read-only); the root job
// (MICA_BOOTSTRAP_JOB_DEFAULT), its own root VMAR and process, a debug log;
// and, later, the root resource. userboot maps the bootfs, loads the program
// that `userboot.next=` names (cmdline.h) at a random address into a new
// process in the root job, starts it with a bootstrap message of its own
// and waits for it to end:
//   userboot: <path> exited with status <N>
// (the line the test harness waits for). Every startup handle userboot does
// not use itself is passed on to that program unchanged.
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

#include "images/bootfs/bootfs.h"
#include "system/core/userboot/cmdline.h"
#include "system/core/userboot/launch.h"

namespace {

// Handles the runtime does not keep for itself (bootfs, DTB, root resource
// ...), passed on to the next program with their info words.
struct PassOn {
  mica_handle_t handles[MICA_CHANNEL_MAX_MSG_HANDLES];
  uint32_t info[MICA_CHANNEL_MAX_MSG_HANDLES];
  uint32_t count = 0;

  void TakeAll() {
    uint32_t infos[MICA_CHANNEL_MAX_MSG_HANDLES];
    uint32_t n = mica_rt_startup_handle_infos(infos, MICA_CHANNEL_MAX_MSG_HANDLES);
    for (uint32_t i = 0; i < n && i < MICA_CHANNEL_MAX_MSG_HANDLES; i++) {
      mica_handle_t h = mica_rt_take_startup_handle(infos[i]);
      if (h != MICA_HANDLE_INVALID) {
        handles[count] = h;
        info[count] = infos[i];
        count++;
      }
    }
  }
  mica_handle_t Find(uint32_t kind) const {
    for (uint32_t i = 0; i < count; i++) {
      if (MICA_BOOTSTRAP_HANDLE_KIND(info[i]) == kind) {
        return handles[i];
      }
    }
    return MICA_HANDLE_INVALID;
  }
};

int Run(const char* cmdline) {
  static char storage[4096];
  userboot::Options opts;
  if (const char* err = userboot::ParseCommandLine(cmdline, storage, sizeof(storage), &opts)) {
    printf("userboot: bad command line: %s\n", err);
    return 1;
  }
  PassOn pass;
  pass.TakeAll();
  bootfs::Image fs;
  char why[160];
  if (!userboot::OpenBootfs(pass.Find(MICA_BOOTSTRAP_VMO_BOOTFS), &fs, why, sizeof(why))) {
    printf("userboot: %s\n", why);
    return 1;
  }
  const char* path = opts.next;
  const char* argv[1 + userboot::kMaxArgs];
  argv[0] = path;
  for (size_t i = 0; i < opts.arg_count; i++) {
    argv[1 + i] = opts.args[i];
  }
  userboot::LaunchSpec spec;
  spec.path = path;
  spec.argv = argv;
  spec.argc = static_cast<uint32_t>(1 + opts.arg_count);
  spec.job = mica_rt_job_default();
  spec.bootfs_vmo = pass.Find(MICA_BOOTSTRAP_VMO_BOOTFS);  // passed on by Start, after the load
  spec.handles = pass.handles;
  spec.info = pass.info;
  spec.handle_count = pass.count;
  pass.count = 0;  // consumed by Launch
  mica::Handle process;
  userboot::LaunchInfo where;
  if (!userboot::Launch(fs, spec, &process, &where, why, sizeof(why))) {
    printf("userboot: cannot start %s: %s\n", path, why);
    return 1;
  }
  mica_info_handle_basic_t basic = {};
  (void)mica_object_get_info(process.get(), MICA_INFO_HANDLE_BASIC, &basic, sizeof(basic), NULL,
                             NULL);
  printf("userboot: %s: process %llu, loaded at 0x%llx, entry 0x%llx, stack 0x%llx\n", path,
         static_cast<unsigned long long>(basic.koid), static_cast<unsigned long long>(where.base),
         static_cast<unsigned long long>(where.entry),
         static_cast<unsigned long long>(where.stack_top));
  mica_signals_t seen = 0;
  (void)mica_object_wait_one(process.get(), MICA_TASK_TERMINATED, MICA_TIME_INFINITE, &seen);
  mica_info_process_t info = {};
  mica_status_t s =
      mica_object_get_info(process.get(), MICA_INFO_PROCESS, &info, sizeof(info), NULL, NULL);
  if (s != MICA_OK) {
    printf("userboot: %s ended, but its status is unknown (status %d)\n", path,
           static_cast<int>(s));
    return 1;
  }
  printf("userboot: %s exited with status %lld\n", path, static_cast<long long>(info.return_code));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return Run(argc > 1 ? argv[1] : "");
}
