// bin/echo-server (README.md here; docs/components.md, "The system
// tree"): serves echo.Echo, answering each string with itself, to every
// client the component manager connects; exits 0 on Lifecycle.Stop. The
// system tree starts it lazily, on the first open of echo.Echo.
#include <idl/echo_ipc.h>
#include <mica/async/loop.h>
#include <mica/component/component.h>
#include <mica/log/log.h>
#include <stdio.h>

namespace {

// One client's connection; deletes itself when the client goes.
class EchoConnection final : public idl::echo::EchoServer {
 public:
  EchoConnection(mica::async::Loop* loop, mica::Channel channel)
      : EchoServer(loop, static_cast<mica::Channel&&>(channel)) {}

  void Serve() {
    EchoConnection* self = this;
    set_error_handler([self](mica_status_t) { delete self; });
    if (Begin() != MICA_OK) {
      delete self;
    }
  }

  void EchoString(idl::echo::Echo::EchoStringRequest& req, EchoStringCompleter done) override {
    idl::echo::Echo::EchoStringResponse r;
    r.response.Set(req.value.data, req.value.size);  // the same capacity: always fits
    done.Reply(r);
  }
};

}  // namespace

int main() {
  static mica::async::Loop loop;
  if (loop.status() != MICA_OK) {
    printf("echo-server: no loop (status %d)\n", static_cast<int>(loop.status()));
    return 1;
  }
  static mica::component::Outgoing out(&loop);
  (void)out.AddProtocol(idl::echo::Echo::kName, [](mica::Channel c) {
    (new EchoConnection(&loop, static_cast<mica::Channel&&>(c)))->Serve();
  });
  if (out.ServeFromStartup() != MICA_OK) {
    printf("echo-server: not started as a component (no outgoing handle)\n");
    return 1;
  }
  (void)out.ServeLifecycle([] { loop.Quit(); });
  MICA_LOGF(INFO, "echo", "serving %s", idl::echo::Echo::kName);
  loop.Run();
  return 0;
}
