// bin/virtio-net-driver: the network device (virtio 1.2 §5.1) behind a
// virtio-mmio transport, bound by device ID ("virtio,device1") to the node
// the transport driver hands over. Publishes `network` and serves the IDL
// net.Device protocol (system/idl/net.idl): GetInfo (MAC, MTU 1500), Send
// (one Ethernet frame), Receive (answers with the next frame; waits for
// one). Received frames nobody waits for are kept, up to kKept, the oldest
// dropped first. Interrupts through IrqPump; a device protocol error ends
// the process (status 2) so the manager restarts it.
#include <idl/net_ipc.h>
#include <mica/driver/driver.h>
#include <mica/rt/runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/net/virtio-net/virtio_net.h"
#include "drivers/virtio/lib/irq_pump.h"
#include "drivers/virtio/lib/served_client.h"
#include "drivers/virtio/lib/vmo_dma.h"

namespace {

using namespace mica::virtio;
using idl::net::Device;

constexpr uint32_t kKept = 16;
constexpr uint32_t kMaxWaiting = 16;

class Nic;

// The runtime (for the injected `stall`: the next Send is never answered).
mica::driver::Context* g_dev = nullptr;

class Server final : public idl::net::DeviceServer {
 public:
  Server(Nic* nic, mica::async::Loop* loop, mica::Channel ch)
      : DeviceServer(loop, static_cast<mica::Channel&&>(ch)), nic_(nic) {}
  void GetInfo(Device::GetInfoRequest&, GetInfoCompleter done) override;
  void Send(Device::SendRequest& req, SendCompleter done) override;
  void Receive(Device::ReceiveRequest&, ReceiveCompleter done) override;
  bool closed = false;
  uint32_t pending = 0;

 private:
  Nic* nic_;
};

struct Frame {
  uint8_t bytes[VirtioNet::kMaxFrame];
  uint32_t len = 0;
};

struct Waiter {
  Server* server = nullptr;
  Server::ReceiveCompleter done;
};

class Nic {
 public:
  Nic(mica::driver::MmioRegion regs, mica_handle_t dma_resource, mica_handle_t bti)
      : regs_(regs),
        transport_(regs_),
        dma_(dma_resource, bti, mica_rt_vmar_root()),
        net_(transport_, dma_) {}

  mica_status_t Start() {
    if (transport_.Probe() != Status::kOk) {
      return MICA_ERR_NOT_SUPPORTED;
    }
    transport_.set_legacy_queue_align(64);
    // The reset (virtio 1.2 §3.1.1) ends a dead instance's DMA; only then
    // may its quarantined pages go (vmo_dma.h).
    if (transport_.Reset() != Status::kOk) {
      return MICA_ERR_IO;
    }
    MICA_TRY(dma_.ReleaseQuarantine());
    return net_.Start(64) == Status::kOk ? MICA_OK : MICA_ERR_IO;
  }

  void Info(Device::GetInfoResponse* r) {
    r->status = MICA_OK;
    for (uint32_t i = 0; i < 6 && net_.has_mac(); i++) {
      r->info.mac.Push(net_.mac()[i]);
    }
    r->info.mtu = 1500;
  }

  mica_status_t Send(const uint8_t* frame, uint32_t len) {
    Status s = net_.Send(frame, len);
    if (s == Status::kDeviceError) {
      Fatal(s);
    }
    return s == Status::kOk            ? MICA_OK
           : s == Status::kNoResources ? MICA_ERR_SHOULD_WAIT
                                       : MICA_ERR_INVALID_ARGS;
  }

  void Wait(Server* s, Server::ReceiveCompleter done) {
    if (tail_ - head_ == kMaxWaiting) {
      Device::ReceiveResponse r;
      r.status = MICA_ERR_SHOULD_WAIT;
      done.Reply(r);
      return;
    }
    Waiter& w = waiting_[tail_++ % kMaxWaiting];
    w.server = s;
    w.done = static_cast<Server::ReceiveCompleter&&>(done);
    s->pending++;
    Deliver();
  }

  // The interrupt: every received frame into the kept ring, then to waiters.
  void OnInterrupt() {
    for (;;) {
      Frame& f = kept_[kept_tail_ % kKept];
      size_t len = 0;
      Status s = net_.Receive(f.bytes, sizeof(f.bytes), &len);
      if (s == Status::kShouldWait) {
        break;
      }
      if (s == Status::kDeviceError) {
        Fatal(s);
      }
      if (s != Status::kOk) {
        continue;
      }
      f.len = static_cast<uint32_t>(len);
      kept_tail_++;
      if (kept_tail_ - kept_head_ > kKept) {
        kept_head_++;  // drop the oldest
      }
    }
    Deliver();
  }

 private:
  [[noreturn]] static void Fatal(Status s) {
    printf("virtio-net-driver: device error: %s; exiting\n", StatusName(s));
    exit(2);
  }

  void Deliver() {
    while (head_ != tail_ && kept_head_ != kept_tail_) {
      Waiter& w = waiting_[head_++ % kMaxWaiting];
      Frame& f = kept_[kept_head_++ % kKept];
      Device::ReceiveResponse r;
      r.status = MICA_OK;
      for (uint32_t i = 0; i < f.len; i++) {
        r.frame.Push(f.bytes[i]);
      }
      w.done.Reply(r);
      mica::virtio::ReleaseRequest(w.server);
    }
  }

  mica::driver::MmioRegion regs_;  // transport_ keeps a reference
  MmioTransport transport_;
  VmoDmaAllocator dma_;
  VirtioNet net_;
  Frame kept_[kKept];
  uint32_t kept_head_ = 0, kept_tail_ = 0;
  Waiter waiting_[kMaxWaiting];
  uint32_t head_ = 0, tail_ = 0;
};

void Server::GetInfo(Device::GetInfoRequest&, GetInfoCompleter done) {
  Device::GetInfoResponse r;
  nic_->Info(&r);
  done.Reply(r);
}

void Server::Send(Device::SendRequest& req, SendCompleter done) {
  if (g_dev->StallRequest()) {
    return;  // inject=stall: dropped unanswered, the client's call stays in flight
  }
  Device::SendResponse r;
  r.status = nic_->Send(req.frame.items, req.frame.count);
  done.Reply(r);
}

void Server::Receive(Device::ReceiveRequest&, ReceiveCompleter done) {
  nic_->Wait(this, static_cast<ReceiveCompleter&&>(done));
}

mica::Handle g_dma;
Nic* g_nic = nullptr;
IrqPump g_pump;

mica_status_t Bind(mica::driver::Context& dev) {
  g_dev = &dev;
  mica::driver::MmioRegion regs;
  MICA_TRY(dev.MapMmio(0, &regs));
  mica::Handle irq;
  MICA_TRY(dev.TakeInterrupt(0, &irq));
  MICA_TRY(dev.TakeDmaResource(0, &g_dma));
  if (dev.bti() == MICA_HANDLE_INVALID) {
    return MICA_ERR_NOT_SUPPORTED;  // no BTI: nothing to pin DMA memory on
  }
  g_nic = new Nic(regs, g_dma.get(), dev.bti());
  MICA_TRY(g_nic->Start());
  MICA_TRY(g_pump.Start(&dev.loop(), irq.release(), [] { g_nic->OnInterrupt(); }));
  printf("%s: %s: network device up (start %u)\n", dev.name(), dev.node_path(), dev.start_count());
  mica::async::Loop* loop = &dev.loop();
  return dev.Publish<idl::net::Device>("network", [loop](mica::Handle client) {
    mica::virtio::ServeClient<Server>(g_nic, loop, static_cast<mica::Handle&&>(client));
  });
}

}  // namespace

MICA_DRIVER_MAIN(Bind)
