#include "system/core/userboot/launch.h"

#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

#include "system/core/userboot/loader.h"
#include "system/core/userboot/message.h"

namespace userboot {
namespace {

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

void CloseAll(const LaunchSpec& spec) {
  if (spec.handle_count != 0) {
    mica_handle_close_many(spec.handles, spec.handle_count);
  }
}

// Writes the program's bootstrap message and starts it. The message's
// handles are consumed either way.
mica_status_t Start(Program* p, const LaunchSpec& spec) {
  mica_handle_t handles[MICA_CHANNEL_MAX_MSG_HANDLES];
  uint32_t info[MICA_CHANNEL_MAX_MSG_HANDLES];
  uint32_t n = 0;
  // A debug log among spec.handles (the component manager's Realm.Run
  // `stdout`) replaces the caller's.
  bool own_log = false;
  for (uint32_t i = 0; i < spec.handle_count; i++) {
    own_log |= MICA_BOOTSTRAP_HANDLE_KIND(spec.info[i]) == MICA_BOOTSTRAP_DEBUGLOG;
  }
  if (!own_log) {
    Add(handles, info, &n, Dup(mica_rt_debuglog()), MICA_BOOTSTRAP_DEBUGLOG);
  }
  Add(handles, info, &n, p->vmar.release(), MICA_BOOTSTRAP_VMAR_ROOT);
  Add(handles, info, &n, Dup(p->process.get()), MICA_BOOTSTRAP_PROC_SELF);
  Add(handles, info, &n, Dup(spec.job), MICA_BOOTSTRAP_JOB_DEFAULT);
  Add(handles, info, &n, Dup(p->thread.get()), MICA_BOOTSTRAP_THREAD_SELF);
  for (uint32_t i = 0; i < spec.handle_count; i++) {
    if (n < MICA_CHANNEL_MAX_MSG_HANDLES) {
      handles[n] = spec.handles[i];
      info[n] = spec.info[i];
      n++;
    } else {
      mica_handle_close(spec.handles[i]);
    }
  }
  MessageSpec m;
  m.info = info;
  m.handle_count = n;
  m.argv = spec.argv;
  m.argc = spec.argc;
  static uint8_t msg[MICA_CHANNEL_MAX_MSG_BYTES];
  uint32_t size = MessageSize(m);
  mica_handle_t mine = MICA_HANDLE_INVALID, theirs = MICA_HANDLE_INVALID;
  mica_status_t s = size != 0 && WriteMessage(m, msg, size) ? MICA_OK : MICA_ERR_OUT_OF_RANGE;
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

}  // namespace

bool OpenBootfs(mica_handle_t vmo, bootfs::Image* fs, char* why, size_t why_size) {
  uint64_t size = 0;
  mica_vaddr_t addr = 0;
  if (vmo == MICA_HANDLE_INVALID) {
    snprintf(why, why_size, "no bootfs VMO in the bootstrap message");
    return false;
  }
  mica_status_t s = mica_vmo_get_size(vmo, &size);
  if (s == MICA_OK) {
    s = mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ, 0, vmo, 0, size, &addr);
  }
  if (s != MICA_OK) {
    snprintf(why, why_size, "cannot map the bootfs (status %d)", static_cast<int>(s));
    return false;
  }
  // The kernel checked the checksums of the whole image; the layout checks
  // make every later access safe. The started file's own CRC is checked too.
  bootfs::Status bs =
      fs->Open(reinterpret_cast<const void*>(addr), size, bootfs::Verify::kStructure);
  if (bs != bootfs::Status::kOk) {
    snprintf(why, why_size, "the bootfs is not valid: %s", bootfs::StatusString(bs));
    return false;
  }
  return true;
}

// The bootfs CRC-32 with the CPU's CRC32 instructions when the kernel says
// it has them (about 15 times fewer instructions than the table per file
// checked: the component manager and the driver manager check every binary
// they start). Asked once per process.
static void UseCpuCrc32() {
  static bool asked = false;
  if (!asked) {
    asked = true;
    mica_system_info_features_t f = {};
    bootfs::UseCrc32Instructions(mica_system_get_info(MICA_SYSTEM_INFO_FEATURES, &f, sizeof(f)) ==
                                     MICA_OK &&
                                 (f.cpu & MICA_CPU_FEATURE_CRC32) != 0);
  }
}

bool Launch(const bootfs::Image& fs, const LaunchSpec& spec, mica::Handle* process,
            LaunchInfo* info_out, char* why, size_t why_size) {
  UseCpuCrc32();
  bootfs::File file;
  if (!fs.Find(spec.path, &file)) {
    snprintf(why, why_size, "no such file in the bootfs");
    CloseAll(spec);
    return false;
  }
  if (!spec.file_checked && !fs.CheckFile(file)) {
    snprintf(why, why_size, "its checksum does not match the bootfs directory");
    CloseAll(spec);
    return false;
  }
  const char* slash = strrchr(spec.path, '/');
  const char* name = spec.name != nullptr ? spec.name : slash != nullptr ? slash + 1 : spec.path;
  Program p;
  ImageVmo from{spec.bootfs_vmo, file.offset};
  if (!LoadProgram(spec.job, name, file.data, file.size, &p, why, why_size, &from)) {
    CloseAll(spec);
    return false;
  }
  LaunchInfo info{p.base, p.entry, p.stack_top};
  if (spec.before_start != nullptr) {
    mica_info_handle_basic_t basic = {};
    (void)p.process.get_info(MICA_INFO_HANDLE_BASIC, &basic, sizeof(basic), nullptr, nullptr);
    spec.before_start(spec.before_start_ctx, basic.koid);
  }
  mica_status_t s = Start(&p, spec);
  if (s != MICA_OK) {
    (void)mica_task_kill(p.process.get());
    snprintf(why, why_size, "process_start failed (status %d)", static_cast<int>(s));
    return false;
  }
  if (info_out != nullptr) {
    *info_out = info;
  }
  *process = static_cast<mica::Handle&&>(p.process);
  return true;
}

}  // namespace userboot
