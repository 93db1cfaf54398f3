// SerialDevice: what every UART driver's logic offers its process wrapper
// and the console writer, whatever the hardware (PL011, BCM2711 mini-UART).
//
// Contract:
// - Init programs the hardware (see each driver) and must succeed before
//   anything else; the other calls are then safe in any order.
// - OnInterrupt is called by the wrapper each time the device's interrupt
//   fires (after which the wrapper acknowledges the interrupt object). It
//   services the hardware completely: drains the receive FIFO into the
//   receive ring, refills the transmit FIFO from the transmit ring, clears
//   what it handled, and returns which client-visible events happened.
// - Read takes received bytes out of the receive ring; Write queues bytes
//   on the transmit ring (as many as fit, count returned) and starts the
//   transmitter. Neither blocks; a client waits for kRxReady / kTxSpace.
// - No system calls inside: the wrapper owns time, interrupts and channels.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mica::drivers::serial {

// Bits returned by OnInterrupt.
enum SerialEvent : uint32_t {
  kRxReady = 1u << 0,  // new bytes in the receive ring
  kTxSpace = 1u << 1,  // the transmit ring drained some bytes
  kError = 1u << 2,    // a receive error was counted (see SerialStats)
};

struct SerialStats {
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  uint64_t overrun_errors = 0;  // receive FIFO overran in hardware
  uint64_t break_errors = 0;
  uint64_t parity_errors = 0;
  uint64_t framing_errors = 0;
  uint64_t rx_dropped = 0;  // bytes lost because the receive ring was full
  uint64_t interrupts = 0;
};

class SerialDevice {
 public:
  virtual ~SerialDevice() = default;
  virtual uint32_t OnInterrupt() = 0;
  virtual size_t Read(uint8_t* out, size_t n) = 0;
  virtual size_t Write(const uint8_t* data, size_t n) = 0;
  // Bytes Write would accept now.
  virtual size_t TxFree() const = 0;
  // True when the transmit ring is empty (the hardware may still be
  // shifting out its FIFO).
  virtual bool TxRingEmpty() const = 0;
  virtual const SerialStats& stats() const = 0;
};

}  // namespace mica::drivers::serial
