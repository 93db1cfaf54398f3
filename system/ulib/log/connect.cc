// Where a process's log.Sink comes from: the one function that changes when
// the component framework provides it (docs/logging.md, "The API").
#include <mica/component/component.h>
#include <mica/log/log.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>

extern "C" mica_handle_t mica_log_connect_default(void) {
  // A sink a launcher or the component manager attached for us (a
  // log.Sink channel that log.Admin.AttachSink bound to our moniker and
  // koid) wins; else a component's routed /svc/log.Sink (which the
  // component manager attaches too, docs/components.md "Logs: who wrote
  // a record"); else none (the debug log fallback).
  mica_handle_t h =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_LOG_SINK, 0));
  if (h != MICA_HANDLE_INVALID || !mica::component::HasNamespace()) {
    return h;
  }
  mica::Channel sink;
  if (mica::component::Connect("log.Sink", &sink) != MICA_OK) {
    return MICA_HANDLE_INVALID;
  }
  return sink.release();
}
