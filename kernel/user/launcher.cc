#include "kernel/user/launcher.h"

#include <string.h>

#include <mica/rt/bootstrap.h>
#include "kernel/arch/arm64/arch.h"

#include "kernel/object/channel.h"
#include "kernel/object/debuglog.h"
#include "kernel/object/job.h"
#include "kernel/object/process.h"
#include "kernel/object/resource.h"
#include "kernel/object/task.h"
#include "kernel/object/vmo.h"
#include "kernel/platform/platform.h"
#include "kernel/top/log.h"
#include "kernel/top/memory.h"
#include "system/ulib/elf/elf.h"

const fdt::Fdt& BootFdt();

namespace launcher {
namespace {

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

}  // namespace

// The devicetree blob as a read-only VMO (MICA_BOOTSTRAP_DTB): how the
// first process finds the machine's devices.
mica::Status DtbVmo(mica::RefPtr<Dispatcher>* out) {
  const fdt::Fdt& dt = BootFdt();
  mica::RefPtr<VmoDispatcher> vmo;
  mica::Status s = VmoDispatcher::Create(dt.total_size(), 0, &vmo);
  for (uint64_t off = 0; s == mica::Status::kOk && off < dt.total_size(); off += 4096) {
    uint64_t pa;
    s = vmo->CommitPage(off / 4096, &pa);
    if (s == mica::Status::kOk) {
      uint64_t n = dt.total_size() - off < 4096 ? dt.total_size() - off : 4096;
      memcpy(arch::PhysToVirt(pa), dt.blob() + off, n);
    }
  }
  if (s == mica::Status::kOk) {
    *out = mica::RefPtr<Dispatcher>(vmo.get());
  }
  return s;
}

// The bootstrap message (<mica/rt/bootstrap.h>, docs/process-bootstrap.md):
// the program's name as argv[0], a debug log handle for stdout/stderr and
// the process's root VMAR (for its heap and mappings), a handle to the
// process itself (for creating threads), the root job, the root resource
// (hardware access) and the devicetree as a read-only VMO.
// The kernel writes it into a new channel and gives the process the other
// end; the kernel's end is closed, so the process sees PEER_CLOSED after
// reading it.
mica::Status SendBootstrap(Process* process, const char* argv0, mica_handle_t* out) {
  mica::RefPtr<Dispatcher> mine, theirs;
  if (!ChannelDispatcher::CreatePair(&mine, &theirs)) {
    return mica::Status::kNoMemory;
  }
  auto* log = new DebuglogDispatcher();
  if (log == nullptr) {
    return mica::Status::kNoMemory;
  }
  mica::RefPtr<Dispatcher> log_ref = mica::AdoptRef<Dispatcher>(log);
  uint32_t args_size = static_cast<uint32_t>(strlen(argv0)) + 1;
  uint32_t info_offset = sizeof(mica_bootstrap_header_t);
  mica::RefPtr<Dispatcher> dtb;
  mica::Status dtb_status = DtbVmo(&dtb);
  if (dtb_status != mica::Status::kOk) {
    return dtb_status;
  }
  constexpr uint32_t kHandles = 6;
  uint32_t args_offset = info_offset + kHandles * sizeof(uint32_t);
  auto created = ChannelMessage::Create(KernelAllocator(), args_offset + args_size, kHandles);
  if (!created.ok()) {
    return created.status();
  }
  ChannelMessagePtr msg = mica::Move(created.value());
  mica_bootstrap_header_t header = {};
  header.magic = MICA_BOOTSTRAP_MAGIC;
  header.version = MICA_BOOTSTRAP_VERSION;
  header.handle_info_offset = info_offset;
  header.handle_count = kHandles;
  header.args_offset = args_offset;
  header.args_size = args_size;
  header.argc = 1;
  header.environ_offset = args_offset + args_size;
  memcpy(msg->data(), &header, sizeof(header));
  uint32_t info[kHandles] = {MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_DEBUGLOG, 0),
                             MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMAR_ROOT, 0),
                             MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_PROC_SELF, 0),
                             MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_JOB_DEFAULT, 0),
                             MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_ROOT_RESOURCE, 0),
                             MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_DTB, 0)};
  memcpy(msg->data() + info_offset, info, sizeof(info));
  memcpy(msg->data() + args_offset, argv0, args_size);
  log_ref->AddHandleRef();  // in flight in the message
  msg->handles()[0] = MakeHandle(log_ref);
  mica::RefPtr<Dispatcher> vmar = process->root_vmar();
  vmar->AddHandleRef();
  msg->handles()[1] = MakeHandle(vmar);
  mica::RefPtr<Dispatcher> self = process->dispatcher();
  self->AddHandleRef();
  msg->handles()[2] = MakeHandle(self);
  // The first process gets the root job (DESIGN.md §5: userboot holds it).
  mica::RefPtr<Dispatcher> job(JobDispatcher::Root().get());
  job->AddHandleRef();
  msg->handles()[3] = MakeHandle(job);
  // And the root resource (hardware access) and the devicetree, read-only.
  mica::RefPtr<Dispatcher> root(ResourceDispatcher::Root().get());
  root->AddHandleRef();
  msg->handles()[4] = MakeHandle(root);
  dtb->AddHandleRef();
  msg->handles()[5] = MakeHandle(dtb);
  msg->handles()[5].rights &= ~(MICA_RIGHT_WRITE | MICA_RIGHT_EXECUTE);
  mine->AddHandleRef();  // the kernel holds its end like a handle until done
  mica::Status s = static_cast<ChannelDispatcher*>(mine.get())->Write(&msg);
  if (s != mica::Status::kOk) {
    DestroyChannelMessage(mica::Move(msg));
  }
  if (s == mica::Status::kOk) {
    s = process->AddHandle(theirs, MICA_DEFAULT_CHANNEL_RIGHTS, out);
  }
  mine->RemoveHandleRef();
  return s;
}

mica::Status Launch(const bootfs::Image& fs, const char* path, Process** out, const char** why) {
  bootfs::File file;
  if (!fs.Find(path, &file)) {
    *why = "no such file in the bootfs";
    return mica::Status::kNotFound;
  }
  elf::Plan plan;
  elf::Error err;
  if (elf::Validate(file.data, file.size, &plan, &err) != elf::Status::kOk) {
    *why = elf::StatusString(err.status);
    return mica::Status::kIoInvalid;
  }
  const char* base_name = strrchr(path, '/');
  Process* process = Process::Create(base_name ? base_name + 1 : path, true, JobDispatcher::Root());
  if (process == nullptr) {
    *why = "out of memory or address space identifiers";
    return mica::Status::kNoMemory;
  }
  // Build the image in physically contiguous pages seen through the linear
  // map, relocate it there, then map those same pages into the process.
  size_t pages = plan.span_size / 4096;
  uint64_t span_pa;
  if (!kmem::AllocContiguous(pages, 4096, &span_pa)) {
    delete process;
    *why = "out of memory for the program image";
    return mica::Status::kNoMemory;
  }
  mica::Status s = process->AdoptPages(span_pa, pages);
  if (s != mica::Status::kOk) {
    kmem::FreeContiguous(span_pa, pages);
    delete process;
    *why = "out of memory for the page list";
    return s;
  }
  auto* span = static_cast<uint8_t*>(arch::PhysToVirt(span_pa));
  memset(span, 0, plan.span_size);
  for (uint32_t i = 0; i < plan.segment_count; i++) {
    const elf::Segment& seg = plan.segments[i];
    memcpy(span + seg.vaddr_offset, file.data + seg.file_offset, seg.file_size);
  }
  uint64_t align = plan.max_align > 4096 ? plan.max_align : 4096;
  uint64_t base = process->RandomRegion(plan.span_size + align);
  base = (base + align - 1) & ~(align - 1);
  if (base == 0 ||
      elf::ApplyRelocations(plan, span, plan.span_size, base, &err) != elf::Status::kOk) {
    delete process;
    *why = base == 0 ? "no room in the address space" : elf::StatusString(err.status);
    return mica::Status::kIoInvalid;
  }
  for (uint32_t i = 0; i < plan.segment_count && s == mica::Status::kOk; i++) {
    const elf::Segment& seg = plan.segments[i];
    s = process->aspace().MapContiguous(base + seg.page_offset, span_pa + seg.page_offset,
                                        seg.page_size / 4096, PermsFromFlags(seg.flags));
  }
  if (s == mica::Status::kOk && plan.relro_size != 0) {
    s = process->aspace().Protect(base + plan.relro_offset, plan.relro_size / 4096,
                                  arch::kPermRead);
  }
  // The stack, with an unmapped guard page below it.
  uint64_t stack_size =
      plan.stack_size != 0 ? (plan.stack_size + 4095) & ~4095ull : kDefaultStackSize;
  uint64_t stack_region = s == mica::Status::kOk ? process->RandomRegion(stack_size + 4096) : 0;
  if (s == mica::Status::kOk && stack_region == 0) {
    s = mica::Status::kNoResources;
  }
  if (s == mica::Status::kOk) {
    s = process->MapNewPages(stack_region + 4096, stack_size / 4096,
                             arch::kPermRead | arch::kPermWrite);
  }
  mica_handle_t bootstrap_handle = MICA_HANDLE_INVALID;
  if (s == mica::Status::kOk) {
    s = SendBootstrap(process, path, &bootstrap_handle);
  }
  if (s == mica::Status::kOk) {
    s = process->StartThread(process->name(), base + plan.entry_offset,
                             stack_region + 4096 + stack_size, bootstrap_handle, base);
  }
  if (s != mica::Status::kOk) {
    delete process;
    *why = mica::StatusString(s);
    return s;
  }
  KLog("launcher: %s: process %llu, loaded at 0x%llx, entry 0x%llx, stack 0x%llx", path,
       static_cast<unsigned long long>(process->koid()), static_cast<unsigned long long>(base),
       static_cast<unsigned long long>(base + plan.entry_offset),
       static_cast<unsigned long long>(stack_region + 4096 + stack_size));
  *out = process;
  return mica::Status::kOk;
}

void RunUserbootNext(const char* bootargs, uint64_t initrd_start, uint64_t initrd_end) {
  char path[128];
  if (!platform::BootArg(bootargs, "userboot.next", path, sizeof(path))) {
    return;
  }
  bootfs::Image fs;
  if (initrd_end <= initrd_start ||
      fs.Open(arch::PhysToVirt(initrd_start), initrd_end - initrd_start) != bootfs::Status::kOk) {
    KLog("userboot: cannot start %s: no valid bootfs", path);
    return;
  }
  Process* process = nullptr;
  const char* why = "";
  mica::Status s = Launch(fs, path, &process, &why);
  if (s != mica::Status::kOk) {
    KLog("userboot: cannot start %s: %s", path, why);
    return;
  }
  // The reaper frees the process when it dies; its handle object keeps the
  // exit code.
  mica::RefPtr<Dispatcher> handle = process->dispatcher();
  mica_signals_t seen;
  (void)handle->WaitOne(MICA_TASK_TERMINATED, UINT64_MAX, &seen);
  KLog("userboot: %s exited with status %lld", path,
       static_cast<long long>(static_cast<ProcessDispatcher*>(handle.get())->retcode()));
}

}  // namespace launcher
