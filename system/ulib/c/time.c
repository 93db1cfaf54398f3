// clock_gettime and nanosleep over the kernel's monotonic clock.
//
// Mica has one clock: monotonic nanoseconds since boot (mica_time_t). There
// is no wall clock yet, so CLOCK_REALTIME (and time(), gettimeofday()) are
// not provided: asking for them is an error rather than a wrong answer.
#include <errno.h>
#include <mica/syscalls.h>
#include <stdint.h>
#include <time.h>

static int status_errno(mica_status_t status) {
  switch (status) {
    case MICA_ERR_INVALID_ARGS:
    case MICA_ERR_OUT_OF_RANGE:
      return EINVAL;
    case MICA_ERR_NOT_SUPPORTED:
    case MICA_ERR_BAD_SYSCALL:
      return ENOSYS;
    default:
      return EIO;
  }
}

// CLOCK_MONOTONIC_RAW and _COARSE (GNU extensions picolibc defines) read
// the same clock.
static int is_monotonic(clockid_t clock_id) {
  return clock_id == CLOCK_MONOTONIC || clock_id == CLOCK_MONOTONIC_RAW ||
         clock_id == CLOCK_MONOTONIC_COARSE;
}

int clock_gettime(clockid_t clock_id, struct timespec* tp) {
  if (!is_monotonic(clock_id)) {
    errno = EINVAL;
    return -1;
  }
  mica_time_t now = 0;
  mica_status_t status = mica_clock_get_monotonic(&now);
  if (status != MICA_OK) {
    errno = status_errno(status);
    return -1;
  }
  tp->tv_sec = (time_t)(now / 1000000000);
  tp->tv_nsec = (long)(now % 1000000000);
  return 0;
}

int nanosleep(const struct timespec* req, struct timespec* rem) {
  if (req->tv_nsec < 0 || req->tv_nsec >= 1000000000 || req->tv_sec < 0) {
    errno = EINVAL;
    return -1;
  }
  mica_time_t now = 0;
  mica_status_t status = mica_clock_get_monotonic(&now);
  if (status != MICA_OK) {
    errno = status_errno(status);
    return -1;
  }
  // deadline = now + req, saturating at "forever".
  mica_time_t deadline = MICA_TIME_INFINITE;
  if (req->tv_sec < (MICA_TIME_INFINITE - now) / 1000000000 - 1) {
    deadline = now + (mica_time_t)req->tv_sec * 1000000000 + req->tv_nsec;
  }
  status = mica_nanosleep(deadline);
  if (status != MICA_OK) {
    errno = status_errno(status);
    return -1;
  }
  if (rem != NULL) {
    rem->tv_sec = 0;
    rem->tv_nsec = 0;
  }
  return 0;
}
