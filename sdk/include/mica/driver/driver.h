// The driver runtime: what a driver process links to read its start
// message and serve the manager (docs/drivers.md). In-tree drivers use
// exactly this header and sdk/lib/driver, as out-of-tree authors will.
//
// A whole driver:
//
//   #include <mica/driver/driver.h>
//
//   mica_status_t Bind(mica::driver::Context& dev) {
//     mica::driver::MmioRegion regs;
//     MICA_TRY(dev.MapMmio(0, &regs));          // reg range 0, uncached
//     mica::Handle irq;
//     MICA_TRY(dev.TakeInterrupt(0, &irq));     // interrupt 0 of the node
//     ... set the device up; add waits and tasks on dev.loop() ...
//     return dev.Publish<idl::rtc::Rtc>("rtc", [](mica::Handle client) { ... });
//   }
//   MICA_DRIVER_MAIN(Bind)
//
// The match table is not in the code: the manifest names the compatibles
// the driver binds (docs/drivers.md, "Manifests").
//
// Contract:
// - MICA_DRIVER_MAIN's main reads the start message (start.h) into a
//   Context, calls the bind function once and, if it returns MICA_OK, runs
//   the Context's async loop until the manager goes away. On the loop it
//   serves the IDL Driver protocol (system/idl/driver.idl) for the manager
//   (Ping is the liveness answer, so a driver that blocks the loop's thread
//   is seen as hung and restarted) and is a client of its Manager protocol
//   (AddChild, PublishService, ConnectPhandle, Connect events). A bind error ends the process with
//   status 1 after one line `<driver>: bind <node path> failed: <status>`; the manager then
//   restarts it with backoff.
// - Resources are handed out once: TakeInterrupt and TakeDmaResource move
//   the handle to the caller (a second call gets MICA_ERR_BAD_STATE);
//   MapMmio maps reg range i (once; later calls give the same window).
// - Every call returns a mica_status_t; nothing throws or aborts.
// - Single-threaded: use a Context from the loop's thread only.
//
// Fault injection (the fault campaign, docs/drivers.md "Fault injection"):
// a driver started with the argument `inject=<fault>` (the manager's
// drivers.inject= switch) misbehaves on purpose, with no code of its own,
// 1.5 s after its bind function returned (its clients have connected and
// used the device by then):
//   crash   a null dereference on the loop thread (the kernel kills it:
//           "crashed (fault at 0x0 ...)")
//   exit    exit(3)
//   hang    an endless loop on the loop thread: Ping goes unanswered and
//           the manager's liveness check kills it
//   stall   (at once) the next client request that the driver passes to
//           StallRequest() is never answered, so a kill can land while it
//           is in flight; a driver with a service calls StallRequest() at
//           the top of its main request handler and returns if it is true
//           (dropping the completer without a reply).
// An unknown fault is a bind error. Each injected fault prints one line,
// `<driver>: injecting <fault>`.
#pragma once

#include <idl/driver_ipc.h>
#include <mica/async/loop.h>
#include <mica/cpp/handle.h>
#include <mica/driver/mmio.h>
#include <mica/driver/node_info.h>
#include <mica/driver/start.h>
#include <stdint.h>

// Returns the status of `expr` from the enclosing function unless it is
// MICA_OK (SerenityOS's TRY, for mica_status_t).
#define MICA_TRY(expr)                  \
  do {                                  \
    mica_status_t _mica_try_s = (expr); \
    if (_mica_try_s != MICA_OK) {       \
      return _mica_try_s;               \
    }                                   \
  } while (0)

namespace mica::driver {

// Called with a client's channel for a published service.
using OpenHandler = mica::async::InlineFunction<void(mica::Handle channel)>;

class Context {
 public:
  Context() = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Reads argv and the startup handles. MICA_ERR_BAD_STATE if the process
  // was not started as a driver (no manager channel or node description),
  // MICA_ERR_IO_DATA_INTEGRITY (or the like) if the description is invalid.
  mica_status_t Init(int argc, char** argv);

  const char* name() const { return name_; }
  const char* node_path() const { return node_.path(); }
  // 0 on the first start, then the number of restarts before this one.
  uint32_t start_count() const { return start_count_; }
  // The manifest's extra arguments for this driver.
  int arg_count() const {
    return argc_ > MICA_DRIVER_ARGV_FIRST_ARG ? argc_ - MICA_DRIVER_ARGV_FIRST_ARG : 0;
  }
  const char* arg(int i) const { return argv_[MICA_DRIVER_ARGV_FIRST_ARG + i]; }

  // The node: path, reg ranges (physical), interrupts, properties.
  const NodeInfo& node() const { return node_; }

  uint32_t mmio_count() const { return node_.reg_count(); }
  // Maps reg range `index` (uncached device memory) and points *out at
  // exactly the range's bytes.
  mica_status_t MapMmio(uint32_t index, MmioRegion* out);
  // The physical VMO of reg range `index` (not consumed; MICA_HANDLE_INVALID
  // if there is none).
  mica_handle_t mmio_vmo(uint32_t index) const;
  uint32_t interrupt_count() const { return node_.irq_count(); }
  mica_status_t TakeInterrupt(uint32_t index, mica::Handle* out);
  // The MMIO resource of reg range `index`: for vmo_create_contiguous.
  mica_status_t TakeDmaResource(uint32_t index, mica::Handle* out);
  // The node's BTI (start.h MICA_DRIVER_HANDLE_BTI), for bti_pin and
  // bti_release_quarantine; not consumed (owned by the Context), and
  // MICA_HANDLE_INVALID if the manager granted none. The same BTI across
  // restarts: reset the device before releasing its quarantine
  // (docs/drivers.md, "DMA").
  mica_handle_t bti() const { return bti_.get(); }
  // The SYSTEM resource for `capability` (MICA_RSRC_SYSTEM_*), granted only
  // when the manifest asks (`grant console`) and the node qualifies
  // (start.h); MICA_ERR_NOT_FOUND if it was not granted or already taken.
  mica_status_t TakeSystemResource(uint32_t capability, mica::Handle* out);

  mica::async::Loop& loop() { return loop_; }

  // Asks the manager to add a child node named `name` with `properties`
  // (usually a "compatible" string list; at most 32 properties of at most
  // 256 bytes); the manager matches and starts its driver in a process of
  // its own. Asynchronous: a refusal is logged when it comes.
  mica_status_t AddChild(const char* name, const NodeProperty* properties, uint32_t count);
  // The same, handing the child this node's resources (a bus driver that
  // found one device behind its window, e.g. a virtio-mmio transport): the
  // runtime first unmaps every reg range and closes this driver's MMIO
  // VMOs, DMA resources and interrupt objects (so MapMmio, TakeInterrupt
  // and TakeDmaResource give MICA_ERR_BAD_STATE after, and the kernel's
  // one-owner rule for interrupt lines lets the child's be made), then
  // adds the child with the empty property "mica,parent-resources"; the
  // manager grants the child exactly the resources this node was granted,
  // made afresh for each start of the child. Handles the caller took
  // itself must be closed by it before. At most one such child per node.
  mica_status_t AddChildWithResources(const char* name, const NodeProperty* properties,
                                      uint32_t count);
  // Ends the process with MICA_DRIVER_EXIT_NO_DEVICE: nothing behind this
  // node (an empty slot). The manager lists the node as unbound and does
  // not restart it.
  [[noreturn]] void NoDevice();
  // Publishes a service of class `service_class` ("block", "rtc"...)
  // speaking `protocol_name` version `version` (an IDL protocol's
  // `library.Protocol` and version; clients asking for another are refused
  // by the manager's service directory, docs/drivers.md "Services"). The
  // manager numbers the class's instances. `on_open` gets each client's
  // channel for this class (at most kMaxServices classes; publishing a
  // class again replaces its handler).
  mica_status_t Publish(const char* service_class, const char* protocol_name, uint16_t version,
                        OpenHandler on_open);
  // The same for the IDL protocol P (its generated struct, e.g.
  // idl::rtc::Rtc): dev.Publish<idl::rtc::Rtc>("rtc", handler).
  template <typename P>
  mica_status_t Publish(const char* service_class, OpenHandler on_open) {
    return Publish(service_class, P::kName, P::kVersion, static_cast<OpenHandler&&>(on_open));
  }
  static constexpr uint32_t kMaxServices = 4;

  // Serves the manager's channels on the loop and runs the loop until the
  // manager goes away (PEER_CLOSED): returns 0 then.
  int Run();

  // Opens the service of class `service_class` published by the devicetree
  // node whose `phandle` is `phandle` (e.g. the GPIO controller a `gpios`
  // specifier names), through the manager: `channel` (the server's end)
  // goes to that node's driver, and `done` runs on the loop with MICA_OK,
  // MICA_ERR_NOT_FOUND (no such node or service yet) or
  // MICA_ERR_UNAVAILABLE (its driver is restarting); retry on both. The
  // service must speak `protocol_name` `protocol_version` (the directory's
  // refusals otherwise); ConnectPhandle<P> names the IDL protocol P.
  mica_status_t ConnectPhandle(uint32_t phandle, const char* service_class,
                               const char* protocol_name, uint16_t protocol_version,
                               mica::Handle channel,
                               mica::async::InlineFunction<void(mica_status_t)> done);
  template <typename P>
  mica_status_t ConnectPhandle(uint32_t phandle, const char* service_class, mica::Handle channel,
                               mica::async::InlineFunction<void(mica_status_t)> done) {
    return ConnectPhandle(phandle, service_class, P::kName, P::kVersion,
                          static_cast<mica::Handle&&>(channel),
                          static_cast<mica::async::InlineFunction<void(mica_status_t)>&&>(done));
  }
  // The channel to the manager's IDL Power protocol (system/idl/power.idl),
  // once: MICA_ERR_ACCESS_DENIED unless the manifest says `grant power`,
  // MICA_ERR_BAD_STATE if already taken.
  mica_status_t TakePower(mica::Handle* out);

  // Liveness answers sent (for tests).
  uint64_t pongs() const { return pongs_; }

  // The injected fault (`inject=<fault>` argument), or nullptr.
  const char* injected_fault() const { return fault_; }
  // True exactly once after `inject=stall`: the caller leaves the current
  // request unanswered. Prints `<driver>: holding a request unanswered, as
  // injected`. False otherwise (every request of an uninjected driver).
  bool StallRequest();
  // Arms the injected fault, if any (DriverMain calls it after bind).
  mica_status_t ArmFault();

 private:
  static constexpr uint32_t kMaxRegs = kNodeInfoMaxRegs;
  static constexpr uint32_t kMaxIrqs = kNodeInfoMaxIrqs;

  class DriverImpl;
  class ManagerEvents;
  mica_status_t ReadNode();

  int argc_ = 0;
  char** argv_ = nullptr;
  const char* name_ = "driver";
  uint32_t start_count_ = 0;
  ::idl::driver::ManagerAsyncClient* manager_ = nullptr;  // made by Init
  DriverImpl* server_ = nullptr;
  ManagerEvents* events_ = nullptr;
  mica::Handle node_vmo_;
  uint8_t* node_bytes_ = nullptr;
  NodeInfo node_;
  mica::Handle mmio_[kMaxRegs];
  mica::Handle dma_[kMaxRegs];
  mica::Handle bti_;
  mica::Handle irq_[kMaxIrqs];
  mica::Handle power_;
  bool power_granted_ = false;
  uintptr_t mapped_[kMaxRegs] = {};
  uint64_t mapped_size_[kMaxRegs] = {};
  struct Published {
    char service_class[32] = {};
    OpenHandler on_open;
  };
  Published published_[kMaxServices];
  mica::async::Loop loop_;
  uint64_t pongs_ = 0;
  const char* fault_ = nullptr;
  bool stall_armed_ = false;
};

// The body of MICA_DRIVER_MAIN.
int DriverMain(int argc, char** argv, mica_status_t (*bind)(Context&));

}  // namespace mica::driver

#define MICA_DRIVER_MAIN(bind_function)                             \
  int main(int argc, char** argv) {                                 \
    return ::mica::driver::DriverMain(argc, argv, (bind_function)); \
  }
