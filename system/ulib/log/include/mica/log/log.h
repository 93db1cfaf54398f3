// The logging API (docs/logging.md, "The API"): structured records to the
// log service's log.Sink, from C and C++.
//
//   mica_log(MICA_LOG_SEVERITY_INFO, "net", "link up on %s", name);
//   mica_log_kv_t kv[] = {{"iface", "eth0"}, {"mtu", "1500"}};
//   mica_log_kv(MICA_LOG_SEVERITY_WARN, "net", kv, 2, "carrier lost");
//   MICA_LOGF(INFO, "net", "x=%d", x);                        // C and C++
//   mica::log::LogKv(mica::log::kWarn, "net", {{"iface", "eth0"}}, "lost");  // C++
//
// Contract:
// - A record is time, severity, tag (<= 32 bytes), message (<= 512 bytes,
//   printf-formatted) and up to 8 key/value pairs (keys <= 32, values <= 64
//   bytes); longer text is cut at a UTF-8 character boundary, bytes that are
//   not UTF-8 become '?'. The service adds the moniker and process koid it
//   was told when the channel was attached; the thread koid is this
//   library's claim.
// - The sink is the log.Sink channel given by mica_log_set_sink, else the
//   one mica_log_connect_default() finds on first use (the startup handle
//   MICA_BOOTSTRAP_LOG_SINK, else a component's /svc/log.Sink). When the
//   service has gone (its channel answers PEER_CLOSED) it is asked once
//   more (a component reaches the restarted service). Without one, records
//   go to the kernel's debug log as one line `[tag] SEV: message k=v ...`
//   (the console shows it and the log service merges it back, named by
//   the writer's moniker if it was attached, else "debuglog").
// - Never blocks on the service: a record is one channel_write; when the
//   channel is full (the service is behind) the record is dropped and
//   counted, and the count travels with the next record that gets through.
//   Only mica_log_flush waits, and only until its deadline.
// - Never allocates: everything is on the caller's stack (about 4 KiB).
// - Thread-safe.
#pragma once

#include <mica/types.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MICA_LOG_SEVERITY_TRACE 1
#define MICA_LOG_SEVERITY_DEBUG 2
#define MICA_LOG_SEVERITY_INFO 3
#define MICA_LOG_SEVERITY_WARN 4
#define MICA_LOG_SEVERITY_ERROR 5
#define MICA_LOG_SEVERITY_FATAL 6

#define MICA_LOG_MAX_TAG 32
#define MICA_LOG_MAX_MESSAGE 512
#define MICA_LOG_MAX_KEY 32
#define MICA_LOG_MAX_VALUE 64
#define MICA_LOG_MAX_PAIRS 8

typedef struct mica_log_kv {
  const char* key;
  const char* value;
} mica_log_kv_t;

// Writes one record. Severities outside TRACE..FATAL are clamped; records
// below mica_log_min_severity() are skipped. tag may be NULL (no tag).
void mica_log(int severity, const char* tag, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
void mica_logv(int severity, const char* tag, const char* fmt, va_list args);
// The same with key/value pairs (at most MICA_LOG_MAX_PAIRS are kept).
void mica_log_kv(int severity, const char* tag, const mica_log_kv_t* pairs, size_t pair_count,
                 const char* fmt, ...) __attribute__((format(printf, 5, 6)));
void mica_log_kvv(int severity, const char* tag, const mica_log_kv_t* pairs, size_t pair_count,
                  const char* fmt, va_list args);

// Uses `sink` (a log.Sink channel; consumed) from now on; the previous
// sink is closed. MICA_HANDLE_INVALID: none (the debug log fallback).
void mica_log_set_sink(mica_handle_t sink);
// The lowest severity written (default MICA_LOG_SEVERITY_DEBUG).
void mica_log_set_min_severity(int severity);
int mica_log_min_severity(void);
// Waits until the service has stored every record sent so far (Sink.Sync;
// while the sink's queue is full it first waits for room), at most until
// `deadline`: MICA_OK, MICA_ERR_TIMED_OUT, MICA_ERR_BAD_STATE
// (no sink: the debug log has everything already) or the channel's error.
mica_status_t mica_log_flush(mica_time_t deadline);
// Records dropped because the sink's channel was full.
uint64_t mica_log_dropped(void);
// Records written to the debug log instead of a sink.
uint64_t mica_log_fallbacks(void);

// Finds the process's log.Sink: the one place that knows where it comes
// from (today the startup handle MICA_BOOTSTRAP_LOG_SINK; at integration
// the component namespace's /svc/log.Sink). MICA_HANDLE_INVALID if none.
mica_handle_t mica_log_connect_default(void);

#ifdef __cplusplus
}  // extern "C"
#endif

// MICA_LOGF(INFO, "tag", "x=%d", x): severity by name.
#define MICA_LOGF(severity, tag, ...) mica_log(MICA_LOG_SEVERITY_##severity, tag, __VA_ARGS__)
// MICA_LOGF_KV(WARN, "tag", pairs, count, "fmt", ...).
#define MICA_LOGF_KV(severity, tag, pairs, count, ...) \
  mica_log_kv(MICA_LOG_SEVERITY_##severity, tag, pairs, count, __VA_ARGS__)

#ifdef __cplusplus
#include <initializer_list>

namespace mica::log {

inline constexpr int kTrace = MICA_LOG_SEVERITY_TRACE;
inline constexpr int kDebug = MICA_LOG_SEVERITY_DEBUG;
inline constexpr int kInfo = MICA_LOG_SEVERITY_INFO;
inline constexpr int kWarn = MICA_LOG_SEVERITY_WARN;
inline constexpr int kError = MICA_LOG_SEVERITY_ERROR;
inline constexpr int kFatal = MICA_LOG_SEVERITY_FATAL;

// LogKv(kInfo, "net", {{"iface", "eth0"}, {"mtu", "1500"}}, "link up %d", n)
__attribute__((format(printf, 4, 5))) inline void LogKv(int severity, const char* tag,
                                                        std::initializer_list<mica_log_kv_t> pairs,
                                                        const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  mica_log_kvv(severity, tag, pairs.begin(), pairs.size(), fmt, args);
  va_end(args);
}

}  // namespace mica::log
#endif
