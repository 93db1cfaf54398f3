// Where a process's log.Sink comes from: the one function that changes when
// the component framework provides it (docs/logging.md, "The API").
#include <mica/log/log.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>

extern "C" mica_handle_t mica_log_connect_default(void) {
  // Today: the startup handle the launcher attached for us (a log.Sink
  // channel that log.Admin.AttachSink bound to our moniker and koid).
  return mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_LOG_SINK, 0));
}
