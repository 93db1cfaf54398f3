// See console_driver.h.
#include "drivers/serial/lib/console_driver.h"

#include <idl/serial_ipc.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/serial/lib/console_writer.h"
#include "drivers/serial/lib/line_discipline.h"
#include "drivers/virtio/lib/irq_pump.h"

namespace mica::drivers::serial {
namespace {

using ::idl::serial::Serial;
using mica::driver::Context;

// The writers sharing the wire.
constexpr size_t kLog = 0;
constexpr size_t kClient = 1;
constexpr size_t kEcho = 2;
constexpr size_t kDriver = 3;
constexpr size_t kLineMax = 512;  // the kernel's longest console line (LogLine)
constexpr size_t kMaxServers = 8;
constexpr size_t kRecordHeader = sizeof(mica_log_record_t) - MICA_LOG_MAX_DATA;

class Server;

struct State {
  Context* dev = nullptr;
  SerialDevice* uart = nullptr;
  ConsoleDriverConfig config;
  ConsoleWriter<4, kLineMax, 8192> out;
  LineDiscipline in;
  mica::Handle log;  // the console log, if this driver has the console
  bool log_waiting = false;
  mica::virtio::IrqPump pump;
  Server* servers[kMaxServers] = {};
  Server* raw_owner = nullptr;  // the connection that set RAW, if any
  uint64_t cuts_seen = 0;       // out.cuts(kClient) already told (NoteCut)
};
State g;

void Service();

class Server final : public ::idl::serial::SerialServer {
 public:
  Server(mica::async::Loop* loop, mica::Channel ch)
      : SerialServer(loop, static_cast<mica::Channel&&>(ch)) {}

  void Write(Serial::WriteRequest& req, WriteCompleter done) override {
    if (write_.pending()) {
      Serial::WriteResponse r;
      r.status = MICA_ERR_BAD_STATE;  // one write at a time per connection
      done.Reply(r);
      return;
    }
    memcpy(wbuf_, req.data.items, req.data.count);
    wlen_ = req.data.count;
    wdone_ = 0;
    write_ = static_cast<WriteCompleter&&>(done);
    Service();
  }

  void Read(Serial::ReadRequest& req, ReadCompleter done) override {
    if (read_.pending() || req.max == 0) {
      Serial::ReadResponse r;
      r.status = req.max == 0 ? MICA_ERR_INVALID_ARGS : MICA_ERR_BAD_STATE;
      done.Reply(r);
      return;
    }
    if (g.dev->StallRequest()) {
      stalled_ = static_cast<ReadCompleter&&>(done);
      return;
    }
    max_ = req.max;
    read_ = static_cast<ReadCompleter&&>(done);
    Service();
  }

  void GetInfo(Serial::GetInfoRequest&, GetInfoCompleter done) override {
    Serial::GetInfoResponse r;
    r.info.name.Set(g.dev->name());
    r.info.baud = g.config.baud;
    done.Reply(r);
  }

  void SetMode(Serial::SetModeRequest& req, SetModeCompleter done) override {
    Serial::SetModeResponse r;
    r.status = MICA_OK;
    if (req.mode == ::idl::serial::Mode::RAW) {
      g.in.SetRaw(true);
      g.out.set_replay(kClient, true);
      g.raw_owner = this;
      g.cuts_seen = g.out.cuts(kClient);
    } else if (req.mode == ::idl::serial::Mode::CANONICAL) {
      if (g.in.raw()) {
        g.in.SetRaw(false);
      }
      g.out.set_replay(kClient, false);
      g.raw_owner = nullptr;
    } else {
      r.status = MICA_ERR_INVALID_ARGS;
    }
    done.Reply(r);
  }

  // Moves a waiting write on and answers a waiting read when it can.
  void Progress() {
    if (write_.pending()) {
      wdone_ += g.out.Write(kClient, wbuf_ + wdone_, wlen_ - wdone_);
      bool ended = wlen_ == 0 || wbuf_[wlen_ - 1] == '\n';
      if (wdone_ == wlen_ && (ended || g.out.Flush(kClient))) {
        Serial::WriteResponse r;
        r.status = MICA_OK;
        write_.Reply(r);
      }
    }
    if (read_.pending() && g.in.readable() > 0) {
      Serial::ReadResponse r;
      r.status = MICA_OK;
      size_t want = max_ < ::idl::serial::MAX_CHUNK ? max_ : ::idl::serial::MAX_CHUNK;
      r.data.count = static_cast<uint32_t>(g.in.Read(r.data.items, want));
      read_.Reply(r);
    }
  }

 private:
  WriteCompleter write_;
  ReadCompleter read_;
  ReadCompleter stalled_;
  uint8_t wbuf_[::idl::serial::MAX_CHUNK] = {};
  size_t wlen_ = 0;
  size_t wdone_ = 0;
  uint32_t max_ = 0;
};

void ArmLog();

// Prints the console log's records (each the kernel's own console line)
// while a whole line fits in the writer's queue.
void DrainLog() {
  if (!g.log) {
    return;
  }
  alignas(8) static uint8_t rec[kRecordHeader + kLineMax];
  while (g.out.pending(kLog) == 0 && g.out.queue_free() > kLineMax) {
    size_t actual = 0;
    mica_status_t s =
        mica_debuglog_read(g.log.get(), MICA_LOG_READ_LINE, rec, sizeof(rec), &actual);
    if (s == MICA_ERR_SHOULD_WAIT) {
      ArmLog();
      return;
    }
    if (s != MICA_OK || actual < kRecordHeader) {
      return;
    }
    size_t n = actual - kRecordHeader;
    g.out.Write(kLog, rec + kRecordHeader, n);
    if (n == 0 || rec[kRecordHeader + n - 1] != '\n') {
      const uint8_t nl = '\n';  // a line cut to the buffer still ends
      g.out.Write(kLog, &nl, 1);
    }
    g.out.Pump(*g.uart);
  }
}

void ArmLog() {
  if (g.log_waiting) {
    return;
  }
  mica_status_t s = g.dev->loop().BeginWait(g.log.get(), MICA_SIGNAL_READABLE,
                                            [](mica_status_t status, mica_signals_t) {
                                              g.log_waiting = false;
                                              if (status == MICA_OK) {
                                                Service();
                                              }
                                            });
  g.log_waiting = s == MICA_OK;
}

// True (once) when another writer's line cut the clients' partial line
// since the last call: raw mode then gets a Ctrl-L to read.
bool NoteCut() {
  if (g.out.cuts(kClient) == g.cuts_seen) {
    return false;
  }
  g.cuts_seen = g.out.cuts(kClient);
  g.in.NoteCut();
  return g.in.raw();
}

// Everything that may move after an interrupt, a request or a log record.
void Service() {
  for (int round = 0; round < 2; round++) {
    for (Server* s : g.servers) {
      if (s != nullptr) {
        s->Progress();
      }
    }
    g.out.Pump(*g.uart);
    DrainLog();
    g.out.Pump(*g.uart);
    if (!NoteCut()) {
      break;  // else a second round answers a waiting Read with the Ctrl-L
    }
  }
}

// Received bytes through the line discipline, their echo to the wire.
void TakeInput() {
  uint8_t buf[64];
  size_t n;
  bool any = false;
  while ((n = g.uart->Read(buf, sizeof(buf))) != 0) {
    any = true;
    for (size_t i = 0; i < n; i++) {
      uint8_t echo[LineDiscipline::kMaxEcho];
      size_t e = g.in.Input(buf[i], echo);
      g.out.Write(kEcho, echo, e);
    }
  }
  if (any) {
    g.out.Flush(kEcho);  // typed characters show at once
  }
}

void OnInterrupt() {
  uint32_t events = g.uart->OnInterrupt();
  if ((events & kRxReady) != 0) {
    TakeInput();
  }
  Service();
}

void Open(mica::async::Loop* loop, mica::Handle client) {
  size_t slot = 0;
  while (slot < kMaxServers && g.servers[slot] != nullptr) {
    slot++;
  }
  if (slot == kMaxServers) {
    return;  // the client's channel closes: too many connections
  }
  auto* s = new Server(loop, mica::Channel(client.release()));
  s->set_error_handler([s, slot, loop](mica_status_t) {
    g.servers[slot] = nullptr;
    if (g.raw_owner == s) {  // its raw mode ends with it
      g.raw_owner = nullptr;
      g.in.SetRaw(false);
      g.out.set_replay(kClient, false);
    }
    loop->PostTask([s] { delete s; });
  });
  if (s->Begin() != MICA_OK) {
    delete s;
    return;
  }
  g.servers[slot] = s;
}

void SayHello() {
  char line[160];
  int n = snprintf(line, sizeof(line), "%s: hello from %s\n", g.config.hello, g.dev->node_path());
  g.out.Write(kDriver, reinterpret_cast<const uint8_t*>(line), n > 0 ? static_cast<size_t>(n) : 0);
  Service();
  printf("%s: wrote %llu bytes, %llu interrupts\n", g.dev->name(),
         static_cast<unsigned long long>(g.uart->stats().tx_bytes),
         static_cast<unsigned long long>(g.uart->stats().interrupts));
}

}  // namespace

bool ConsoleOwned() {
  return static_cast<bool>(g.log);
}

mica_status_t ConsoleTakeOver(Context& dev) {
  mica::Handle resource;
  if (dev.TakeSystemResource(static_cast<uint32_t>(MICA_RSRC_SYSTEM_CONSOLE), &resource) !=
      MICA_OK) {
    return MICA_OK;  // not the console: a plain UART
  }
  return mica_debuglog_create(resource.get(), MICA_LOG_FLAG_READABLE | MICA_LOG_FLAG_CONSOLE,
                              g.log.reset_and_get_address());
}

mica_status_t ConsoleStart(Context& dev, SerialDevice& uart, mica::Handle irq,
                           const ConsoleDriverConfig& config) {
  g.dev = &dev;
  g.uart = &uart;
  g.config = config;
  g.out.set_crlf(true);
  MICA_TRY(g.pump.Start(&dev.loop(), irq.release(), [] { OnInterrupt(); }));
  TakeInput();  // what Init kept from the receive FIFO (type-ahead)
  Service();    // the records the kernel did not print
  MICA_TRY(dev.loop().PostTaskAfter([] { SayHello(); }, 200'000'000));
  mica::async::Loop* loop = &dev.loop();
  return dev.Publish<Serial>(ConsoleOwned() ? "console" : "serial", [loop](mica::Handle client) {
    Open(loop, static_cast<mica::Handle&&>(client));
  });
}

}  // namespace mica::drivers::serial
