// See <mica/component/component.h>.
#include "mica/component/component.h"

#include <idl/component_ipc.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <stdio.h>
#include <string.h>

namespace mica::component {

namespace {

// The SVC handle, taken from the startup handles once (0: not yet looked
// for, MICA_HANDLE_INVALID + 1 never is a handle value we store).
constexpr mica_handle_t kNotLooked = 0xffffffffu;
mica_handle_t g_svc = kNotLooked;

mica_handle_t SvcHandle() {
  mica_handle_t h = __atomic_load_n(&g_svc, __ATOMIC_ACQUIRE);
  if (h != kNotLooked) {
    return h;
  }
  // mica_rt_take_startup_handle hands the handle out once: whichever
  // thread gets it publishes it; a loser sees INVALID and waits for it.
  mica_handle_t taken =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_SVC, 0));
  if (taken != MICA_HANDLE_INVALID) {
    __atomic_store_n(&g_svc, taken, __ATOMIC_RELEASE);
    return taken;
  }
  for (int i = 0; i < 1000; i++) {
    h = __atomic_load_n(&g_svc, __ATOMIC_ACQUIRE);
    if (h != kNotLooked) {
      return h;
    }
    mica_nanosleep(mica::async::Loop::Now() + 100000);
  }
  __atomic_store_n(&g_svc, MICA_HANDLE_INVALID, __ATOMIC_RELEASE);
  return MICA_HANDLE_INVALID;
}

}  // namespace

bool HasNamespace() {
  return SvcHandle() != MICA_HANDLE_INVALID;
}

mica_status_t Open(const char* path, mica::Channel* out) {
  mica_handle_t svc = SvcHandle();
  if (svc == MICA_HANDLE_INVALID) {
    return MICA_ERR_BAD_STATE;
  }
  size_t len = strlen(path);
  if (len == 0 || len > ::idl::component::MAX_PATH || path[0] != '/') {
    return MICA_ERR_INVALID_ARGS;
  }
  mica::Channel mine, theirs;
  mica_status_t s = mica::Channel::Create(0, &mine, &theirs);
  if (s != MICA_OK) {
    return s;
  }
  ::idl::component::Namespace::OpenRequest req;
  if (!req.path.Set(path)) {
    return MICA_ERR_INVALID_ARGS;
  }
  req.channel = static_cast<mica::Channel&&>(theirs);
  ::idl::component::Namespace::OpenResponse resp;
  // The client borrows the handle: released again after the call.
  ::idl::component::NamespaceSyncClient client{mica::Channel(svc)};
  s = client.Open(req, &resp);
  (void)client.TakeChannel().release();
  if (s == MICA_OK) {
    s = resp.status;
  }
  if (s == MICA_OK) {
    *out = static_cast<mica::Channel&&>(mine);
  }
  return s;
}

mica_status_t Connect(const char* protocol, mica::Channel* out) {
  char path[::idl::component::MAX_PATH + 1];
  int n = snprintf(path, sizeof(path), "/svc/%s", protocol);
  if (protocol[0] == '\0' || n < 0 || static_cast<size_t>(n) >= sizeof(path)) {
    return MICA_ERR_INVALID_ARGS;
  }
  return Open(path, out);
}

class OutgoingImpl final : public ::idl::component::OutgoingServer {
 public:
  OutgoingImpl(mica::async::Loop* loop, mica::Channel channel, Outgoing* owner)
      : OutgoingServer(loop, static_cast<mica::Channel&&>(channel)), owner_(owner) {}
  void Connect(::idl::component::Outgoing::ConnectRequest& req) override {
    owner_->Dispatch(req.name.data, req.name.size, static_cast<mica::Channel&&>(req.channel));
  }

 private:
  Outgoing* owner_;
};

class LifecycleImpl final : public ::idl::component::LifecycleServer {
 public:
  LifecycleImpl(mica::async::Loop* loop, mica::Channel channel,
                mica::async::InlineFunction<void()> on_stop)
      : LifecycleServer(loop, static_cast<mica::Channel&&>(channel)),
        on_stop_(static_cast<mica::async::InlineFunction<void()>&&>(on_stop)) {}
  void Stop(::idl::component::Lifecycle::StopRequest&) override { Fire(); }
  void Fire() {
    if (!fired_) {
      fired_ = true;
      on_stop_();
    }
  }

 private:
  mica::async::InlineFunction<void()> on_stop_;
  bool fired_ = false;
};

Outgoing::Outgoing(mica::async::Loop* loop) : loop_(loop) {}

Outgoing::~Outgoing() {
  delete server_;
  delete lifecycle_;
}

mica_status_t Outgoing::AddProtocol(const char* name, Handler handler) {
  size_t len = strlen(name);
  if (len == 0 || len > kMaxName || !handler) {
    return MICA_ERR_INVALID_ARGS;
  }
  for (uint32_t i = 0; i < count_; i++) {
    if (strcmp(entries_[i].name, name) == 0) {
      return MICA_ERR_ALREADY_EXISTS;
    }
  }
  if (count_ == kMaxProtocols) {
    return MICA_ERR_NO_RESOURCES;
  }
  memcpy(entries_[count_].name, name, len + 1);
  entries_[count_].handler = static_cast<Handler&&>(handler);
  count_++;
  return MICA_OK;
}

void Outgoing::Dispatch(const char* name, size_t size, mica::Channel channel) {
  for (uint32_t i = 0; i < count_; i++) {
    if (strlen(entries_[i].name) == size && memcmp(entries_[i].name, name, size) == 0) {
      connects_++;
      entries_[i].handler(static_cast<mica::Channel&&>(channel));
      return;
    }
  }
  refused_++;  // the channel closes: the client sees PEER_CLOSED
}

mica_status_t Outgoing::Serve(mica::Channel channel) {
  if (server_ != nullptr) {
    return MICA_ERR_ALREADY_BOUND;
  }
  server_ = new OutgoingImpl(loop_, static_cast<mica::Channel&&>(channel), this);
  return server_->Begin();
}

mica_status_t Outgoing::ServeFromStartup() {
  mica_handle_t h =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_OUTGOING, 0));
  if (h == MICA_HANDLE_INVALID) {
    return MICA_ERR_NOT_FOUND;
  }
  return Serve(mica::Channel(h));
}

mica_status_t Outgoing::ServeLifecycle(mica::async::InlineFunction<void()> on_stop) {
  if (lifecycle_ != nullptr) {
    return MICA_ERR_ALREADY_BOUND;
  }
  mica_handle_t h =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_LIFECYCLE, 0));
  if (h == MICA_HANDLE_INVALID) {
    return MICA_ERR_NOT_FOUND;
  }
  lifecycle_ = new LifecycleImpl(loop_, mica::Channel(h),
                                 static_cast<mica::async::InlineFunction<void()>&&>(on_stop));
  LifecycleImpl* l = lifecycle_;
  l->set_error_handler([l](mica_status_t) { l->Fire(); });
  return l->Begin();
}

}  // namespace mica::component
