// Host tests of the system's protocols (system/idl/*.idl): every generated
// header compiles for the host, and the driver link's Start message (the
// richest: nested vectors of structs with handles) round-trips with its
// VMO and interrupt handles checked for type and rights.
#include <gtest/gtest.h>
#include <idl/block.h>
#include <idl/driver.h>
#include <idl/entropy.h>
#include <idl/gpio.h>
#include <idl/inspect.h>
#include <idl/net.h>
#include <idl/power.h>
#include <idl/rtc.h>
#include <idl/serial.h>

#include <string>

#include "fake_handles.h"
#include "wire_test_util.h"

namespace idl_test {
namespace {

using idl::driver::Driver;

constexpr mica_rights_t kVmoRights = MICA_RIGHT_READ | MICA_RIGHT_WRITE | MICA_RIGHT_MAP;

Driver::StartRequest FullStart() {
  Driver::StartRequest req;
  req.args.node_path.Set("/soc/virtio_mmio@a000000");
  req.args.matched.Set("virtio,mmio");
  idl::driver::MmioRange range;
  range.vmo.reset(NewHandle(MICA_OBJ_TYPE_VMO, kVmoRights));
  range.paddr = 0xa000000;
  range.size = 0x200;
  req.args.mmio.Push(std::move(range));
  idl::driver::Irq irq;
  irq.interrupt.reset(NewHandle(MICA_OBJ_TYPE_INTERRUPT, MICA_RIGHT_WAIT));
  irq.intid = 32 + 16;
  irq.trigger = idl::driver::Trigger::EDGE_RISING;
  req.args.irqs.Push(std::move(irq));
  idl::driver::Property prop;
  prop.name.Set("compatible");
  for (char c : std::string("virtio,mmio")) {
    prop.value.Push(static_cast<uint8_t>(c));
  }
  prop.value.Push(0);
  req.args.properties.Push(std::move(prop));
  return req;
}

TEST(IdlProtocols, DriverStartRoundTrips) {
  ResetHandles();
  Message m = EncodeBody(1, Driver::kStartOrdinal, FullStart());
  ASSERT_EQ(m.status, MICA_OK);
  EXPECT_EQ(m.handles.size(), 2u);
  EXPECT_LE(m.bytes.size(), Driver::StartRequest::kMaxBytes);
  Driver::StartRequest out;
  ASSERT_EQ(DecodeBody(m, &out), MICA_OK);
  EXPECT_TRUE(out.args.node_path.Equals("/soc/virtio_mmio@a000000"));
  EXPECT_TRUE(out.args.matched.Equals("virtio,mmio"));
  ASSERT_EQ(out.args.mmio.count, 1u);
  EXPECT_EQ(out.args.mmio[0].paddr, 0xa000000u);
  EXPECT_TRUE(out.args.mmio[0].vmo.is_valid());
  ASSERT_EQ(out.args.irqs.count, 1u);
  EXPECT_EQ(out.args.irqs[0].trigger, idl::driver::Trigger::EDGE_RISING);
  ASSERT_EQ(out.args.properties.count, 1u);
  EXPECT_EQ(out.args.properties[0].value.count, 12u);
  out = Driver::StartRequest();
  EXPECT_EQ(OpenCount(), 0u);
}

TEST(IdlProtocols, DriverStartRefusesAnMmioVmoWithoutMap) {
  ResetHandles();
  Driver::StartRequest req = FullStart();
  req.args.mmio[0].vmo.reset(NewHandle(MICA_OBJ_TYPE_VMO, MICA_RIGHT_READ | MICA_RIGHT_WRITE));
  Message m = EncodeBody(1, Driver::kStartOrdinal, req);
  ASSERT_EQ(m.status, MICA_OK);
  Driver::StartRequest out;
  EXPECT_EQ(DecodeBody(m, &out), MICA_ERR_ACCESS_DENIED);
  req = Driver::StartRequest();
  out = Driver::StartRequest();
  EXPECT_EQ(OpenCount(), 0u);
}

TEST(IdlProtocols, DriverStartRefusesAnEventForAnInterrupt) {
  ResetHandles();
  Driver::StartRequest req = FullStart();
  req.args.irqs[0].interrupt.reset(NewHandle(MICA_OBJ_TYPE_EVENT, MICA_RIGHT_WAIT));
  Message m = EncodeBody(1, Driver::kStartOrdinal, req);
  Driver::StartRequest out;
  EXPECT_EQ(DecodeBody(m, &out), MICA_ERR_WRONG_TYPE);
  req = Driver::StartRequest();
  out = Driver::StartRequest();
  EXPECT_EQ(OpenCount(), 0u);
}

TEST(IdlProtocols, EveryMessageFitsTheChannelLimits) {
  EXPECT_LE(Driver::StartRequest::kMaxBytes, mica::idl::kMaxBytes);
  EXPECT_LE(idl::inspect::Inspect::ListNodesResponse::kMaxBytes, mica::idl::kMaxBytes);
  EXPECT_LE(idl::serial::Serial::ReadResponse::kMaxBytes, mica::idl::kMaxBytes);
  EXPECT_LE(idl::net::Device::ReceiveResponse::kMaxBytes, mica::idl::kMaxBytes);
  EXPECT_EQ(idl::block::Block::AttachVmoRequest::kMaxHandles, 1u);
  EXPECT_NE(idl::driver::Driver::kId, idl::driver::Manager::kId);
}

}  // namespace
}  // namespace idl_test
