// The shell's terminal: the console's serial service (IDL Serial) in raw
// mode. Two connections: one reads (on the loop; it set RAW, so raw mode
// ends if the shell dies) and one writes (synchronous Write: output keeps
// its order, and a long listing waits for the driver instead of being
// lost). When the console's driver restarts, both are opened again and
// raw mode set again; Input then gets a Ctrl-L (redraw).
#pragma once

#include <idl/serial_ipc.h>
#include <mica/async/loop.h>

#include "system/core/shell/lib/file_commands.h"

namespace shell {

// A Printer (lib/file_commands.h): Print and VPrint write to the console.
class Console : public Printer {
 public:
  using InputFn = mica::async::InlineFunction<void(const uint8_t* bytes, size_t n)>;

  Console(mica::async::Loop* loop, InputFn input)
      : loop_(loop), input_(static_cast<InputFn&&>(input)) {}
  // Connects (waiting for the console's service) and starts reading.
  mica_status_t Start();

  void Write(const char* bytes, size_t n) override;

 private:
  mica_status_t Connect();
  void ReadMore();
  void Reconnect();

  mica::async::Loop* loop_;
  InputFn input_;
  ::idl::serial::SerialSyncClient* out_ = nullptr;
  ::idl::serial::SerialAsyncClient* in_ = nullptr;
  bool reconnecting_ = false;
};

}  // namespace shell
