// bin/virtio-rng-driver: the entropy device (virtio 1.2 §5.4) behind a
// virtio-mmio transport, bound by device ID ("virtio,device4") to the node
// the transport driver hands over (registers, DMA resource, interrupt).
// Publishes `entropy` and serves the IDL Entropy protocol
// (system/idl/entropy.idl) on each client's channel: Get(count) answers
// exactly `count` bytes, from a pool the device refills; a request the pool
// cannot cover waits for the device's interrupt (IrqPump: a thread in
// interrupt_wait hands each interrupt to the loop).
#include <idl/entropy_ipc.h>
#include <mica/driver/driver.h>
#include <mica/rt/runtime.h>
#include <stdio.h>
#include <string.h>

#include "drivers/entropy/virtio-rng/virtio_rng.h"
#include "drivers/virtio/lib/irq_pump.h"
#include "drivers/virtio/lib/served_client.h"
#include "drivers/virtio/lib/vmo_dma.h"

namespace {

using namespace mica::virtio;
using idl::entropy::Entropy;

constexpr uint32_t kPool = 1024;
constexpr uint32_t kMaxPending = 16;

class Rng;

// The runtime (for the injected `stall`: the next Get is never answered).
mica::driver::Context* g_dev = nullptr;

class Server final : public idl::entropy::EntropyServer {
 public:
  Server(Rng* rng, mica::async::Loop* loop, mica::Channel ch)
      : EntropyServer(loop, static_cast<mica::Channel&&>(ch)), rng_(rng) {}
  void Get(Entropy::GetRequest& req, GetCompleter done) override;
  bool closed = false;
  uint32_t pending = 0;

 private:
  Rng* rng_;
};

struct Pending {
  Server* server = nullptr;
  uint32_t count = 0;
  Server::GetCompleter done;
};

class Rng {
 public:
  Rng(mica::driver::MmioRegion regs, mica_handle_t dma_resource, mica_handle_t bti)
      : regs_(regs),
        transport_(regs_),
        dma_(dma_resource, bti, mica_rt_vmar_root()),
        rng_(transport_, dma_) {}

  mica_status_t Start() {
    if (transport_.Probe() != Status::kOk) {
      return MICA_ERR_NOT_SUPPORTED;
    }
    transport_.set_legacy_queue_align(64);  // the ring in one DMA page
    // The reset (virtio 1.2 §3.1.1) ends a dead instance's DMA; only then
    // may its quarantined pages go (vmo_dma.h).
    if (transport_.Reset() != Status::kOk) {
      return MICA_ERR_IO;
    }
    MICA_TRY(dma_.ReleaseQuarantine());
    return rng_.Start(64) == Status::kOk ? MICA_OK : MICA_ERR_IO;
  }

  // Pulls what the device has into the pool and answers waiting requests.
  void Refill() {
    while (fill_ < kPool) {
      size_t got = 0;
      if (rng_.Read(pool_ + fill_, kPool - fill_, &got) != Status::kOk || got == 0) {
        break;
      }
      fill_ += static_cast<uint32_t>(got);
    }
    while (head_ != tail_ && fill_ >= queue_[head_ % kMaxPending].count) {
      Pending& p = queue_[head_++ % kMaxPending];
      Answer(p.count, p.done);
      mica::virtio::ReleaseRequest(p.server);
    }
  }

  void Get(Server* s, uint32_t count, Server::GetCompleter done) {
    if (count > idl::entropy::MAX_BYTES || tail_ - head_ == kMaxPending) {
      Entropy::GetResponse r;
      r.status = count > idl::entropy::MAX_BYTES ? MICA_ERR_OUT_OF_RANGE : MICA_ERR_SHOULD_WAIT;
      done.Reply(r);
      return;
    }
    Pending& p = queue_[tail_++ % kMaxPending];
    p.server = s;
    p.count = count;
    p.done = static_cast<Server::GetCompleter&&>(done);
    s->pending++;
    Refill();
  }

 private:
  void Answer(uint32_t count, Server::GetCompleter& done) {
    Entropy::GetResponse r;
    r.status = MICA_OK;
    for (uint32_t i = 0; i < count; i++) {
      r.data.Push(pool_[fill_ - count + i]);
    }
    memset(pool_ + fill_ - count, 0, count);  // handed out once
    fill_ -= count;
    done.Reply(r);
  }

  mica::driver::MmioRegion regs_;  // transport_ keeps a reference
  MmioTransport transport_;
  VmoDmaAllocator dma_;
  VirtioRng rng_;
  uint8_t pool_[kPool] = {};
  uint32_t fill_ = 0;
  Pending queue_[kMaxPending];
  uint32_t head_ = 0;
  uint32_t tail_ = 0;
};

void Server::Get(Entropy::GetRequest& req, GetCompleter done) {
  if (g_dev->StallRequest()) {
    return;  // inject=stall: dropped unanswered, the client's call stays in flight
  }
  rng_->Get(this, req.count, static_cast<GetCompleter&&>(done));
}

mica::Handle g_dma;
Rng* g_rng = nullptr;
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
  g_rng = new Rng(regs, g_dma.get(), dev.bti());
  MICA_TRY(g_rng->Start());
  MICA_TRY(g_pump.Start(&dev.loop(), irq.release(), [] { g_rng->Refill(); }));
  printf("%s: %s: entropy device up (start %u)\n", dev.name(), dev.node_path(), dev.start_count());
  mica::async::Loop* loop = &dev.loop();
  return dev.Publish<idl::entropy::Entropy>("entropy", [loop](mica::Handle client) {
    mica::virtio::ServeClient<Server>(g_rng, loop, static_cast<mica::Handle&&>(client));
  });
}

}  // namespace

MICA_DRIVER_MAIN(Bind)
