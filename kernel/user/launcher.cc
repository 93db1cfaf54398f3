#include "kernel/user/launcher.h"

#include <string.h>

#include <mica/rt/bootstrap.h>
#include "kernel/arch/arm64/arch.h"

#include "kernel/base/log.h"
#include "kernel/base/memory.h"
#include "kernel/object/channel.h"
#include "kernel/object/channel_gc.h"
#include "kernel/object/debuglog.h"
#include "kernel/object/job.h"
#include "kernel/object/object_type.h"
#include "kernel/object/process.h"
#include "kernel/object/process_dispatcher.h"
#include "kernel/object/resource.h"
#include "kernel/object/thread_dispatcher.h"
#include "kernel/object/vmo.h"
#include "system/core/userboot/message.h"
#include "system/ulib/elf/elf.h"

namespace launcher {
namespace {

// The rights of the bootfs and DTB VMOs: read and map, never write. The
// bootfs holds the programs, so it also has EXECUTE: vmo_create_child gives
// a child (the loader's copy-on-write image) only the rights its parent
// handle has, WRITE aside.
constexpr mica_rights_t kReadOnlyVmoRights =
    MICA_RIGHTS_BASIC | MICA_RIGHT_READ | MICA_RIGHT_MAP | MICA_RIGHT_GET_PROPERTY;
constexpr mica_rights_t kBootfsVmoRights = kReadOnlyVmoRights | MICA_RIGHT_EXECUTE;

uint32_t PermsFromFlags(uint32_t flags) {
  uint32_t p = 0;
  if (flags & elf::kRead)
    p |= arch::kPermRead;
  if (flags & elf::kWrite)
    p |= arch::kPermWrite | arch::kPermRead;
  if (flags & elf::kExecute)
    p |= arch::kPermExecute | arch::kPermRead;
  return p;
}

// One handle of userboot's bootstrap message.
struct StartupHandle {
  mica::RefPtr<Dispatcher> object;
  mica_rights_t rights;
  uint32_t info;
};

// A VMO holding a copy of [src, src + size), named `name`.
// A VMO holding a copy of the `size` bytes at physical address `src`:
// whole pages copied as they are committed (not zeroed first: the bootfs is
// 3 MiB and more), the last one's tail zeroed.
mica::Status CopyToVmo(uint64_t src, uint64_t size, const char* name,
                       mica::RefPtr<Dispatcher>* out) {
  mica::RefPtr<VmoDispatcher> vmo;
  mica::Status s = VmoDispatcher::Create(size, 0, &vmo);
  for (uint64_t off = 0; s == mica::Status::kOk && off < size; off += arch::kPageSize) {
    uint64_t pa;
    if (size - off >= arch::kPageSize) {
      s = vmo->CommitPage(off / arch::kPageSize, &pa, src + off);
    } else if ((s = vmo->CommitPage(off / arch::kPageSize, &pa)) == mica::Status::kOk) {
      memcpy(arch::PhysToVirt(pa), arch::PhysToVirt(src + off), size - off);
    }
  }
  if (s == mica::Status::kOk) {
    vmo->SetName(name, strlen(name));
    *out = mica::RefPtr<Dispatcher>(vmo.get());
  }
  return s;
}

// Writes userboot's bootstrap message (docs/process-bootstrap.md): argv =
// {"bin/userboot", <the kernel command line>} and `handles`, into a new
// channel whose other end goes to `process` (*out). The kernel's end is
// closed afterwards, so userboot sees PEER_CLOSED once it has read it.
mica::Status SendBootstrap(Process* process, const char* cmdline, StartupHandle* handles,
                           uint32_t count, mica_handle_t* out) {
  uint32_t info[MICA_CHANNEL_MAX_MSG_HANDLES];
  for (uint32_t i = 0; i < count; i++) {
    info[i] = handles[i].info;
  }
  const char* argv[] = {kUserbootPath, cmdline};
  userboot::MessageSpec spec;
  spec.info = info;
  spec.handle_count = count;
  spec.argv = argv;
  spec.argc = 2;
  uint32_t size = userboot::MessageSize(spec);
  if (size == 0) {
    return mica::Status::kOutOfRange;  // a command line near 64 KiB
  }
  mica::RefPtr<Dispatcher> mine, theirs;
  if (!ChannelDispatcher::CreatePair(&mine, &theirs)) {
    return mica::Status::kNoMemory;
  }
  auto created = ChannelMessage::Create(KernelAllocator(), size, count);
  if (!created.ok()) {
    return created.status();
  }
  ChannelMessagePtr msg = mica::Move(created.value());
  (void)userboot::WriteMessage(spec, msg->data(), size);
  for (uint32_t i = 0; i < count; i++) {
    handles[i].object->AddHandleRef();  // in flight in the message
    HandleEntry e;
    e.koid = handles[i].object->koid();
    e.rights = handles[i].rights;
    e.object = handles[i].object;
    msg->handles()[i] = mica::Move(e);
  }
  ChannelGc::HandlesEnteredMessage(msg.get());
  mine->AddHandleRef();  // the kernel holds its end like a handle until done
  // Unsent, the message is destroyed with `msg` (its handles released).
  mica::Status s = As<ChannelDispatcher>(mine.get())->Write(&msg);
  if (s == mica::Status::kOk) {
    s = process->AddHandle(theirs, MICA_DEFAULT_CHANNEL_RIGHTS, out);
  }
  mine->RemoveHandleRef();
  return s;
}

// Loads the ELF program `file` (static PIE, system/ulib/elf) at a random
// address in `process`: one contiguous run of pages, relocated through the
// linear map, each segment mapped with its own permissions, RELRO made
// read-only, a stack with an unmapped guard page below it. Returns the load
// base, entry point and stack top.
mica::Status Load(Process* process, const bootfs::File& file, uint64_t* base_out,
                  uint64_t* entry_out, uint64_t* sp_out, const char** why) {
  elf::Plan plan;
  elf::Error err;
  if (elf::Validate(file.data, file.size, &plan, &err) != elf::Status::kOk) {
    *why = elf::StatusString(err.status);
    return mica::Status::kIoInvalid;
  }
  size_t pages = plan.span_size / arch::kPageSize;
  uint64_t span_pa;
  if (!kmem::AllocContiguous(pages, arch::kPageSize, &span_pa)) {
    *why = "out of memory for the program image";
    return mica::Status::kNoMemory;
  }
  mica::Status s = process->AdoptPages(span_pa, pages);
  if (s != mica::Status::kOk) {
    kmem::FreeContiguous(span_pa, pages);
    *why = "out of memory for the page list";
    return s;
  }
  auto* span = static_cast<uint8_t*>(arch::PhysToVirt(span_pa));
  memset(span, 0, plan.span_size);
  for (uint32_t i = 0; i < plan.segment_count; i++) {
    const elf::Segment& seg = plan.segments[i];
    memcpy(span + seg.vaddr_offset, file.data + seg.file_offset, seg.file_size);
  }
  uint64_t align = plan.max_align > arch::kPageSize ? plan.max_align : arch::kPageSize;
  uint64_t base = process->RandomRegion(plan.span_size + align);
  base = (base + align - 1) & ~(align - 1);
  if (base == 0 ||
      elf::ApplyRelocations(plan, span, plan.span_size, base, &err) != elf::Status::kOk) {
    *why = base == 0 ? "no room in the address space" : elf::StatusString(err.status);
    return mica::Status::kIoInvalid;
  }
  for (uint32_t i = 0; i < plan.segment_count && s == mica::Status::kOk; i++) {
    const elf::Segment& seg = plan.segments[i];
    s = process->aspace().MapContiguous(base + seg.page_offset, span_pa + seg.page_offset,
                                        seg.page_size / arch::kPageSize, PermsFromFlags(seg.flags));
  }
  if (s == mica::Status::kOk && plan.relro_size != 0) {
    s = process->aspace().Protect(base + plan.relro_offset, plan.relro_size / arch::kPageSize,
                                  arch::kPermRead);
  }
  uint64_t stack_size = plan.stack_size != 0
                            ? (plan.stack_size + arch::kPageSize - 1) & ~(arch::kPageSize - 1)
                            : kDefaultStackSize;
  uint64_t stack_region =
      s == mica::Status::kOk ? process->RandomRegion(stack_size + arch::kPageSize) : 0;
  if (s == mica::Status::kOk && stack_region == 0) {
    s = mica::Status::kNoResources;
  }
  if (s == mica::Status::kOk) {
    s = process->MapNewPages(stack_region + arch::kPageSize, stack_size / arch::kPageSize,
                             arch::kPermRead | arch::kPermWrite);
  }
  if (s != mica::Status::kOk) {
    *why = mica::StatusString(s);
    return s;
  }
  *base_out = base;
  *entry_out = base + plan.entry_offset;
  *sp_out = stack_region + arch::kPageSize + stack_size;
  return mica::Status::kOk;
}

// Makes the userboot process, loads it and starts it with its handles.
mica::Status StartUserboot(const platform::BootInfo& boot, const bootfs::Image& fs, Process** out,
                           const char** why) {
  bootfs::File file;
  if (!fs.Find(kUserbootPath, &file)) {
    *why = "no such file in the bootfs";
    return mica::Status::kNotFound;
  }
  mica::RefPtr<Dispatcher> bootfs_vmo, dtb_vmo;
  mica::Status s = CopyToVmo(boot.initrd_start, fs.total_size(), "bootfs", &bootfs_vmo);
  if (s == mica::Status::kOk) {
    s = CopyToVmo(boot.dtb_pa, boot.dtb_size, "devicetree", &dtb_vmo);
  }
  mica::AllocChecker ac_log;
  auto* log = s == mica::Status::kOk ? new (ac_log) DebuglogDispatcher() : nullptr;
  if (s != mica::Status::kOk || !ac_log.check()) {
    *why = "out of memory for the bootfs and DTB VMOs";
    return mica::Status::kNoMemory;
  }
  mica::RefPtr<Dispatcher> log_ref = mica::AdoptRef<Dispatcher>(log);
  Process* process = Process::Create("userboot", true, JobDispatcher::Root());
  if (process == nullptr) {
    *why = "out of memory or address space identifiers";
    return mica::Status::kNoMemory;
  }
  uint64_t base = 0, entry = 0, sp = 0;
  s = Load(process, file, &base, &entry, &sp, why);
  if (s != mica::Status::kOk) {
    delete process;
    return s;
  }
  mica::RefPtr<Dispatcher> job(JobDispatcher::Root().get());
  mica::RefPtr<Dispatcher> root_resource(ResourceDispatcher::Root().get());
  StartupHandle handles[] = {
      // Write-only, as debuglog_create gives it without the root resource.
      {log_ref, log_ref->default_rights() & ~MICA_RIGHT_READ,
       MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_DEBUGLOG, 0)},
      {process->root_vmar(), MICA_DEFAULT_VMAR_RIGHTS,
       MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMAR_ROOT, 0)},
      {process->dispatcher(), MICA_DEFAULT_PROCESS_RIGHTS,
       MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_PROC_SELF, 0)},
      // The root job (DESIGN.md §5): userboot starts its programs in it.
      {job, MICA_DEFAULT_JOB_RIGHTS, MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_JOB_DEFAULT, 0)},
      {bootfs_vmo, kBootfsVmoRights, MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_BOOTFS, 0)},
      {dtb_vmo, kReadOnlyVmoRights, MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_DTB, 0)},
      // Hardware access (every MMIO range and interrupt). userboot passes
      // every handle it does not use on to the program it starts.
      {root_resource, MICA_DEFAULT_RESOURCE_RIGHTS,
       MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_ROOT_RESOURCE, 0)},
  };
  mica_handle_t bootstrap = MICA_HANDLE_INVALID;
  s = SendBootstrap(process, boot.bootargs, handles, sizeof(handles) / sizeof(handles[0]),
                    &bootstrap);
  if (s == mica::Status::kOk) {
    s = process->StartThread(process->name(), entry, sp, bootstrap, base);
  }
  if (s != mica::Status::kOk) {
    delete process;
    *why = mica::StatusString(s);
    return s;
  }
  KLog("userboot: process %llu, loaded at 0x%llx, entry 0x%llx, stack 0x%llx",
       static_cast<unsigned long long>(process->koid()), static_cast<unsigned long long>(base),
       static_cast<unsigned long long>(entry), static_cast<unsigned long long>(sp));
  *out = process;
  return mica::Status::kOk;
}

}  // namespace

void RunUserboot(const platform::BootInfo& boot, bool verified) {
  bootfs::Image fs;
  if (!verified || boot.initrd_end <= boot.initrd_start ||
      fs.Open(arch::PhysToVirt(boot.initrd_start), boot.initrd_end - boot.initrd_start,
              bootfs::Verify::kStructure) != bootfs::Status::kOk) {
    KLog("userboot: not started: no valid bootfs");
    return;
  }
  Process* process = nullptr;
  const char* why = "";
  if (StartUserboot(boot, fs, &process, &why) != mica::Status::kOk) {
    KLog("userboot: cannot start %s: %s", kUserbootPath, why);
    return;
  }
  // The reaper frees the process when it dies; its handle object keeps the
  // exit code.
  mica::RefPtr<ProcessDispatcher> handle = process->dispatcher();
  mica_signals_t seen;
  (void)handle->WaitOne(MICA_TASK_TERMINATED, UINT64_MAX, &seen);
  KLog("userboot: ended with status %lld", static_cast<long long>(handle->retcode()));
}

}  // namespace launcher
