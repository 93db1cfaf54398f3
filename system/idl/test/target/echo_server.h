// The idltest Echo server of bin/idl-test, and a Harness that runs it on a
// mica::async::Loop in a thread of its own.
#pragma once

#include <idl/idltest_ipc.h>
#include <mica/async/loop.h>

#include <atomic>

#include "system/idl/test/target/test.h"

namespace idl_target {

using idl::idltest::Echo;

// Runs a loop on its own thread until destroyed.
class Harness {
 public:
  Harness();
  ~Harness();
  mica::async::Loop& loop() { return loop_; }
  // A new connection served by an EchoImpl on the loop; the client end goes
  // to *client. The server deletes itself when the connection ends.
  mica_status_t Connect(mica::Channel* client);
  // Waits (up to 5 s) until more than `before` connections ended; the
  // status the last one ended with (MICA_ERR_TIMED_OUT if none did).
  mica_status_t WaitServerClosed(int before);

  std::atomic<int> closed{0};
  std::atomic<mica_status_t> last_status{MICA_OK};

 private:
  static int RunLoop(void* arg);
  mica::async::Loop loop_;
  Thread thread_;
};

class EchoImpl : public idl::idltest::EchoServer {
 public:
  EchoImpl(mica::async::Loop* loop, mica::Channel channel)
      : EchoServer(loop, static_cast<mica::Channel&&>(channel)), loop_(loop) {}

  void Echo(Echo::EchoRequest& request, EchoCompleter completer) override;
  void Add(Echo::AddRequest& request, AddCompleter completer) override;
  void Notify(Echo::NotifyRequest& request) override;
  void Ping(Echo::PingRequest& request, PingCompleter completer) override;
  void TakeVmo(Echo::TakeVmoRequest& request, TakeVmoCompleter completer) override;
  void Later(Echo::LaterRequest& request, LaterCompleter completer) override;
  void Shutdown(Echo::ShutdownRequest& request) override;

 private:
  mica::async::Loop* loop_;
  LaterCompleter later_;
};

}  // namespace idl_target
