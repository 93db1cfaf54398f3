// bin/bench: instructions per operation of Mica's basic operations
// (docs/performance.md). Run under QEMU with
// `-icount shift=4,align=off,sleep=off`, where the virtual counter
// (CNTVCT_EL0) advances a fixed number of ticks per retired instruction; the
// ratio is measured first with a loop of known length (`calibration`).
//
//   userboot.next=bin/bench [userboot.arg=iters=N] [userboot.arg=runs=R]
//                           [userboot.arg=only=NAME] [userboot.arg=images=1]
//
// Each benchmark runs its operation N/10 times to warm up, then R times N
// operations between two counter reads, and prints the median as
//   bench: <name> <instructions per operation>
// then `bench: done`. The program starts copies of itself from the bootfs
// (argv[1] = "server") for the channel_call figures, "idl-server" for the
// IDL round trip (idl_bench.cc), and bin/bench-exit
// (exit.c: main returns 0) for process_create_exit.
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/rt/thread.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/bootfs/bootfs.h"
#include "system/core/bench/idl_bench.h"
#include "system/core/userboot/loader.h"
#include "system/core/userboot/message.h"
#include "test/bench/lib/common.h"

namespace {

constexpr uint32_t kMsgBytes = 64;
constexpr uint32_t kMaxRuns = 15;
constexpr uint32_t kChannelInfo = MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_USER0, 0);

uint32_t g_iters = 10000;
uint32_t g_runs = 5;
const char* g_only = nullptr;
// `images=1`: print where this program and every child was loaded, after
// the benchmarks (test/bench/insn_profile.py names user PCs with it).
bool g_log_images = false;
constexpr uint32_t kMaxImages = 512;
uint64_t g_child_bases[kMaxImages];
const bootfs::File* g_child_files[kMaxImages];
uint32_t g_child_count = 0;
// Counter ticks per 1000 retired instructions (calibration).
uint64_t g_ticks_per_kinsn = 1000;
bool g_failed = false;

inline uint64_t Ticks() {
  uint64_t v;
  __asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(v)::"memory");
  return v;
}

void Check(mica_status_t s, const char* what) {
  if (s != MICA_OK) {
    printf("bench: error %s failed (status %d)\n", what, static_cast<int>(s));
    g_failed = true;
  }
}

using ::bench::Median;
using ::bench::Spin;

// Ticks of the counter per 1000 instructions: two loop lengths, so the cost
// of the counter reads themselves cancels out; each length's smallest of 9
// tries, so an interrupt taken during a try does not count. (Taking the
// smallest difference instead would pick a try whose short loop an
// interrupt fell into: with an 858-instruction interrupt there, 20,000
// instructions came out as 19,142 ticks and every figure 4.5 % high.)
void Calibrate() {
  constexpr uint64_t kShort = 1000, kLong = 11000;
  uint64_t short_ticks = UINT64_MAX, long_ticks = UINT64_MAX;
  for (uint32_t r = 0; r < 9; r++) {
    uint64_t t0 = Ticks();
    Spin(kShort);
    uint64_t t1 = Ticks();
    Spin(kLong);
    uint64_t t2 = Ticks();
    short_ticks = t1 - t0 < short_ticks ? t1 - t0 : short_ticks;
    long_ticks = t2 - t1 < long_ticks ? t2 - t1 : long_ticks;
  }
  uint64_t ticks = long_ticks - short_ticks;
  uint64_t insns = 2 * (kLong - kShort);
  g_ticks_per_kinsn = (ticks * 1000 + insns / 2) / insns;
  uint64_t t0 = Ticks();
  uint64_t t1 = Ticks();
  printf(
      "bench: calibration cntfrq=%llu ticks_per_1000_insns=%llu (loop of %llu instructions: %llu "
      "ticks; empty read pair: %llu ticks)\n",
      static_cast<unsigned long long>(__extension__({
        uint64_t f;
        __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
        f;
      })),
      static_cast<unsigned long long>(g_ticks_per_kinsn), static_cast<unsigned long long>(insns),
      static_cast<unsigned long long>(ticks), static_cast<unsigned long long>(t1 - t0));
  if (g_ticks_per_kinsn == 0) {
    g_ticks_per_kinsn = 1000;
    g_failed = true;
  }
}

bool Selected(const char* name) {
  return g_only == nullptr || strcmp(g_only, name) == 0;
}

// Runs op(ctx, n) once to warm up (n = iters/10) and `runs` times with n =
// iters, and prints the median instructions per operation.
template <typename F>
void Measure(const char* name, uint32_t iters, F&& op) {
  if (!Selected(name)) {
    return;
  }
  op(iters / 10 > 0 ? iters / 10 : 1);
  uint64_t d[kMaxRuns];
  for (uint32_t r = 0; r < g_runs; r++) {
    uint64_t t0 = Ticks();
    op(iters);
    uint64_t t1 = Ticks();
    d[r] = t1 - t0;
  }
  uint64_t ticks = Median(d, g_runs);
  // instructions = ticks * 1000 / ticks_per_kinsn, per operation, rounded.
  uint64_t denom = static_cast<uint64_t>(iters) * g_ticks_per_kinsn;
  uint64_t per_op = (ticks * 1000 + denom / 2) / denom;
  printf("bench: %s %llu\n", name, static_cast<unsigned long long>(per_op));
}

// ---- Starting copies of this program -------------------------------------

bootfs::Image g_bootfs;
bootfs::File g_self;
bootfs::File g_exit;  // bin/bench-exit, process_create_exit's child
constexpr const char* kExitPath = "bin/bench-exit";
mica_handle_t g_bootfs_vmo = MICA_HANDLE_INVALID;

bool OpenSelf(const char* path) {
  mica_handle_t vmo =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_BOOTFS, 0));
  uint64_t size = 0;
  mica_vaddr_t addr = 0;
  if (vmo == MICA_HANDLE_INVALID || mica_vmo_get_size(vmo, &size) != MICA_OK ||
      mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ, 0, vmo, 0, size, &addr) != MICA_OK) {
    printf("bench: error no bootfs VMO (userboot passes it on)\n");
    return false;
  }
  if (g_bootfs.Open(reinterpret_cast<const void*>(addr), size, bootfs::Verify::kStructure) !=
          bootfs::Status::kOk ||
      !g_bootfs.Find(path, &g_self) || !g_bootfs.Find(kExitPath, &g_exit)) {
    printf("bench: error cannot find %s or %s in the bootfs\n", path, kExitPath);
    return false;
  }
  g_bootfs_vmo = vmo;
  return true;
}

mica_handle_t Dup(mica_handle_t h) {
  mica_handle_t out = MICA_HANDLE_INVALID;
  (void)mica_handle_duplicate(h, MICA_RIGHT_SAME_RIGHTS, &out);
  return out;
}

// Loads `file` (this program unless given) into a new process and starts
// it with argv {"bench", mode}, passing `extra` (consumed; may be invalid)
// as USER0. Returns the process handle (invalid on failure); its thread's
// handle in *thread if that is not null.
mica_handle_t Spawn(const char* mode, mica_handle_t extra, mica_handle_t* thread = nullptr,
                    const bootfs::File* file = nullptr) {
  userboot::Program p;
  char why[160];
  const bootfs::File& f = file != nullptr ? *file : g_self;
  userboot::ImageVmo from{g_bootfs_vmo, f.offset};
  if (!userboot::LoadProgram(mica_rt_job_default(), "bench-child", f.data, f.size, &p, why,
                             sizeof(why), &from)) {
    printf("bench: error cannot load a child: %s\n", why);
    mica_handle_close(extra);
    return MICA_HANDLE_INVALID;
  }
  mica_handle_t handles[4];
  uint32_t info[4];
  uint32_t n = 0;
  if (g_child_count < kMaxImages) {
    g_child_files[g_child_count] = &f;
    g_child_bases[g_child_count++] = p.base;
  }
  handles[n] = p.vmar.release();
  info[n++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMAR_ROOT, 0);
  handles[n] = Dup(p.process.get());
  info[n++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_PROC_SELF, 0);
  handles[n] = Dup(mica_rt_debuglog());
  info[n++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_DEBUGLOG, 0);
  if (extra != MICA_HANDLE_INVALID) {
    handles[n] = extra;
    info[n++] = kChannelInfo;
  }
  const char* argv[2] = {"bench", mode};
  userboot::MessageSpec spec;
  spec.info = info;
  spec.handle_count = n;
  spec.argv = argv;
  spec.argc = 2;
  static uint8_t msg[1024];
  uint32_t size = userboot::MessageSize(spec);
  mica_handle_t mine = MICA_HANDLE_INVALID, theirs = MICA_HANDLE_INVALID;
  mica_status_t s = size != 0 && size <= sizeof(msg) && userboot::WriteMessage(spec, msg, size)
                        ? MICA_OK
                        : MICA_ERR_OUT_OF_RANGE;
  if (s == MICA_OK) {
    s = mica_channel_create(0, &mine, &theirs);
  }
  if (s == MICA_OK) {
    s = mica_channel_write(mine, 0, msg, size, handles, n);
  } else {
    mica_handle_close_many(handles, n);
  }
  if (s == MICA_OK) {
    s = mica_process_start(p.process.get(), p.thread.get(), p.entry, p.stack_top, theirs, p.base);
    theirs = MICA_HANDLE_INVALID;
  }
  mica_handle_close(mine);
  mica_handle_close(theirs);
  if (s != MICA_OK) {
    Check(s, "starting a child");
    (void)mica_task_kill(p.process.get());
    return MICA_HANDLE_INVALID;
  }
  if (thread != nullptr) {
    *thread = p.thread.release();
  }
  return p.process.release();
}

// The CPU `thread` last ran on, or -1 if the kernel cannot say
// (MICA_INFO_THREAD not implemented yet).
int LastCpu(mica_handle_t thread) {
  mica_info_thread_t info = {};
  if (mica_object_get_info(thread, MICA_INFO_THREAD, &info, sizeof(info), nullptr, nullptr) !=
      MICA_OK) {
    return -1;
  }
  return static_cast<int>(info.last_cpu);
}

void WaitGone(mica_handle_t process) {
  mica_signals_t seen = 0;
  Check(mica_object_wait_one(process, MICA_TASK_TERMINATED, MICA_TIME_INFINITE, &seen),
        "waiting for a child");
  mica_handle_close(process);
}

// The child's side of channel_call: echo every message until the peer goes.
// channel_write_read sends the reply and waits for the next request in one
// call (Linux's server does read(2) and write(2)), so a round trip is the
// client's channel_call and the server's channel_write_read.
int Server() {
  mica_handle_t ch = mica_rt_take_startup_handle(kChannelInfo);
  uint8_t buf[kMsgBytes];
  mica_channel_call_args_t args = {};
  args.wr_bytes = buf;
  args.rd_bytes = buf;
  args.rd_num_bytes = sizeof(buf);
  uint32_t options = MICA_CHANNEL_WRITE_READ_NO_WRITE;  // nothing to reply to yet
  for (;;) {
    uint32_t actual = 0;
    mica_status_t s =
        mica_channel_write_read(ch, options, MICA_TIME_INFINITE, &args, &actual, nullptr);
    if (s != MICA_OK) {
      return s == MICA_ERR_PEER_CLOSED ? 0 : 1;
    }
    args.wr_num_bytes = actual;
    options = 0;
  }
}

// ---- The benchmarks ------------------------------------------------------

void NullSyscall() {
  Measure("null_syscall", g_iters, [](uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
      (void)mica_handle_close(MICA_HANDLE_INVALID);
    }
  });
  Measure("clock_get_monotonic", g_iters, [](uint32_t n) {
    mica_time_t t;
    for (uint32_t i = 0; i < n; i++) {
      (void)mica_clock_get_monotonic(&t);
    }
  });
}

void EventSignalWait() {
  mica_handle_t ev = MICA_HANDLE_INVALID;
  Check(mica_event_create(0, &ev), "event_create");
  Measure("event_signal_wait", g_iters, [ev](uint32_t n) {
    mica_signals_t seen;
    for (uint32_t i = 0; i < n; i++) {
      (void)mica_object_signal(ev, 0, MICA_SIGNAL_SIGNALED);
      (void)mica_object_wait_one(ev, MICA_SIGNAL_SIGNALED, MICA_TIME_INFINITE, &seen);
    }
  });
  mica_handle_close(ev);
}

void ChannelWriteRead() {
  mica_handle_t a = MICA_HANDLE_INVALID, b = MICA_HANDLE_INVALID;
  Check(mica_channel_create(0, &a, &b), "channel_create");
  Measure("channel_write_read", g_iters, [a, b](uint32_t n) {
    uint8_t out[kMsgBytes] = {1, 2, 3};
    uint8_t in[kMsgBytes];
    for (uint32_t i = 0; i < n; i++) {
      (void)mica_channel_write(a, 0, out, kMsgBytes, nullptr, 0);
      (void)mica_channel_read(b, 0, in, nullptr, kMsgBytes, 0, nullptr, nullptr);
    }
  });
  mica_handle_close(a);
  mica_handle_close(b);
}

void ChannelCall(const char* name) {
  if (!Selected(name)) {
    return;
  }
  mica_handle_t mine = MICA_HANDLE_INVALID, theirs = MICA_HANDLE_INVALID;
  Check(mica_channel_create(0, &mine, &theirs), "channel_create");
  mica_handle_t server_thread = MICA_HANDLE_INVALID;
  mica_handle_t server = Spawn("server", theirs, &server_thread);
  if (server == MICA_HANDLE_INVALID) {
    mica_handle_close(mine);
    return;
  }
  Measure(name, g_iters, [mine](uint32_t n) {
    uint8_t out[kMsgBytes] = {0};
    uint8_t in[kMsgBytes];
    mica_channel_call_args_t args = {};
    args.wr_bytes = out;
    args.wr_num_bytes = kMsgBytes;
    args.rd_bytes = in;
    args.rd_num_bytes = kMsgBytes;
    for (uint32_t i = 0; i < n; i++) {
      uint32_t actual = 0;
      mica_status_t s = mica_channel_call(mine, 0, MICA_TIME_INFINITE, &args, &actual, nullptr);
      if (s != MICA_OK || actual != kMsgBytes) {
        Check(s != MICA_OK ? s : MICA_ERR_INTERNAL, "channel_call");
        return;
      }
    }
  });
  // Where the two ended up (the server is blocked on its last CPU now).
  // (-1: unknown, MICA_INFO_THREAD is not implemented yet.)
  printf("bench: info %s: client last ran on cpu %d, server on cpu %d\n", name,
         LastCpu(mica_rt_thread_handle(mica_rt_thread_self())), LastCpu(server_thread));
  mica_handle_close(server_thread);
  mica_handle_close(mine);
  WaitGone(server);
}

// The same round trip through the IDL: a typed sync client call to a
// generated server dispatching on an async loop in the child.
void IdlCall(const char* name) {
  if (!Selected(name)) {
    return;
  }
  mica_handle_t mine = MICA_HANDLE_INVALID, theirs = MICA_HANDLE_INVALID;
  Check(mica_channel_create(0, &mine, &theirs), "channel_create");
  mica_handle_t server = Spawn("idl-server", theirs);
  if (server == MICA_HANDLE_INVALID) {
    mica_handle_close(mine);
    return;
  }
  Measure(name, g_iters, [mine](uint32_t n) {
    if (!bench::IdlCalls(mine, n)) {
      Check(MICA_ERR_INTERNAL, "an IDL call");
    }
  });
  mica_handle_close(mine);
  WaitGone(server);
}

void PortQueueWait() {
  mica_handle_t port = MICA_HANDLE_INVALID;
  Check(mica_port_create(0, &port), "port_create");
  Measure("port_queue_wait", g_iters, [port](uint32_t n) {
    mica_port_packet_t out = {};
    out.key = 7;
    out.type = MICA_PKT_TYPE_USER;
    mica_port_packet_t in;
    for (uint32_t i = 0; i < n; i++) {
      (void)mica_port_queue(port, &out);
      (void)mica_port_wait(port, MICA_TIME_INFINITE, &in);
    }
  });
  mica_handle_close(port);
}

// wait_async (one-shot) + signal + port_wait + clear: four calls per op.
void WaitAsyncSignal() {
  mica_handle_t port = MICA_HANDLE_INVALID, ev = MICA_HANDLE_INVALID;
  Check(mica_port_create(0, &port), "port_create");
  Check(mica_event_create(0, &ev), "event_create");
  Measure("wait_async_signal_port", g_iters, [port, ev](uint32_t n) {
    mica_port_packet_t in;
    for (uint32_t i = 0; i < n; i++) {
      (void)mica_object_wait_async(ev, port, 1, MICA_SIGNAL_SIGNALED, 0);
      (void)mica_object_signal(ev, 0, MICA_SIGNAL_SIGNALED);
      (void)mica_port_wait(port, MICA_TIME_INFINITE, &in);
      (void)mica_object_signal(ev, MICA_SIGNAL_SIGNALED, 0);
    }
  });
  mica_handle_close(ev);
  mica_handle_close(port);
}

// Two threads of one process hand a turn back and forth through a futex:
// one operation is a round trip (two switches).
struct PingPong {
  mica_futex_t turn = 0;  // 0: the main thread's turn, 1: the partner's
  uint32_t count = 0;     // round trips the partner should serve
  uint32_t epoch = 0;
};
PingPong g_pp;

void FutexSet(mica_futex_t v) {
  __atomic_store_n(&g_pp.turn, v, __ATOMIC_SEQ_CST);
  (void)mica_futex_wake(&g_pp.turn, 1);
}

void FutexAwait(mica_futex_t v) {
  for (;;) {
    mica_futex_t cur = __atomic_load_n(&g_pp.turn, __ATOMIC_SEQ_CST);
    if (cur == v) {
      return;
    }
    (void)mica_futex_wait(&g_pp.turn, cur, MICA_TIME_INFINITE);
  }
}

int Partner(void*) {
  for (;;) {
    FutexAwait(1);
    if (g_pp.count == 0) {
      return 0;
    }
    g_pp.count--;
    FutexSet(0);
  }
}

void FutexPingPong() {
  if (!Selected("futex_pingpong")) {
    return;
  }
  mica_rt_thread_t* t = nullptr;
  Check(mica_rt_thread_create(&t, Partner, nullptr, "partner", 0), "thread_create");
  if (t == nullptr) {
    return;
  }
  Measure("futex_pingpong", g_iters, [](uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
      g_pp.count = 1;
      FutexSet(1);
      FutexAwait(0);
    }
  });
  g_pp.count = 0;
  FutexSet(1);
  Check(mica_rt_thread_join(t, nullptr), "thread_join");
}

// Two processes on one CPU take turns through nanosleep(0) (a yield): one
// operation is a round trip (two process switches), as Linux's
// sched_yield ping-pong between two processes.
void YieldPingPong() {
  if (!Selected("yield_pingpong")) {
    return;
  }
  mica_handle_t child = Spawn("yield", MICA_HANDLE_INVALID);
  if (child == MICA_HANDLE_INVALID) {
    return;
  }
  Measure("yield_pingpong", g_iters, [](uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
      (void)mica_nanosleep(0);
    }
  });
  Check(mica_task_kill(child), "task_kill");
  WaitGone(child);
}

void ProcessCreate() {
  uint32_t iters = g_iters / 100 > 2 ? g_iters / 100 : 2;
  Measure("process_create_exit", iters, [](uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
      mica_handle_t p = Spawn("exit", MICA_HANDLE_INVALID, nullptr, &g_exit);
      if (p == MICA_HANDLE_INVALID) {
        return;
      }
      WaitGone(p);
    }
  });
}

bool ParseArgs(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    if (strncmp(a, "iters=", 6) == 0) {
      g_iters = static_cast<uint32_t>(strtoul(a + 6, nullptr, 10));
    } else if (strncmp(a, "runs=", 5) == 0) {
      g_runs = static_cast<uint32_t>(strtoul(a + 5, nullptr, 10));
    } else if (strncmp(a, "only=", 5) == 0) {
      g_only = a + 5;
    } else if (strcmp(a, "images=1") == 0) {
      g_log_images = true;
    } else {
      printf("bench: error unknown argument '%s'\n", a);
      return false;
    }
  }
  if (g_iters < 10 || g_runs == 0 || g_runs > kMaxRuns) {
    printf("bench: error iters must be >= 10 and runs 1..%u\n", kMaxRuns);
    return false;
  }
  return true;
}

}  // namespace

namespace {

// bti_pin of 256 committed pages (1 MiB, a virtio-blk request's worth)
// and its pmt_unpin, timed apart in the same loop (docs/kernel.md "DMA").
// Printed as bti_pin_256 and pmt_unpin_256; needs the root resource.
void BtiPin() {
  if (!Selected("bti_pin_256")) {
    return;
  }
  constexpr uint32_t kPages = 256;
  mica_handle_t bti = MICA_HANDLE_INVALID, vmo = MICA_HANDLE_INVALID;
  Check(mica_bti_create(mica_rt_root_resource(), 0, &bti), "bti_create");
  Check(mica_vmo_create(kPages * MICA_PAGE_SIZE, 0, &vmo), "vmo_create");
  static uint64_t addrs[kPages];
  uint64_t pin_ticks = 0, unpin_ticks = 0;
  uint32_t iters = g_iters / 10 > 0 ? g_iters / 10 : 1;
  for (uint32_t i = 0; i <= iters; i++) {  // the first one commits the pages
    mica_handle_t pmt = MICA_HANDLE_INVALID;
    uint64_t t0 = Ticks();
    Check(mica_bti_pin(bti, MICA_BTI_PERM_READ | MICA_BTI_PERM_WRITE, vmo, 0,
                       kPages * MICA_PAGE_SIZE, addrs, kPages, &pmt),
          "bti_pin");
    uint64_t t1 = Ticks();
    Check(mica_pmt_unpin(pmt), "pmt_unpin");
    uint64_t t2 = Ticks();
    if (i > 0) {
      pin_ticks += t1 - t0;
      unpin_ticks += t2 - t1;
    }
  }
  uint64_t denom = static_cast<uint64_t>(iters) * g_ticks_per_kinsn;
  printf("bench: bti_pin_256 %llu\n",
         static_cast<unsigned long long>((pin_ticks * 1000 + denom / 2) / denom));
  printf("bench: pmt_unpin_256 %llu\n",
         static_cast<unsigned long long>((unpin_ticks * 1000 + denom / 2) / denom));
  mica_handle_close(vmo);
  mica_handle_close(bti);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "server") == 0) {
    return Server();
  }
  if (argc == 2 && strcmp(argv[1], "idl-server") == 0) {
    return bench::IdlServer(mica_rt_take_startup_handle(kChannelInfo));
  }
  if (argc == 2 && strcmp(argv[1], "yield") == 0) {
    for (;;) {
      (void)mica_nanosleep(0);
    }
  }
  if (!ParseArgs(argc, argv) || !OpenSelf(argv[0])) {
    printf("bench: done (failed)\n");
    return 1;
  }
  mica_system_info_basic_t info = {};
  (void)mica_system_get_info(MICA_SYSTEM_INFO_BASIC, &info, sizeof(info));
  printf("bench: start iters=%u runs=%u cpus=%u\n", g_iters, g_runs,
         static_cast<unsigned>(info.num_cpus));
  Calibrate();
  NullSyscall();
  EventSignalWait();
  ChannelWriteRead();
  ChannelCall(info.num_cpus > 1 ? "channel_call_2cpu" : "channel_call");
  if (info.num_cpus == 1) {
    IdlCall("idl_call");
  }
  PortQueueWait();
  WaitAsyncSignal();
  FutexPingPong();
  YieldPingPong();
  ProcessCreate();
  BtiPin();
  if (g_log_images) {
    printf("bench: info image %s 0x%llx\n", argv[0],
           static_cast<unsigned long long>(mica_rt_load_base()));
    for (uint32_t i = 0; i < g_child_count; i++) {
      printf("bench: info image %s 0x%llx\n", g_child_files[i]->name,
             static_cast<unsigned long long>(g_child_bases[i]));
    }
  }
  printf("bench: done%s\n", g_failed ? " (failed)" : "");
  return g_failed ? 1 : 0;
}
