// Reads the bootstrap message (<mica/rt/bootstrap.h>,
// docs/process-bootstrap.md) and keeps the handles it carries.
//
// This runs in crt0 before main() and before anything allocates: malloc
// needs the root VMAR handle that arrives here. The message bytes live in a
// buffer on crt0's stack frame, which lasts as long as the process, so argv
// and envp point straight into it.
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdint.h>
#include <string.h>

#include "system/ulib/c/internal.h"

// The startup handles and their info words, from the bootstrap message.
static mica_handle_t startup_handles[MICA_CHANNEL_MAX_MSG_HANDLES];
static uint32_t startup_info[MICA_CHANNEL_MAX_MSG_HANDLES];
static uint32_t startup_count;

static mica_handle_t bootstrap_channel;
static uintptr_t load_base;

static mica_handle_t find(uint32_t kind) {
  for (uint32_t i = 0; i < startup_count; ++i) {
    if (MICA_BOOTSTRAP_HANDLE_KIND(startup_info[i]) == kind) {
      return startup_handles[i];
    }
  }
  return MICA_HANDLE_INVALID;
}

mica_handle_t mica_rt_bootstrap_channel(void) {
  return bootstrap_channel;
}
uintptr_t mica_rt_load_base(void) {
  return load_base;
}
mica_handle_t mica_rt_process_self(void) {
  return find(MICA_BOOTSTRAP_PROC_SELF);
}
mica_handle_t mica_rt_vmar_root(void) {
  return find(MICA_BOOTSTRAP_VMAR_ROOT);
}
mica_handle_t mica_rt_job_default(void) {
  return find(MICA_BOOTSTRAP_JOB_DEFAULT);
}
mica_handle_t mica_rt_debuglog(void) {
  return find(MICA_BOOTSTRAP_DEBUGLOG);
}
mica_handle_t mica_rt_root_resource(void) {
  return find(MICA_BOOTSTRAP_ROOT_RESOURCE);
}
mica_handle_t mica_rt_dtb(void) {
  return find(MICA_BOOTSTRAP_DTB);
}

mica_handle_t mica_rt_take_startup_handle(uint32_t info) {
  if (MICA_BOOTSTRAP_HANDLE_KIND(info) < MICA_BOOTSTRAP_USER0) {
    return MICA_HANDLE_INVALID;  // the runtime's own handles are not given away
  }
  for (uint32_t i = 0; i < startup_count; ++i) {
    if (startup_info[i] == info && startup_handles[i] != MICA_HANDLE_INVALID) {
      mica_handle_t h = startup_handles[i];
      startup_handles[i] = MICA_HANDLE_INVALID;
      return h;
    }
  }
  return MICA_HANDLE_INVALID;
}

void __mica_bootstrap_set_entry(mica_handle_t channel, uintptr_t base) {
  bootstrap_channel = channel;
  load_base = base;
}

size_t __mica_bootstrap_size(mica_handle_t channel) {
  if (channel == MICA_HANDLE_INVALID) {
    return 0;
  }
  // A read with no room reports the sizes and leaves the message queued.
  uint32_t bytes = 0;
  uint32_t handles = 0;
  if (mica_channel_read(channel, 0, NULL, NULL, 0, 0, &bytes, &handles) !=
      MICA_ERR_BUFFER_TOO_SMALL) {
    return 0;
  }
  return bytes;
}

// True if [offset, offset + size) lies inside a message of msg_size bytes.
static int inside(uint32_t offset, uint32_t size, uint32_t msg_size) {
  return offset <= msg_size && size <= msg_size - offset;
}

// Checks that buf[0, size) starts with `count` NUL-terminated strings; if
// `out` is not NULL, stores them in out[0, count) and NULL in out[count].
static int walk_strings(char* buf, uint32_t size, uint32_t count, char** out) {
  uint32_t pos = 0;
  for (uint32_t i = 0; i < count; ++i) {
    char* end = memchr(buf + pos, '\0', size - pos);
    if (end == NULL) {
      return 0;
    }
    if (out != NULL) {
      out[i] = buf + pos;
    }
    pos = (uint32_t)(end - buf) + 1;
  }
  if (out != NULL) {
    out[count] = NULL;
  }
  return 1;
}

// The validated header of the message in the caller's buffer.
static mica_bootstrap_header_t header;

// Checks the message in buf[0, msg_size) against its handles.
static int validate(char* buf, uint32_t msg_size) {
  mica_bootstrap_header_t h;
  if (msg_size < sizeof(h)) {
    return 0;
  }
  memcpy(&h, buf, sizeof(h));
  if (h.magic != MICA_BOOTSTRAP_MAGIC || h.version != MICA_BOOTSTRAP_VERSION ||
      h.handle_count != startup_count || h.handle_count > MICA_CHANNEL_MAX_MSG_HANDLES ||
      !inside(h.handle_info_offset, h.handle_count * 4u, msg_size) ||
      !inside(h.args_offset, h.args_size, msg_size) ||
      !inside(h.environ_offset, h.environ_size, msg_size) || h.argc > MICA_BOOTSTRAP_MAX_STRINGS ||
      h.environc > MICA_BOOTSTRAP_MAX_STRINGS ||
      !walk_strings(buf + h.args_offset, h.args_size, h.argc, NULL) ||
      !walk_strings(buf + h.environ_offset, h.environ_size, h.environc, NULL)) {
    return 0;
  }
  header = h;
  return 1;
}

size_t __mica_bootstrap_read(mica_handle_t channel, char* buf, size_t msg_size) {
  if (channel == MICA_HANDLE_INVALID || msg_size == 0) {
    return 0;
  }
  uint32_t bytes = 0;
  uint32_t handles = 0;
  if (mica_channel_read(channel, 0, buf, startup_handles, (uint32_t)msg_size,
                        MICA_CHANNEL_MAX_MSG_HANDLES, &bytes, &handles) != MICA_OK) {
    return 0;
  }
  startup_count = handles;
  if (!validate(buf, bytes)) {
    // A malformed message: keep no handle from it (close them, so they do
    // not leak); the program runs with the fallback arguments.
    for (uint32_t i = 0; i < startup_count; ++i) {
      mica_handle_close(startup_handles[i]);
    }
    startup_count = 0;
    return 0;
  }
  memcpy(startup_info, buf + header.handle_info_offset, header.handle_count * 4u);
  return (size_t)header.argc + 1 + header.environc + 1;
}

static char* fallback_argv[] = {"<program>", NULL};
static char* fallback_envp[] = {NULL};

void __mica_bootstrap_vectors(char* buf, char** vec, size_t vec_count, int* argc, char*** argv,
                              char*** envp) {
  // A non-zero vec_count means __mica_bootstrap_read accepted the message,
  // strings included, so the walks below succeed.
  if (vec_count > 0 && walk_strings(buf + header.args_offset, header.args_size, header.argc, vec) &&
      walk_strings(buf + header.environ_offset, header.environ_size, header.environc,
                   vec + header.argc + 1)) {
    *argc = (int)header.argc;
    *argv = vec;
    *envp = vec + header.argc + 1;
    return;
  }
  *argc = 1;
  *argv = fallback_argv;
  *envp = fallback_envp;
}

mica_handle_t __mica_bootstrap_take(uint32_t kind) {
  for (uint32_t i = 0; i < startup_count; ++i) {
    if (MICA_BOOTSTRAP_HANDLE_KIND(startup_info[i]) == kind &&
        startup_handles[i] != MICA_HANDLE_INVALID) {
      mica_handle_t h = startup_handles[i];
      startup_handles[i] = MICA_HANDLE_INVALID;
      return h;
    }
  }
  return MICA_HANDLE_INVALID;
}
