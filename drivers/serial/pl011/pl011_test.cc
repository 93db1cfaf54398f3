#include "drivers/serial/pl011/pl011.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "drivers/serial/lib/console_writer.h"
#include "drivers/serial/pl011/fake_pl011.h"

namespace mica::drivers::pl011 {
namespace {

using testing::FakePl011;
using testing::Model;

constexpr uint64_t kVirtClock = 24000000;  // QEMU virt's apb-pclk fixed-clock

Pl011Config VirtConfig() {
  Pl011Config c;
  c.clock_hz = kVirtClock;
  c.baud = 115200;
  return c;
}

std::string ReadAll(Pl011& uart) {
  std::string s;
  uint8_t buf[64];
  size_t n;
  while ((n = uart.Read(buf, sizeof(buf))) != 0) {
    s.append(reinterpret_cast<char*>(buf), n);
  }
  return s;
}

// Calls OnInterrupt while the line is asserted, as the wrapper does; fails
// on a storm (the line never dropping).
uint32_t Service(FakePl011& dev, Pl011& uart) {
  uint32_t events = 0;
  for (int i = 0; dev.irq_line(); i++) {
    EXPECT_LT(i, 100) << "interrupt storm";
    if (i >= 100) {
      break;
    }
    events |= uart.OnInterrupt();
  }
  return events;
}

TEST(Pl011Divisors, MatchTheTrmFormula) {
  struct Case {
    uint64_t clk;
    uint32_t baud, ibrd, fbrd;
  };
  // TRM §3.3.6: divisor = clk / (16 * baud); FBRD = round(frac * 64).
  const Case cases[] = {
      {24000000, 115200, 13, 1}, {48000000, 115200, 26, 3},   {4000000, 115200, 2, 11},
      {24000000, 9600, 156, 16}, {3000000, 115200, 1, 40},    {1843200, 115200, 1, 0},
      {48000000, 3000000, 1, 0}, {100000000, 1500, 4166, 43},
  };
  for (const Case& c : cases) {
    uint32_t i = 0, f = 0;
    ASSERT_TRUE(ComputeDivisors(c.clk, c.baud, &i, &f)) << c.clk << " " << c.baud;
    EXPECT_EQ(i, c.ibrd) << c.clk << " " << c.baud;
    EXPECT_EQ(f, c.fbrd) << c.clk << " " << c.baud;
  }
}

TEST(Pl011Divisors, ErrorStaysUnderHalfAStepOverTheRange) {
  for (uint64_t clk : {1843200ull, 3000000ull, 24000000ull, 48000000ull, 250000000ull}) {
    for (uint32_t baud = 300; baud <= clk / 16; baud = baud * 3 / 2 + 1) {
      uint32_t i = 0, f = 0;
      ASSERT_TRUE(ComputeDivisors(clk, baud, &i, &f));
      ASSERT_LT(f, 64u);
      double want = 64.0 * clk / (16.0 * baud);
      double got = i * 64.0 + f;
      ASSERT_LE(got - want, 0.5) << clk << " " << baud;
      ASSERT_GE(got - want, -0.5) << clk << " " << baud;
    }
  }
}

TEST(Pl011Divisors, RejectsOutOfRange) {
  uint32_t i = 0, f = 0;
  EXPECT_FALSE(ComputeDivisors(24000000, 0, &i, &f));
  EXPECT_FALSE(ComputeDivisors(0, 115200, &i, &f));
  EXPECT_FALSE(ComputeDivisors(24000000, 24000000 / 8, &i, &f));  // divisor 0.5
  EXPECT_FALSE(ComputeDivisors(24000000000ull, 300, &i, &f));     // divisor > 65535
  EXPECT_FALSE(ComputeDivisors(uint64_t{1} << 41, 115200, &i, &f));
}

TEST(Pl011, InitFollowsTheTrmOrder) {
  for (Model model : {Model::kTrm, Model::kQemu}) {
    FakePl011 dev(model, 16);
    Pl011 uart(dev);
    ASSERT_EQ(uart.Init(VirtConfig()), Status::kOk);
    int disable = dev.FindWrite(kCr);
    int flush = dev.FindWrite(kLcrH);
    int ibrd = dev.FindWrite(kIbrd);
    int fbrd = dev.FindWrite(kFbrd);
    int lcr = dev.FindWrite(kLcrH, flush + 1);
    int enable = dev.FindWrite(kCr, disable + 1);
    ASSERT_GE(disable, 0);
    EXPECT_EQ(dev.log()[disable].value, 0u);
    EXPECT_EQ(dev.log()[flush].value & kLcrFen, 0u);
    EXPECT_LT(disable, flush);
    EXPECT_LT(flush, ibrd);
    EXPECT_LT(ibrd, lcr);
    EXPECT_LT(fbrd, lcr);
    EXPECT_LT(lcr, enable);
    EXPECT_EQ(dev.latched_ibrd(), 13u);
    EXPECT_EQ(dev.latched_fbrd(), 1u);
    EXPECT_EQ(dev.lcr_h(), kLcrWlen8 | kLcrFen);  // 8N1, FIFOs on
    EXPECT_EQ(dev.cr(), kCrUarten | kCrTxe | kCrRxe);
    EXPECT_EQ(dev.imsc(), kIntRx | kIntRt | kIntErrors);
    EXPECT_FALSE(dev.irq_line());
    EXPECT_EQ(dev.bad_accesses(), 0u);
  }
}

TEST(Pl011, InitWithoutAClockKeepsTheDivisors) {
  FakePl011 dev(Model::kQemu, 16);
  Pl011 uart(dev);
  ASSERT_EQ(uart.Init(Pl011Config{}), Status::kOk);
  EXPECT_EQ(dev.FindWrite(kIbrd), -1);
  EXPECT_EQ(dev.FindWrite(kFbrd), -1);
}

TEST(Pl011, InitRefusesBadArgumentsAndOtherDevices) {
  FakePl011 dev(Model::kTrm, 16);
  Pl011 uart(dev);
  Pl011Config c = VirtConfig();
  c.baud = 0;
  EXPECT_EQ(uart.Init(c), Status::kInvalidArgs);
  EXPECT_TRUE(dev.log().empty());  // refused before touching the device

  const uint8_t pl031[8] = {0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
  dev.SetPrimeCellId(pl031);
  EXPECT_EQ(uart.Init(VirtConfig()), Status::kNotFound);
  EXPECT_EQ(uart.Write(reinterpret_cast<const uint8_t*>("x"), 1), 0u);
  EXPECT_EQ(uart.OnInterrupt(), 0u);
}

TEST(Pl011, InitTakesTheIdFromTheNodeWhenGiven) {
  // The BCM2711's uart0: `arm,primecell-periphid = <0x00241011>` and ID
  // registers outside its reg range (here: reading as another cell).
  const uint8_t pl031[8] = {0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
  for (uint32_t periphid : {0x00241011u, 0x00041011u, 0x00341011u}) {
    FakePl011 dev(Model::kTrm, 16);
    dev.SetPrimeCellId(pl031);
    Pl011 uart(dev);
    Pl011Config c = VirtConfig();
    c.periphid = periphid;
    EXPECT_EQ(uart.Init(c), Status::kOk) << periphid;
  }
  // Another part or designer in the property is refused, whatever the
  // registers say.
  for (uint32_t periphid : {0x00241031u, 0x00242011u, 0x00200011u, 0x00000001u}) {
    FakePl011 dev(Model::kTrm, 16);
    Pl011 uart(dev);
    Pl011Config c = VirtConfig();
    c.periphid = periphid;
    EXPECT_EQ(uart.Init(c), Status::kNotFound) << periphid;
    EXPECT_TRUE(dev.log().empty()) << periphid;
  }
}

TEST(Pl011, InitGivesUpOnAStuckBusyFlag) {
  FakePl011 dev(Model::kTrm, 16);
  dev.set_stuck_busy(true);
  Pl011 uart(dev);
  Pl011Config c = VirtConfig();
  c.busy_poll_limit = 1000;
  EXPECT_EQ(uart.Init(c), Status::kTimedOut);
}

// Keys typed while the kernel had the console wait in the receive FIFO:
// Init keeps them for Read although it flushes the FIFOs (LCR_H.FEN), with
// the FIFOs on (firmware) or off (QEMU's reset state, one character).
TEST(Pl011, InitKeepsWhatTheReceiveFifoHolds) {
  for (Model model : {Model::kTrm, Model::kQemu}) {
    for (uint32_t lcr_h : {kLcrWlen8 | kLcrFen, 0u}) {
      FakePl011 dev(model, 16);
      dev.Write32(kLcrH, lcr_h);
      dev.Write32(kCr, kCrUarten | kCrTxe | kCrRxe);
      dev.Receive("typed");
      Pl011 uart(dev);
      ASSERT_EQ(uart.Init(VirtConfig()), Status::kOk);
      EXPECT_EQ(ReadAll(uart), lcr_h != 0 ? "typed" : "t") << static_cast<int>(model);
      EXPECT_EQ(dev.rx_level(), 0u);
    }
  }
}

TEST(Pl011, ShortInputArrivesThroughTheReceiveTimeout) {
  FakePl011 dev(Model::kTrm, 16);
  Pl011 uart(dev);
  ASSERT_EQ(uart.Init(VirtConfig()), Status::kOk);
  dev.Receive("abc");  // below the 1/2 trigger (8)
  EXPECT_FALSE(dev.irq_line());
  dev.IdleRx();
  EXPECT_TRUE(dev.irq_line());
  EXPECT_EQ(Service(dev, uart) & serial::kRxReady, serial::kRxReady);
  EXPECT_EQ(ReadAll(uart), "abc");
  EXPECT_EQ(dev.rx_level(), 0u);
}

// A long random stream in chunks that never overrun a serviced FIFO, on
// both models and both FIFO depths: every byte arrives, in order.
TEST(Pl011, ReceiveStreamArrivesWhole) {
  for (Model model : {Model::kTrm, Model::kQemu}) {
    for (uint32_t depth : {16u, 32u}) {
      FakePl011 dev(model, depth);
      Pl011 uart(dev);
      ASSERT_EQ(uart.Init(VirtConfig()), Status::kOk);
      std::mt19937 rng(depth);
      std::string sent, got;
      for (int round = 0; round < 2000; round++) {
        size_t n = rng() % (depth - dev.rx_level() + 1);
        for (size_t i = 0; i < n; i++) {
          char c = static_cast<char>(rng());
          sent += c;
          dev.Receive(static_cast<uint8_t>(c));
        }
        if (rng() % 3 == 0) {
          dev.IdleRx();
        }
        Service(dev, uart);
        if (rng() % 2) {
          got += ReadAll(uart);
        }
      }
      dev.IdleRx();
      Service(dev, uart);
      got += ReadAll(uart);
      EXPECT_EQ(got, sent);
      EXPECT_EQ(dev.lost, 0u);
      EXPECT_EQ(uart.stats().rx_bytes, sent.size());
      EXPECT_EQ(uart.stats().overrun_errors, 0u);
      EXPECT_EQ(dev.bad_accesses(), 0u);
    }
  }
}

TEST(Pl011, OverrunIsCountedAndTheFifoKept) {
  FakePl011 dev(Model::kTrm, 16);
  Pl011 uart(dev);
  ASSERT_EQ(uart.Init(VirtConfig()), Status::kOk);
  // The interrupt is raised, but nobody services it in time.
  for (int i = 0; i < 20; i++) {
    dev.Receive(static_cast<uint8_t>('a' + i));
  }
  EXPECT_EQ(dev.lost, 4u);
  Service(dev, uart);
  dev.Receive('z');  // carries OE (§3.3.1), itself intact
  dev.IdleRx();
  uint32_t events = Service(dev, uart);
  EXPECT_TRUE(events & serial::kError);
  EXPECT_EQ(uart.stats().overrun_errors, 1u);
  EXPECT_EQ(ReadAll(uart), "abcdefghijklmnopz");
}

TEST(Pl011, ErroredCharactersAreCountedAndDropped) {
  FakePl011 dev(Model::kTrm, 16);
  Pl011 uart(dev);
  ASSERT_EQ(uart.Init(VirtConfig()), Status::kOk);
  dev.Receive('a');
  dev.Receive('x', kDrFe);
  dev.Receive('b');
  dev.Receive('y', kDrPe);
  dev.Receive(0, kDrBe | kDrFe);  // a break
  dev.Receive('c');
  EXPECT_TRUE(dev.irq_line());  // the error interrupts, below the RX trigger
  uint32_t events = Service(dev, uart);
  EXPECT_TRUE(events & serial::kError);
  EXPECT_TRUE(events & serial::kRxReady);
  EXPECT_EQ(ReadAll(uart), "abc");
  EXPECT_EQ(uart.stats().framing_errors, 1u);
  EXPECT_EQ(uart.stats().parity_errors, 1u);
  EXPECT_EQ(uart.stats().break_errors, 1u);
  EXPECT_FALSE(dev.irq_line());
}

// Nothing left behind or lost: the FIFO and QEMU's chardev are empty.
void ExpectNothingLeft(const FakePl011& dev, const Pl011& uart) {
  EXPECT_EQ(dev.rx_level(), 0u);
  EXPECT_EQ(dev.backlog(), 0u);
  EXPECT_EQ(dev.lost, 0u);
  EXPECT_EQ(uart.stats().rx_dropped, 0u);
}

// A paste on QEMU: the chardev holds what the FIFO cannot and refills it
// as DR is read, and RXRIS rises only when the empty FIFO gets a character.
// A long line and a burst of lines arrive whole, the FIFO ends empty (the
// drain once stopped at 64 bytes, leaving a full FIFO that never raised
// the interrupt again), and later typing still interrupts.
TEST(Pl011, PasteFromTheHostArrivesWhole) {
  for (uint32_t depth : {16u, 32u}) {
    FakePl011 dev(Model::kQemu, depth);
    Pl011 uart(dev);
    ASSERT_EQ(uart.Init(VirtConfig()), Status::kOk);
    std::string line = "echo " + std::string(250, 'x') + "\n";
    std::string burst;
    for (int i = 0; i < 40; i++) {
      burst += "echo line" + std::to_string(i) + " " + std::string(i * 5, 'y') + "\n";
    }
    std::string got;
    for (const std::string& paste : {line, burst, std::string("after\n")}) {
      dev.Type(paste);
      ASSERT_TRUE(dev.irq_line());
      EXPECT_TRUE(Service(dev, uart) & serial::kRxReady);
      got += ReadAll(uart);
      ExpectNothingLeft(dev, uart);
    }
    EXPECT_EQ(got, line + burst + "after\n") << depth;
  }
}

// A reader that falls behind: the ring fills, the rest waits in the FIFO
// (on QEMU, in its chardev) and Read takes it once the ring is empty.
TEST(Pl011, FullReceiveRingLeavesTheRestWaiting) {
  FakePl011 dev(Model::kQemu, 16);
  Pl011 uart(dev);
  ASSERT_EQ(uart.Init(VirtConfig()), Status::kOk);
  std::string sent;
  for (size_t i = 0; i < 3 * Pl011::kRingBytes + 100; i++) {
    sent += static_cast<char>('a' + i % 26);
  }
  dev.Type(sent);
  Service(dev, uart);
  EXPECT_EQ(uart.stats().rx_bytes, Pl011::kRingBytes);
  EXPECT_EQ(dev.rx_level(), 16u);
  EXPECT_FALSE(dev.irq_line());  // QEMU will not raise it again: Read drains
  EXPECT_EQ(ReadAll(uart), sent);
  ExpectNothingLeft(dev, uart);
}

// On the hardware the FIFO itself overruns once the ring is full: counted.
TEST(Pl011, FullReceiveRingOverrunsTheFifo) {
  FakePl011 dev(Model::kTrm, 16);
  Pl011 uart(dev);
  ASSERT_EQ(uart.Init(VirtConfig()), Status::kOk);
  size_t total = Pl011::kRingBytes + 100;
  for (size_t i = 0; i < total; i++) {
    dev.Receive(static_cast<uint8_t>(i));
    dev.IdleRx();
    Service(dev, uart);
  }
  EXPECT_EQ(uart.stats().rx_bytes, Pl011::kRingBytes);
  EXPECT_EQ(dev.rx_level(), 16u);
  EXPECT_EQ(dev.lost, 100u - 16u);
  EXPECT_EQ(ReadAll(uart).size(), total - dev.lost);
  EXPECT_EQ(uart.stats().overrun_errors, 0u);  // OE comes with the next character
  EXPECT_EQ(dev.rx_level(), 0u);
}

// Writes of random sizes while the wire drains at random speed: the wire
// gets every byte in order, the FIFO is never overfilled, and once the
// ring is empty the transmit interrupt is masked (no storm).
TEST(Pl011, TransmitStreamLeavesWhole) {
  for (Model model : {Model::kTrm, Model::kQemu}) {
    for (uint32_t depth : {16u, 32u}) {
      FakePl011 dev(model, depth);
      Pl011 uart(dev);
      ASSERT_EQ(uart.Init(VirtConfig()), Status::kOk);
      std::mt19937 rng(depth + 1);
      std::string sent;
      for (int round = 0; round < 3000; round++) {
        uint8_t buf[100];
        size_t n = rng() % sizeof(buf);
        for (size_t i = 0; i < n; i++) {
          buf[i] = static_cast<uint8_t>(rng());
        }
        size_t took = uart.Write(buf, n);
        sent.append(reinterpret_cast<char*>(buf), took);
        dev.Transmit(rng() % 40);
        Service(dev, uart);
      }
      for (int i = 0; i < 100000 && dev.wire.size() < sent.size(); i++) {
        dev.Transmit(1 + rng() % 8);
        Service(dev, uart);
      }
      EXPECT_EQ(dev.wire, sent);
      EXPECT_TRUE(uart.TxRingEmpty());
      EXPECT_EQ(dev.tx_drops, 0u);
      EXPECT_EQ(dev.imsc() & kIntTx, 0u);
      EXPECT_FALSE(dev.irq_line());
      EXPECT_EQ(uart.stats().tx_bytes, sent.size());
    }
  }
}

TEST(Pl011, FullTransmitRingPushesBack) {
  FakePl011 dev(Model::kTrm, 16);
  Pl011 uart(dev);
  ASSERT_EQ(uart.Init(VirtConfig()), Status::kOk);
  std::string big(Pl011::kRingBytes + 100, 'q');
  size_t took = uart.Write(reinterpret_cast<const uint8_t*>(big.data()), big.size());
  EXPECT_EQ(took, Pl011::kRingBytes + 16);  // the FIFO took 16 at once
  EXPECT_EQ(uart.TxFree(), 0u);
  dev.Transmit(14);  // down to the 1/8 trigger (2): TXINTR
  EXPECT_TRUE(dev.irq_line());
  EXPECT_TRUE(Service(dev, uart) & serial::kTxSpace);
  EXPECT_EQ(uart.TxFree(), 14u);
}

// The console writer over the PL011: two writers' lines reach the wire
// whole, however the transmitter paces them.
TEST(Pl011, ConsoleLinesStayWholeOnTheWire) {
  FakePl011 dev(Model::kTrm, 16);
  Pl011 uart(dev);
  ASSERT_EQ(uart.Init(VirtConfig()), Status::kOk);
  serial::ConsoleWriter<2, 128, 8192> console;
  std::string kernel, client;
  for (int i = 0; i < 300; i++) {
    kernel += "kernel: message " + std::to_string(i) + "\n";
    client += "client line " + std::to_string(i) + " says hello\n";
  }
  size_t k = 0, c = 0;
  std::mt19937 rng(3);
  while (k < kernel.size() || c < client.size() || console.queued() || !uart.TxRingEmpty() ||
         dev.tx_level()) {
    size_t kn = std::min<size_t>(rng() % 13, kernel.size() - k);
    k += console.Write(0, reinterpret_cast<const uint8_t*>(kernel.data() + k), kn);
    size_t cn = std::min<size_t>(rng() % 13, client.size() - c);
    c += console.Write(1, reinterpret_cast<const uint8_t*>(client.data() + c), cn);
    console.Pump(uart);
    dev.Transmit(rng() % 64);
    if (Service(dev, uart) & serial::kTxSpace) {
      console.Pump(uart);
    }
  }
  std::string k_wire, c_wire;
  size_t start = 0;
  while (start < dev.wire.size()) {
    size_t end = dev.wire.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    std::string line = dev.wire.substr(start, end + 1 - start);
    (line.rfind("kernel: ", 0) == 0 ? k_wire : c_wire) += line;
    start = end + 1;
  }
  EXPECT_EQ(k_wire, kernel);
  EXPECT_EQ(c_wire, client);
}

}  // namespace
}  // namespace mica::drivers::pl011
