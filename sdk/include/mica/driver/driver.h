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
//     return dev.Publish("rtc", 1, [](mica::Handle client) { ... });
//   }
//   MICA_DRIVER_MAIN(Bind)
//
// The match table is not in the code: the manifest names the compatibles
// the driver binds (docs/drivers.md, "Manifests").
//
// Contract:
// - MICA_DRIVER_MAIN's main reads the start message (start.h) into a
//   Context, calls the bind function once and, if it returns MICA_OK, runs
//   the Context's async loop forever; the loop answers the manager's
//   liveness pings, so a driver that blocks the loop's thread is seen as
//   hung and restarted. A bind error ends the process with status 1 after
//   one line `<driver>: bind <node path> failed: <status>`; the manager
//   then restarts it with backoff.
// - Resources are handed out once: TakeInterrupt and TakeDmaResource move
//   the handle to the caller (a second call gets MICA_ERR_BAD_STATE);
//   MapMmio maps reg range i (once; later calls give the same window).
// - Every call returns a mica_status_t; nothing throws or aborts.
// - Single-threaded: use a Context from the loop's thread only.
#pragma once

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

  mica::async::Loop& loop() { return loop_; }

  // Asks the manager to add a child node named `name` with `properties`
  // (usually a "compatible" string list); the manager matches and starts
  // its driver in a process of its own.
  mica_status_t AddChild(const char* name, const NodeProperty* properties, uint32_t count);
  // Publishes a service `service_class` of `version`; the manager numbers
  // the class's instances. `on_open` gets each client's channel.
  mica_status_t Publish(const char* service_class, uint32_t version, OpenHandler on_open);

  // Serves the manager channel on the loop and runs the loop until the
  // manager goes away (PEER_CLOSED): returns 0 then.
  int Run();

  // Liveness answers sent (for tests).
  uint64_t pongs() const { return pongs_; }

 private:
  static constexpr uint32_t kMaxRegs = kNodeInfoMaxRegs;
  static constexpr uint32_t kMaxIrqs = kNodeInfoMaxIrqs;

  mica_status_t ReadNode();
  void ServeManager();
  void OnManagerMessage();

  int argc_ = 0;
  char** argv_ = nullptr;
  const char* name_ = "driver";
  uint32_t start_count_ = 0;
  mica::Handle manager_;
  mica::Handle node_vmo_;
  uint8_t* node_bytes_ = nullptr;
  NodeInfo node_;
  mica::Handle mmio_[kMaxRegs];
  mica::Handle dma_[kMaxRegs];
  mica::Handle irq_[kMaxIrqs];
  uintptr_t mapped_[kMaxRegs] = {};
  OpenHandler on_open_;
  mica::async::Loop loop_;
  uint64_t pongs_ = 0;
  bool stopped_ = false;
};

// The body of MICA_DRIVER_MAIN.
int DriverMain(int argc, char** argv, mica_status_t (*bind)(Context&));

}  // namespace mica::driver

#define MICA_DRIVER_MAIN(bind_function)                             \
  int main(int argc, char** argv) {                                 \
    return ::mica::driver::DriverMain(argc, argv, (bind_function)); \
  }
