// Handles: close, duplicate, replace, get_info, properties.
#include <string.h>

#include "kernel/base/fail_alloc.h"
#include "kernel/base/memory.h"
#include "kernel/object/bti.h"
#include "kernel/object/channel_gc.h"
#include "kernel/object/job.h"
#include "kernel/object/process.h"
#include "kernel/object/process_dispatcher.h"
#include "kernel/object/resource.h"
#include "kernel/object/thread_dispatcher.h"
#include "kernel/syscalls/sys_common.h"

// The null syscall of the benchmarks is handle_close(MICA_HANDLE_INVALID).
// Without tail calls the compiler keeps the frame record off that path (a
// tail call to CloseHandle makes it push one on entry: 3 instructions).
namespace {

// handle_close's work, out of line so the INVALID case (the null system
// call of bin/bench) keeps its frame-less shape.
[[gnu::noinline]] mica::Status Close(mica_handle_t handle) {
  return Process::Current()->CloseHandle(handle);  // which drops our cache's entry
}

}  // namespace

[[clang::disable_tail_calls]] mica::Status sys_handle_close(mica_handle_t handle) {
  if (handle == MICA_HANDLE_INVALID) {
    return mica::Status::kOk;
  }
  return Close(handle);
}

mica::Status sys_handle_close_many(user_in_ptr<const mica_handle_t> handles, size_t num_handles) {
  if (num_handles > MICA_CHANNEL_MAX_MSG_HANDLES) {
    return mica::Status::kOutOfRange;  // nothing is closed
  }
  Process* p = Process::Current();
  mica_handle_t batch[64];
  mica::Status result = mica::Status::kOk;
  for (size_t done = 0; done < num_handles;) {
    size_t n = num_handles - done < 64 ? num_handles - done : 64;
    user_in_ptr<const mica_handle_t> part(handles.addr() + done * sizeof(mica_handle_t));
    TRY(part.copy_array_from_user(batch, n));
    for (size_t i = 0; i < n; i++) {
      if (batch[i] != MICA_HANDLE_INVALID) {
        mica::Status c = p->CloseHandle(batch[i]);
        if (c != mica::Status::kOk) {
          result = c;  // close the rest anyway
        }
      }
    }
    done += n;
  }
  return result;
}

mica::Status sys_handle_duplicate(mica_handle_t handle, mica_rights_t rights,
                                  user_out_ptr<mica_handle_t> out) {
  Process* p = Process::Current();
  mica_rights_t have;
  mica::RefPtr<Dispatcher> object =
      TRY(p->GetObject<Dispatcher>(handle, MICA_RIGHT_DUPLICATE, &have));
  if (rights == MICA_RIGHT_SAME_RIGHTS) {
    rights = have;
  } else if ((rights & ~have) != 0) {
    return mica::Status::kInvalidArgs;  // rights only ever shrink
  }
  return AddAndCopyOut(p, mica::Move(object), rights, out);
}

mica::Status sys_handle_replace(mica_handle_t handle, mica_rights_t rights,
                                user_out_ptr<mica_handle_t> out) {
  Process* p = Process::Current();
  mica_rights_t have;
  mica::RefPtr<Dispatcher> object = TRY(p->GetObject<Dispatcher>(handle, MICA_RIGHT_NONE, &have));
  if (rights == MICA_RIGHT_SAME_RIGHTS) {
    rights = have;
  } else if ((rights & ~have) != 0) {
    return mica::Status::kInvalidArgs;
  }
  // The original stays valid unless the call succeeds: make the new handle,
  // publish it, and only then retire the old one.
  mica_handle_t value;
  TRY(p->handles().Duplicate(handle, MICA_RIGHT_NONE, rights, &value));
  object->AddHandleRef();
  mica::Status s = out.copy_to_user(value);
  if (s != mica::Status::kOk) {
    (void)p->CloseHandle(value);
    return s;
  }
  (void)p->CloseHandle(handle);
  return mica::Status::kOk;
}

namespace {

// Writes one record: `actual`/`avail` are 1; kBufferTooSmall if it does not
// fit (avail still written).
mica::Status OneRecord(const void* record, size_t size, user_out_ptr<void> buffer,
                       size_t buffer_size, user_out_ptr<size_t> actual,
                       user_out_ptr<size_t> avail) {
  size_t fits = buffer_size >= size ? 1 : 0;
  mica::Status s = mica::Status::kOk;
  if (!avail.is_null())
    s = avail.copy_to_user(size_t{1});
  if (s == mica::Status::kOk && !actual.is_null())
    s = actual.copy_to_user(fits);
  if (s != mica::Status::kOk)
    return s;
  if (!fits)
    return mica::Status::kBufferTooSmall;
  return buffer.copy_to_user(record, size);
}

// What the kernel's memory is used for (MICA_INFO_KMEM_STATS). Pages are
// counted by the allocator that hands them out: the PMM (free or not) and
// the heap (its pages, and the bytes in use in them). Pages taken from the
// PMM for anything else (VMO pages, page tables, kernel stacks) are
// other_bytes; the per-purpose fields wired/vmo/mmu are not counted
// separately yet and read 0. unreaped_processes (which counts dead
// threads an idle loop has not freed yet too) and collector_busy are
// read first, so that 0 there means every process that had died before the
// read was freed, and no collection was under way, before the memory
// figures were read. quarantined_bytes is a part of other_bytes: pages
// quarantined PMTs hold (kernel/object/bti.h).
mica_info_kmem_stats_t KmemStats() {
  mica_info_kmem_stats_t info = {};
  info.unreaped_processes = Process::UnreapedCount() + sched::UnfreedDeadThreads();
  info.collector_busy = ChannelGc::Busy() ? 1 : 0;
  kmem::Stats k = kmem::GetStats();
  info.total_bytes = k.total_pages * arch::kPageSize;
  // Spare page tables (all zeros, kept by address spaces for reuse) count
  // as free, as the heap's cached fast blocks count as free heap.
  info.free_bytes = (k.free_pages + arch::UserPageTable::SparePages()) * arch::kPageSize;
  info.heap_bytes = k.heap_bytes_in_use;
  uint64_t heap_held = k.heap_pages * arch::kPageSize;
  info.heap_free_bytes = heap_held > k.heap_bytes_in_use ? heap_held - k.heap_bytes_in_use : 0;
  info.quarantined_bytes = BtiDispatcher::QuarantinedPages() * arch::kPageSize;
  uint64_t accounted = info.free_bytes + heap_held;
  info.other_bytes = info.total_bytes > accounted ? info.total_bytes - accounted : 0;
  return info;
}

// True if `thread` (a ThreadDispatcher) is the calling thread's object.
bool IsCallingThread(const Dispatcher* thread) {
  UserThread* ut = sched::Current()->user_thread;
  return ut != nullptr && ut->object.get() == thread;
}

// MICA_PROP_THREAD_FAIL_ALLOC: only the thread itself touches its
// fault-injection fields (kernel/base/fail_alloc.h), so only it may set them.
mica::Status SetFailAlloc(Dispatcher* object, user_in_ptr<const void> value, size_t value_size) {
  if (!IsA<ThreadDispatcher>(object)) {
    return mica::Status::kWrongType;
  }
  if (value_size != sizeof(uint32_t)) {
    return mica::Status::kInvalidArgs;
  }
  uint32_t on;
  TRY(value.copy_from_user(&on, sizeof(on)));
  if (on > 1) {
    return mica::Status::kOutOfRange;
  }
  if (!fail_alloc::Enabled()) {
    return mica::Status::kNotSupported;
  }
  if (!IsCallingThread(object)) {
    return mica::Status::kAccessDenied;
  }
  fail_alloc::SetForThread(sched::Current(), on == 1);
  return mica::Status::kOk;
}

// MICA_PROP_JOB_MEMORY_LIMIT (docs/kernel.md "Job memory limits").
mica::Status SetJobMemoryLimit(Dispatcher* object, user_in_ptr<const void> value,
                               size_t value_size) {
  JobDispatcher* job = DownCast<JobDispatcher>(object);
  if (job == nullptr) {
    return mica::Status::kWrongType;
  }
  if (value_size != sizeof(uint64_t)) {
    return mica::Status::kInvalidArgs;
  }
  uint64_t limit;
  TRY(value.copy_from_user(&limit, sizeof(limit)));
  return job->SetMemoryLimit(limit, job->Contains(Process::Current()->job()));
}

// The objects each object_get_info topic applies to and the right it needs
// (docs/syscalls.md); HANDLE_VALID and HANDLE_BASIC need neither.
constexpr uint32_t TypeBit(mica_obj_type_t t) {
  return 1u << t;
}
struct TopicRule {
  uint32_t topic;
  uint32_t types;  // TypeBit()s; ~0u: any object
  mica_rights_t right;
};
constexpr TopicRule kTopicRules[] = {
    {MICA_INFO_HANDLE_COUNT, ~0u, MICA_RIGHT_INSPECT},
    {MICA_INFO_PROCESS, TypeBit(MICA_OBJ_TYPE_PROCESS), MICA_RIGHT_INSPECT},
    {MICA_INFO_THREAD, TypeBit(MICA_OBJ_TYPE_THREAD), MICA_RIGHT_INSPECT},
    {MICA_INFO_TASK_STATS, TypeBit(MICA_OBJ_TYPE_PROCESS), MICA_RIGHT_INSPECT},
    {MICA_INFO_TASK_RUNTIME,
     TypeBit(MICA_OBJ_TYPE_THREAD) | TypeBit(MICA_OBJ_TYPE_PROCESS) | TypeBit(MICA_OBJ_TYPE_JOB),
     MICA_RIGHT_INSPECT},
    {MICA_INFO_JOB_CHILDREN, TypeBit(MICA_OBJ_TYPE_JOB), MICA_RIGHT_ENUMERATE},
    {MICA_INFO_JOB_PROCESSES, TypeBit(MICA_OBJ_TYPE_JOB), MICA_RIGHT_ENUMERATE},
    {MICA_INFO_PROCESS_THREADS, TypeBit(MICA_OBJ_TYPE_PROCESS), MICA_RIGHT_ENUMERATE},
    {MICA_INFO_PROCESS_HANDLE_STATS, TypeBit(MICA_OBJ_TYPE_PROCESS), MICA_RIGHT_INSPECT},
    {MICA_INFO_VMO, TypeBit(MICA_OBJ_TYPE_VMO), MICA_RIGHT_INSPECT},
    {MICA_INFO_VMAR, TypeBit(MICA_OBJ_TYPE_VMAR), MICA_RIGHT_INSPECT},
    {MICA_INFO_KMEM_STATS, TypeBit(MICA_OBJ_TYPE_RESOURCE), MICA_RIGHT_INSPECT},
    {MICA_INFO_FAIL_ALLOC, TypeBit(MICA_OBJ_TYPE_RESOURCE), MICA_RIGHT_INSPECT},
    {MICA_INFO_JOB_MEMORY, TypeBit(MICA_OBJ_TYPE_JOB), MICA_RIGHT_INSPECT},
    {MICA_INFO_BTI, TypeBit(MICA_OBJ_TYPE_BTI), MICA_RIGHT_INSPECT},
};

// kWrongType if `topic` does not apply to `type`, kAccessDenied without its
// right; kOk for a topic without a rule (or an unknown one: the switch
// refuses it).
mica::Status CheckTopic(uint32_t topic, mica_obj_type_t type, mica_rights_t rights) {
  for (const TopicRule& r : kTopicRules) {
    if (r.topic == topic) {
      if ((r.types & TypeBit(type)) == 0) {
        return mica::Status::kWrongType;
      }
      return (rights & r.right) != 0 ? mica::Status::kOk : mica::Status::kAccessDenied;
    }
  }
  return mica::Status::kOk;
}

// Writes a list of koids: as many as fit; succeeds even when truncated.
mica::Status KoidList(const uint64_t* koids, size_t written, size_t total,
                      user_out_ptr<void> buffer, user_out_ptr<size_t> actual,
                      user_out_ptr<size_t> avail) {
  mica::Status s = buffer.copy_to_user(koids, written * sizeof(uint64_t));
  if (s == mica::Status::kOk && !actual.is_null())
    s = actual.copy_to_user(written);
  if (s == mica::Status::kOk && !avail.is_null())
    s = avail.copy_to_user(total);
  return s;
}

}  // namespace

mica::Status sys_object_get_info(mica_handle_t handle, uint32_t topic, user_out_ptr<void> buffer,
                                 size_t buffer_size, user_out_ptr<size_t> actual,
                                 user_out_ptr<size_t> avail) {
  mica_rights_t rights;
  mica::RefPtr<Dispatcher> object =
      TRY(Process::Current()->GetObject<Dispatcher>(handle, MICA_RIGHT_NONE, &rights));
  mica_obj_type_t type = object->type();
  // From here on the object has a type the topic applies to.
  TRY(CheckTopic(topic, type, rights));
  Dispatcher* o = object.get();
  switch (topic) {
    case MICA_INFO_HANDLE_VALID:
      return mica::Status::kOk;
    case MICA_INFO_HANDLE_BASIC: {
      mica_info_handle_basic_t info = {};
      info.koid = object->koid();
      info.related_koid = object->related_koid();
      info.rights = rights;
      info.type = type;
      return OneRecord(&info, sizeof(info), buffer, buffer_size, actual, avail);
    }
    case MICA_INFO_HANDLE_COUNT: {
      mica_info_handle_count_t info = {};
      info.handle_count = object->handle_count();
      return OneRecord(&info, sizeof(info), buffer, buffer_size, actual, avail);
    }
    case MICA_INFO_PROCESS: {
      mica_info_process_t info = As<ProcessDispatcher>(o)->Info();
      return OneRecord(&info, sizeof(info), buffer, buffer_size, actual, avail);
    }
    case MICA_INFO_JOB_CHILDREN:
    case MICA_INFO_JOB_PROCESSES: {
      constexpr size_t kMaxList = 128;  // entries returned per call
      uint64_t koids[kMaxList];
      size_t room = buffer_size / sizeof(uint64_t);
      if (room > kMaxList)
        room = kMaxList;
      auto* job = As<JobDispatcher>(o);
      size_t total = topic == MICA_INFO_JOB_CHILDREN ? job->ChildKoids(koids, room)
                                                     : job->ProcessKoids(koids, room);
      size_t written = total < room ? total : room;
      return KoidList(koids, written, total, buffer, actual, avail);
    }
    case MICA_INFO_THREAD: {
      mica_info_thread_t info = {};
      As<ThreadDispatcher>(o)->Info(&info, nullptr);
      return OneRecord(&info, sizeof(info), buffer, buffer_size, actual, avail);
    }
    case MICA_INFO_TASK_RUNTIME: {
      mica_info_task_runtime_t info = {};
      if (type == MICA_OBJ_TYPE_THREAD) {
        As<ThreadDispatcher>(o)->Info(nullptr, &info);
      } else if (type == MICA_OBJ_TYPE_JOB) {
        info = As<JobDispatcher>(o)->Runtime();
      } else {
        auto* pd = As<ProcessDispatcher>(o);
        if (pd->WithProcess([&](Process* target) {
              info = target->Runtime();
              return mica::Status::kOk;
            }) != mica::Status::kOk) {
          info = pd->final_runtime();  // the process is gone
        }
      }
      return OneRecord(&info, sizeof(info), buffer, buffer_size, actual, avail);
    }
    case MICA_INFO_PROCESS_THREADS: {
      uint64_t koids[Process::kMaxThreads];
      size_t room = buffer_size / sizeof(uint64_t);
      if (room > Process::kMaxThreads)
        room = Process::kMaxThreads;
      size_t total = 0;
      (void)As<ProcessDispatcher>(o)->WithProcess([&](Process* target) {
        total = target->ThreadKoids(koids, room);
        return mica::Status::kOk;
      });  // a process that is gone has no threads
      size_t written = total < room ? total : room;
      return KoidList(koids, written, total, buffer, actual, avail);
    }
    case MICA_INFO_PROCESS_HANDLE_STATS: {
      mica_info_process_handle_stats_t info = {};
      (void)As<ProcessDispatcher>(o)->WithProcess([&](Process* target) {
        target->HandleStats(&info);
        return mica::Status::kOk;
      });  // a process that is gone holds no handles
      return OneRecord(&info, sizeof(info), buffer, buffer_size, actual, avail);
    }
    case MICA_INFO_TASK_STATS: {
      mica_info_task_stats_t info = {};
      (void)As<ProcessDispatcher>(o)->WithProcess([&](Process* target) {
        info = target->TaskStats();
        return mica::Status::kOk;
      });  // a process that is gone maps and holds nothing
      return OneRecord(&info, sizeof(info), buffer, buffer_size, actual, avail);
    }
    case MICA_INFO_KMEM_STATS: {
      if (!As<ResourceDispatcher>(o)->is_root())
        return mica::Status::kAccessDenied;
      mica_info_kmem_stats_t info = KmemStats();
      return OneRecord(&info, sizeof(info), buffer, buffer_size, actual, avail);
    }
    case MICA_INFO_FAIL_ALLOC: {
      if (!As<ResourceDispatcher>(o)->is_root())
        return mica::Status::kAccessDenied;
      mica_info_fail_alloc_t info = fail_alloc::Info();
      return OneRecord(&info, sizeof(info), buffer, buffer_size, actual, avail);
    }
    case MICA_INFO_JOB_MEMORY: {
      mica_info_job_memory_t info = As<JobDispatcher>(o)->MemoryInfo();
      return OneRecord(&info, sizeof(info), buffer, buffer_size, actual, avail);
    }
    case MICA_INFO_VMO: {
      mica_info_vmo_t info = As<VmoDispatcher>(o)->Info();
      return OneRecord(&info, sizeof(info), buffer, buffer_size, actual, avail);
    }
    case MICA_INFO_BTI: {
      mica_info_bti_t info = As<BtiDispatcher>(o)->Info();
      return OneRecord(&info, sizeof(info), buffer, buffer_size, actual, avail);
    }
    case MICA_INFO_VMAR: {
      mica_info_vmar_t info = As<VmarDispatcher>(o)->Info();
      return OneRecord(&info, sizeof(info), buffer, buffer_size, actual, avail);
    }
    default:
      return mica::Status::kInvalidArgs;
  }
}

mica::Status sys_object_get_property(mica_handle_t handle, uint32_t property,
                                     user_out_ptr<void> value, size_t value_size) {
  mica::RefPtr<Dispatcher> object =
      TRY(Process::Current()->GetObject<Dispatcher>(handle, MICA_RIGHT_GET_PROPERTY));
  if (property == MICA_PROP_THREAD_PRIORITY) {
    ThreadDispatcher* thread = DownCast<ThreadDispatcher>(object.get());
    if (thread == nullptr) {
      return mica::Status::kWrongType;
    }
    if (value_size < sizeof(int32_t)) {
      return mica::Status::kBufferTooSmall;
    }
    int32_t prio = thread->priority();
    return value.copy_to_user(&prio, sizeof(prio));
  }
  if (property == MICA_PROP_THREAD_FAIL_ALLOC) {
    if (!IsA<ThreadDispatcher>(object.get())) {
      return mica::Status::kWrongType;
    }
    if (value_size < sizeof(uint32_t)) {
      return mica::Status::kBufferTooSmall;
    }
    uint32_t on = IsCallingThread(object.get()) && sched::Current()->fail_alloc_on ? 1 : 0;
    return value.copy_to_user(&on, sizeof(on));
  }
  if (property == MICA_PROP_JOB_MEMORY_LIMIT) {
    JobDispatcher* job = DownCast<JobDispatcher>(object.get());
    if (job == nullptr) {
      return mica::Status::kWrongType;
    }
    if (value_size < sizeof(uint64_t)) {
      return mica::Status::kBufferTooSmall;
    }
    uint64_t limit = job->MemoryLimit();
    return value.copy_to_user(&limit, sizeof(limit));
  }
  if (property != MICA_PROP_NAME) {
    return mica::Status::kInvalidArgs;
  }
  if (value_size < MICA_MAX_NAME_LEN) {
    return mica::Status::kBufferTooSmall;
  }
  char name[MICA_MAX_NAME_LEN];
  object->GetName(name);
  return value.copy_to_user(name, sizeof(name));
}

mica::Status sys_object_set_property(mica_handle_t handle, uint32_t property,
                                     user_in_ptr<const void> value, size_t value_size) {
  mica::RefPtr<Dispatcher> object =
      TRY(Process::Current()->GetObject<Dispatcher>(handle, MICA_RIGHT_SET_PROPERTY));
  if (property == MICA_PROP_THREAD_PRIORITY) {
    ThreadDispatcher* thread = DownCast<ThreadDispatcher>(object.get());
    if (thread == nullptr) {
      return mica::Status::kWrongType;
    }
    if (value_size != sizeof(int32_t)) {
      return mica::Status::kInvalidArgs;
    }
    int32_t prio;
    TRY(value.copy_from_user(&prio, sizeof(prio)));
    if (prio < MICA_PRIORITY_LOWEST || prio > MICA_PRIORITY_HIGHEST) {
      return mica::Status::kOutOfRange;
    }
    return thread->SetPriority(prio);
  }
  if (property == MICA_PROP_THREAD_FAIL_ALLOC) {
    return SetFailAlloc(object.get(), value, value_size);
  }
  if (property == MICA_PROP_JOB_MEMORY_LIMIT) {
    return SetJobMemoryLimit(object.get(), value, value_size);
  }
  if (property != MICA_PROP_NAME) {
    return mica::Status::kInvalidArgs;
  }
  ObjectName name;
  TRY(CopyInName(value, value_size, &name));
  object->SetName(name.text, strnlen(name.text, name.len));
  return mica::Status::kOk;
}
