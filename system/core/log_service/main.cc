// bin/log-service (docs/logging.md): the structured log service.
//
// Startup handles (<mica/log/service.h>): one or more log.Admin channels
// (MICA_LOG_SERVICE_HANDLE_ADMIN, args 0, 1, ...) and log.Reader channels
// (MICA_LOG_SERVICE_HANDLE_READER); the root resource (to read the
// kernel's debug log). As a component it gets the kernel's debug log from
// its namespace instead (kernel.DebugLog). Switches: options.h.
#include <idl/kernel_ipc.h>
#include <idl/log_ipc.h>
#include <mica/component/component.h>
#include <mica/log/service.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>

#include "system/core/log_service/service.h"

namespace {

// As a component (started by the component manager): log.Sink, log.Reader
// and log.Admin through the Outgoing directory. The component manager
// attaches the Sinks it routes through log.Admin (their moniker and koid);
// a Sink that arrives by Outgoing.Connect itself does not say who the
// client is: its records carry the moniker "unknown" and the writer's
// claimed pid (docs/logging.md, "The service"). Returns whether it serves
// so.
bool ServeOutgoing(mica::async::Loop* loop, log_service::Service* service) {
  if (!mica::component::HasNamespace()) {
    return false;
  }
  static mica::component::Outgoing out(loop);
  out.AddProtocol(::idl::log::Sink::kName, [service](mica::Channel c) {
    (void)service->ServeSink(static_cast<mica::Channel&&>(c), "unknown", 0);
  });
  out.AddProtocol(::idl::log::Reader::kName, [service](mica::Channel c) {
    (void)service->ServeReader(static_cast<mica::Channel&&>(c));
  });
  out.AddProtocol(::idl::log::Admin::kName, [service](mica::Channel c) {
    (void)service->ServeAdmin(static_cast<mica::Channel&&>(c));
  });
  if (out.ServeFromStartup() != MICA_OK) {
    return false;
  }
  (void)out.ServeLifecycle([loop] { loop->Quit(); });
  return true;
}

// Where the service's channels come from otherwise: the startup handles
// its launcher passed. Returns how many it served.
uint32_t TakeChannels(log_service::Service* service) {
  uint32_t infos[64];
  uint32_t n = mica_rt_startup_handle_infos(infos, 64);
  uint32_t served = 0;
  for (uint32_t i = 0; i < n && i < 64; i++) {
    uint32_t kind = MICA_BOOTSTRAP_HANDLE_KIND(infos[i]);
    if (kind != MICA_LOG_SERVICE_HANDLE_ADMIN && kind != MICA_LOG_SERVICE_HANDLE_READER) {
      continue;
    }
    mica::Channel ch(mica_rt_take_startup_handle(infos[i]));
    if (!ch.is_valid()) {
      continue;
    }
    mica_status_t s = kind == MICA_LOG_SERVICE_HANDLE_ADMIN
                          ? service->ServeAdmin(static_cast<mica::Channel&&>(ch))
                          : service->ServeReader(static_cast<mica::Channel&&>(ch));
    if (s == MICA_OK) {
      served++;
    }
  }
  return served;
}

// The kernel's debug log, readable: as a component kernel.DebugLog (the
// component manager makes it; the service never holds the root resource),
// else made with the root resource its launcher passed.
mica_status_t OpenKernelLog(mica::Debuglog* out) {
  if (mica::component::HasNamespace()) {
    namespace kernel = ::idl::kernel;
    return mica::component::GetHandle<kernel::DebugLog, kernel::DebugLogSyncClient>(
        &kernel::DebugLog::GetResponse::log, out);
  }
  mica::Handle root(mica_rt_root_resource());
  mica_status_t s = mica::Debuglog::Create(root, MICA_LOG_FLAG_READABLE, out);
  (void)root.release();  // the runtime's
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  static log_service::Options opts;
  for (int i = 1; i < argc; i++) {
    if (const char* bad = log_service::ParseOption(argv[i], &opts)) {
      printf("log-service: bad switch: %s\n", bad);
      return 1;
    }
  }
  static mica::async::Loop loop;
  if (loop.status() != MICA_OK) {
    printf("log-service: no loop (status %d)\n", static_cast<int>(loop.status()));
    return 1;
  }
  static log_service::Service service(&loop, opts);
  mica::Debuglog kernel_log;
  if (opts.merge_kernel) {
    mica_status_t s = OpenKernelLog(&kernel_log);
    if (s != MICA_OK) {
      printf("log-service: cannot read the kernel's log (status %d; needs %s)\n",
             static_cast<int>(s),
             mica::component::HasNamespace() ? "kernel.DebugLog" : "the root resource");
      return 1;
    }
  }
  char why[128];
  if (!service.Init(static_cast<mica::Debuglog&&>(kernel_log), why, sizeof(why))) {
    printf("log-service: %s\n", why);
    return 1;
  }
  bool component = ServeOutgoing(&loop, &service);
  if (TakeChannels(&service) == 0 && !component) {
    printf("log-service: no channels to serve\n");
    return 1;
  }
  log_service::RecordView hello;
  hello.moniker = "log";
  hello.severity = log_service::Severity::kInfo;
  hello.time = static_cast<int64_t>(mica::async::Loop::Now());
  hello.message = "log service ready";
  service.Store(hello);
  loop.Run();
  return 0;
}
