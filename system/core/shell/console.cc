// See console.h.
#include "system/core/shell/console.h"

#include <stdio.h>

#include "system/core/shell/caps.h"

// Returns the status of `expr` unless it is MICA_OK (as the driver SDK's
// MICA_TRY).
#define SHELL_TRY(expr)                  \
  do {                                   \
    mica_status_t _shell_try_s = (expr); \
    if (_shell_try_s != MICA_OK) {       \
      return _shell_try_s;               \
    }                                    \
  } while (0)

namespace shell {

using ::idl::serial::Serial;

namespace {

constexpr mica_duration_t kConsoleWait = 10'000'000'000;  // a restarting driver
constexpr uint32_t kReadMax = 256;

}  // namespace

mica_status_t Console::Start() {
  return Connect();
}

mica_status_t Console::Connect() {
  mica::Channel rd, wr;
  SHELL_TRY(OpenConsole(kConsoleWait, &rd));
  SHELL_TRY(OpenConsole(kConsoleWait, &wr));
  delete out_;
  out_ = new ::idl::serial::SerialSyncClient(static_cast<mica::Channel&&>(wr));
  // The reader sets RAW synchronously, then goes on the loop.
  ::idl::serial::SerialSyncClient setter(static_cast<mica::Channel&&>(rd));
  Serial::SetModeRequest req;
  req.mode = ::idl::serial::Mode::RAW;
  Serial::SetModeResponse resp;
  mica_status_t s = setter.SetMode(req, &resp);
  if (s == MICA_OK) {
    s = resp.status;
  }
  if (s != MICA_OK) {
    return s;
  }
  in_ = new ::idl::serial::SerialAsyncClient(loop_, setter.TakeChannel());
  in_->set_error_handler([this](mica_status_t) { Reconnect(); });
  SHELL_TRY(in_->Begin());
  ReadMore();
  return MICA_OK;
}

void Console::ReadMore() {
  Serial::ReadRequest req;
  req.max = kReadMax;
  mica_status_t s = in_->Read(req, [this](mica_status_t status, Serial::ReadResponse* r) {
    if (status != MICA_OK || r == nullptr || r->status != MICA_OK) {
      Reconnect();
      return;
    }
    input_(r->data.items, r->data.count);
    ReadMore();
  });
  if (s != MICA_OK) {
    Reconnect();
  }
}

// The driver ended (or refused): open the service again once it is back.
void Console::Reconnect() {
  if (reconnecting_) {
    return;
  }
  reconnecting_ = true;
  loop_->PostTask([this] {
    ::idl::serial::SerialAsyncClient* old = in_;
    in_ = nullptr;
    delete old;
    for (;;) {
      if (Connect() == MICA_OK) {
        break;
      }
      (void)mica_nanosleep(mica::async::Loop::Now() + 100'000'000);
    }
    reconnecting_ = false;
    printf("shell: reconnected to console/0\n");  // through the kernel log
    const uint8_t redraw = 0x0c;                  // the prompt again
    input_(&redraw, 1);
  });
}

void Console::Write(const char* bytes, size_t n) {
  static Serial::WriteRequest req;
  while (n > 0 && out_ != nullptr) {
    size_t chunk = n < ::idl::serial::MAX_CHUNK ? n : ::idl::serial::MAX_CHUNK;
    req = Serial::WriteRequest();
    for (size_t i = 0; i < chunk; i++) {
      req.data.Push(static_cast<uint8_t>(bytes[i]));
    }
    Serial::WriteResponse resp;
    mica_status_t s = out_->Write(req, &resp);
    if (s == MICA_ERR_PEER_CLOSED) {
      // The driver ended (e.g. `kill` of it): write to its next instance
      // (the reader reconnects on its own and sets raw mode again).
      mica::Channel wr;
      if (OpenConsole(kConsoleWait, &wr) != MICA_OK) {
        return;
      }
      delete out_;
      out_ = new ::idl::serial::SerialSyncClient(static_cast<mica::Channel&&>(wr));
      s = out_->Write(req, &resp);
    }
    if (s != MICA_OK) {
      return;  // dropped: the console is gone
    }
    bytes += chunk;
    n -= chunk;
  }
}

}  // namespace shell
