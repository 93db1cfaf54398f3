// The logging API's runtime half: the sink, the debug log fallback, the
// counters (<mica/log/log.h> states the contract).
#include <mica/log/log.h>
#include <mica/rt/runtime.h>
#include <mica/rt/thread.h>
#include <mica/syscalls.h>
#include <string.h>

#include "system/ulib/log/format.h"

namespace {

mica_rt_mutex_t g_mutex = MICA_RT_MUTEX_INIT;
// Guarded by g_mutex:
mica_handle_t g_sink = MICA_HANDLE_INVALID;
bool g_looked = false;                               // mica_log_connect_default was asked
uint32_t g_unreported = 0;                           // drops not yet sent with a record
mica_handle_t g_fallback_log = MICA_HANDLE_INVALID;  // made if the runtime has none
// Read without the lock (statistics and a filter).
uint64_t g_dropped = 0;
uint64_t g_fallbacks = 0;
int g_min_severity = MICA_LOG_SEVERITY_DEBUG;
uint64_t g_pid = 0;
thread_local uint64_t t_tid = 0;

struct Lock {
  Lock() { mica_rt_mutex_lock(&g_mutex); }
  ~Lock() { mica_rt_mutex_unlock(&g_mutex); }
};

uint64_t KoidOf(mica_handle_t h) {
  mica_info_handle_basic_t info;
  if (h == MICA_HANDLE_INVALID || mica_object_get_info(h, MICA_INFO_HANDLE_BASIC, &info,
                                                       sizeof(info), nullptr, nullptr) != MICA_OK) {
    return 0;
  }
  return info.koid;
}

uint64_t Tid() {
  if (t_tid == 0) {
    mica_rt_thread_t* self = mica_rt_thread_self();
    t_tid = self != nullptr ? KoidOf(mica_rt_thread_handle(self)) : 0;
  }
  return t_tid;
}

uint64_t Pid() {
  uint64_t pid = __atomic_load_n(&g_pid, __ATOMIC_RELAXED);
  if (pid == 0) {
    pid = KoidOf(mica_rt_process_self());
    __atomic_store_n(&g_pid, pid, __ATOMIC_RELAXED);
  }
  return pid;
}

void EnsureSinkLocked() {
  if (!g_looked) {
    g_looked = true;
    if (g_sink == MICA_HANDLE_INVALID) {
      g_sink = mica_log_connect_default();
    }
  }
}

void CloseSinkLocked() {
  if (g_sink != MICA_HANDLE_INVALID) {
    mica_handle_close(g_sink);
    g_sink = MICA_HANDLE_INVALID;
  }
}

// One debug log record (the kernel splits nothing: the line is cut to
// MICA_LOG_MAX_DATA).
void FallbackLocked(const idl::log::Entry& e) {
  char line[MICA_LOG_MAX_DATA + 1];
  size_t n = mica_log_internal::FormatFallback(e, line, sizeof(line));
  mica_handle_t log = mica_rt_debuglog();
  if (log == MICA_HANDLE_INVALID) {
    if (g_fallback_log == MICA_HANDLE_INVALID) {
      (void)mica_debuglog_create(MICA_HANDLE_INVALID, 0, &g_fallback_log);
    }
    log = g_fallback_log;
  }
  (void)mica_debuglog_write(log, 0, line, n);
  __atomic_fetch_add(&g_fallbacks, 1, __ATOMIC_RELAXED);
}

void Send(idl::log::Sink::WriteRequest& req) {
  alignas(8) uint8_t bytes[idl::log::Sink::WriteRequest::kMaxBytes];
  Lock lock;
  EnsureSinkLocked();
  if (g_sink == MICA_HANDLE_INVALID) {
    FallbackLocked(req.entry);
    return;
  }
  req.entry.dropped_before = g_unreported;
  mica::idl::Encoder enc(bytes, sizeof(bytes), nullptr, 0);
  mica_status_t s = mica::idl::EncodeMessage(enc, 0, idl::log::Sink::kVersion,
                                             idl::log::Sink::kWriteOrdinal, req);
  if (s == MICA_OK) {
    s = mica_channel_write(g_sink, 0, bytes, enc.num_bytes(), nullptr, 0);
  }
  if (s == MICA_OK) {
    g_unreported = 0;
    return;
  }
  if (s == MICA_ERR_SHOULD_WAIT) {
    // The service is behind: drop, and say so with the next record.
    g_unreported++;
    __atomic_fetch_add(&g_dropped, 1, __ATOMIC_RELAXED);
    return;
  }
  // The service is gone (or the handle is not a channel): ask for a sink
  // once more (a component's /svc/log.Sink reaches the restarted service,
  // which the component manager attaches again); without one, or if that
  // fails too, the debug log from now on.
  CloseSinkLocked();
  g_looked = false;
  EnsureSinkLocked();
  if (g_sink != MICA_HANDLE_INVALID &&
      mica_channel_write(g_sink, 0, bytes, enc.num_bytes(), nullptr, 0) == MICA_OK) {
    g_unreported = 0;
    return;
  }
  CloseSinkLocked();
  FallbackLocked(req.entry);
}

}  // namespace

extern "C" {

void mica_logv(int severity, const char* tag, const char* fmt, va_list args) {
  mica_log_kvv(severity, tag, nullptr, 0, fmt, args);
}

void mica_log(int severity, const char* tag, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  mica_log_kvv(severity, tag, nullptr, 0, fmt, args);
  va_end(args);
}

void mica_log_kv(int severity, const char* tag, const mica_log_kv_t* pairs, size_t pair_count,
                 const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  mica_log_kvv(severity, tag, pairs, pair_count, fmt, args);
  va_end(args);
}

void mica_log_kvv(int severity, const char* tag, const mica_log_kv_t* pairs, size_t pair_count,
                  const char* fmt, va_list args) {
  if (severity < __atomic_load_n(&g_min_severity, __ATOMIC_RELAXED) &&
      severity < MICA_LOG_SEVERITY_FATAL) {
    return;
  }
  idl::log::Sink::WriteRequest req;
  idl::log::Entry& e = req.entry;
  mica_log_internal::BuildEntry(&e, severity, tag, pairs, pair_count, fmt, args);
  mica_time_t now = 0;
  (void)mica_clock_get_monotonic(&now);
  e.time = now;
  e.pid = Pid();
  e.tid = Tid();
  Send(req);
}

void mica_log_set_sink(mica_handle_t sink) {
  Lock lock;
  CloseSinkLocked();
  g_sink = sink;
  g_looked = true;
  g_unreported = 0;
}

void mica_log_set_min_severity(int severity) {
  __atomic_store_n(&g_min_severity, severity, __ATOMIC_RELAXED);
}

int mica_log_min_severity(void) {
  return __atomic_load_n(&g_min_severity, __ATOMIC_RELAXED);
}

mica_status_t mica_log_flush(mica_time_t deadline) {
  Lock lock;
  EnsureSinkLocked();
  if (g_sink == MICA_HANDLE_INVALID) {
    return MICA_ERR_BAD_STATE;
  }
  alignas(8) uint8_t bytes[64];
  idl::log::Sink::SyncRequest req;
  mica::idl::Encoder enc(bytes, sizeof(bytes), nullptr, 0);
  mica_status_t s =
      mica::idl::EncodeMessage(enc, 0, idl::log::Sink::kVersion, idl::log::Sink::kSyncOrdinal, req);
  if (s != MICA_OK) {
    return s;
  }
  alignas(8) uint8_t reply[64];
  uint32_t got = 0;
  uint32_t got_handles = 0;
  mica_channel_call_args_t call = {};
  call.wr_bytes = bytes;
  call.wr_num_bytes = enc.num_bytes();
  call.rd_bytes = reply;
  call.rd_num_bytes = sizeof(reply);
  for (;;) {
    s = mica_channel_call(g_sink, 0, deadline, &call, &got, &got_handles);
    if (s != MICA_ERR_SHOULD_WAIT) {
      break;
    }
    // The service's queue is full (a flood it has not read yet): wait for
    // room until the deadline, then ask again.
    mica_signals_t seen = 0;
    s = mica_object_wait_one(g_sink, MICA_CHANNEL_WRITABLE | MICA_CHANNEL_PEER_CLOSED, deadline,
                             &seen);
    if (s != MICA_OK) {
      break;
    }
    if ((seen & MICA_CHANNEL_WRITABLE) == 0) {
      s = MICA_ERR_PEER_CLOSED;
      break;
    }
  }
  if (s == MICA_OK) {
    mica::idl::MessageHeader h;
    if (got < sizeof(h)) {
      return MICA_ERR_INVALID_ARGS;
    }
    memcpy(&h, reply, sizeof(h));
    if (h.ordinal != idl::log::Sink::kSyncOrdinal) {
      // An epitaph: the service closed the connection.
      CloseSinkLocked();
      return MICA_ERR_PEER_CLOSED;
    }
    return MICA_OK;
  }
  if (s != MICA_ERR_TIMED_OUT && s != MICA_ERR_SHOULD_WAIT) {
    CloseSinkLocked();
  }
  return s;
}

uint64_t mica_log_dropped(void) {
  return __atomic_load_n(&g_dropped, __ATOMIC_RELAXED);
}

uint64_t mica_log_fallbacks(void) {
  return __atomic_load_n(&g_fallbacks, __ATOMIC_RELAXED);
}

}  // extern "C"
