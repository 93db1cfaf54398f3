// bin/virtio-blk-driver: the block device (virtio 1.2 §5.2) behind a
// virtio-mmio transport, bound by device ID ("virtio,device2") to the node
// the transport driver hands over. Publishes `block` and serves the IDL
// Block protocol (system/idl/block.idl): GetInfo, AttachVmo/DetachVmo (the
// client's data buffers), Read/Write (512-byte blocks to or from an
// attached VMO), Flush.
//
// Data moves by DMA straight into and out of the client's VMO: AttachVmo
// pins the whole VMO (at most 16 MiB, vmo_table.h) on the node's BTI
// (bti_pinner.h) and keeps its page addresses; a Read or Write becomes
// multi-segment device requests (block_io.h), adjacent pages merged,
// bounded by seg_max, size_max and the queue. Pins go at DetachVmo or when
// the client goes, but only once no request of it is in the device
// (vmo_table.h). Requests from all clients are served in arrival order, one
// transfer at a time. Completions come by interrupt (IrqPump): the loop
// drains VirtioBlk::Poll; a device that breaks the protocol ends the
// process (status 2) so the manager restarts it.
#include <idl/block_ipc.h>
#include <mica/driver/driver.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>

#include "drivers/block/virtio-blk/block_io.h"
#include "drivers/block/virtio-blk/virtio_blk.h"
#include "drivers/block/virtio-blk/vmo_table.h"
#include "drivers/virtio/lib/bti_pinner.h"
#include "drivers/virtio/lib/irq_pump.h"
#include "drivers/virtio/lib/served_client.h"
#include "drivers/virtio/lib/vmo_dma.h"

namespace {

using namespace mica::virtio;
using idl::block::Block;

// GetInfo's max_transfer: bounds how long one request holds the queue
// (requests are served one at a time, in arrival order).
constexpr uint32_t kMaxTransfer = 1024 * 1024;
constexpr uint32_t kMaxVmos = VmoTable::kMaxVmos;
constexpr uint32_t kMaxOps = 32;
// The virtqueue: 128 entries keep the rings in one page (the DMA resource's
// bound per buffer) and a 126-segment request (QEMU's seg_max) fits.
constexpr uint32_t kQueueSize = 128;
constexpr uint64_t kFlushCookie = BlockIo::kCookie + 1;
constexpr size_t kPollBatch = 16;

class Disk;

class Server final : public idl::block::BlockServer {
 public:
  Server(Disk* disk, mica::async::Loop* loop, mica::Channel ch);
  void GetInfo(Block::GetInfoRequest&, GetInfoCompleter done) override;
  void AttachVmo(Block::AttachVmoRequest& req, AttachVmoCompleter done) override;
  void DetachVmo(Block::DetachVmoRequest& req, DetachVmoCompleter done) override;
  void Read(Block::ReadRequest& req, ReadCompleter done) override;
  void Write(Block::WriteRequest& req, WriteCompleter done) override;
  void Flush(Block::FlushRequest&, FlushCompleter done) override;

  mica::Handle vmos[kMaxVmos];
  VmoTable table;  // declared after vmos: unpins before the handles close
  bool closed = false;
  uint32_t pending = 0;

 private:
  Disk* disk_;
};

// The runtime (for the injected `stall`: the next Read is never answered).
mica::driver::Context* g_dev = nullptr;

enum class Kind { kRead, kWrite, kFlush };

struct Op {
  Server* server = nullptr;
  Kind kind = Kind::kRead;
  PinnedVmo* vmo = nullptr;  // acquired from the table; released at Finish
  uint64_t vmo_offset = 0;
  uint64_t block = 0;
  uint32_t count = 0;
  Server::ReadCompleter read;
  Server::WriteCompleter write;
  Server::FlushCompleter flush;
};

class Disk {
 public:
  Disk(mica::driver::MmioRegion regs, mica_handle_t dma_resource, mica_handle_t bti)
      : regs_(regs),
        transport_(regs_),
        dma_(dma_resource, bti, mica_rt_vmar_root()),
        pinner_(bti),
        blk_(transport_, dma_),
        io_(blk_) {}

  Pinner& pinner() { return pinner_; }

  mica_status_t Start() {
    if (transport_.Probe() != Status::kOk) {
      return MICA_ERR_NOT_SUPPORTED;
    }
    transport_.set_legacy_queue_align(64);
    // The reset (status 0, virtio 1.2 §3.1.1) stops whatever DMA a dead
    // instance left in flight; only then may its quarantined pages go.
    if (transport_.Reset() != Status::kOk) {
      return MICA_ERR_IO;
    }
    if (mica_status_t st = dma_.ReleaseQuarantine(); st != MICA_OK) {
      return st;
    }
    if (blk_.Start(kQueueSize) != Status::kOk) {
      return MICA_ERR_IO;
    }
    return MICA_OK;
  }

  void Info(Block::GetInfoResponse* r) {
    r->status = MICA_OK;
    r->info.block_count = blk_.capacity();
    r->info.block_size = kSectorSize;
    r->info.max_transfer = kMaxTransfer;
    uint32_t flags = (blk_.read_only() ? 1u : 0u) | (blk_.has_flush() ? 2u : 0u);
    r->info.flags = static_cast<idl::block::Flags>(flags);
  }

  // Queues an op (its completer already moved in); starts it if idle.
  Op* NewOp(Server* s) {
    if (tail_ - head_ == kMaxOps) {
      return nullptr;
    }
    Op& op = ops_[tail_ % kMaxOps];
    op = Op();
    op.server = s;
    s->pending++;
    return &op;
  }
  void Submit() {
    tail_++;
    if (tail_ - head_ == 1) {
      Begin();
    }
  }

  // The interrupt: completions of the current op.
  void OnInterrupt() {
    BlkCompletion out[kPollBatch];
    size_t n = 0;
    do {
      if (Status st = blk_.Poll(out, kPollBatch, &n); st != Status::kOk) {
        // The device broke the protocol (README "Errors"): the requests in
        // flight are lost. End the process; the manager restarts it, which
        // resets the device, and clients reconnect. The pins of this
        // instance stay quarantined until then.
        printf("virtio-blk-driver: device error: %s; exiting\n", StatusName(st));
        exit(2);
      }
      for (size_t i = 0; i < n; i++) {
        Complete(out[i]);
      }
    } while (n == kPollBatch);
  }

 private:
  Op& Current() { return ops_[head_ % kMaxOps]; }

  static mica_status_t ToMica(Status s) {
    switch (s) {
      case Status::kOk:
        return MICA_OK;
      case Status::kInvalidArgs:
        return MICA_ERR_OUT_OF_RANGE;
      case Status::kReadOnly:
        return MICA_ERR_ACCESS_DENIED;
      case Status::kUnsupported:
        return MICA_ERR_NOT_SUPPORTED;
      default:
        return MICA_ERR_IO;
    }
  }

  void Begin() {
    Op& op = Current();
    if (op.kind == Kind::kFlush) {
      if (blk_.QueueFlush(kFlushCookie) != Status::kOk) {
        Finish(MICA_ERR_NOT_SUPPORTED);
        return;
      }
      blk_.Kick();
      return;
    }
    const uint64_t bytes = static_cast<uint64_t>(op.count) * kSectorSize;
    Status result;
    if (bytes > kMaxTransfer) {
      Finish(MICA_ERR_OUT_OF_RANGE);
    } else if (io_.Begin({op.kind == Kind::kWrite, op.vmo, op.vmo_offset, op.block, bytes},
                         &result)) {
      Finish(ToMica(result));
    }
  }

  void Complete(const BlkCompletion& c) {
    if (head_ == tail_) {
      return;
    }
    Op& op = Current();
    Status result;
    if (c.cookie == kFlushCookie && op.kind == Kind::kFlush) {
      Finish(ToMica(c.status));
    } else if (c.cookie == BlockIo::kCookie && io_.Complete(c.status, &result)) {
      Finish(ToMica(result));
    }
  }

  void Finish(mica_status_t status) {
    Op& op = Current();
    if (op.kind == Kind::kRead) {
      Block::ReadResponse r;
      r.status = status;
      op.read.Reply(r);
    } else if (op.kind == Kind::kWrite) {
      Block::WriteResponse r;
      r.status = status;
      op.write.Reply(r);
    } else {
      Block::FlushResponse r;
      r.status = status;
      op.flush.Reply(r);
    }
    // The device is done with the pages: a detached VMO may unpin now.
    ReleasePinned(op.vmo);
    op.vmo = nullptr;
    Server* s = op.server;
    head_++;
    mica::virtio::ReleaseRequest(s);
    if (head_ != tail_) {
      Begin();
    }
  }

  mica::driver::MmioRegion regs_;  // transport_ keeps a reference
  MmioTransport transport_;
  VmoDmaAllocator dma_;
  BtiPinner pinner_;
  VirtioBlk blk_;
  BlockIo io_;
  Op ops_[kMaxOps];
  uint32_t head_ = 0, tail_ = 0;
};

Server::Server(Disk* disk, mica::async::Loop* loop, mica::Channel ch)
    : BlockServer(loop, static_cast<mica::Channel&&>(ch)), table(disk->pinner()), disk_(disk) {}

void Server::GetInfo(Block::GetInfoRequest&, GetInfoCompleter done) {
  Block::GetInfoResponse r;
  disk_->Info(&r);
  done.Reply(r);
}

void Server::AttachVmo(Block::AttachVmoRequest& req, AttachVmoCompleter done) {
  Block::AttachVmoResponse r;
  uint64_t size = 0;
  r.status = mica_vmo_get_size(req.vmo.get(), &size);
  uint32_t id = 0;
  if (r.status == MICA_OK && size > kMaxAttachBytes) {
    r.status = MICA_ERR_OUT_OF_RANGE;  // block.idl: at most 16 MiB
  } else if (r.status == MICA_OK) {
    switch (table.Attach(req.vmo.get(), size, &id)) {
      case Status::kOk:
        vmos[id].reset(req.vmo.release());
        r.vmo_id = id;
        break;
      case Status::kNoResources:
        r.status = MICA_ERR_NO_RESOURCES;
        break;
      case Status::kBadState:
        r.status = MICA_ERR_BAD_STATE;
        break;
      default:
        r.status = MICA_ERR_INVALID_ARGS;
        break;
    }
  }
  done.Reply(r);
}

void Server::DetachVmo(Block::DetachVmoRequest& req, DetachVmoCompleter done) {
  Block::DetachVmoResponse r;
  // A request still using it keeps the pages pinned until it is over.
  r.status = table.Detach(req.vmo_id) == Status::kOk ? MICA_OK : MICA_ERR_NOT_FOUND;
  if (r.status == MICA_OK) {
    vmos[req.vmo_id].reset();
  }
  done.Reply(r);
}

template <typename Req, typename Resp, typename Completer>
bool Refuse(Server* s, const Req& req, Completer& done) {
  if (s->table.attached(req.vmo_id)) {
    return false;
  }
  Resp r;
  r.status = MICA_ERR_NOT_FOUND;
  done.Reply(r);
  return true;
}

void Server::Read(Block::ReadRequest& req, ReadCompleter done) {
  if (g_dev->StallRequest()) {
    return;  // inject=stall: dropped unanswered, the client's call stays in flight
  }
  if (Refuse<Block::ReadRequest, Block::ReadResponse>(this, req, done)) {
    return;
  }
  Op* op = disk_->NewOp(this);
  if (op == nullptr) {
    Block::ReadResponse r;
    r.status = MICA_ERR_SHOULD_WAIT;
    done.Reply(r);
    return;
  }
  *op = Op{this,      Kind::kRead, table.Acquire(req.vmo_id),          req.vmo_offset,
           req.block, req.count,   static_cast<ReadCompleter&&>(done), {},
           {}};
  disk_->Submit();
}

void Server::Write(Block::WriteRequest& req, WriteCompleter done) {
  if (Refuse<Block::WriteRequest, Block::WriteResponse>(this, req, done)) {
    return;
  }
  Op* op = disk_->NewOp(this);
  if (op == nullptr) {
    Block::WriteResponse r;
    r.status = MICA_ERR_SHOULD_WAIT;
    done.Reply(r);
    return;
  }
  *op = Op{this,
           Kind::kWrite,
           table.Acquire(req.vmo_id),
           req.vmo_offset,
           req.block,
           req.count,
           {},
           static_cast<WriteCompleter&&>(done),
           {}};
  disk_->Submit();
}

void Server::Flush(Block::FlushRequest&, FlushCompleter done) {
  Op* op = disk_->NewOp(this);
  if (op == nullptr) {
    Block::FlushResponse r;
    r.status = MICA_ERR_SHOULD_WAIT;
    done.Reply(r);
    return;
  }
  op->kind = Kind::kFlush;
  op->flush = static_cast<FlushCompleter&&>(done);
  disk_->Submit();
}

mica::Handle g_dma;
Disk* g_disk = nullptr;
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
  g_disk = new Disk(regs, g_dma.get(), dev.bti());
  MICA_TRY(g_disk->Start());
  MICA_TRY(g_pump.Start(&dev.loop(), irq.release(), [] { g_disk->OnInterrupt(); }));
  Block::GetInfoResponse info;
  g_disk->Info(&info);
  printf("%s: %s: block device up, %llu blocks (start %u)\n", dev.name(), dev.node_path(),
         static_cast<unsigned long long>(info.info.block_count), dev.start_count());
  mica::async::Loop* loop = &dev.loop();
  return dev.Publish<idl::block::Block>("block", [loop](mica::Handle client) {
    mica::virtio::ServeClient<Server>(g_disk, loop, static_cast<mica::Handle&&>(client));
  });
}

}  // namespace

MICA_DRIVER_MAIN(Bind)
