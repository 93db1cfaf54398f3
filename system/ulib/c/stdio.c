// stdin, stdout and stderr for picolibc's tiny stdio, and the three file
// descriptors behind them.
//
// stdout and stderr are line buffered into the debug log: each completed
// line (or full buffer of MICA_LOG_MAX_DATA bytes, the most one
// debuglog_write takes) becomes one log record. The handle is the one from
// the bootstrap message, or else a write-only one the runtime creates on
// first use (debuglog_create with no resource, which any process may do).
// If the kernel refuses the write, the bytes are dropped and the stream's
// error flag is set (ferror()), as for a failed device. stdin is always at
// end of file.
//
// Each stream has a mutex, so lines from different threads never mix
// within one record (a printf is several puts, so concurrent printfs may
// still interleave their characters across lines).
#include <errno.h>
#include <mica/rt/runtime.h>
#include <mica/rt/thread.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "system/ulib/c/internal.h"

struct log_stream {
  FILE file;  // first: picolibc passes &file to the hooks
  mica_rt_mutex_t lock;
  size_t len;
  char buf[MICA_LOG_MAX_DATA];
};

// The debug log handle stdout and stderr write to; MICA_HANDLE_INVALID if
// there is none and the kernel will not make one.
static mica_handle_t log_handle(void) {
  static mica_handle_t created = MICA_HANDLE_INVALID;
  mica_handle_t h = mica_rt_debuglog();
  if (h != MICA_HANDLE_INVALID) {
    return h;
  }
  h = __atomic_load_n(&created, __ATOMIC_ACQUIRE);
  if (h != MICA_HANDLE_INVALID) {
    return h;
  }
  mica_handle_t mine = MICA_HANDLE_INVALID;
  if (mica_debuglog_create(MICA_HANDLE_INVALID, 0, &mine) != MICA_OK) {
    return MICA_HANDLE_INVALID;  // tried again on the next write
  }
  // Two streams may race to create it: the first one published wins.
  if (!__atomic_compare_exchange_n(&created, &h, mine, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    mica_handle_close(mine);
    return h;
  }
  return mine;
}

// Writes buf[0, len) to the debug log in records of at most
// MICA_LOG_MAX_DATA bytes. Returns 0, or -1 if any record failed.
static int log_write(const char* buf, size_t len) {
  int result = 0;
  mica_handle_t log = log_handle();
  while (len > 0) {
    size_t n = len < MICA_LOG_MAX_DATA ? len : MICA_LOG_MAX_DATA;
    if (log == MICA_HANDLE_INVALID || mica_debuglog_write(log, 0, buf, n) != MICA_OK) {
      result = -1;
    }
    buf += n;
    len -= n;
  }
  return result;
}

static int flush_locked(struct log_stream* s) {
  int result = log_write(s->buf, s->len);
  s->len = 0;
  if (result != 0) {
    s->file.flags |= __SERR;
  }
  return result;
}

static int log_put(char c, FILE* f) {
  struct log_stream* s = (struct log_stream*)f;
  mica_rt_mutex_lock(&s->lock);
  s->buf[s->len++] = c;
  int result = 0;
  if (c == '\n' || s->len == sizeof(s->buf)) {
    result = flush_locked(s);
  }
  mica_rt_mutex_unlock(&s->lock);
  return result == 0 ? (unsigned char)c : _FDEV_ERR;
}

static int log_flush(FILE* f) {
  struct log_stream* s = (struct log_stream*)f;
  mica_rt_mutex_lock(&s->lock);
  int result = s->len > 0 ? flush_locked(s) : 0;
  mica_rt_mutex_unlock(&s->lock);
  return result;
}

static int eof_get(FILE* f) {
  (void)f;
  return _FDEV_EOF;
}

static struct log_stream out_stream = {
    .file = FDEV_SETUP_STREAM(log_put, NULL, log_flush, _FDEV_SETUP_WRITE),
};
static struct log_stream err_stream = {
    .file = FDEV_SETUP_STREAM(log_put, NULL, log_flush, _FDEV_SETUP_WRITE),
};
static FILE in_stream = FDEV_SETUP_STREAM(NULL, eof_get, NULL, _FDEV_SETUP_READ);

FILE* const stdin = &in_stream;
FILE* const stdout = &out_stream.file;
FILE* const stderr = &err_stream.file;

void __mica_stdio_flush_all(void) {
  // Called on the way out of the process (_exit), possibly while another
  // thread is inside a printf: never wait for a stream's lock there, or the
  // process could not exit. A stream that is busy keeps its partial line.
  struct log_stream* streams[2] = {&out_stream, &err_stream};
  for (int i = 0; i < 2; ++i) {
    if (mica_rt_mutex_trylock(&streams[i]->lock)) {
      if (streams[i]->len > 0) {
        flush_locked(streams[i]);
      }
      mica_rt_mutex_unlock(&streams[i]->lock);
    }
  }
}

// ---- File descriptors 0, 1, 2 ---------------------------------------------
// picolibc's perror, psignal, dprintf and the fortify failure path call
// these directly. There is no file system, so no other descriptor exists.

ssize_t write(int fd, const void* buf, size_t count) {
  if (fd != STDOUT_FILENO && fd != STDERR_FILENO) {
    errno = EBADF;
    return -1;
  }
  // Keep the order of what was printed before through the stream.
  struct log_stream* s = fd == STDOUT_FILENO ? &out_stream : &err_stream;
  mica_rt_mutex_lock(&s->lock);
  int result = flush_locked(s);
  if (result == 0) {
    result = log_write(buf, count);
  }
  mica_rt_mutex_unlock(&s->lock);
  if (result != 0) {
    errno = EIO;
    return -1;
  }
  return (ssize_t)count;
}

ssize_t read(int fd, void* buf, size_t count) {
  (void)buf;
  (void)count;
  if (fd != STDIN_FILENO) {
    errno = EBADF;
    return -1;
  }
  return 0;  // end of file
}

int close(int fd) {
  if (fd < STDIN_FILENO || fd > STDERR_FILENO) {
    errno = EBADF;
    return -1;
  }
  return 0;
}

off_t lseek(int fd, off_t offset, int whence) {
  (void)offset;
  (void)whence;
  errno = fd >= STDIN_FILENO && fd <= STDERR_FILENO ? ESPIPE : EBADF;
  return -1;
}
