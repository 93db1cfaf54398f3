// The Linux side of bin/blockbench's block mode (test/bench/blockbench/,
// docs/performance.md): /init of the block boots' initramfs (bench.py),
//   /init block=<random>:<sequential>:<runs>   (kernel command line)
// a program of its own, so that linux_bench.c's /init, and with it the
// other rows' Linux figures, stay as they were.
// Loads Debian's virtio_mmio and virtio_blk modules (from the initramfs),
// mounts devtmpfs, opens /dev/vda with O_DIRECT and reads it as bin/blockbench
// reads block/0: <random> 4 KiB reads at the same pseudo-random 4 KiB
// slots, <sequential> 1 MiB reads from offset 0 up, <runs> runs of each,
// counted in retired instructions by a system-wide perf counter
// (PERF_COUNT_HW_INSTRUCTIONS on CPU 0, kernel included: the PMU's
// INST_RETIRED, which QEMU counts under precise -icount). Prints the median
// per KiB as `bench: block_read_4k_random <n>` and `bench: block_read_1m_seq
// <n>`.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KIB 1024ull
#define MIB (1024ull * 1024ull)
#define PAGE 4096ull
#define MAX_BLOCK_RUNS 15

static void fail(const char* what) {
  printf("bench: error %s: %s\n", what, strerror(errno));
  fflush(stdout);
}

static int load_module(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0) {
    fail(path);
    return -1;
  }
  close(fd);
  return 0;
}

static int counter_open(void) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof(a));
  a.size = sizeof(a);
  a.type = PERF_TYPE_HARDWARE;
  a.config = PERF_COUNT_HW_INSTRUCTIONS;
  // Everything CPU 0 executes: every task, the kernel, interrupts, idle.
  int fd = (int)syscall(SYS_perf_event_open, &a, -1, 0, -1, 0);
  if (fd < 0) {
    fail("perf_event_open(PERF_COUNT_HW_INSTRUCTIONS, cpu 0)");
  }
  return fd;
}

static uint64_t counter(int fd) {
  uint64_t v = 0;
  if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
    fail("reading the perf counter");
  }
  return v;
}

__attribute__((noinline)) static void spin2(uint64_t n) {
  __asm__ volatile(
      "1: subs %0, %0, #1\n"
      "   b.ne 1b\n"
      : "+r"(n)::"cc");
}

// Counted around a loop of n iterations, the same code for every n.
__attribute__((noinline)) static uint64_t interval(int fd, uint64_t n) {
  uint64_t a = counter(fd);
  spin2(n);
  return counter(fd) - a;
}

// As bin/blockbench: loops of 1,000 and 11,000 iterations must differ by
// 20,000 counted instructions; the smallest of 9 tries of each (one that
// the periodic tick did not fall into, as linux_bench.c's calibration).
static int calibrate_counter(int fd) {
  uint64_t tshort = UINT64_MAX, tlong = UINT64_MAX;
  for (int r = 0; r < 9; r++) {
    uint64_t s = interval(fd, 1000), l = interval(fd, 11000);
    tshort = s < tshort ? s : tshort;
    tlong = l < tlong ? l : tlong;
  }
  printf("bench: calibration counter=perf-hw-instructions loop_of_20000_instructions=%llu\n",
         (unsigned long long)(tlong - tshort));
  if (tlong - tshort != 20000) {
    printf("bench: error calibration: the counter saw %llu instructions for 20000\n",
           (unsigned long long)(tlong - tshort));
    return -1;
  }
  return 0;
}

static uint8_t image_byte(uint64_t i) {
  return (uint8_t)(i * 7 + (i >> 9));
}

static int verify(int disk, uint8_t* buf, uint64_t offset) {
  if (pread(disk, buf, MIB, (off_t)offset) != (ssize_t)MIB) {
    fail("verification read");
    return -1;
  }
  for (uint64_t i = 0; i < MIB; i++) {
    if (buf[i] != image_byte(offset + i)) {
      printf("bench: error disk byte %llu reads 0x%02x, the image has 0x%02x\n",
             (unsigned long long)(offset + i), buf[i], image_byte(offset + i));
      return -1;
    }
  }
  return 0;
}

// bin/blockbench's NextSlot.
static uint64_t next_slot(uint64_t* state, uint64_t slots) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return (*state >> 33) % slots;
}

struct reader {
  int disk;
  uint8_t* buf;
  uint64_t disk_bytes;
  uint64_t state;  // random slots
  uint64_t at;     // sequential offset
};

static uint64_t next_offset(struct reader* r, uint64_t bytes) {
  if (bytes == PAGE) {
    return next_slot(&r->state, r->disk_bytes / PAGE) * PAGE;
  }
  uint64_t o = r->at;
  r->at = (r->at + MIB) % r->disk_bytes;
  return o;
}

static int measure_reads(struct reader* r, int fd, const char* name, unsigned count, unsigned runs,
                         uint64_t bytes) {
  uint64_t d[MAX_BLOCK_RUNS];
  for (unsigned run = 0; run < runs; run++) {
    uint64_t t0 = counter(fd);
    for (unsigned i = 0; i < count; i++) {
      if (pread(r->disk, r->buf, bytes, (off_t)next_offset(r, bytes)) != (ssize_t)bytes) {
        fail(name);
        return -1;
      }
    }
    d[run] = counter(fd) - t0;
  }
  for (unsigned i = 1; i < runs; i++) {
    for (unsigned j = i; j > 0 && d[j - 1] > d[j]; j--) {
      uint64_t t = d[j];
      d[j] = d[j - 1];
      d[j - 1] = t;
    }
  }
  uint64_t t = d[runs / 2];
  uint64_t kib = (uint64_t)count * bytes / KIB;
  printf(
      "bench: info %s: %llu instructions for %u reads of %llu KiB (median of %u runs), %llu "
      "per read\n",
      name, (unsigned long long)t, count, (unsigned long long)(bytes / KIB), runs,
      (unsigned long long)((t + count / 2) / count));
  printf("bench: %s %llu\n", name, (unsigned long long)((t + kib / 2) / kib));
  fflush(stdout);
  return 0;
}

static int open_disk(void) {
  if (load_module("/virtio_mmio.ko") != 0 || load_module("/virtio_blk.ko") != 0) {
    return -1;
  }
  if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0 && errno != EBUSY) {
    fail("mounting devtmpfs on /dev");
    return -1;
  }
  for (int i = 0; i < 500; i++) {
    int fd = open("/dev/vda", O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd >= 0) {
      return fd;
    }
    usleep(10000);
  }
  fail("opening /dev/vda");
  return -1;
}

static int block_bench(const char* spec) {
  unsigned random = 0, sequential = 0, runs = 0;
  if (sscanf(spec, "%u:%u:%u", &random, &sequential, &runs) != 3 || random == 0 ||
      sequential == 0 || runs == 0 || runs > MAX_BLOCK_RUNS) {
    printf("bench: error block=%s: want block=<random>:<sequential>:<runs>\n", spec);
    return -1;
  }
  printf("bench: start block random=%u sequential=%u runs=%u\n", random, sequential, runs);
  struct reader r = {.disk = open_disk(), .state = 1};
  uint64_t size = 0;
  if (r.disk < 0 || ioctl(r.disk, BLKGETSIZE64, &size) != 0 || size < 2 * MIB || size % MIB) {
    printf("bench: error /dev/vda: %llu bytes (want whole MiB, at least 2)\n",
           (unsigned long long)size);
    return -1;
  }
  r.disk_bytes = size;
  r.buf = aligned_alloc(PAGE, MIB);
  int fd = counter_open();
  if (r.buf == NULL || fd < 0) {
    return -1;
  }
  memset(r.buf, 0, MIB);
  printf("bench: info /dev/vda: %llu KiB, O_DIRECT\n", (unsigned long long)(size / KIB));
  if (calibrate_counter(fd) != 0 || verify(r.disk, r.buf, 0) != 0 ||
      verify(r.disk, r.buf, size - MIB) != 0) {
    return -1;
  }
  for (unsigned i = 0; i < random / 10 + 1; i++) {
    if (pread(r.disk, r.buf, PAGE, (off_t)next_offset(&r, PAGE)) != (ssize_t)PAGE) {
      fail("warm-up");
      return -1;
    }
  }
  if (measure_reads(&r, fd, "block_read_4k_random", random, runs, PAGE) != 0 ||
      measure_reads(&r, fd, "block_read_1m_seq", sequential, runs, MIB) != 0) {
    return -1;
  }
  return 0;
}

int main(int argc, char** argv) {
  const char* spec = NULL;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "block=", 6) == 0) {
      spec = argv[i] + 6;
    }
  }
  int status = spec != NULL ? block_bench(spec) : -1;
  if (spec == NULL) {
    printf("bench: error no block=<random>:<sequential>:<runs> argument\n");
  }
  printf("bench: done%s\n", status == 0 ? "" : " (failed)");
  fflush(stdout);
  sync();
  reboot(RB_POWER_OFF);
  return 0;
}
