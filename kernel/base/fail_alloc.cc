#include "kernel/base/fail_alloc.h"

#include <string.h>

#include "kernel/arch/arm64/arch.h"
#include "kernel/base/log.h"
#include "kernel/base/percpu.h"
#include "kernel/lib/atomic.h"

namespace fail_alloc {
namespace {

// Set once at boot, before any user thread exists; read-only afterwards.
uint32_t g_mode = MICA_FAIL_ALLOC_OFF;
uint64_t g_seed;
uint64_t g_every;      // every:<N>
uint32_t g_per_10000;  // random: the probability in hundredths of a percent
bool g_heap = true;    // which kinds of allocation may fail
bool g_pages = true;

// The decision sequence and the figures (relaxed atomics: counters only).
mica::Atomic<uint64_t> g_candidates;
mica::Atomic<uint64_t> g_injected;
mica::Atomic<uint64_t> g_syscalls;
mica::Atomic<uint64_t> g_no_memory;
mica::Atomic<uint64_t> g_ok;
mica::Atomic<uint64_t> g_other;

constexpr uint64_t kMaxLogged = 32;  // lines about calls that absorbed or hid a failure

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Parses decimal digits at *p into *out; false if there are none or it
// overflows.
bool ParseU64(const char** p, uint64_t* out) {
  const char* s = *p;
  uint64_t v = 0;
  if (*s < '0' || *s > '9') {
    return false;
  }
  while (*s >= '0' && *s <= '9') {
    uint64_t d = static_cast<uint64_t>(*s - '0');
    if (v > (~0ull - d) / 10) {
      return false;
    }
    v = v * 10 + d;
    s++;
  }
  *p = s;
  *out = v;
  return true;
}

// "<int>[.<d>[<d>]]" percent, as hundredths of a percent (0..10000).
bool ParsePercent(const char* s, uint32_t* out) {
  uint64_t whole = 0;
  if (!ParseU64(&s, &whole) || whole > 100) {
    return false;
  }
  uint64_t v = whole * 100;
  if (*s == '.') {
    s++;
    uint64_t scale = 10;
    if (*s < '0' || *s > '9') {
      return false;
    }
    for (; *s >= '0' && *s <= '9' && scale != 0; s++, scale /= 10) {
      v += static_cast<uint64_t>(*s - '0') * scale;
    }
  }
  if (*s != 0 || v > 10000) {
    return false;
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

const char* KindsName() {
  return g_heap && g_pages ? "heap and page" : g_heap ? "heap" : "page";
}

}  // namespace

bool Init(const char* full_spec, const char** why) {
  if (full_spec == nullptr || full_spec[0] == 0) {
    return true;
  }
  const char* bad =
      "expected kernel.failalloc=random:<seed>:<percent> or every:<N>, then ,heap or ,pages";
  char spec[64];
  strlcpy(spec, full_spec, sizeof(spec));
  if (char* comma = strchr(spec, ',')) {
    *comma = 0;
    if (strcmp(comma + 1, "heap") == 0) {
      g_pages = false;
    } else if (strcmp(comma + 1, "pages") == 0) {
      g_heap = false;
    } else {
      *why = bad;
      return false;
    }
  }
  if (strncmp(spec, "every:", 6) == 0) {
    const char* p = spec + 6;
    if (!ParseU64(&p, &g_every) || *p != 0 || g_every == 0) {
      *why = bad;
      return false;
    }
    g_mode = MICA_FAIL_ALLOC_EVERY;
    KLog("failalloc: every %llu-th %s allocation of an opted-in thread fails",
         static_cast<unsigned long long>(g_every), KindsName());
    return true;
  }
  if (strncmp(spec, "random:", 7) == 0) {
    const char* p = spec + 7;
    if (!ParseU64(&p, &g_seed) || *p != ':' || !ParsePercent(p + 1, &g_per_10000)) {
      *why = bad;
      return false;
    }
    g_mode = MICA_FAIL_ALLOC_RANDOM;
    KLog("failalloc: %s allocations of opted-in threads fail at random, seed %llu, %u.%02u %%",
         KindsName(), static_cast<unsigned long long>(g_seed), g_per_10000 / 100,
         g_per_10000 % 100);
    return true;
  }
  *why = bad;
  return false;
}

bool Enabled() {
  return g_mode != MICA_FAIL_ALLOC_OFF;
}

bool ShouldFail(Kind kind) {
  if (g_mode == MICA_FAIL_ALLOC_OFF || !(kind == Kind::kHeap ? g_heap : g_pages)) {
    return false;
  }
  // With interrupts off, this CPU and its current thread are read together
  // (no preemption, so no migration, in between).
  uint64_t irq_state = arch::SaveDisableIrqs();
  PerCpu& cpu = ThisCpu();
  ThreadBase* t = cpu.current;
  bool eligible =
      t != nullptr && t->fail_alloc_on && t->fail_alloc_suppressed == 0 && cpu.irq_depth == 0;
  arch::RestoreIrqs(irq_state);
  if (!eligible) {
    return false;
  }
  uint64_t n = g_candidates.fetch_add(1, mica::kRelaxed) + 1;
  bool fail = g_mode == MICA_FAIL_ALLOC_EVERY
                  ? n % g_every == 0
                  : SplitMix64(g_seed ^ SplitMix64(n)) % 10000 < g_per_10000;
  if (fail) {
    g_injected.fetch_add(1, mica::kRelaxed);
    t->fail_alloc_hit = true;
  }
  return fail;
}

void SetForThread(ThreadBase* thread, bool on) {
  thread->fail_alloc_on = on;
}

Suppress::Suppress() {
  ThreadBase* t = ThisCpu().current;
  if (t != nullptr) {
    t->fail_alloc_suppressed++;
  }
}

Suppress::~Suppress() {
  ThreadBase* t = ThisCpu().current;
  if (t != nullptr) {
    t->fail_alloc_suppressed--;
  }
}

void SyscallEnd(uint64_t number, int64_t status) {
  g_syscalls.fetch_add(1, mica::kRelaxed);
  if (status == MICA_ERR_NO_MEMORY) {
    g_no_memory.fetch_add(1, mica::kRelaxed);
    return;
  }
  mica::Atomic<uint64_t>* counter = status == MICA_OK ? &g_ok : &g_other;
  uint64_t seen = counter->fetch_add(1, mica::kRelaxed);
  if (seen < kMaxLogged) {
    KLog("failalloc: syscall %llu returned %lld after an injected allocation failure",
         static_cast<unsigned long long>(number), static_cast<long long>(status));
  }
}

mica_info_fail_alloc_t Info() {
  mica_info_fail_alloc_t info = {};
  info.mode = g_mode;
  info.injected = g_injected.load(mica::kRelaxed);
  info.syscalls = g_syscalls.load(mica::kRelaxed);
  info.no_memory = g_no_memory.load(mica::kRelaxed);
  info.ok = g_ok.load(mica::kRelaxed);
  info.other = g_other.load(mica::kRelaxed);
  return info;
}

}  // namespace fail_alloc
