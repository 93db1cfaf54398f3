// mica::component: a component's side of the component manager
// (docs/components.md, "Runtime"; system/idl/component.idl).
//
//   mica::Channel log;
//   mica_status_t s = mica::component::Connect("log.Sink", &log);
//
// opens /svc/log.Sink in the component's namespace (the MICA_BOOTSTRAP_SVC
// startup handle): MICA_OK and the channel now reaches the provider,
// MICA_ERR_NOT_FOUND if nothing is routed there (the manager logs why),
// MICA_ERR_UNAVAILABLE if the provider cannot run, MICA_ERR_BAD_STATE if
// this process was not started by the component manager. Thread-safe.
//
// A provider serves its capabilities with an Outgoing on its loop:
//
//   mica::async::Loop loop;
//   mica::component::Outgoing out(&loop);
//   out.AddProtocol("log.Sink", [&](mica::Channel c) { ServeSink(std::move(c)); });
//   out.ServeFromStartup();     // the MICA_BOOTSTRAP_OUTGOING handle
//   out.ServeLifecycle([&] { loop.Quit(); });   // Lifecycle.Stop
//   loop.Run();
#pragma once

#include <mica/async/function.h>
#include <mica/async/loop.h>
#include <mica/cpp/objects.h>
#include <stddef.h>
#include <stdint.h>

namespace mica::component {

// Opens `path` (absolute, e.g. "/svc/log.Sink") in the namespace.
mica_status_t Open(const char* path, mica::Channel* out);
// Open("/svc/<protocol>").
mica_status_t Connect(const char* protocol, mica::Channel* out);
// Whether this process has a namespace (was started as a component).
bool HasNamespace();

// Connects to protocol P (e.g. a kernel.* protocol, system/idl/kernel.idl,
// whose Get() answers one handle) with its sync Client, calls Get and
// moves the answer's `field` to *out:
//   mica::Vmo dtb;
//   GetHandle<idl::kernel::Devicetree, idl::kernel::DevicetreeSyncClient>(
//       &idl::kernel::Devicetree::GetResponse::vmo, &dtb);
// MICA_OK (*out valid), Connect's error, the call's, or MICA_ERR_BAD_STATE
// if the answer holds no handle.
template <typename P, typename Client, typename Response, typename H>
mica_status_t GetHandle(H Response::*field, H* out) {
  mica::Channel c;
  mica_status_t s = Connect(P::kName, &c);
  if (s != MICA_OK) {
    return s;
  }
  Client client(static_cast<mica::Channel&&>(c));
  typename P::GetRequest req;
  Response resp;
  s = client.Get(req, &resp);
  if (s != MICA_OK) {
    return s;
  }
  if (!(resp.*field).is_valid()) {
    return MICA_ERR_BAD_STATE;
  }
  *out = static_cast<H&&>(resp.*field);
  return MICA_OK;
}

class OutgoingImpl;
class LifecycleImpl;

class Outgoing {
 public:
  static constexpr uint32_t kMaxProtocols = 16;
  static constexpr size_t kMaxName = 100;
  using Handler = mica::async::InlineFunction<void(mica::Channel)>;

  explicit Outgoing(mica::async::Loop* loop);
  ~Outgoing();
  Outgoing(const Outgoing&) = delete;
  Outgoing& operator=(const Outgoing&) = delete;

  // Registers the handler of one capability name: MICA_ERR_ALREADY_EXISTS,
  // MICA_ERR_NO_RESOURCES (kMaxProtocols), MICA_ERR_INVALID_ARGS (an
  // empty or too long name, an empty handler).
  mica_status_t AddProtocol(const char* name, Handler handler);
  // Serves component.Outgoing on `channel`: each Connect goes to its
  // name's handler; a Connect for an unknown name closes the channel.
  mica_status_t Serve(mica::Channel channel);
  // Serve(the MICA_BOOTSTRAP_OUTGOING startup handle); MICA_ERR_NOT_FOUND
  // if the process has none.
  mica_status_t ServeFromStartup();
  // Serves component.Lifecycle from the MICA_BOOTSTRAP_LIFECYCLE startup
  // handle: `on_stop` runs on the loop when the manager asks the component
  // to stop (and if the manager goes away). MICA_ERR_NOT_FOUND if none.
  mica_status_t ServeLifecycle(mica::async::InlineFunction<void()> on_stop);

  // Connects handled so far, and those refused (unknown names).
  uint32_t connects() const { return connects_; }
  uint32_t refused() const { return refused_; }

 private:
  friend class OutgoingImpl;
  void Dispatch(const char* name, size_t size, mica::Channel channel);

  struct Entry {
    char name[kMaxName + 1] = {};
    Handler handler;
  };
  mica::async::Loop* loop_;
  Entry entries_[kMaxProtocols];
  uint32_t count_ = 0;
  uint32_t connects_ = 0;
  uint32_t refused_ = 0;
  OutgoingImpl* server_ = nullptr;
  LifecycleImpl* lifecycle_ = nullptr;
};

}  // namespace mica::component
