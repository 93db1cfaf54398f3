// bin/virtio-blk-driver: the block device (virtio 1.2 §5.2) behind a
// virtio-mmio transport, bound by device ID ("virtio,device2") to the node
// the transport driver hands over. Publishes `block` and serves the IDL
// Block protocol (system/idl/block.idl): GetInfo, AttachVmo/DetachVmo (the
// client's data buffers), Read/Write (512-byte blocks to or from an
// attached VMO), Flush.
//
// Data moves through one-page DMA bounce buffers (the node's DMA resource
// covers one page per buffer): a request is cut into 4 KiB pieces with up
// to kBuffers in flight; reads are copied into the client's VMO with
// vmo_write, writes out of it with vmo_read. Requests from all clients are
// served in arrival order, one at a time. Completions come by interrupt
// (IrqPump): the loop drains VirtioBlk::Poll; a device that breaks the
// protocol ends the process (status 2) so the manager restarts it.
#include <idl/block_ipc.h>
#include <mica/driver/driver.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>

#include "drivers/block/virtio-blk/virtio_blk.h"
#include "drivers/virtio/lib/irq_pump.h"
#include "drivers/virtio/lib/served_client.h"
#include "drivers/virtio/lib/vmo_dma.h"

namespace {

using namespace mica::virtio;
using idl::block::Block;

constexpr uint32_t kBuffers = 8;
constexpr uint32_t kChunk = 4096;
// GetInfo's max_transfer. A request of any length is served the same way,
// kChunk at a time with kBuffers in flight; the bound only limits how long
// one request holds the queue (requests are served one at a time, in
// arrival order). 1 MiB: a client reading 1 MiB makes one call, not 32.
constexpr uint32_t kMaxTransfer = 1024 * 1024;
constexpr uint32_t kMaxVmos = 4;
constexpr uint32_t kMaxOps = 32;

class Disk;

class Server final : public idl::block::BlockServer {
 public:
  Server(Disk* disk, mica::async::Loop* loop, mica::Channel ch)
      : BlockServer(loop, static_cast<mica::Channel&&>(ch)), disk_(disk) {}
  void GetInfo(Block::GetInfoRequest&, GetInfoCompleter done) override;
  void AttachVmo(Block::AttachVmoRequest& req, AttachVmoCompleter done) override;
  void DetachVmo(Block::DetachVmoRequest& req, DetachVmoCompleter done) override;
  void Read(Block::ReadRequest& req, ReadCompleter done) override;
  void Write(Block::WriteRequest& req, WriteCompleter done) override;
  void Flush(Block::FlushRequest&, FlushCompleter done) override;

  mica::Handle vmos[kMaxVmos];
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
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  uint64_t vmo_offset = 0;
  uint64_t block = 0;
  uint32_t count = 0;
  Server::ReadCompleter read;
  Server::WriteCompleter write;
  Server::FlushCompleter flush;
};

class Disk {
 public:
  Disk(mica::driver::MmioRegion regs, mica_handle_t dma_resource)
      : regs_(regs),
        transport_(regs_),
        dma_(dma_resource, mica_rt_vmar_root()),
        blk_(transport_, dma_) {}

  mica_status_t Start() {
    if (transport_.Probe() != Status::kOk) {
      return MICA_ERR_NOT_SUPPORTED;
    }
    transport_.set_legacy_queue_align(64);
    if (blk_.Start(32) != Status::kOk) {
      return MICA_ERR_IO;
    }
    for (DmaRegion& b : buffers_) {
      if (!b.Allocate(dma_, kChunk, 512)) {
        return MICA_ERR_NO_MEMORY;
      }
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
    BlkCompletion out[kBuffers];
    size_t n = 0;
    do {
      if (Status st = blk_.Poll(out, kBuffers, &n); st != Status::kOk) {
        // The device broke the protocol (README "Errors"): the requests in
        // flight are lost. End the process; the manager restarts it, which
        // resets the device, and clients reconnect.
        printf("virtio-blk-driver: device error: %s; exiting\n", StatusName(st));
        exit(2);
      }
      for (size_t i = 0; i < n; i++) {
        Complete(out[i]);
      }
    } while (n == kBuffers);
  }

 private:
  Op& Current() { return ops_[head_ % kMaxOps]; }

  void Begin() {
    Op& op = Current();
    done_ = 0;
    next_ = 0;
    failed_ = MICA_OK;
    chunks_ = op.kind == Kind::kFlush
                  ? 1
                  : (static_cast<uint64_t>(op.count) * kSectorSize + kChunk - 1) / kChunk;
    if (op.kind != Kind::kFlush &&
        (op.count == 0 || static_cast<uint64_t>(op.count) * kSectorSize > kMaxTransfer ||
         op.block + op.count > blk_.capacity() || op.block + op.count < op.block)) {
      Finish(MICA_ERR_OUT_OF_RANGE);
      return;
    }
    if (op.kind == Kind::kFlush) {
      if (blk_.QueueFlush(kBuffers) != Status::kOk) {
        Finish(MICA_ERR_NOT_SUPPORTED);
        return;
      }
      blk_.Kick();
      return;
    }
    for (uint32_t b = 0; b < kBuffers && next_ < chunks_; b++) {
      Queue(b);
    }
    blk_.Kick();
  }

  uint32_t ChunkBytes(uint64_t chunk) {
    uint64_t total = static_cast<uint64_t>(Current().count) * kSectorSize;
    uint64_t left = total - chunk * kChunk;
    return static_cast<uint32_t>(left < kChunk ? left : kChunk);
  }

  void Queue(uint32_t b) {
    Op& op = Current();
    const uint64_t chunk = next_++;
    chunk_of_[b] = chunk;
    const uint32_t len = ChunkBytes(chunk);
    const uint64_t sector = op.block + chunk * (kChunk / kSectorSize);
    Status s;
    if (op.kind == Kind::kWrite) {
      if (mica_vmo_read(op.vmo, buffers_[b].cpu(), op.vmo_offset + chunk * kChunk, len) !=
          MICA_OK) {
        failed_ = MICA_ERR_OUT_OF_RANGE;
      }
      s = blk_.QueueWrite(sector, buffers_[b].device_addr(), len, b);
    } else {
      s = blk_.QueueRead(sector, buffers_[b].device_addr(), len, b);
    }
    if (s != Status::kOk) {
      failed_ = MICA_ERR_IO;
      done_++;  // never completes
    }
  }

  void Complete(const BlkCompletion& c) {
    if (head_ == tail_) {
      return;
    }
    Op& op = Current();
    if (c.status != Status::kOk) {
      failed_ = c.status == Status::kReadOnly ? MICA_ERR_ACCESS_DENIED : MICA_ERR_IO;
    }
    if (op.kind == Kind::kRead && c.cookie < kBuffers && c.status == Status::kOk) {
      const uint64_t chunk = chunk_of_[c.cookie];
      if (mica_vmo_write(op.vmo, buffers_[c.cookie].cpu(), op.vmo_offset + chunk * kChunk,
                         ChunkBytes(chunk)) != MICA_OK) {
        failed_ = MICA_ERR_OUT_OF_RANGE;
      }
    }
    done_++;
    if (op.kind != Kind::kFlush && next_ < chunks_ && c.cookie < kBuffers) {
      Queue(static_cast<uint32_t>(c.cookie));
      blk_.Kick();
    }
    if (done_ >= chunks_) {
      Finish(failed_);
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
  VirtioBlk blk_;
  DmaRegion buffers_[kBuffers];
  uint64_t chunk_of_[kBuffers] = {};
  Op ops_[kMaxOps];
  uint32_t head_ = 0, tail_ = 0;
  uint64_t chunks_ = 0, next_ = 0, done_ = 0;
  mica_status_t failed_ = MICA_OK;
};

void Server::GetInfo(Block::GetInfoRequest&, GetInfoCompleter done) {
  Block::GetInfoResponse r;
  disk_->Info(&r);
  done.Reply(r);
}

void Server::AttachVmo(Block::AttachVmoRequest& req, AttachVmoCompleter done) {
  Block::AttachVmoResponse r;
  r.status = MICA_ERR_NO_RESOURCES;
  for (uint32_t i = 0; i < kMaxVmos; i++) {
    if (!vmos[i]) {
      vmos[i].reset(req.vmo.release());
      r.status = MICA_OK;
      r.vmo_id = i;
      break;
    }
  }
  done.Reply(r);
}

void Server::DetachVmo(Block::DetachVmoRequest& req, DetachVmoCompleter done) {
  Block::DetachVmoResponse r;
  r.status = req.vmo_id < kMaxVmos && vmos[req.vmo_id] ? MICA_OK : MICA_ERR_NOT_FOUND;
  if (r.status == MICA_OK) {
    vmos[req.vmo_id].reset();
  }
  done.Reply(r);
}

template <typename Req, typename Resp, typename Completer>
bool Refuse(Server* s, const Req& req, Completer& done) {
  if (req.vmo_id < kMaxVmos && s->vmos[req.vmo_id]) {
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
  *op = Op{this,
           Kind::kRead,
           vmos[req.vmo_id].get(),
           req.vmo_offset,
           req.block,
           req.count,
           static_cast<ReadCompleter&&>(done),
           {},
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
           vmos[req.vmo_id].get(),
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
  g_disk = new Disk(regs, g_dma.get());
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
