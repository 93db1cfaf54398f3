// bin/loader-test: an in-target test of the program loader
// (system/core/userboot/loader.h), run by `./mica test` as
// userboot/virt-gic3-smp2-loader (userboot.next=bin/loader-test).
//
// userboot starts it with the bootfs VMO, so its own segments are cloned
// copy-on-write from the bootfs file. It checks its own memory, changes its
// .data, then starts copies of itself ("child" in argv[1]) both ways the
// loader can lay a program out (cloned from the bootfs VMO, and copied) and
// twice each: every copy must see the file's initial .data (the writes of
// the parent and of the copy before it reach neither the bootfs file nor
// another instance), a zero .bss and relocated pointers. At the end the
// file's CRC in the bootfs must still match. It prints
//   loader-test: <case>: ok | FAILED (<why>)
// then `loader-test: N passed, N failed` and exits with the failure count;
// a copy exits with 0 or the number of the first check that failed.
#include <mica/cpp/handle.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

#include "images/bootfs/bootfs.h"
#include "system/core/userboot/launch.h"
#include "system/core/userboot/loader.h"
#include "system/core/userboot/message.h"

namespace {

// .data (initialised, writable), .bss (zero) and .data.rel.ro (pointers the
// loader relocates, read-only afterwards).
volatile uint64_t g_data[4] = {0x1111222233334444ull, 0x5555666677778888ull, 1, 2};
volatile uint64_t g_small_bss;  // in the page where .data ends and .bss starts
volatile uint8_t g_big_bss[3 * 4096 + 123];
const char kText[] = "loader-test";
const char* const g_pointers[2] = {kText, kText + 7};

int g_passed = 0, g_failed = 0;

void Report(const char* name, const char* why) {
  if (why == nullptr) {
    g_passed++;
    printf("loader-test: %s: ok\n", name);
  } else {
    g_failed++;
    printf("loader-test: %s: FAILED (%s)\n", name, why);
  }
}

// The checks a fresh instance passes: 0, or the number of the first that
// fails.
int CheckFresh() {
  if (g_data[0] != 0x1111222233334444ull || g_data[1] != 0x5555666677778888ull || g_data[2] != 1 ||
      g_data[3] != 2) {
    return 1;  // .data is not the file's
  }
  if (g_small_bss != 0) {
    return 2;
  }
  for (size_t i = 0; i < sizeof(g_big_bss); i++) {
    if (g_big_bss[i] != 0) {
      return 3;
    }
  }
  if (g_pointers[0] != kText || g_pointers[1] != kText + 7 || strcmp(g_pointers[1], "test") != 0) {
    return 4;  // not relocated for this load address
  }
  return 0;
}

// Writes everything a fresh instance checks.
void Scribble() {
  for (auto& d : g_data) {
    d = ~d;
  }
  g_small_bss = 0xdeadbeef;
  for (size_t i = 0; i < sizeof(g_big_bss); i += 512) {
    g_big_bss[i] = 0xa5;
  }
}

// A copy of this program, started through `from` (or copied if null) with
// argv {path, "child"}; its exit code, or -1 if it could not run.
int64_t RunCopy(const bootfs::File& file, const userboot::ImageVmo* from, bool cloned, char* why,
                size_t why_size) {
  userboot::Program p;
  if (!userboot::LoadProgram(mica_rt_job_default(), "loader-child", file.data, file.size, &p, why,
                             why_size, from)) {
    return -1;
  }
  if (p.cloned != cloned) {
    snprintf(why, why_size, cloned ? "the loader copied the file" : "the loader cloned the file");
    (void)mica_task_kill(p.process.get());
    return -1;
  }
  const char* argv[2] = {file.name, "child"};
  mica_handle_t handles[2];
  uint32_t info[2];
  handles[0] = p.vmar.release();
  info[0] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMAR_ROOT, 0);
  (void)mica_handle_duplicate(mica_rt_debuglog(), MICA_RIGHT_SAME_RIGHTS, &handles[1]);
  info[1] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_DEBUGLOG, 0);
  userboot::MessageSpec spec;
  spec.info = info;
  spec.handle_count = 2;
  spec.argv = argv;
  spec.argc = 2;
  static uint8_t msg[1024];
  uint32_t size = userboot::MessageSize(spec);
  mica_handle_t mine = MICA_HANDLE_INVALID, theirs = MICA_HANDLE_INVALID;
  mica_status_t s = size != 0 && size <= sizeof(msg) && userboot::WriteMessage(spec, msg, size)
                        ? mica_channel_create(0, &mine, &theirs)
                        : MICA_ERR_OUT_OF_RANGE;
  if (s == MICA_OK) {
    s = mica_channel_write(mine, 0, msg, size, handles, 2);
  } else {
    mica_handle_close_many(handles, 2);
  }
  if (s == MICA_OK) {
    s = mica_process_start(p.process.get(), p.thread.get(), p.entry, p.stack_top, theirs, p.base);
    theirs = MICA_HANDLE_INVALID;
  }
  mica_handle_close(mine);
  mica_handle_close(theirs);
  mica_signals_t seen = 0;
  mica_info_process_t pi = {};
  if (s == MICA_OK) {
    s = mica_object_wait_one(p.process.get(), MICA_TASK_TERMINATED, MICA_TIME_INFINITE, &seen);
  }
  if (s == MICA_OK) {
    s = mica_object_get_info(p.process.get(), MICA_INFO_PROCESS, &pi, sizeof(pi), nullptr, nullptr);
  }
  if (s != MICA_OK) {
    snprintf(why, why_size, "starting or waiting for the copy failed (status %d)",
             static_cast<int>(s));
    (void)mica_task_kill(p.process.get());
    return -1;
  }
  return pi.return_code;
}

void CheckCopies(const bootfs::File& file, const userboot::ImageVmo* from, bool cloned,
                 const char* name) {
  char why[160] = "";
  for (int i = 0; i < 2; i++) {
    int64_t code = RunCopy(file, from, cloned, why, sizeof(why));
    if (code != 0) {
      if (code > 0) {
        snprintf(why, sizeof(why), "copy %d failed check %lld", i, static_cast<long long>(code));
      }
      Report(name, why);
      return;
    }
  }
  Report(name, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "child") == 0) {
    int r = CheckFresh();
    Scribble();  // the next copy must not see this
    return r;
  }
  static char why[64];
  int fresh = CheckFresh();
  snprintf(why, sizeof(why), "check %d failed", fresh);
  Report("fresh-instance", fresh == 0 ? nullptr : why);
  Scribble();
  Report("data-and-bss-writable",
         g_data[2] == ~1ull && g_small_bss == 0xdeadbeef ? nullptr : "lost a write");

  mica_handle_t vmo =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_BOOTFS, 0));
  bootfs::Image fs;
  bootfs::File file;
  char reason[160];
  if (!userboot::OpenBootfs(vmo, &fs, reason, sizeof(reason)) || !fs.Find(argv[0], &file)) {
    Report("bootfs", "cannot open the bootfs or find this program in it");
  } else {
    userboot::ImageVmo from{vmo, file.offset};
    CheckCopies(file, &from, true, "copies-cloned-from-the-bootfs");
    CheckCopies(file, nullptr, false, "copies-copied");
    // An unaligned offset cannot be cloned: the loader copies instead.
    userboot::ImageVmo odd{vmo, file.offset + 8};
    CheckCopies(file, &odd, false, "copies-unaligned-offset-falls-back");
    Report("bootfs-file-unchanged", fs.CheckFile(file) ? nullptr : "the file's CRC changed");
  }
  printf("loader-test: %d passed, %d failed\n", g_passed, g_failed);
  return g_failed;
}
