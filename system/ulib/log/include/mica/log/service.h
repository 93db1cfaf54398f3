// How bin/log-service is started (docs/logging.md, "The service"): the
// kinds of its startup handles. Several of each kind may be given (the
// handle info's argument numbers them).
#pragma once

#include <mica/rt/bootstrap.h>

// A log.Admin channel: AttachSink (with the writer's identity) and
// AttachReader. Whoever holds one vouches for the monikers it attaches.
#define MICA_LOG_SERVICE_HANDLE_ADMIN (MICA_BOOTSTRAP_USER0 + 0)
// A log.Reader channel.
#define MICA_LOG_SERVICE_HANDLE_READER (MICA_BOOTSTRAP_USER0 + 1)
