// The Linux side of bin/blockbench's block mode (test/bench/blockbench/,
// docs/performance.md) and of bin/fsbench (system/core/fs/bench): /init of
// the block boots' initramfs (bench.py),
//   /init block=<random>:<sequential>:<runs>   (kernel command line)
//   /init fs=<random>:<files>:<runs>
// a program of its own, so that linux_bench.c's /init, and with it the
// other rows' Linux figures, stay as they were. Counts in retired
// instructions by a system-wide perf counter (PERF_COUNT_HW_INSTRUCTIONS on
// CPU 0, kernel included: the PMU's INST_RETIRED, which QEMU counts under
// precise -icount).
//
// block: loads Debian's virtio_mmio and virtio_blk modules (from the
// initramfs), mounts devtmpfs, opens /dev/vda with O_DIRECT and reads it as
// bin/blockbench reads block/0: <random> 4 KiB reads at the same
// pseudo-random 4 KiB slots, <sequential> 1 MiB reads from offset 0 up,
// <runs> runs of each. Prints the median per KiB as `bench:
// block_read_4k_random <n>` and `bench: block_read_1m_seq <n>`.
//
// fs: also loads fat, vfat, nls_cp437 and nls_ascii, mounts /dev/vda (the
// FAT32 image bench.py makes: /bench-4m.bin, 4 MiB, byte i = i * 7 +
// (i >> 9)) as vfat on /mnt, checks the file, and measures <runs> runs of
// each, as bin/fsbench does through the fs service: the whole file read
// sequentially in 32 KiB reads (fs.idl's MAX_TRANSFER) and <random> 4 KiB
// reads at pseudo-random 4 KiB slots of it (the same LCG), each run after
// `sync; echo 3 > /proc/sys/vm/drop_caches`; and <files> files of 100 bytes
// created in a new directory (openat O_CREAT|O_EXCL, write, close), then
// sync(). Prints the medians: `bench: fs_read_4m_seq <n>` and `bench:
// fs_read_4k_random <n>` per KiB, `bench: fs_create_100b <n>` per file.
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
#include <sys/stat.h>
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
  uint64_t t = median(d, runs);
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

static int open_disk(int flags) {
  if (load_module("/virtio_mmio.ko") != 0 || load_module("/virtio_blk.ko") != 0) {
    return -1;
  }
  if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0 && errno != EBUSY) {
    fail("mounting devtmpfs on /dev");
    return -1;
  }
  for (int i = 0; i < 500; i++) {
    int fd = open("/dev/vda", flags | O_CLOEXEC);
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
  struct reader r = {.disk = open_disk(O_RDONLY | O_DIRECT), .state = 1};
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

// ---- fs -------------------------------------------------------------------

#define FS_FILE "/mnt/bench-4m.bin"
#define FS_FILE_BYTES (4 * MIB)
#define FS_CHUNK (32 * KIB)
#define SMALL_FILE_BYTES 100

static int drop_caches(void) {
  sync();
  int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, "3\n", 2) != 2) {
    fail("writing /proc/sys/vm/drop_caches");
    return -1;
  }
  close(fd);
  return 0;
}

// The whole file in FS_CHUNK reads; with `check`, against the pattern.
static int read_file(uint8_t* buf, int check) {
  int f = open(FS_FILE, O_RDONLY | O_CLOEXEC);
  if (f < 0) {
    fail("opening " FS_FILE);
    return -1;
  }
  uint64_t at = 0;
  for (;;) {
    ssize_t n = read(f, buf, FS_CHUNK);
    if (n < 0) {
      fail("reading " FS_FILE);
      close(f);
      return -1;
    }
    if (n == 0) {
      break;
    }
    for (ssize_t i = 0; check && i < n; i++) {
      if (buf[i] != image_byte(at + (uint64_t)i)) {
        printf("bench: error " FS_FILE " byte %llu reads 0x%02x, want 0x%02x\n",
               (unsigned long long)(at + (uint64_t)i), buf[i], image_byte(at + (uint64_t)i));
        close(f);
        return -1;
      }
    }
    at += (uint64_t)n;
  }
  close(f);
  if (at != FS_FILE_BYTES) {
    printf("bench: error " FS_FILE ": %llu bytes read, want %llu\n", (unsigned long long)at,
           (unsigned long long)FS_FILE_BYTES);
    return -1;
  }
  return 0;
}

// `count` 4 KiB reads at pseudo-random 4 KiB slots of the file (the first
// and last byte of each checked).
static int read_random(uint8_t* buf, unsigned count) {
  int f = open(FS_FILE, O_RDONLY | O_CLOEXEC);
  if (f < 0) {
    fail("opening " FS_FILE);
    return -1;
  }
  uint64_t state = 1;
  for (unsigned i = 0; i < count; i++) {
    uint64_t o = next_slot(&state, FS_FILE_BYTES / PAGE) * PAGE;
    if (pread(f, buf, PAGE, (off_t)o) != (ssize_t)PAGE || buf[0] != image_byte(o) ||
        buf[PAGE - 1] != image_byte(o + PAGE - 1)) {
      printf("bench: error random read at %llu\n", (unsigned long long)o);
      close(f);
      return -1;
    }
  }
  close(f);
  return 0;
}

// `count` files of SMALL_FILE_BYTES in a new directory /mnt/run<run>, then sync.
static int create_files(unsigned run, unsigned count, int fd, uint64_t* spent) {
  char dir[32];
  snprintf(dir, sizeof(dir), "/mnt/run%u", run);
  int d = mkdir(dir, 0755) == 0 ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (d < 0 || drop_caches() != 0) {
    fail(dir);
    return -1;
  }
  uint8_t data[SMALL_FILE_BYTES];
  for (unsigned i = 0; i < sizeof(data); i++) {
    data[i] = (uint8_t)('a' + i % 26);
  }
  uint64_t t0 = counter(fd);
  for (unsigned i = 0; i < count; i++) {
    char name[16];
    snprintf(name, sizeof(name), "f%04u.txt", i);
    int f = openat(d, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f < 0 || write(f, data, sizeof(data)) != (ssize_t)sizeof(data) || close(f) != 0) {
      fail(name);
      return -1;
    }
  }
  sync();
  *spent = counter(fd) - t0;
  close(d);
  return 0;
}

static void report(const char* name, uint64_t t, unsigned runs, uint64_t units, const char* unit) {
  printf("bench: info %s: %llu instructions (median of %u runs) for %llu %s\n", name,
         (unsigned long long)t, runs, (unsigned long long)units, unit);
  printf("bench: %s %llu\n", name, (unsigned long long)((t + units / 2) / units));
  fflush(stdout);
}

static int fs_bench(const char* spec) {
  unsigned random = 0, files = 0, runs = 0;
  if (sscanf(spec, "%u:%u:%u", &random, &files, &runs) != 3 || random == 0 || files == 0 ||
      files > 9999 || runs == 0 || runs > MAX_BLOCK_RUNS) {
    printf("bench: error fs=%s: want fs=<random>:<files>:<runs>\n", spec);
    return -1;
  }
  printf("bench: start fs random=%u files=%u runs=%u\n", random, files, runs);
  int disk = open_disk(O_RDONLY);
  if (disk < 0) {
    return -1;
  }
  close(disk);
  static const char* const kModules[] = {"/fat.ko", "/vfat.ko", "/nls_cp437.ko", "/nls_ascii.ko"};
  for (unsigned i = 0; i < sizeof(kModules) / sizeof(kModules[0]); i++) {
    if (load_module(kModules[i]) != 0) {
      return -1;
    }
  }
  if ((mkdir("/proc", 0755) != 0 && errno != EEXIST) || mount("proc", "/proc", "proc", 0, NULL) != 0 ||
      (mkdir("/mnt", 0755) != 0 && errno != EEXIST) ||
      mount("/dev/vda", "/mnt", "vfat", 0, NULL) != 0) {
    fail("mounting /proc and /dev/vda (vfat) on /mnt");
    return -1;
  }
  uint8_t* buf = aligned_alloc(PAGE, FS_CHUNK);
  int fd = counter_open();
  if (buf == NULL || fd < 0 || calibrate_counter(fd) != 0 || read_file(buf, 1) != 0) {
    return -1;
  }
  uint64_t seq[MAX_BLOCK_RUNS], rnd[MAX_BLOCK_RUNS], small[MAX_BLOCK_RUNS];
  for (unsigned run = 0; run < runs; run++) {
    if (drop_caches() != 0) {
      return -1;
    }
    uint64_t t0 = counter(fd);
    if (read_file(buf, 0) != 0) {
      return -1;
    }
    seq[run] = counter(fd) - t0;
    if (drop_caches() != 0) {
      return -1;
    }
    t0 = counter(fd);
    if (read_random(buf, random) != 0) {
      return -1;
    }
    rnd[run] = counter(fd) - t0;
    if (create_files(run, files, fd, &small[run]) != 0) {
      return -1;
    }
  }
  report("fs_read_4m_seq", median(seq, runs), runs, FS_FILE_BYTES / KIB, "KiB");
  report("fs_read_4k_random", median(rnd, runs), runs, (uint64_t)random * PAGE / KIB, "KiB");
  report("fs_create_100b", median(small, runs), runs, files, "files");
  if (umount("/mnt") != 0) {
    fail("unmounting /mnt");
    return -1;
  }
  return 0;
}

int main(int argc, char** argv) {
  const char* block = NULL;
  const char* fs = NULL;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "block=", 6) == 0) {
      block = argv[i] + 6;
    } else if (strncmp(argv[i], "fs=", 3) == 0) {
      fs = argv[i] + 3;
    }
  }
  int status = block != NULL ? block_bench(block) : fs != NULL ? fs_bench(fs) : -1;
  if (block == NULL && fs == NULL) {
    printf("bench: error no block=<random>:<sequential>:<runs> or fs=<random>:<files>:<runs> argument\n");
  }
  printf("bench: done%s\n", status == 0 ? "" : " (failed)");
  fflush(stdout);
  sync();
  reboot(RB_POWER_OFF);
  return 0;
}
