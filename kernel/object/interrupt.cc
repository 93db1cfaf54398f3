#include "kernel/object/interrupt.h"

#include <new>

#include "kernel/arch/arm64/gic.h"
#include "kernel/arch/arm64/timer.h"

IrqSpinLock InterruptDispatcher::lines_lock_;
InterruptDispatcher* InterruptDispatcher::owners_[gic::kMaxIntid];

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
    IrqGuard g(lines_lock_);
    if (owners_[vector] != nullptr) {
      return mica::Status::kAlreadyExists;
    }
    owners_[vector] = d;
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

void InterruptDispatcher::HandleIrq(uint32_t intid, void*) {
  // IRQ context: no blocking, no allocation.
  IrqGuard g(lines_lock_);
  gic::MaskSpi(intid);  // until interrupt_ack / the next interrupt_wait
  InterruptDispatcher* d = owners_[intid];
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

// Read under the scheduler lock inside BlockWhile, not lines_lock_; the
// handler sets the flags before it wakes the waiter, so a firing is never
// lost.
bool InterruptDispatcher::NotFired(const void* self)
    NO_THREAD_SAFETY_ANALYSIS {  // BlockWhile's condition: see above
  auto* d = static_cast<const InterruptDispatcher*>(self);
  return !d->fired_ && !d->closed_;
}

mica::Status InterruptDispatcher::Bind(mica::RefPtr<PortDispatcher> port, uint64_t key) {
  IrqGuard g(lines_lock_);
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

mica::Status InterruptDispatcher::Ack() {
  IrqGuard g(lines_lock_);
  if (!port_) {
    return mica::Status::kBadState;
  }
  if (!closed_) {
    gic::UnmaskSpi(vector_);
  }
  return mica::Status::kOk;
}

mica::Status InterruptDispatcher::Wait(uint64_t* timestamp) {
  {
    IrqGuard g(lines_lock_);
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
  IrqGuard g(lines_lock_);
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

void InterruptDispatcher::Shutdown() {
  mica::RefPtr<PortDispatcher> port;
  {
    IrqGuard g(lines_lock_);
    closed_ = true;
    if (owner_) {
      gic::MaskSpi(vector_);
      owners_[vector_] = nullptr;
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
