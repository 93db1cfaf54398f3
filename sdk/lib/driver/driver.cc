// The driver runtime (<mica/driver/driver.h>): the start message, the
// resources, and the manager channel served on the async loop.
#include <mica/driver/driver.h>
#include <mica/driver/protocol.h>
#include <mica/driver/status_name.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace mica::driver {
namespace {

mica_handle_t Take(uint32_t kind, uint32_t arg) {
  return mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(kind, arg));
}

void CopyName(char* dst, const char* src) {
  strncpy(dst, src, wire::kClassNameSize - 1);
  dst[wire::kClassNameSize - 1] = '\0';
}

}  // namespace

mica_status_t Context::Init(int argc, char** argv) {
  argc_ = argc;
  argv_ = argv;
  if (argc > MICA_DRIVER_ARGV_NAME) {
    name_ = argv[MICA_DRIVER_ARGV_NAME];
  }
  if (argc > MICA_DRIVER_ARGV_START_COUNT) {
    start_count_ = static_cast<uint32_t>(strtoul(argv[MICA_DRIVER_ARGV_START_COUNT], nullptr, 10));
  }
  manager_.reset(Take(MICA_DRIVER_HANDLE_MANAGER, 0));
  node_vmo_.reset(Take(MICA_DRIVER_HANDLE_NODE, 0));
  if (!manager_ || !node_vmo_) {
    return MICA_ERR_BAD_STATE;
  }
  MICA_TRY(loop_.status());
  MICA_TRY(ReadNode());
  for (uint32_t i = 0; i < node_.reg_count(); i++) {
    mmio_[i].reset(Take(MICA_DRIVER_HANDLE_MMIO, i));
    dma_[i].reset(Take(MICA_DRIVER_HANDLE_DMA, i));
  }
  for (uint32_t i = 0; i < node_.irq_count(); i++) {
    irq_[i].reset(Take(MICA_DRIVER_HANDLE_IRQ, i));
  }
  return MICA_OK;
}

mica_status_t Context::ReadNode() {
  uint64_t size = 0;
  MICA_TRY(mica_vmo_get_size(node_vmo_.get(), &size));
  if (size < 8 || size > kNodeInfoMaxSize + MICA_PAGE_SIZE) {
    return MICA_ERR_IO_DATA_INTEGRITY;
  }
  uint8_t head[12];
  MICA_TRY(mica_vmo_read(node_vmo_.get(), head, 0, sizeof(head)));
  uint32_t total = uint32_t{head[8]} | uint32_t{head[9]} << 8 | uint32_t{head[10]} << 16 |
                   uint32_t{head[11]} << 24;
  if (total > size || total > kNodeInfoMaxSize) {
    return MICA_ERR_IO_DATA_INTEGRITY;
  }
  node_bytes_ = static_cast<uint8_t*>(malloc(total));
  if (node_bytes_ == nullptr) {
    return MICA_ERR_NO_MEMORY;
  }
  MICA_TRY(mica_vmo_read(node_vmo_.get(), node_bytes_, 0, total));
  return node_.Parse(node_bytes_, total) ? MICA_OK : MICA_ERR_IO_DATA_INTEGRITY;
}

mica_handle_t Context::mmio_vmo(uint32_t index) const {
  return index < node_.reg_count() ? mmio_[index].get() : MICA_HANDLE_INVALID;
}

mica_status_t Context::MapMmio(uint32_t index, MmioRegion* out) {
  RegRange reg;
  if (!node_.Reg(index, &reg)) {
    return MICA_ERR_OUT_OF_RANGE;
  }
  if (!mmio_[index]) {
    return MICA_ERR_BAD_STATE;
  }
  uint64_t in_page = reg.paddr & (MICA_PAGE_SIZE - 1);
  if (mapped_[index] == 0) {
    uint64_t vmo_size = 0;
    MICA_TRY(mica_vmo_get_size(mmio_[index].get(), &vmo_size));
    if (in_page + reg.size > vmo_size) {
      return MICA_ERR_IO_DATA_INTEGRITY;
    }
    mica_vaddr_t addr = 0;
    MICA_TRY(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0,
                           mmio_[index].get(), 0, vmo_size, &addr));
    mapped_[index] = addr;
  }
  *out = MmioRegion(reinterpret_cast<volatile void*>(mapped_[index] + in_page), reg.size);
  return MICA_OK;
}

mica_status_t Context::TakeInterrupt(uint32_t index, mica::Handle* out) {
  if (index >= node_.irq_count()) {
    return MICA_ERR_OUT_OF_RANGE;
  }
  if (!irq_[index]) {
    return MICA_ERR_BAD_STATE;
  }
  *out = static_cast<mica::Handle&&>(irq_[index]);
  return MICA_OK;
}

mica_status_t Context::TakeDmaResource(uint32_t index, mica::Handle* out) {
  if (index >= node_.reg_count()) {
    return MICA_ERR_OUT_OF_RANGE;
  }
  if (!dma_[index]) {
    return MICA_ERR_BAD_STATE;
  }
  *out = static_cast<mica::Handle&&>(dma_[index]);
  return MICA_OK;
}

mica_status_t Context::AddChild(const char* name, const NodeProperty* properties, uint32_t count) {
  static uint8_t buf[MICA_CHANNEL_MAX_MSG_BYTES];
  wire::MessageHeader h = {wire::kAddChild, 0};
  memcpy(buf, &h, sizeof(h));
  NodeInfoWriter w(buf + sizeof(h), sizeof(buf) - sizeof(h));
  w.SetPath(name);
  for (uint32_t i = 0; i < count; i++) {
    w.AddProperty(properties[i].name, properties[i].value, properties[i].size);
  }
  uint32_t size = w.Finish();
  if (size == 0) {
    return MICA_ERR_OUT_OF_RANGE;
  }
  return mica_channel_write(manager_.get(), 0, buf, static_cast<uint32_t>(sizeof(h) + size),
                            nullptr, 0);
}

mica_status_t Context::Publish(const char* service_class, uint32_t version, OpenHandler on_open) {
  wire::PublishMessage m = {};
  m.header = {wire::kPublish, 0};
  CopyName(m.service_class, service_class);
  m.version = version;
  on_open_ = static_cast<OpenHandler&&>(on_open);
  return mica_channel_write(manager_.get(), 0, &m, sizeof(m), nullptr, 0);
}

void Context::OnManagerMessage() {
  for (;;) {
    alignas(8) uint8_t buf[256];
    mica_handle_t handles[1] = {MICA_HANDLE_INVALID};
    uint32_t bytes = 0, count = 0;
    if (wire::ReadMessage(manager_.get(), buf, sizeof(buf), handles, 1, &bytes, &count) !=
        MICA_OK) {
      return;  // nothing queued
    }
    mica::Handle handle(count == 1 ? handles[0] : MICA_HANDLE_INVALID);
    wire::MessageHeader h;
    if (bytes < sizeof(h)) {
      continue;
    }
    memcpy(&h, buf, sizeof(h));
    if (h.ordinal == wire::kPing && !handle) {
      wire::MessageHeader pong = {wire::kPong, h.txid};
      if (mica_channel_write(manager_.get(), 0, &pong, sizeof(pong), nullptr, 0) == MICA_OK) {
        pongs_++;
      }
    } else if (h.ordinal == wire::kOpen && bytes >= sizeof(wire::OpenMessage) && handle &&
               on_open_) {
      on_open_(static_cast<mica::Handle&&>(handle));
    }
  }
}

void Context::ServeManager() {
  mica_status_t s = loop_.BeginWait(
      manager_.get(), MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED,
      [this](mica_status_t status, mica_signals_t observed) {
        if (status != MICA_OK) {
          return;
        }
        if (observed & MICA_CHANNEL_READABLE) {
          OnManagerMessage();
        }
        if ((observed & MICA_CHANNEL_PEER_CLOSED) && !(observed & MICA_CHANNEL_READABLE)) {
          stopped_ = true;
          loop_.Quit();
          return;
        }
        ServeManager();
      });
  if (s != MICA_OK) {
    loop_.Quit();
  }
}

int Context::Run() {
  ServeManager();
  loop_.Run();
  return 0;
}

int DriverMain(int argc, char** argv, mica_status_t (*bind)(Context&)) {
  static Context ctx;
  mica_status_t s = ctx.Init(argc, argv);
  if (s == MICA_OK) {
    s = bind(ctx);
  }
  if (s != MICA_OK) {
    printf("%s: bind %s failed: %s\n", ctx.name(), ctx.node_path() ? ctx.node_path() : "?",
           StatusName(s));
    return 1;
  }
  return ctx.Run();
}

}  // namespace mica::driver
