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
#include "system/core/userboot/loader.h"
#include "system/core/userboot/message.h"

namespace {

using userboot::Program;

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

// The bootfs, mapped read-only into userboot.
bool OpenBootfs(mica_handle_t vmo, bootfs::Image* fs) {
  uint64_t size = 0;
  mica_vaddr_t addr = 0;
  if (vmo == MICA_HANDLE_INVALID) {
    printf("userboot: no bootfs VMO in the bootstrap message\n");
    return false;
  }
  mica_status_t s = mica_vmo_get_size(vmo, &size);
  if (s == MICA_OK) {
    s = mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ, 0, vmo, 0, size, &addr);
  }
  if (s != MICA_OK) {
    printf("userboot: cannot map the bootfs (status %d)\n", static_cast<int>(s));
    return false;
  }
  // The kernel checked the checksums of the whole image; the layout checks
  // make every later access safe. The started file's own CRC is checked too.
  bootfs::Status bs =
      fs->Open(reinterpret_cast<const void*>(addr), size, bootfs::Verify::kStructure);
  if (bs != bootfs::Status::kOk) {
    printf("userboot: the bootfs is not valid: %s\n", bootfs::StatusString(bs));
    return false;
  }
  return true;
}

// Adds one handle to the message under construction.
void Add(mica_handle_t* handles, uint32_t* info, uint32_t* n, mica_handle_t h, uint32_t kind) {
  if (h != MICA_HANDLE_INVALID) {
    handles[*n] = h;
    info[*n] = MICA_BOOTSTRAP_HANDLE_INFO(kind, 0);
    (*n)++;
  }
}

mica_handle_t Dup(mica_handle_t h) {
  mica_handle_t out = MICA_HANDLE_INVALID;
  if (h == MICA_HANDLE_INVALID ||
      mica_handle_duplicate(h, MICA_RIGHT_SAME_RIGHTS, &out) != MICA_OK) {
    return MICA_HANDLE_INVALID;
  }
  return out;
}

// Writes the program's bootstrap message and starts it. The message's
// handles (and the pass-on set) are consumed either way.
mica_status_t Start(Program* p, const userboot::Options& opts, PassOn* pass) {
  mica_handle_t handles[MICA_CHANNEL_MAX_MSG_HANDLES];
  uint32_t info[MICA_CHANNEL_MAX_MSG_HANDLES];
  uint32_t n = 0;
  Add(handles, info, &n, Dup(mica_rt_debuglog()), MICA_BOOTSTRAP_DEBUGLOG);
  Add(handles, info, &n, p->vmar.release(), MICA_BOOTSTRAP_VMAR_ROOT);
  Add(handles, info, &n, Dup(p->process.get()), MICA_BOOTSTRAP_PROC_SELF);
  Add(handles, info, &n, Dup(mica_rt_job_default()), MICA_BOOTSTRAP_JOB_DEFAULT);
  Add(handles, info, &n, Dup(p->thread.get()), MICA_BOOTSTRAP_THREAD_SELF);
  for (uint32_t i = 0; i < pass->count && n < MICA_CHANNEL_MAX_MSG_HANDLES; i++) {
    handles[n] = pass->handles[i];
    info[n] = pass->info[i];
    n++;
  }
  pass->count = 0;

  const char* argv[1 + userboot::kMaxArgs];
  argv[0] = opts.next;
  for (size_t i = 0; i < opts.arg_count; i++) {
    argv[1 + i] = opts.args[i];
  }
  userboot::MessageSpec spec;
  spec.info = info;
  spec.handle_count = n;
  spec.argv = argv;
  spec.argc = static_cast<uint32_t>(1 + opts.arg_count);
  static uint8_t msg[MICA_CHANNEL_MAX_MSG_BYTES];
  uint32_t size = userboot::MessageSize(spec);
  mica_handle_t mine = MICA_HANDLE_INVALID, theirs = MICA_HANDLE_INVALID;
  mica_status_t s =
      size != 0 && userboot::WriteMessage(spec, msg, size) ? MICA_OK : MICA_ERR_OUT_OF_RANGE;
  if (s == MICA_OK) {
    s = mica_channel_create(0, &mine, &theirs);
  }
  if (s == MICA_OK) {
    s = mica_channel_write(mine, 0, msg, size, handles, n);  // consumes the handles
  } else {
    mica_handle_close_many(handles, n);
  }
  if (s == MICA_OK) {
    s = mica_process_start(p->process.get(), p->thread.get(), p->entry, p->stack_top, theirs,
                           p->base);
    theirs = MICA_HANDLE_INVALID;  // consumed
  }
  // The program sees PEER_CLOSED once it has read the message.
  mica_handle_close(mine);
  mica_handle_close(theirs);
  return s;
}

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
  if (!OpenBootfs(pass.Find(MICA_BOOTSTRAP_VMO_BOOTFS), &fs)) {
    return 1;
  }
  const char* path = opts.next;
  bootfs::File file;
  if (!fs.Find(path, &file)) {
    printf("userboot: cannot start %s: no such file in the bootfs\n", path);
    return 1;
  }
  if (!fs.CheckFile(file)) {
    printf("userboot: cannot start %s: its checksum does not match the bootfs directory\n", path);
    return 1;
  }
  const char* slash = strrchr(path, '/');
  const char* name = slash != nullptr ? slash + 1 : path;
  Program p;
  char why[160];
  if (!userboot::LoadProgram(mica_rt_job_default(), name, file.data, file.size, &p, why,
                             sizeof(why))) {
    printf("userboot: cannot start %s: %s\n", path, why);
    return 1;
  }
  mica_info_handle_basic_t basic = {};
  (void)mica_object_get_info(p.process.get(), MICA_INFO_HANDLE_BASIC, &basic, sizeof(basic), NULL,
                             NULL);
  mica_status_t s = Start(&p, opts, &pass);
  if (s != MICA_OK) {
    (void)mica_task_kill(p.process.get());
    printf("userboot: cannot start %s: process_start failed (status %d)\n", path,
           static_cast<int>(s));
    return 1;
  }
  printf("userboot: %s: process %llu, loaded at 0x%llx, entry 0x%llx, stack 0x%llx\n", path,
         static_cast<unsigned long long>(basic.koid), static_cast<unsigned long long>(p.base),
         static_cast<unsigned long long>(p.entry), static_cast<unsigned long long>(p.stack_top));
  mica_signals_t seen = 0;
  (void)mica_object_wait_one(p.process.get(), MICA_TASK_TERMINATED, MICA_TIME_INFINITE, &seen);
  mica_info_process_t info = {};
  s = mica_object_get_info(p.process.get(), MICA_INFO_PROCESS, &info, sizeof(info), NULL, NULL);
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
