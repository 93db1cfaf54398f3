// The IDL round trip of bin/bench (idl_bench.h).
#include "system/core/bench/idl_bench.h"

#include <idl/idltest_ipc.h>
#include <mica/async/loop.h>

#include <utility>

namespace bench {
namespace {

using idl::idltest::Echo;

// Only Add is used; the rest refuse by closing the connection.
class BenchServer : public idl::idltest::EchoServer {
 public:
  using EchoServer::EchoServer;
  void Add(Echo::AddRequest& request, AddCompleter completer) override {
    Echo::AddResponse response;
    response.sum = int64_t{request.a} + request.b;
    completer.Reply(response);
  }
  void Echo(Echo::EchoRequest&, EchoCompleter completer) override {
    completer.Close(MICA_ERR_NOT_SUPPORTED);
  }
  void Notify(Echo::NotifyRequest&) override { Close(MICA_ERR_NOT_SUPPORTED); }
  void Ping(Echo::PingRequest&, PingCompleter completer) override {
    completer.Close(MICA_ERR_NOT_SUPPORTED);
  }
  void TakeVmo(Echo::TakeVmoRequest&, TakeVmoCompleter completer) override {
    completer.Close(MICA_ERR_NOT_SUPPORTED);
  }
  void Later(Echo::LaterRequest&, LaterCompleter completer) override {
    completer.Close(MICA_ERR_NOT_SUPPORTED);
  }
  void Shutdown(Echo::ShutdownRequest&) override { Close(MICA_OK); }
};

}  // namespace

int IdlServer(mica_handle_t channel) {
  mica::async::Loop loop;
  BenchServer server(&loop, mica::Channel(channel));
  mica_status_t result = MICA_ERR_INTERNAL;
  server.set_error_handler([&](mica_status_t s) {
    result = s;
    loop.Quit();
  });
  if (server.Begin() != MICA_OK) {
    return 1;
  }
  loop.Run();
  return result == MICA_ERR_PEER_CLOSED ? 0 : 1;
}

bool IdlCalls(mica_handle_t channel, uint32_t n) {
  idl::idltest::EchoSyncClient client{mica::Channel(channel)};
  bool ok = true;
  for (uint32_t i = 0; i < n && ok; i++) {
    Echo::AddRequest request;
    request.a = static_cast<int32_t>(i);
    request.b = 1;
    Echo::AddResponse response;
    ok = client.Add(request, &response) == MICA_OK && response.sum == int64_t{i} + 1;
  }
  static_cast<void>(client.TakeChannel().release());  // the caller keeps it
  return ok;
}

}  // namespace bench
