// bin/power-test: what core-tests cannot do in the middle of its run
// (BUILD.gn lists the modes). Each mode uses a SYSTEM resource carved from
// the root resource for exactly the capability it needs, as a driver
// manager would hand it to a driver.
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

static mica_handle_t capability(uint64_t cap) {
  mica_handle_t r = MICA_HANDLE_INVALID;
  mica_status_t s = mica_resource_create(mica_rt_root_resource(), MICA_RSRC_KIND_SYSTEM, cap, 1,
                                         "power-test", 10, &r);
  if (s != MICA_OK) {
    printf("power-test: resource_create: %d\n", s);
  }
  return r;
}

static int power(uint32_t action) {
  mica_handle_t r = capability(MICA_RSRC_SYSTEM_POWER);
  if (r == MICA_HANDLE_INVALID) {
    return 1;
  }
  printf("power-test: calling system_power(%u)\n", action);
  mica_status_t s = mica_system_power(r, action);
  printf("power-test: system_power returned %d\n", s);  // only on failure
  return 1;
}

static mica_koid_t console_owner(uint64_t* kernel_bytes) {
  mica_system_info_console_t info;
  memset(&info, 0, sizeof(info));
  mica_system_get_info(MICA_SYSTEM_INFO_CONSOLE, &info, sizeof(info));
  *kernel_bytes = info.kernel_bytes;
  return info.owner;
}

static int contains(const mica_log_record_t* rec, const char* what) {
  size_t n = strlen(what);
  for (size_t i = 0; i + n <= rec->data_size && rec->data_size <= MICA_LOG_MAX_DATA; i++) {
    if (memcmp(rec->data + i, what, n) == 0) {
      return 1;
    }
  }
  return 0;
}

// Takes the console, reads (as a console driver would, but does not print)
// the line it writes first, leaves the second unread, and gives the console
// back by closing the log: the kernel prints from the second line on.
static int console(int exit_holding_it) {
  mica_handle_t r = capability(MICA_RSRC_SYSTEM_CONSOLE);
  mica_handle_t log = MICA_HANDLE_INVALID;
  mica_status_t s = mica_debuglog_create(r, MICA_LOG_FLAG_READABLE | MICA_LOG_FLAG_CONSOLE, &log);
  if (s != MICA_OK) {
    printf("power-test: debuglog_create: %d\n", s);
    return 1;
  }
  uint64_t before = 0, during = 0, after = 0;
  mica_koid_t owner = console_owner(&before);
  printf("power-test: the driver reads this line and drops it\n");
  static mica_log_record_t rec;
  int found = 0;
  for (int i = 0; i < 64 && !found; i++) {
    size_t actual = 0;
    if (mica_debuglog_read(log, 0, &rec, sizeof(rec), &actual) != MICA_OK) {
      break;
    }
    found = contains(&rec, "drops it");
  }
  printf("power-test: this line was never read by the driver\n");
  if (exit_holding_it) {
    // As a console driver that dies: the process's end closes the log.
    return found ? 0 : 1;
  }
  (void)console_owner(&during);
  mica_handle_close(log);
  mica_koid_t owner_after = console_owner(&after);
  printf("power-test: console owner %s, kernel silent while taken: %s, read back: %s\n",
         owner != 0 && owner_after == 0 ? "ok" : "WRONG", during == before ? "ok" : "WRONG",
         found ? "ok" : "WRONG");
  return owner != 0 && owner_after == 0 && during == before && found ? 0 : 1;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "off") == 0) {
    return power(MICA_SYSTEM_POWER_OFF);
  }
  if (strcmp(mode, "reboot") == 0) {
    return power(MICA_SYSTEM_POWER_REBOOT);
  }
  if (strcmp(mode, "console") == 0) {
    return console(0);
  }
  if (strcmp(mode, "console-exit") == 0) {
    return console(1);
  }
  printf("power-test: usage: power-test off|reboot|console|console-exit\n");
  return 2;
}
