#include "kernel/object/interrupt.h"

#include <new>

#include "kernel/arch/arm64/gic.h"
#include "kernel/arch/arm64/timer.h"

namespace {

// One lock for every user-owned line: it serialises the IRQ handler with
// the calls and with the object giving its line up.
IrqSpinLock g_lock;
InterruptDispatcher* g_owner[gic::kMaxIntid] GUARDED_BY(g_lock);

}  // namespace

bool InterruptDispatcher::Routable(uint32_t vector) {
  // Claiming installs this file's handler (masked); a line the kernel uses
  // cannot be claimed.
  return vector < gic::kMaxIntid && gic::ClaimSpi(vector, HandleIrq, nullptr);
}

mica::Status InterruptDispatcher::Create(uint32_t vector, uint32_t options,
                                         mica::RefPtr<InterruptDispatcher>* out) {
  if ((options & ~(MICA_INTERRUPT_EDGE | MICA_INTERRUPT_ACTIVE_LOW)) != 0) {
    return mica::Status::kInvalidArgs;
  }
  if (!Routable(vector)) {
    return mica::Status::kOutOfRange;
  }
  mica::AllocChecker ac_d;
  auto* d = new (ac_d) InterruptDispatcher(vector);
  if (!ac_d.check()) {
    return mica::Status::kNoMemory;
  }
  mica::RefPtr<InterruptDispatcher> ref = mica::AdoptRef(d);
  {
    IrqGuard g(g_lock);
    if (g_owner[vector] != nullptr) {
      return mica::Status::kAlreadyExists;
    }
    g_owner[vector] = d;
    d->owner_ = true;
    // The GIC's SPI inputs are active-high / rising-edge only (an inverter
    // in the SoC handles active-low lines), so MICA_INTERRUPT_ACTIVE_LOW
    // needs no programming here.
    gic::MaskSpi(vector);
    gic::ConfigureSpi(vector, (options & MICA_INTERRUPT_EDGE) != 0);
    gic::ClearPendingSpi(vector);
  }
  *out = mica::Move(ref);
  return mica::Status::kOk;
}

InterruptDispatcher::~InterruptDispatcher() {
  // An object that never got a handle still holds its line.
  Shutdown();
}

void InterruptDispatcher::HandleIrq(uint32_t intid, void*) NO_THREAD_SAFETY_ANALYSIS {
  // IRQ context: no blocking, no allocation.
  IrqGuard g(g_lock);
  gic::MaskSpi(intid);  // until interrupt_ack / the next interrupt_wait
  InterruptDispatcher* d = g_owner[intid];
  if (d == nullptr) {
    return;
  }
  d->timestamp_ = timer::NowNs();
  if (d->port_) {
    mica_port_packet_t packet = {};
    packet.key = d->key_;
    packet.type = MICA_PKT_TYPE_INTERRUPT;
    packet.status = MICA_OK;
    packet.interrupt.timestamp = static_cast<mica_time_t>(d->timestamp_);
    d->port_->QueueBound(&d->slot_, packet);
    return;
  }
  d->fired_ = true;
  d->waiters_.WakeOne();
}

bool InterruptDispatcher::NotFired(const void* self) NO_THREAD_SAFETY_ANALYSIS {
  // Read under the scheduler lock inside BlockWhile; the handler sets the
  // flags before it wakes the waiter, so a firing is never lost.
  auto* d = static_cast<const InterruptDispatcher*>(self);
  return !d->fired_ && !d->closed_;
}

mica::Status InterruptDispatcher::Bind(mica::RefPtr<PortDispatcher> port,
                                       uint64_t key) NO_THREAD_SAFETY_ANALYSIS {
  IrqGuard g(g_lock);
  if (port_) {
    return mica::Status::kAlreadyBound;
  }
  if (waiting_) {
    return mica::Status::kBadState;
  }
  if (closed_) {
    return mica::Status::kCanceled;
  }
  slot_.bound = true;
  key_ = key;
  port_ = mica::Move(port);
  gic::UnmaskSpi(vector_);
  return mica::Status::kOk;
}

mica::Status InterruptDispatcher::Ack() NO_THREAD_SAFETY_ANALYSIS {
  IrqGuard g(g_lock);
  if (!port_) {
    return mica::Status::kBadState;
  }
  if (!closed_) {
    gic::UnmaskSpi(vector_);
  }
  return mica::Status::kOk;
}

mica::Status InterruptDispatcher::Wait(uint64_t* timestamp) NO_THREAD_SAFETY_ANALYSIS {
  {
    IrqGuard g(g_lock);
    if (port_ || waiting_) {
      return mica::Status::kBadState;
    }
    if (closed_) {
      return mica::Status::kCanceled;
    }
    waiting_ = true;
    fired_ = false;
    gic::UnmaskSpi(vector_);
  }
  mica::Status s = waiters_.BlockWhile(NotFired, this, sched::kInfinite);
  IrqGuard g(g_lock);
  waiting_ = false;
  if (closed_) {
    return mica::Status::kCanceled;
  }
  if (s != mica::Status::kOk) {
    return s;  // the process is being killed
  }
  *timestamp = timestamp_;
  return mica::Status::kOk;
}

void InterruptDispatcher::Shutdown() NO_THREAD_SAFETY_ANALYSIS {
  mica::RefPtr<PortDispatcher> port;
  {
    IrqGuard g(g_lock);
    closed_ = true;
    if (owner_) {
      gic::MaskSpi(vector_);
      g_owner[vector_] = nullptr;
      owner_ = false;
    }
    if (port_) {
      port_->RemoveBound(&slot_);
      port = mica::Move(port_);
    }
    waiters_.WakeAll();
  }
  // `port` (maybe the last reference) is released here, outside the lock.
}

void InterruptDispatcher::OnZeroHandles() {
  Shutdown();
}
