// The driver runtime (<mica/driver/driver.h>): the start message, the
// resources, and the manager channel served on the async loop.
#include <idl/driver_ipc.h>
#include <mica/driver/driver.h>
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

}  // namespace

// The Driver protocol (system/idl/driver.idl), served for the manager: the
// resources came with the start message, so Start only confirms; Ping is
// the liveness answer; Stop ends the process.
class Context::DriverImpl final : public ::idl::driver::DriverServer {
 public:
  DriverImpl(Context* ctx, mica::Channel channel)
      : DriverServer(&ctx->loop_, static_cast<mica::Channel&&>(channel)), ctx_(ctx) {}

  void Start(::idl::driver::Driver::StartRequest&, StartCompleter done) override {
    ::idl::driver::Driver::StartResponse r;
    r.status = MICA_OK;
    done.Reply(r);
  }
  void Ping(::idl::driver::Driver::PingRequest& req, PingCompleter done) override {
    ::idl::driver::Driver::PingResponse r;
    r.seq = req.seq;
    if (done.Reply(r) == MICA_OK) {
      ctx_->pongs_++;
    }
  }
  void Status(::idl::driver::Driver::StatusRequest&, StatusCompleter done) override {
    ::idl::driver::Driver::StatusResponse r;
    r.health = ::idl::driver::Health::OK;
    done.Reply(r);
  }
  // Ends the process at once, status 0: exit() would run the static
  // destructors (the Context, its loop and this very connection) in the
  // middle of this dispatch. The kernel reclaims everything.
  void Stop(::idl::driver::Driver::StopRequest&) override {
    fflush(stdout);
    mica_process_exit(0);
  }

 private:
  Context* ctx_;
};

// Connect events: a client's channel for a published service.
class Context::ManagerEvents final : public ::idl::driver::ManagerEventHandler {
 public:
  explicit ManagerEvents(Context* ctx) : ctx_(ctx) {}
  // A channel for a class this driver never published is closed.
  void Connect(::idl::driver::Manager::ConnectEvent& event) override {
    for (Published& p : ctx_->published_) {
      if (p.on_open && event.service_class.Equals(p.service_class)) {
        p.on_open(mica::Handle(event.channel.release()));
        return;
      }
    }
  }

 private:
  Context* ctx_;
};

mica_status_t Context::Init(int argc, char** argv) {
  argc_ = argc;
  argv_ = argv;
  if (argc > MICA_DRIVER_ARGV_NAME) {
    name_ = argv[MICA_DRIVER_ARGV_NAME];
  }
  if (argc > MICA_DRIVER_ARGV_START_COUNT) {
    start_count_ = static_cast<uint32_t>(strtoul(argv[MICA_DRIVER_ARGV_START_COUNT], nullptr, 10));
  }
  for (int i = MICA_DRIVER_ARGV_FIRST_ARG; i < argc; i++) {
    if (strncmp(argv[i], "inject=", 7) == 0) {
      fault_ = argv[i] + 7;
    }
  }
  mica::Channel manager(Take(MICA_DRIVER_HANDLE_MANAGER, 0));
  mica::Channel driver(Take(MICA_DRIVER_HANDLE_DRIVER, 0));
  node_vmo_.reset(Take(MICA_DRIVER_HANDLE_NODE, 0));
  if (!manager || !driver || !node_vmo_) {
    return MICA_ERR_BAD_STATE;
  }
  events_ = new ManagerEvents(this);
  manager_ =
      new ::idl::driver::ManagerAsyncClient(&loop_, static_cast<mica::Channel&&>(manager), events_);
  server_ = new DriverImpl(this, static_cast<mica::Channel&&>(driver));
  MICA_TRY(loop_.status());
  MICA_TRY(ReadNode());
  for (uint32_t i = 0; i < node_.reg_count(); i++) {
    mmio_[i].reset(Take(MICA_DRIVER_HANDLE_MMIO, i));
    dma_[i].reset(Take(MICA_DRIVER_HANDLE_DMA, i));
  }
  for (uint32_t i = 0; i < node_.irq_count(); i++) {
    irq_[i].reset(Take(MICA_DRIVER_HANDLE_IRQ, i));
  }
  power_.reset(Take(MICA_DRIVER_HANDLE_POWER, 0));
  bti_.reset(Take(MICA_DRIVER_HANDLE_BTI, 0));
  power_granted_ = static_cast<bool>(power_);
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
    mapped_size_[index] = vmo_size;
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

mica_status_t Context::TakeSystemResource(uint32_t capability, mica::Handle* out) {
  mica_handle_t h = Take(MICA_DRIVER_HANDLE_SYSTEM, capability);
  if (h == MICA_HANDLE_INVALID) {
    return MICA_ERR_NOT_FOUND;
  }
  out->reset(h);
  return MICA_OK;
}

mica_status_t Context::AddChild(const char* name, const NodeProperty* properties, uint32_t count) {
  static ::idl::driver::Manager::AddChildRequest req;
  req = ::idl::driver::Manager::AddChildRequest();
  if (!req.name.Set(name)) {
    return MICA_ERR_OUT_OF_RANGE;
  }
  for (uint32_t i = 0; i < count; i++) {
    ::idl::driver::Property p;
    if (!p.name.Set(properties[i].name) || properties[i].size > ::idl::driver::MAX_PROPERTY_BYTES) {
      return MICA_ERR_OUT_OF_RANGE;
    }
    for (uint32_t k = 0; k < properties[i].size; k++) {
      p.value.Push(properties[i].value[k]);
    }
    if (!req.properties.Push(p)) {
      return MICA_ERR_OUT_OF_RANGE;
    }
  }
  return manager_->AddChild(
      req, [this](mica_status_t s, ::idl::driver::Manager::AddChildResponse* r) {
        mica_status_t st = s != MICA_OK ? s : r->status;
        if (st != MICA_OK) {
          printf("%s: adding a child node failed: %s\n", name_, StatusName(st));
        }
      });
}

mica_status_t Context::AddChildWithResources(const char* name, const NodeProperty* properties,
                                             uint32_t count) {
  static NodeProperty props[::idl::driver::MAX_PROPERTIES];
  if (count >= ::idl::driver::MAX_PROPERTIES) {
    return MICA_ERR_OUT_OF_RANGE;
  }
  for (uint32_t i = 0; i < count; i++) {
    props[i] = properties[i];
  }
  props[count] = NodeProperty{MICA_DRIVER_PROP_PARENT_RESOURCES, nullptr, 0};
  for (uint32_t i = 0; i < kMaxRegs; i++) {
    if (mapped_[i] != 0) {
      (void)mica_vmar_unmap(mica_rt_vmar_root(), mapped_[i], mapped_size_[i]);
      mapped_[i] = 0;
    }
    mmio_[i].reset();
    dma_[i].reset();
  }
  for (uint32_t i = 0; i < kMaxIrqs; i++) {
    irq_[i].reset();
  }
  return AddChild(name, props, count + 1);
}

mica_status_t Context::ConnectPhandle(uint32_t phandle, const char* service_class,
                                      const char* protocol_name, uint16_t protocol_version,
                                      mica::Handle channel,
                                      mica::async::InlineFunction<void(mica_status_t)> done) {
  ::idl::driver::Manager::ConnectPhandleRequest req;
  if (!req.service_class.Set(service_class) || !req.protocol_name.Set(protocol_name)) {
    return MICA_ERR_OUT_OF_RANGE;
  }
  req.protocol_version = protocol_version;
  req.phandle = phandle;
  req.channel = mica::Channel(channel.release());
  return manager_->ConnectPhandle(
      req, [done = static_cast<decltype(done)&&>(done)](
               mica_status_t s, ::idl::driver::Manager::ConnectPhandleResponse* r) mutable {
        done(s != MICA_OK ? s : r->status);
      });
}

mica_status_t Context::TakePower(mica::Handle* out) {
  if (!power_granted_) {
    return MICA_ERR_ACCESS_DENIED;
  }
  if (!power_) {
    return MICA_ERR_BAD_STATE;
  }
  *out = static_cast<mica::Handle&&>(power_);
  return MICA_OK;
}

void Context::NoDevice() {
  exit(MICA_DRIVER_EXIT_NO_DEVICE);
}

mica_status_t Context::Publish(const char* service_class, const char* protocol_name,
                               uint16_t version, OpenHandler on_open) {
  ::idl::driver::Manager::PublishServiceRequest req;
  if (strlen(service_class) >= sizeof(Published::service_class) ||
      !req.service_class.Set(service_class) || !req.protocol_name.Set(protocol_name)) {
    return MICA_ERR_OUT_OF_RANGE;
  }
  req.protocol_version = version;
  Published* slot = nullptr;
  for (Published& p : published_) {
    if (strcmp(p.service_class, service_class) == 0 || (slot == nullptr && !p.on_open)) {
      slot = &p;
    }
  }
  if (slot == nullptr) {
    return MICA_ERR_NO_RESOURCES;
  }
  snprintf(slot->service_class, sizeof(slot->service_class), "%s", service_class);
  slot->on_open = static_cast<OpenHandler&&>(on_open);
  return manager_->PublishService(
      req, [this](mica_status_t s, ::idl::driver::Manager::PublishServiceResponse* r) {
        mica_status_t st = s != MICA_OK ? s : r->status;
        if (st != MICA_OK) {
          printf("%s: publishing a service failed: %s\n", name_, StatusName(st));
        }
      });
}

bool Context::StallRequest() {
  if (!stall_armed_) {
    return false;
  }
  stall_armed_ = false;
  printf("%s: holding a request unanswered, as injected\n", name_);
  return true;
}

namespace {

// The faults that end the process (driver.h, "Fault injection").
void Crash() {
  volatile uint32_t* null = nullptr;
  *null = 1;  // a data abort at address 0: the kernel kills the process
}

void Hang() {
  for (;;) {
    __asm__ volatile("" ::: "memory");
  }
}

}  // namespace

mica_status_t Context::ArmFault() {
  if (fault_ == nullptr) {
    return MICA_OK;
  }
  printf("%s: injecting %s\n", name_, fault_);
  constexpr mica_duration_t kDelay = 1'500'000'000;
  if (strcmp(fault_, "stall") == 0) {
    stall_armed_ = true;
    return MICA_OK;
  }
  if (strcmp(fault_, "crash") == 0) {
    return loop_.PostTaskAfter([] { Crash(); }, kDelay);
  }
  if (strcmp(fault_, "exit") == 0) {
    return loop_.PostTaskAfter([] { exit(3); }, kDelay);
  }
  if (strcmp(fault_, "hang") == 0) {
    return loop_.PostTaskAfter([] { Hang(); }, kDelay);
  }
  return MICA_ERR_INVALID_ARGS;
}

int Context::Run() {
  // The manager's end of either channel closing means it is gone.
  manager_->set_error_handler([this](mica_status_t) { loop_.Quit(); });
  server_->set_error_handler([this](mica_status_t) { loop_.Quit(); });
  if (manager_->Begin() != MICA_OK || server_->Begin() != MICA_OK) {
    return 1;
  }
  loop_.Run();
  return 0;
}

int DriverMain(int argc, char** argv, mica_status_t (*bind)(Context&)) {
  static Context ctx;
  mica_status_t s = ctx.Init(argc, argv);
  if (s == MICA_OK) {
    s = bind(ctx);
  }
  if (s == MICA_OK) {
    s = ctx.ArmFault();
  }
  if (s != MICA_OK) {
    printf("%s: bind %s failed: %s\n", ctx.name(), ctx.node_path() ? ctx.node_path() : "?",
           StatusName(s));
    return 1;
  }
  return ctx.Run();
}

}  // namespace mica::driver
