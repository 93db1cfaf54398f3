#include "drivers/serial/bcm2835-aux/mini_uart.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "drivers/serial/bcm2835-aux/fake_mini_uart.h"
#include "drivers/serial/lib/console_writer.h"

namespace mica::drivers::bcm2835_aux {
namespace {

using testing::FakeAux;
using testing::FakeMiniUart;
using testing::Model;

std::string ReadAll(MiniUart& uart) {
  std::string s;
  uint8_t buf[64];
  size_t n;
  while ((n = uart.Read(buf, sizeof(buf))) != 0) {
    s.append(reinterpret_cast<char*>(buf), n);
  }
  return s;
}

uint32_t Service(FakeMiniUart& dev, MiniUart& uart) {
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

TEST(MiniUartBaud, MatchesTheDatasheetFormula) {
  uint32_t reg = 0;
  ASSERT_TRUE(ComputeBaudReg(250000000, 115200, &reg));  // Pi 3 core clock
  EXPECT_EQ(reg, 270u);
  ASSERT_TRUE(ComputeBaudReg(500000000, 115200, &reg));  // Pi 4 core clock
  EXPECT_EQ(reg, 542u);
  for (uint64_t clk : {250000000ull, 400000000ull, 500000000ull}) {
    for (uint32_t baud = 1200; baud <= clk / 8; baud = baud * 2 + 7) {
      ASSERT_TRUE(ComputeBaudReg(clk, baud, &reg));
      double got = static_cast<double>(clk) / (8.0 * (reg + 1));
      // Nearest divisor: no neighbour is closer.
      double lower = static_cast<double>(clk) / (8.0 * (reg + 2));
      ASSERT_LE(std::abs(got - baud), std::abs(lower - baud) + 1e-9) << clk << " " << baud;
      if (reg > 0) {
        double higher = static_cast<double>(clk) / (8.0 * reg);
        ASSERT_LE(std::abs(got - baud) / baud, std::abs(higher - baud) / baud + 1e-3);
      }
    }
  }
  EXPECT_FALSE(ComputeBaudReg(500000000, 0, &reg));
  EXPECT_FALSE(ComputeBaudReg(0, 115200, &reg));
  EXPECT_FALSE(ComputeBaudReg(500000000, 300, &reg));  // needs BAUD > 0xffff
  EXPECT_FALSE(ComputeBaudReg(1000, 115200, &reg));    // divisor 0
}

TEST(MiniUart, InitProgramsAndFindsTheIerLayout) {
  for (Model model : {Model::kHardware, Model::kQemu, Model::kQemuDocumentBits}) {
    FakeMiniUart dev(model);
    FakeAux aux;
    aux.enables = 4;  // SPI2 on: must stay on
    MiniUart uart(dev);
    MiniUartConfig c;
    c.clock_hz = 500000000;
    ASSERT_EQ(uart.Init(c, &aux), Status::kOk);
    EXPECT_EQ(aux.enables, 5u);
    EXPECT_EQ(dev.lcr(), kLcr8Bit);
    EXPECT_EQ(dev.baud(), 542u);
    EXPECT_EQ(dev.cntl(), kCntlRxTx);
    EXPECT_EQ(uart.rx_enable_bit(), dev.RxBit());
    EXPECT_EQ(uart.tx_enable_bit(), dev.TxBit());
    EXPECT_EQ(dev.ier(), dev.RxBit());
    EXPECT_FALSE(dev.irq_line());
    EXPECT_EQ(dev.bad_accesses(), 0u);
    EXPECT_EQ(aux.bad_accesses(), 0u);
    // CNTL disabled before the line is reprogrammed.
    int off = dev.FindWrite(kMuCntl);
    ASSERT_GE(off, 0);
    EXPECT_EQ(dev.log()[off].value, 0u);
    EXPECT_LT(off, dev.FindWrite(kMuLcr));
    EXPECT_LT(dev.FindWrite(kMuBaud), dev.FindWrite(kMuCntl, off + 1));
  }
}

TEST(MiniUart, InitWithoutClockOrAuxKeepsFirmwareSettings) {
  FakeMiniUart dev(Model::kHardware);
  MiniUart uart(dev);
  ASSERT_EQ(uart.Init(MiniUartConfig{}, nullptr), Status::kOk);
  EXPECT_EQ(dev.FindWrite(kMuBaud), -1);
  MiniUartConfig bad;
  bad.clock_hz = 500000000;
  bad.baud = 0;
  dev.ClearLog();
  EXPECT_EQ(uart.Init(bad, nullptr), Status::kInvalidArgs);
  EXPECT_TRUE(dev.log().empty());
  EXPECT_EQ(uart.Write(reinterpret_cast<const uint8_t*>("x"), 1), 0u);
}

// Keys typed while the kernel had the console wait in the receive FIFO
// (QEMU holds back what does not fit): Init keeps them for Read instead of
// clearing the FIFO, and the rest arrives through the interrupt.
TEST(MiniUart, InitKeepsWhatTheReceiveFifoHolds) {
  for (Model model : {Model::kHardware, Model::kQemu, Model::kQemuDocumentBits}) {
    FakeMiniUart dev(model);
    FakeAux aux;
    aux.enables = kAuxEnableMiniUart;  // the firmware's console
    MiniUart uart(dev);
    const std::string typed = "echo typed ahead\r";
    size_t held = 0;
    while (held < typed.size() && dev.Receive(static_cast<uint8_t>(typed[held]))) {
      held++;
    }
    ASSERT_EQ(held, model == Model::kHardware ? typed.size() : FakeMiniUart::kDepth);
    ASSERT_EQ(uart.Init(MiniUartConfig{}, &aux), Status::kOk);
    std::string got = ReadAll(uart);
    for (size_t i = held; i < typed.size(); i++) {
      if (!dev.Receive(static_cast<uint8_t>(typed[i]))) {
        Service(dev, uart);  // the FIFO is full again: QEMU waits
        ASSERT_TRUE(dev.Receive(static_cast<uint8_t>(typed[i])));
      }
    }
    Service(dev, uart);
    got += ReadAll(uart);
    EXPECT_EQ(got, model == Model::kHardware ? typed.substr(0, FakeMiniUart::kDepth) : typed);
    EXPECT_EQ(dev.bad_accesses(), 0u);
  }
  // A mini UART AUX_ENABLES says is off is not read before it is enabled
  // (and its FIFO not cleared: the interrupt takes what it holds); a byte
  // in the FIFO does not mislead the IER probe.
  for (Model model : {Model::kHardware, Model::kQemu, Model::kQemuDocumentBits}) {
    FakeMiniUart dev(model);
    FakeAux aux;
    MiniUart uart(dev);
    dev.Receive('x');
    ASSERT_EQ(uart.Init(MiniUartConfig{}, &aux), Status::kOk);
    EXPECT_EQ(dev.rx_level(), 1u);
    EXPECT_EQ(uart.rx_enable_bit(), dev.RxBit());
    EXPECT_EQ(uart.tx_enable_bit(), dev.TxBit());
    Service(dev, uart);
    EXPECT_EQ(ReadAll(uart), "x");
  }
}

TEST(MiniUart, ReceiveStreamArrivesWhole) {
  for (Model model : {Model::kHardware, Model::kQemu, Model::kQemuDocumentBits}) {
    FakeMiniUart dev(model);
    MiniUart uart(dev);
    ASSERT_EQ(uart.Init(MiniUartConfig{}, nullptr), Status::kOk);
    std::mt19937 rng(5);
    std::string sent, got;
    for (int round = 0; round < 3000; round++) {
      size_t n = rng() % (FakeMiniUart::kDepth - dev.rx_level() + 1);
      for (size_t i = 0; i < n; i++) {
        char c = static_cast<char>(rng());
        ASSERT_TRUE(dev.Receive(static_cast<uint8_t>(c)));
        sent += c;
      }
      Service(dev, uart);
      if (rng() % 2) {
        got += ReadAll(uart);
      }
    }
    got += ReadAll(uart);
    EXPECT_EQ(got, sent);
    EXPECT_EQ(uart.stats().overrun_errors, 0u);
    EXPECT_EQ(dev.bad_accesses(), 0u);
  }
}

TEST(MiniUart, OverrunIsCounted) {
  FakeMiniUart dev(Model::kHardware);
  MiniUart uart(dev);
  ASSERT_EQ(uart.Init(MiniUartConfig{}, nullptr), Status::kOk);
  for (int i = 0; i < 11; i++) {
    dev.Receive(static_cast<uint8_t>('a' + i));
  }
  EXPECT_EQ(dev.lost, 3u);
  uint32_t events = Service(dev, uart);
  EXPECT_TRUE(events & serial::kError);
  EXPECT_EQ(uart.stats().overrun_errors, 1u);
  EXPECT_EQ(ReadAll(uart), "abcdefgh");
}

TEST(MiniUart, TransmitStreamLeavesWholeWithoutStorm) {
  for (Model model : {Model::kHardware, Model::kQemu, Model::kQemuDocumentBits}) {
    FakeMiniUart dev(model);
    MiniUart uart(dev);
    ASSERT_EQ(uart.Init(MiniUartConfig{}, nullptr), Status::kOk);
    std::mt19937 rng(9);
    std::string sent;
    for (int round = 0; round < 3000; round++) {
      uint8_t buf[50];
      size_t n = rng() % sizeof(buf);
      for (size_t i = 0; i < n; i++) {
        buf[i] = static_cast<uint8_t>(rng());
      }
      sent.append(reinterpret_cast<char*>(buf), uart.Write(buf, n));
      dev.Transmit(rng() % 20);
      Service(dev, uart);
    }
    for (int i = 0; i < 100000 && dev.wire.size() < sent.size(); i++) {
      dev.Transmit(1 + rng() % 4);
      Service(dev, uart);
    }
    EXPECT_EQ(dev.wire, sent);
    EXPECT_EQ(dev.tx_drops, 0u);
    EXPECT_TRUE(uart.TxRingEmpty());
    EXPECT_EQ(dev.ier() & dev.TxBit(), 0u);
    EXPECT_FALSE(dev.irq_line());
  }
}

TEST(MiniUart, ConsoleLinesStayWhole) {
  FakeMiniUart dev(Model::kHardware);
  MiniUart uart(dev);
  ASSERT_EQ(uart.Init(MiniUartConfig{}, nullptr), Status::kOk);
  serial::ConsoleWriter<2, 128, 4096> console;
  std::string a, b;
  for (int i = 0; i < 200; i++) {
    a += "kernel: " + std::to_string(i) + "\n";
    b += "user says " + std::to_string(i * 7) + "\n";
  }
  size_t ai = 0, bi = 0;
  std::mt19937 rng(1);
  while (ai < a.size() || bi < b.size() || console.queued() || !uart.TxRingEmpty() ||
         dev.wire.size() < a.size() + b.size()) {
    size_t an = std::min<size_t>(rng() % 9, a.size() - ai);
    ai += console.Write(0, reinterpret_cast<const uint8_t*>(a.data() + ai), an);
    size_t bn = std::min<size_t>(rng() % 9, b.size() - bi);
    bi += console.Write(1, reinterpret_cast<const uint8_t*>(b.data() + bi), bn);
    console.Pump(uart);
    dev.Transmit(rng() % 16);
    if (Service(dev, uart) & serial::kTxSpace) {
      console.Pump(uart);
    }
  }
  std::string wa, wb;
  size_t start = 0;
  while (start < dev.wire.size()) {
    size_t end = dev.wire.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    std::string line = dev.wire.substr(start, end + 1 - start);
    (line.rfind("kernel: ", 0) == 0 ? wa : wb) += line;
    start = end + 1;
  }
  EXPECT_EQ(wa, a);
  EXPECT_EQ(wb, b);
}

}  // namespace
}  // namespace mica::drivers::bcm2835_aux
