// Typed RAII handles, one per kernel object type. Each wraps the syscalls
// of its family (docs/syscalls.md has what each does and returns); create
// functions store their new handles in the out-parameters only on MICA_OK.
#pragma once

#include <mica/cpp/handle.h>
#include <mica/syscalls.h>
#include <stddef.h>
#include <stdint.h>

namespace mica {

// Stores `value` in *out if `status` is MICA_OK; returns `status`.
template <typename T>
mica_status_t AdoptIfOk(mica_status_t status, mica_handle_t value, T* out) {
  if (status == MICA_OK) {
    out->reset(value);
  }
  return status;
}

class Channel : public Object<Channel> {
 public:
  using Object::Object;

  static mica_status_t Create(uint32_t options, Channel* end0, Channel* end1) {
    mica_handle_t h0 = MICA_HANDLE_INVALID;
    mica_handle_t h1 = MICA_HANDLE_INVALID;
    mica_status_t s = mica_channel_create(options, &h0, &h1);
    if (s == MICA_OK) {
      end0->reset(h0);
      end1->reset(h1);
    }
    return s;
  }

  // The handles in handles[0, num_handles) are consumed, even on failure.
  mica_status_t write(uint32_t options, const void* bytes, uint32_t num_bytes,
                      const mica_handle_t* handles, uint32_t num_handles) const {
    return mica_channel_write(value_, options, bytes, num_bytes, handles, num_handles);
  }

  mica_status_t read(uint32_t options, void* bytes, mica_handle_t* handles, uint32_t num_bytes,
                     uint32_t num_handles, uint32_t* actual_bytes, uint32_t* actual_handles) const {
    return mica_channel_read(value_, options, bytes, handles, num_bytes, num_handles, actual_bytes,
                             actual_handles);
  }

  mica_status_t call(uint32_t options, mica_time_t deadline, const mica_channel_call_args_t& args,
                     uint32_t* actual_bytes, uint32_t* actual_handles) const {
    return mica_channel_call(value_, options, deadline, &args, actual_bytes, actual_handles);
  }

  mica_status_t signal_peer(mica_signals_t clear_mask, mica_signals_t set_mask) const {
    return mica_object_signal_peer(value_, clear_mask, set_mask);
  }
};

class Event : public Object<Event> {
 public:
  using Object::Object;

  static mica_status_t Create(uint32_t options, Event* out) {
    mica_handle_t h = MICA_HANDLE_INVALID;
    return AdoptIfOk(mica_event_create(options, &h), h, out);
  }
};

class EventPair : public Object<EventPair> {
 public:
  using Object::Object;

  static mica_status_t Create(uint32_t options, EventPair* end0, EventPair* end1) {
    mica_handle_t h0 = MICA_HANDLE_INVALID;
    mica_handle_t h1 = MICA_HANDLE_INVALID;
    mica_status_t s = mica_eventpair_create(options, &h0, &h1);
    if (s == MICA_OK) {
      end0->reset(h0);
      end1->reset(h1);
    }
    return s;
  }

  mica_status_t signal_peer(mica_signals_t clear_mask, mica_signals_t set_mask) const {
    return mica_object_signal_peer(value_, clear_mask, set_mask);
  }
};

class Port : public Object<Port> {
 public:
  using Object::Object;

  static mica_status_t Create(uint32_t options, Port* out) {
    mica_handle_t h = MICA_HANDLE_INVALID;
    return AdoptIfOk(mica_port_create(options, &h), h, out);
  }

  mica_status_t queue(const mica_port_packet_t& packet) const {
    return mica_port_queue(value_, &packet);
  }
  mica_status_t wait(mica_time_t deadline, mica_port_packet_t* packet) const {
    return mica_port_wait(value_, deadline, packet);
  }
  mica_status_t cancel(const Handle& source, uint64_t key) const {
    return mica_port_cancel(value_, source.get(), key);
  }
};

class Timer : public Object<Timer> {
 public:
  using Object::Object;

  static mica_status_t Create(uint32_t options, Timer* out) {
    mica_handle_t h = MICA_HANDLE_INVALID;
    return AdoptIfOk(mica_timer_create(options, &h), h, out);
  }

  mica_status_t set(mica_time_t deadline, mica_duration_t slack) const {
    return mica_timer_set(value_, deadline, slack);
  }
  mica_status_t cancel() const { return mica_timer_cancel(value_); }
  mica_status_t bind(const Port& port, uint64_t key, uint32_t options) const {
    return mica_timer_bind(value_, port.get(), key, options);
  }
};

class Vmo : public Object<Vmo> {
 public:
  using Object::Object;

  static mica_status_t Create(uint64_t size, uint32_t options, Vmo* out) {
    mica_handle_t h = MICA_HANDLE_INVALID;
    return AdoptIfOk(mica_vmo_create(size, options, &h), h, out);
  }

  mica_status_t read(void* buffer, uint64_t offset, size_t size) const {
    return mica_vmo_read(value_, buffer, offset, size);
  }
  mica_status_t write(const void* buffer, uint64_t offset, size_t size) const {
    return mica_vmo_write(value_, buffer, offset, size);
  }
  mica_status_t get_size(uint64_t* size) const { return mica_vmo_get_size(value_, size); }
  mica_status_t set_size(uint64_t size) const { return mica_vmo_set_size(value_, size); }
  mica_status_t create_child(uint32_t options, uint64_t offset, uint64_t size, Vmo* out) const {
    mica_handle_t h = MICA_HANDLE_INVALID;
    return AdoptIfOk(mica_vmo_create_child(value_, options, offset, size, &h), h, out);
  }
  mica_status_t set_cache_policy(uint32_t policy) const {
    return mica_vmo_set_cache_policy(value_, policy);
  }
};

class Vmar : public Object<Vmar> {
 public:
  using Object::Object;

  mica_status_t allocate(uint32_t options, uint64_t offset, uint64_t size, Vmar* child,
                         mica_vaddr_t* child_addr) const {
    mica_handle_t h = MICA_HANDLE_INVALID;
    return AdoptIfOk(mica_vmar_allocate(value_, options, offset, size, &h, child_addr), h, child);
  }
  mica_status_t map(uint32_t options, uint64_t vmar_offset, const Vmo& vmo, uint64_t vmo_offset,
                    uint64_t len, mica_vaddr_t* mapped_addr) const {
    return mica_vmar_map(value_, options, vmar_offset, vmo.get(), vmo_offset, len, mapped_addr);
  }
  mica_status_t unmap(mica_vaddr_t addr, uint64_t len) const {
    return mica_vmar_unmap(value_, addr, len);
  }
  mica_status_t protect(uint32_t options, mica_vaddr_t addr, uint64_t len) const {
    return mica_vmar_protect(value_, options, addr, len);
  }
  mica_status_t destroy() const { return mica_vmar_destroy(value_); }
};

class Job : public Object<Job> {
 public:
  using Object::Object;

  static mica_status_t Create(const Job& parent, uint32_t options, Job* out) {
    mica_handle_t h = MICA_HANDLE_INVALID;
    return AdoptIfOk(mica_job_create(parent.get(), options, &h), h, out);
  }

  mica_status_t kill() const { return mica_task_kill(value_); }
};

class Thread;

class Process : public Object<Process> {
 public:
  using Object::Object;

  static mica_status_t Create(const Job& job, const char* name, size_t name_size, uint32_t options,
                              Process* process, Vmar* root_vmar) {
    mica_handle_t p = MICA_HANDLE_INVALID;
    mica_handle_t v = MICA_HANDLE_INVALID;
    mica_status_t s = mica_process_create(job.get(), name, name_size, options, &p, &v);
    if (s == MICA_OK) {
      process->reset(p);
      root_vmar->reset(v);
    }
    return s;
  }

  // Starts the process's first thread; `arg1` (the bootstrap channel) moves
  // into the new process and is consumed whatever the result.
  inline mica_status_t start(const Thread& thread, mica_vaddr_t entry, mica_vaddr_t stack,
                             Handle arg1, uint64_t arg2) const;

  mica_status_t kill() const { return mica_task_kill(value_); }
};

class Thread : public Object<Thread> {
 public:
  using Object::Object;

  static mica_status_t Create(const Process& process, const char* name, size_t name_size,
                              uint32_t options, Thread* out) {
    mica_handle_t h = MICA_HANDLE_INVALID;
    return AdoptIfOk(mica_thread_create(process.get(), name, name_size, options, &h), h, out);
  }

  mica_status_t start(mica_vaddr_t entry, mica_vaddr_t stack, uint64_t arg1, uint64_t arg2) const {
    return mica_thread_start(value_, entry, stack, arg1, arg2);
  }
  mica_status_t kill() const { return mica_task_kill(value_); }
};

inline mica_status_t Process::start(const Thread& thread, mica_vaddr_t entry, mica_vaddr_t stack,
                                    Handle arg1, uint64_t arg2) const {
  return mica_process_start(value_, thread.get(), entry, stack, arg1.release(), arg2);
}

class Debuglog : public Object<Debuglog> {
 public:
  using Object::Object;

  // `resource`: the root resource, or an invalid handle for a write-only
  // log handle (which any process may create).
  static mica_status_t Create(const Handle& resource, uint32_t options, Debuglog* out) {
    mica_handle_t h = MICA_HANDLE_INVALID;
    return AdoptIfOk(mica_debuglog_create(resource.get(), options, &h), h, out);
  }

  // One record of at most MICA_LOG_MAX_DATA bytes.
  mica_status_t write(uint32_t options, const void* buffer, size_t size) const {
    return mica_debuglog_write(value_, options, buffer, size);
  }
  mica_status_t read(uint32_t options, mica_log_record_t* record, size_t* actual) const {
    return mica_debuglog_read(value_, options, record, sizeof(*record), actual);
  }
};

}  // namespace mica
