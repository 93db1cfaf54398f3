// Interrupt objects: one shared peripheral interrupt routed to user space
// (DESIGN.md §4, syscalls.mica "Interrupts and resources"). One object at a
// time owns a line. The line is masked except while a thread waits in
// interrupt_wait or, once bound to a port, between interrupt_ack and the
// next firing: every firing masks it again. A bound firing queues the
// object's own packet (reserved at bind time: the IRQ handler never
// allocates). Closing the last handle masks the line, releases it and
// cancels a waiting interrupt_wait.
//
// Lock order: the interrupt lock (one for all lines, IRQ-safe, taken by the
// IRQ handler) -> PortDispatcher queue lock -> the scheduler lock.
#pragma once

#include "kernel/arch/arm64/gic.h"
#include "kernel/object/dispatcher.h"
#include "kernel/object/port.h"
#include "kernel/sched/sched.h"

class InterruptDispatcher final : public Dispatcher {
 public:
  // interrupt_create for `vector` (the caller checked the resource first
  // with Routable): kInvalidArgs (options), kOutOfRange (not an SPI the
  // kernel can give away), kAlreadyExists (owned), kNoMemory.
  static mica::Status Create(uint32_t vector, uint32_t options,
                             mica::RefPtr<InterruptDispatcher>* out);
  // True if `vector` is a line user space may own (an SPI of the interrupt
  // controller that the kernel does not use).
  static bool Routable(uint32_t vector);
  ~InterruptDispatcher() override;
  mica_rights_t default_rights() const override { return MICA_DEFAULT_INTERRUPT_RIGHTS; }

  // interrupt_bind: kAlreadyBound, kBadState (a thread waits).
  mica::Status Bind(mica::RefPtr<PortDispatcher> port, uint64_t key);
  // interrupt_ack: unmasks a bound line; kBadState if not bound.
  mica::Status Ack();
  // interrupt_wait: unmasks the line and blocks until it fires; *timestamp
  // gets when. kBadState (bound, or another waiter), kCanceled (closed, or
  // the process is being killed).
  mica::Status Wait(uint64_t* timestamp);

 protected:
  void OnZeroHandles() override;

 private:
  explicit InterruptDispatcher(uint32_t vector)
      : Dispatcher(MICA_OBJ_TYPE_INTERRUPT, 0), vector_(vector) {}
  static void HandleIrq(uint32_t intid, void* arg);
  static bool NotFired(const void* self);
  // Masks the line, gives it up and drops the binding (idempotent).
  void Shutdown();

  // The interrupt lock: one for every user-owned line. It serialises the
  // IRQ handler with the calls and with the object giving its line up.
  static IrqSpinLock lines_lock_ ACQUIRED_BEFORE(sched::g_sched_lock);
  // Each line's owner.
  static InterruptDispatcher* owners_[gic::kMaxIntid] GUARDED_BY(lines_lock_);

  const uint32_t vector_;
  bool owner_ GUARDED_BY(lines_lock_) = false;  // holds its line in the owner table
  bool closed_ GUARDED_BY(lines_lock_) = false;
  bool waiting_ GUARDED_BY(lines_lock_) = false;
  bool fired_ GUARDED_BY(lines_lock_) = false;
  uint64_t timestamp_ GUARDED_BY(lines_lock_) = 0;
  mica::RefPtr<PortDispatcher> port_ GUARDED_BY(lines_lock_);
  uint64_t key_ GUARDED_BY(lines_lock_) = 0;
  PortPacketNode slot_;  // the port's (its queue lock)
  sched::WaitQueue waiters_;
};
