#include "kernel/base/log.h"

#include <string.h>
#include "kernel/arch/arm64/arch.h"

#include "kernel/base/irq_spinlock.h"
#include "kernel/lib/atomic.h"
#include "kernel/lib/printf.h"

namespace {

constexpr size_t kRingSize = 64 * 1024;

IrqSpinLock g_lock;
char g_ring[kRingSize];
uint64_t g_ring_head GUARDED_BY(g_lock);     // total bytes ever written
uint64_t g_console_done GUARDED_BY(g_lock);  // bytes already sent to the console
dev::Uart g_console;
bool g_panic_mode;

// Console hand-over: the koid of the console log that has the UART (0: the
// kernel), the first record it has not read, and the statistics.
uint64_t g_owner GUARDED_BY(g_lock);
mica::Atomic<uint64_t> g_owner_next{0};
// The owner prints what it reads (it reads console lines): its last line
// read may be cut on the wire when it dies.
bool g_owner_prints GUARDED_BY(g_lock);
uint64_t g_kernel_bytes GUARDED_BY(g_lock);  // written to the UART by the kernel
uint64_t g_handovers GUARDED_BY(g_lock);

// The record ring (debuglog_read), and where each record's line starts in
// the byte ring.
IrqSpinLock g_rec_lock ACQUIRED_AFTER(g_lock);
mica_log_record_t g_records[kLogRecords] GUARDED_BY(g_rec_lock);
uint64_t g_rec_bytes[kLogRecords] GUARDED_BY(g_rec_lock);
uint64_t g_rec_next GUARDED_BY(g_rec_lock);

void RingWriteLocked(const char* s, size_t n) REQUIRES(g_lock) {
  for (size_t i = 0; i < n; i++) {
    g_ring[(g_ring_head + i) % kRingSize] = s[i];
  }
  g_ring_head += n;
}

// Sends what the console has not seen yet (at most one ring's worth),
// unless a console driver has it (outside a panic).
void FlushLocked() REQUIRES(g_lock) {
  if (!g_console.present() || (g_owner != 0 && !g_panic_mode)) {
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
    g_kernel_bytes += n;
  }
}

// The byte ring offset of record `next`'s line (the oldest record's if
// `next` was overwritten, the ring's end if it is not written yet). In a
// panic the record lock is not waited for long: a stopped CPU may hold it.
uint64_t RecordOffsetLocked(uint64_t next)
    REQUIRES(g_lock) NO_THREAD_SAFETY_ANALYSIS {  // the record lock is only tried in a panic
  uint64_t state = 0;
  bool locked = true;
  if (g_panic_mode) {
    locked = g_rec_lock.TryAcquireFor(100000, &state);
  } else {
    state = g_rec_lock.Acquire();
  }
  uint64_t oldest = g_rec_next > kLogRecords ? g_rec_next - kLogRecords : 0;
  if (next < oldest) {
    next = oldest;
  }
  uint64_t offset = next < g_rec_next ? g_rec_bytes[next % kLogRecords] : g_ring_head;
  if (locked) {
    g_rec_lock.Release(state);
  }
  return offset;
}

// Takes the console back from its owner: resumes at the line of the first
// record the owner had not read (never before what the kernel printed).
void ReturnConsoleLocked() REQUIRES(g_lock) {
  uint64_t next = g_owner_next.load(mica::kAcquire);
  if (g_owner_prints && next > 0) {
    next--;  // the line it was printing: again, whole, on a line of its own
  }
  uint64_t offset = RecordOffsetLocked(next);
  if (offset > g_console_done) {
    if (g_owner_prints && g_console.present()) {
      g_console.Write("\n", 1);
      g_kernel_bytes += 1;
    }
    g_console_done = offset;
  }
  g_owner = 0;
  g_owner_prints = false;
  FlushLocked();
}

// Adds a record whose line starts at the ring's end (before the line is
// written).
void AddRecordLocked(uint64_t pid, uint64_t tid, const char* data, size_t len) REQUIRES(g_lock) {
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
  g_rec_bytes[g_rec_next % kLogRecords] = g_ring_head;
  g_rec_next++;
}

// A record to add together with the line (pid 0 with data: a kernel line).
struct Record {
  bool add = false;
  uint64_t pid = 0;
  const char* data = nullptr;
  size_t len = 0;
};

// Opted out: in panic mode it may write without the lock (below).
void Emit(const char* s, size_t n, const Record& rec = Record()) NO_THREAD_SAFETY_ANALYSIS {
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
  if (g_panic_mode && g_owner != 0) {
    ReturnConsoleLocked();  // the report goes to the UART, after what the driver missed
  }
  if (rec.add) {
    AddRecordLocked(rec.pid, 0, rec.data, rec.len);
  }
  RingWriteLocked(s, n);
  FlushLocked();
  if (locked) {
    g_lock.Release(state);
  }
}

}  // namespace

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

bool LogReadLine(uint64_t* cursor, mica_log_record_t* header, char* line, size_t cap, size_t* len) {
  IrqGuard guard(g_lock);
  IrqGuard rguard(g_rec_lock);
  uint64_t oldest = g_rec_next > kLogRecords ? g_rec_next - kLogRecords : 0;
  if (*cursor < oldest) {
    *cursor = oldest;
  }
  if (*cursor >= g_rec_next) {
    return false;
  }
  const mica_log_record_t& r = g_records[*cursor % kLogRecords];
  memcpy(header, &r, sizeof(*header) - MICA_LOG_MAX_DATA);
  uint64_t start = g_rec_bytes[*cursor % kLogRecords];
  uint64_t end = *cursor + 1 < g_rec_next ? g_rec_bytes[(*cursor + 1) % kLogRecords] : g_ring_head;
  size_t n = 0;
  if (g_ring_head - start <= kRingSize) {
    for (uint64_t at = start; at < end && n < cap; at++) {
      line[n++] = g_ring[at % kRingSize];
    }
  } else {  // overwritten in the byte ring: the text alone
    for (size_t i = 0; i < r.data_size && n + 1 < cap; i++) {
      line[n++] = r.data[i];
    }
    if (n < cap) {
      line[n++] = '\n';
    }
  }
  *len = n;
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

mica::Status LogTakeConsole(uint64_t owner, uint64_t* first_record) {
  IrqGuard guard(g_lock);
  if (g_owner != 0) {
    return mica::Status::kAlreadyBound;
  }
  FlushLocked();  // everything logged so far is on the UART
  uint64_t next;
  {
    IrqGuard rg(g_rec_lock);
    next = g_rec_next;
  }
  g_owner_next.store(next, mica::kRelease);
  g_owner = owner;
  g_handovers++;
  *first_record = next;
  return mica::Status::kOk;
}

void LogConsoleOwnerRead(uint64_t owner, uint64_t next, bool prints) {
  IrqGuard guard(g_lock);
  if (g_owner == owner) {
    g_owner_next.store(next, mica::kRelease);
    g_owner_prints = g_owner_prints || prints;
  }
}

void LogReturnConsole(uint64_t owner) {
  IrqGuard guard(g_lock);
  if (g_owner != 0 && (owner == 0 || g_owner == owner)) {
    ReturnConsoleLocked();
  }
}

void LogDrainConsole() {
  IrqGuard guard(g_lock);
  FlushLocked();
  g_console.Drain();
}

mica_system_info_console_t LogConsoleInfo() {
  IrqGuard guard(g_lock);
  mica_system_info_console_t info = {};
  info.kernel_bytes = g_kernel_bytes;
  info.owner = g_owner;
  info.handovers = g_handovers;
  return info;
}

namespace {

void LogLine(const Record& user_rec, const char* fmt, va_list ap) {
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
  Record rec = user_rec;
  if (!rec.add) {
    rec = Record{true, 0, line + n, len - n - 1};  // without time and newline
  }
  Emit(line, len, rec);
}

}  // namespace

void KLogV(const char* fmt, va_list ap) {
  LogLine(Record(), fmt, ap);
}

void KLogRecord(uint64_t pid, const char* data, size_t len, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  LogLine(Record{true, pid, data, len}, fmt, ap);
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
