// The Echo server and the loop harness of bin/idl-test (echo_server.h).
#include "system/idl/test/target/echo_server.h"

#include <utility>

namespace idl_target {

Harness::Harness() {
  StartThread(&thread_, RunLoop, this);
}

Harness::~Harness() {
  loop_.Quit();
  JoinThread(&thread_);
  loop_.Shutdown();
}

int Harness::RunLoop(void* arg) {
  static_cast<Harness*>(arg)->loop_.Run();
  return 0;
}

mica_status_t Harness::Connect(mica::Channel* client) {
  mica::Channel server_end;
  mica_status_t s = mica::Channel::Create(0, client, &server_end);
  if (s != MICA_OK) {
    return s;
  }
  auto* server = new EchoImpl(&loop_, std::move(server_end));
  server->set_error_handler([this, server](mica_status_t status) {
    last_status.store(status);
    closed.fetch_add(1);
    delete server;
  });
  // Begin on the loop's thread: the server is only ever touched there.
  return loop_.PostTask([server] { server->Begin(); });
}

mica_status_t Harness::WaitServerClosed(int before) {
  mica_time_t deadline = mica::async::Loop::Now() + 5'000'000'000;
  while (closed.load() <= before) {
    if (mica::async::Loop::Now() > deadline) {
      return MICA_ERR_TIMED_OUT;
    }
    mica_nanosleep(mica::async::Loop::Now() + 1'000'000);
  }
  return last_status.load();
}

void EchoImpl::Echo(Echo::EchoRequest& request, EchoCompleter completer) {
  Echo::EchoResponse response;
  response.value = std::move(request.value);
  completer.Reply(response);
}

void EchoImpl::Add(Echo::AddRequest& request, AddCompleter completer) {
  Echo::AddResponse response;
  response.sum = int64_t{request.a} + request.b;
  completer.Reply(response);
}

void EchoImpl::Notify(Echo::NotifyRequest& request) {
  Echo::HappenedEvent event;
  event.code = request.code;
  event.what.Set("notified");
  SendHappened(event);
}

void EchoImpl::Ping(Echo::PingRequest&, PingCompleter completer) {
  Echo::PingResponse response;
  completer.Reply(response);
}

void EchoImpl::TakeVmo(Echo::TakeVmoRequest& request, TakeVmoCompleter completer) {
  Echo::TakeVmoResponse response;
  request.vmo.get_size(&response.size);
  completer.Reply(response);
}

// Replies after the delay, from a task: the completer outlives the call.
void EchoImpl::Later(Echo::LaterRequest& request, LaterCompleter completer) {
  later_ = std::move(completer);
  loop_->PostTaskAfter(
      [this] {
        Echo::LaterResponse response;
        response.done = true;
        later_.Reply(response);
      },
      int64_t{request.delay_ms} * 1'000'000);
}

void EchoImpl::Shutdown(Echo::ShutdownRequest&) {
  Close(MICA_OK);
}

}  // namespace idl_target
