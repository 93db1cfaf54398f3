// Early console UART drivers: polled output only, enough for the kernel log.
// The console is chosen from /chosen/stdout-path (platform/platform.cc).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace dev {

enum class UartKind { kNone, kPl011, kBcm2835Aux };

struct Uart {
  UartKind kind = UartKind::kNone;
  volatile uint8_t* regs = nullptr;  // mapped registers

  bool present() const { return kind != UartKind::kNone && regs != nullptr; }
  void Write(const char* s, size_t n) const;
  // Waits (bounded) until the transmitter has sent its last bit.
  void Drain() const;
  // Returns -1 if no character is waiting.
  int ReadNonBlocking() const;
};

// Maps a devicetree compatible string to a UART kind (kNone if unknown).
UartKind UartKindForCompatible(const char* compatible);
const char* UartKindName(UartKind kind);

}  // namespace dev
