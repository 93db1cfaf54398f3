// bin/log-service's switches (docs/logging.md, "The service"): pure, host-tested.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "system/core/log_service/ring.h"

namespace log_service {

struct Options {
  // --capacity=BYTES: the ring's size (256 .. 16 MiB).
  size_t capacity = 64 * 1024;
  // --console=SEVERITY|none: the lowest severity written to the console.
  bool console = true;
  Severity console_min = Severity::kInfo;
  // --kernel-poll-ms=N (1 .. 60000): how often kernel lines are merged when
  // nothing else happens (writes to the debug log and every reader request
  // merge at once); --no-kernel: do not merge the kernel's log.
  uint32_t kernel_poll_ms = 250;
  bool merge_kernel = true;
  // --exit-when-idle: exit (status 0) once no Admin, Sink or Reader
  // connection is left (for tests; the system's service runs forever).
  bool exit_when_idle = false;
  // --max-connections=N (1 .. 4096): Admin, Sink and Reader connections
  // together; beyond, AttachSink/AttachReader answer MICA_ERR_NO_RESOURCES.
  uint32_t max_connections = 256;
};

// Applies one switch; nullptr if it was good, else `word` (unchanged *opts).
const char* ParseOption(const char* word, Options* opts);

}  // namespace log_service
