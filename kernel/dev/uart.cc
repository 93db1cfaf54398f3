#include "kernel/dev/uart.h"

namespace dev {
namespace {

// PL011 (Arm PrimeCell UART PL011 TRM, DDI 0183G, §3.2): data register at
// 0x00, flag register at 0x18 with TXFF (bit 5) and RXFE (bit 4).
constexpr size_t kPl011Dr = 0x00;
constexpr size_t kPl011Fr = 0x18;
constexpr uint32_t kPl011FrTxff = 1 << 5;
constexpr uint32_t kPl011FrRxfe = 1 << 4;
constexpr uint32_t kPl011FrBusy = 1 << 3;  // transmitting, until the last stop bit

// BCM2835 auxiliary mini-UART (BCM2711 ARM Peripherals, §2.2.2): the
// devicetree's reg starts at AUX_MU_IO_REG; AUX_MU_LSR_REG is at +0x14 with
// "transmitter empty" (bit 5) and "data ready" (bit 0).
constexpr size_t kAuxIo = 0x00;
constexpr size_t kAuxLsr = 0x14;
constexpr uint32_t kAuxLsrTxEmpty = 1 << 5;
constexpr uint32_t kAuxLsrDataReady = 1 << 0;
constexpr uint32_t kAuxLsrTxIdle = 1 << 6;  // FIFO empty and transmitter idle

inline uint32_t Read32(volatile uint8_t* base, size_t off) {
  return *reinterpret_cast<volatile uint32_t*>(base + off);
}
inline void Write32(volatile uint8_t* base, size_t off, uint32_t v) {
  *reinterpret_cast<volatile uint32_t*>(base + off) = v;
}

bool StrEq(const char* a, const char* b) {
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return *a == *b;
}

}  // namespace

void Uart::Write(const char* s, size_t n) const {
  if (!present()) {
    return;
  }
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    for (int pass = 0; pass < (c == '\n' ? 2 : 1); pass++) {
      char out = (c == '\n' && pass == 0) ? '\r' : c;
      // Bounded spin: a wedged UART must not hang the kernel forever.
      for (int spin = 0; spin < 1000000; spin++) {
        bool full = kind == UartKind::kPl011 ? (Read32(regs, kPl011Fr) & kPl011FrTxff) != 0
                                             : (Read32(regs, kAuxLsr) & kAuxLsrTxEmpty) == 0;
        if (!full) {
          break;
        }
      }
      Write32(regs, kind == UartKind::kPl011 ? kPl011Dr : kAuxIo, static_cast<uint8_t>(out));
    }
  }
}

void Uart::Drain() const {
  if (!present()) {
    return;
  }
  for (int spin = 0; spin < 10000000; spin++) {
    bool idle = kind == UartKind::kPl011 ? (Read32(regs, kPl011Fr) & kPl011FrBusy) == 0
                                         : (Read32(regs, kAuxLsr) & kAuxLsrTxIdle) != 0;
    if (idle) {
      return;
    }
  }
}

int Uart::ReadNonBlocking() const {
  if (!present()) {
    return -1;
  }
  if (kind == UartKind::kPl011) {
    if (Read32(regs, kPl011Fr) & kPl011FrRxfe) {
      return -1;
    }
    return static_cast<int>(Read32(regs, kPl011Dr) & 0xff);
  }
  if ((Read32(regs, kAuxLsr) & kAuxLsrDataReady) == 0) {
    return -1;
  }
  return static_cast<int>(Read32(regs, kAuxIo) & 0xff);
}

UartKind UartKindForCompatible(const char* compatible) {
  if (StrEq(compatible, "arm,pl011")) {
    return UartKind::kPl011;
  }
  if (StrEq(compatible, "brcm,bcm2835-aux-uart")) {
    return UartKind::kBcm2835Aux;
  }
  return UartKind::kNone;
}

const char* UartKindName(UartKind kind) {
  switch (kind) {
    case UartKind::kPl011:
      return "pl011";
    case UartKind::kBcm2835Aux:
      return "bcm2835-aux mini-UART";
    case UartKind::kNone:
      break;
  }
  return "none";
}

}  // namespace dev
