// The Linux side of `./mica bench` (docs/performance.md): a static aarch64
// program that runs as /init of an initramfs, measures the Linux
// counterparts of bin/bench's operations in instructions per operation
// (the virtual counter CNTVCT_EL0 under QEMU -icount, calibrated the same
// way), prints `bench: <name> <value>` lines and powers the machine off.
//
//   /init [iters=N] [runs=R]     (kernel command line: init arguments)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MSG_BYTES 64
#define MAX_RUNS 15

static unsigned g_iters = 10000;
static unsigned g_runs = 5;
static uint64_t g_ticks_per_kinsn = 1000;
static int g_cpus = 1;

static inline uint64_t ticks(void) {
  uint64_t v;
  __asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(v)::"memory");
  return v;
}

__attribute__((noinline)) static void spin(uint64_t n) {
  __asm__ volatile(
      "1: subs %0, %0, #1\n"
      "   b.ne 1b\n"
      : "+r"(n)::"cc");
}

static uint64_t median(uint64_t* v, unsigned n) {
  for (unsigned i = 1; i < n; i++) {
    for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
      uint64_t t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  }
  return v[n / 2];
}

static void calibrate(void) {
  const uint64_t kshort = 1000, klong = 11000;
  // Each length's smallest of 9 tries (a try no interrupt fell into); the
  // smallest difference would favour a try whose short loop was
  // interrupted (bin/bench's Calibrate says more).
  uint64_t tshort = UINT64_MAX, tlong = UINT64_MAX;
  for (unsigned r = 0; r < 9; r++) {
    uint64_t t0 = ticks();
    spin(kshort);
    uint64_t t1 = ticks();
    spin(klong);
    uint64_t t2 = ticks();
    tshort = t1 - t0 < tshort ? t1 - t0 : tshort;
    tlong = t2 - t1 < tlong ? t2 - t1 : tlong;
  }
  uint64_t t = tlong - tshort;
  uint64_t insns = 2 * (klong - kshort);
  g_ticks_per_kinsn = (t * 1000 + insns / 2) / insns;
  uint64_t f;
  __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
  uint64_t a = ticks(), b = ticks();
  printf(
      "bench: calibration cntfrq=%llu ticks_per_1000_insns=%llu (loop of %llu instructions: %llu "
      "ticks; empty read pair: %llu ticks)\n",
      (unsigned long long)f, (unsigned long long)g_ticks_per_kinsn, (unsigned long long)insns,
      (unsigned long long)t, (unsigned long long)(b - a));
  if (g_ticks_per_kinsn == 0) {
    g_ticks_per_kinsn = 1000;
  }
}

typedef void (*op_fn)(void* ctx, unsigned n);

static void measure(const char* name, unsigned iters, op_fn op, void* ctx) {
  op(ctx, iters / 10 > 0 ? iters / 10 : 1);
  uint64_t d[MAX_RUNS];
  for (unsigned r = 0; r < g_runs; r++) {
    uint64_t t0 = ticks();
    op(ctx, iters);
    uint64_t t1 = ticks();
    d[r] = t1 - t0;
  }
  uint64_t t = median(d, g_runs);
  uint64_t denom = (uint64_t)iters * g_ticks_per_kinsn;
  printf("bench: %s %llu\n", name, (unsigned long long)((t * 1000 + denom / 2) / denom));
  fflush(stdout);
}

static void die(const char* what) {
  printf("bench: error %s: %s\n", what, strerror(errno));
  fflush(stdout);
}

static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    die("sched_setaffinity");
  }
}

// ---- one process ---------------------------------------------------------

static void op_getppid(void* ctx, unsigned n) {
  (void)ctx;
  for (unsigned i = 0; i < n; i++) {
    syscall(SYS_getppid);
  }
}

static void op_eventfd(void* ctx, unsigned n) {
  int fd = *(int*)ctx;
  uint64_t v = 1;
  for (unsigned i = 0; i < n; i++) {
    if (write(fd, &v, 8) != 8 || read(fd, &v, 8) != 8) {
      die("eventfd");
      return;
    }
  }
}

static void op_pipe_one(void* ctx, unsigned n) {
  int* p = ctx;
  char buf[MSG_BYTES] = {1, 2, 3};
  for (unsigned i = 0; i < n; i++) {
    if (write(p[1], buf, MSG_BYTES) != MSG_BYTES || read(p[0], buf, MSG_BYTES) != MSG_BYTES) {
      die("pipe");
      return;
    }
  }
}

// ---- two processes: request and reply of MSG_BYTES each -------------------

struct rt {
  int wr, rd;
};

static void op_rt(void* ctx, unsigned n) {
  struct rt* c = ctx;
  char buf[MSG_BYTES] = {0};
  for (unsigned i = 0; i < n; i++) {
    if (write(c->wr, buf, MSG_BYTES) != MSG_BYTES || read(c->rd, buf, MSG_BYTES) != MSG_BYTES) {
      die("round trip");
      return;
    }
  }
}

static void echo(int rd, int wr) {
  char buf[MSG_BYTES];
  for (;;) {
    ssize_t got = read(rd, buf, MSG_BYTES);
    if (got <= 0 || write(wr, buf, (size_t)got) != got) {
      _exit(0);
    }
  }
}

// pipe round trip: two pipes, a child echoing; `cpu` >= 0 pins the two
// processes to different CPUs (the child to cpu, the parent to cpu ^ 1).
static void bench_pipe_rt(const char* name, int cpu) {
  int a[2], b[2];
  if (pipe(a) != 0 || pipe(b) != 0) {
    die("pipe");
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    if (cpu >= 0) {
      pin(cpu);
    }
    close(a[1]);
    close(b[0]);
    echo(a[0], b[1]);
  }
  if (cpu >= 0) {
    pin(cpu ^ 1);
  }
  close(a[0]);
  close(b[1]);
  struct rt c = {a[1], b[0]};
  measure(name, g_iters, op_rt, &c);
  close(a[1]);
  close(b[0]);
  waitpid(pid, NULL, 0);
}

static void bench_unix_rt(void) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
    die("socketpair");
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    echo(sv[1], sv[1]);
  }
  close(sv[1]);
  struct rt c = {sv[0], sv[0]};
  measure("unix_socket_rt", g_iters, op_rt, &c);
  close(sv[0]);
  waitpid(pid, NULL, 0);
}

// ---- futex ping-pong between two threads --------------------------------

static int g_turn;  // 0: main thread's turn, 1: partner's, 2: partner exits

static void futex_set(int v) {
  __atomic_store_n(&g_turn, v, __ATOMIC_SEQ_CST);
  syscall(SYS_futex, &g_turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void futex_await(int v) {
  for (;;) {
    int cur = __atomic_load_n(&g_turn, __ATOMIC_SEQ_CST);
    if (cur == v || cur == 2) {
      return;
    }
    syscall(SYS_futex, &g_turn, FUTEX_WAIT_PRIVATE, cur, NULL, NULL, 0);
  }
}

static void* partner(void* arg) {
  (void)arg;
  for (;;) {
    futex_await(1);
    if (__atomic_load_n(&g_turn, __ATOMIC_SEQ_CST) == 2) {
      return NULL;
    }
    futex_set(0);
  }
}

static void op_futex(void* ctx, unsigned n) {
  (void)ctx;
  for (unsigned i = 0; i < n; i++) {
    futex_set(1);
    futex_await(0);
  }
}

static void bench_futex(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, partner, NULL) != 0) {
    die("pthread_create");
    return;
  }
  measure("futex_pingpong", g_iters, op_futex, NULL);
  futex_set(2);
  pthread_join(t, NULL);
}

// ---- sched_yield ping-pong: two processes yielding on one CPU -------------

static void op_yield(void* ctx, unsigned n) {
  (void)ctx;
  for (unsigned i = 0; i < n; i++) {
    sched_yield();
  }
}

static void bench_yield(void) {
  pid_t pid = fork();
  if (pid == 0) {
    for (;;) {
      sched_yield();
    }
  }
  measure("sched_yield_pingpong", g_iters, op_yield, NULL);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

// ---- fork + exit + wait ----------------------------------------------------

static void op_fork(void* ctx, unsigned n) {
  (void)ctx;
  for (unsigned i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      _exit(0);
    }
    if (pid < 0 || waitpid(pid, NULL, 0) != pid) {
      die("fork");
      return;
    }
  }
}

int main(int argc, char** argv) {
  // The counter at /init's first instruction of its own: the boot from
  // reset, printed once calibrated (bench.py's boot_to_init).
  const uint64_t boot = ticks();
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "iters=", 6) == 0) {
      g_iters = (unsigned)strtoul(argv[i] + 6, NULL, 10);
    } else if (strncmp(argv[i], "runs=", 5) == 0) {
      g_runs = (unsigned)strtoul(argv[i] + 5, NULL, 10);
    }
  }
  if (g_iters < 10) {
    g_iters = 10;
  }
  if (g_runs == 0 || g_runs > MAX_RUNS) {
    g_runs = 5;
  }
  g_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
  printf("bench: start iters=%u runs=%u cpus=%d\n", g_iters, g_runs, g_cpus);
  calibrate();
  printf("bench: boot_to_init %llu\n",
         (unsigned long long)((boot * 1000 + g_ticks_per_kinsn / 2) / g_ticks_per_kinsn));
  if (g_cpus > 1) {
    bench_pipe_rt("pipe_rt_2cpu", 1);
  } else {
    measure("getppid", g_iters, op_getppid, NULL);
    int efd = eventfd(0, 0);
    measure("eventfd_write_read", g_iters, op_eventfd, &efd);
    close(efd);
    int p[2];
    if (pipe(p) == 0) {
      measure("pipe_write_read", g_iters, op_pipe_one, p);
      close(p[0]);
      close(p[1]);
    }
    bench_pipe_rt("pipe_rt", -1);
    bench_unix_rt();
    bench_futex();
    bench_yield();
    measure("fork_exit_wait", g_iters / 100 > 2 ? g_iters / 100 : 2, op_fork, NULL);
  }
  printf("bench: done\n");
  fflush(stdout);
  sync();
  reboot(RB_POWER_OFF);
  return 0;
}
