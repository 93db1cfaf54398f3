#include "kernel/base/log.h"

#include <string.h>
#include "kernel/arch/arm64/arch.h"

#include "kernel/base/irq_spinlock.h"
#include "kernel/lib/printf.h"

namespace {

constexpr size_t kRingSize = 64 * 1024;

IrqSpinLock g_lock;
char g_ring[kRingSize];
uint64_t g_ring_head GUARDED_BY(g_lock);     // total bytes ever written
uint64_t g_console_done GUARDED_BY(g_lock);  // bytes already sent to the console
dev::Uart g_console;
bool g_panic_mode;

void RingWriteLocked(const char* s, size_t n) REQUIRES(g_lock) {
  for (size_t i = 0; i < n; i++) {
    g_ring[(g_ring_head + i) % kRingSize] = s[i];
  }
  g_ring_head += n;
}

// Sends what the console has not seen yet (at most one ring's worth).
void FlushLocked() REQUIRES(g_lock) {
  if (!g_console.present()) {
    return;
  }
  if (g_ring_head - g_console_done > kRingSize) {
    g_console_done = g_ring_head - kRingSize;
  }
  while (g_console_done < g_ring_head) {
    size_t pos = g_console_done % kRingSize;
    size_t n = g_ring_head - g_console_done;
    if (n > kRingSize - pos) {
      n = kRingSize - pos;
    }
    g_console.Write(&g_ring[pos], n);
    g_console_done += n;
  }
}

// Opted out: in panic mode it may write without the lock (below).
void Emit(const char* s, size_t n) NO_THREAD_SAFETY_ANALYSIS {
  // In panic mode, take the lock if it can be had quickly, else write anyway:
  // a report that may interleave beats one that never appears.
  uint64_t state;
  bool locked;
  if (g_panic_mode) {
    locked = g_lock.TryAcquireFor(100000, &state);
  } else {
    state = g_lock.Acquire();
    locked = true;
  }
  RingWriteLocked(s, n);
  FlushLocked();
  if (locked) {
    g_lock.Release(state);
  }
}

// The record ring (debuglog_read).
IrqSpinLock g_rec_lock;
mica_log_record_t g_records[kLogRecords] GUARDED_BY(g_rec_lock);
uint64_t g_rec_next GUARDED_BY(g_rec_lock);

}  // namespace

void LogAddRecord(uint64_t pid, uint64_t tid, const char* data, size_t len) {
  if (g_panic_mode) {
    return;  // the console is what matters now
  }
  if (len > MICA_LOG_MAX_DATA) {
    len = MICA_LOG_MAX_DATA;
  }
  uint64_t now = CurrentTimeNs();
  IrqGuard guard(g_rec_lock);
  mica_log_record_t& r = g_records[g_rec_next % kLogRecords];
  r.sequence = g_rec_next;
  r.timestamp = static_cast<mica_time_t>(now);
  r.pid = pid;
  r.tid = tid;
  r.data_size = static_cast<uint16_t>(len);
  r.flags = 0;
  r.reserved = 0;
  memcpy(r.data, data, len);
  g_rec_next++;
}

bool LogReadRecord(uint64_t* cursor, mica_log_record_t* out) {
  IrqGuard guard(g_rec_lock);
  uint64_t oldest = g_rec_next > kLogRecords ? g_rec_next - kLogRecords : 0;
  if (*cursor < oldest) {
    *cursor = oldest;  // overwritten before it was read: the gap shows in `sequence`
  }
  if (*cursor >= g_rec_next) {
    return false;
  }
  const mica_log_record_t& r = g_records[*cursor % kLogRecords];
  memcpy(out, &r, sizeof(*out) - MICA_LOG_MAX_DATA + r.data_size);
  *cursor += 1;
  return true;
}

uint64_t LogNextRecord() {
  IrqGuard guard(g_rec_lock);
  return g_rec_next;
}

uint64_t CurrentTimeNs() {
  uint64_t freq = READ_SYSREG(cntfrq_el0);
  uint64_t ticks = READ_SYSREG(cntvct_el0);
  if (freq == 0) {
    return 0;
  }
  // Split to avoid overflowing 64 bits for long uptimes.
  return (ticks / freq) * 1000000000ull + (ticks % freq) * 1000000000ull / freq;
}

void LogSetConsole(const dev::Uart& uart) {
  IrqGuard guard(g_lock);
  g_console = uart;
  FlushLocked();
}

const dev::Uart& LogConsole() {
  return g_console;
}

void LogEnterPanicMode() {
  g_panic_mode = true;
}

namespace {

void LogLine(bool record, const char* fmt, va_list ap) {
  char line[512];
  uint64_t ns = CurrentTimeNs();
  int n = mica::SNPrintf(line, sizeof(line), "[%5llu.%06llu] ",
                         static_cast<unsigned long long>(ns / 1000000000ull),
                         static_cast<unsigned long long>((ns / 1000) % 1000000));
  if (n < 0) {
    n = 0;
  }
  int m = mica::VSNPrintf(line + n, sizeof(line) - n, fmt, ap);
  size_t len = n + (m < 0 ? 0 : static_cast<size_t>(m));
  if (len > sizeof(line) - 2) {
    len = sizeof(line) - 2;
  }
  if (len == 0 || line[len - 1] != '\n') {
    line[len++] = '\n';
  }
  if (record) {
    LogAddRecord(0, 0, line + n, len - n - 1);  // without time and newline
  }
  Emit(line, len);
}

}  // namespace

void KLogV(const char* fmt, va_list ap) {
  LogLine(true, fmt, ap);
}

void KLogNoRecord(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  LogLine(false, fmt, ap);
  va_end(ap);
}

void KLog(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  KLogV(fmt, ap);
  va_end(ap);
}

void KPuts(const char* s) {
  Emit(s, strlen(s));
}

size_t LogSnapshot(char* out, size_t size) {
  IrqGuard guard(g_lock);
  size_t avail = g_ring_head < kRingSize ? g_ring_head : kRingSize;
  size_t n = size < avail ? size : avail;
  for (size_t i = 0; i < n; i++) {
    out[i] = g_ring[(g_ring_head - n + i) % kRingSize];
  }
  return n;
}
