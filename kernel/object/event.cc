#include "kernel/object/event.h"

#include <new>

bool EventPairDispatcher::CreatePair(mica::RefPtr<Dispatcher>* a, mica::RefPtr<Dispatcher>* b) {
  mica::AllocChecker ac_x, ac_y;
  auto* x = new (ac_x) EventPairDispatcher();
  auto* y = new (ac_y) EventPairDispatcher();
  const bool ok_a = ac_x.check(), ok_b = ac_y.check();
  if (!ok_a || !ok_b) {
    delete x;
    delete y;
    return false;
  }
  auto rx = mica::AdoptRef(x);
  auto ry = mica::AdoptRef(y);
  {
    IrqGuard g(x->peer_lock_);
    x->peer_ = ry;
    x->peer_koid_ = y->koid();
  }
  {
    IrqGuard g(y->peer_lock_);
    y->peer_ = rx;
    y->peer_koid_ = x->koid();
  }
  *a = rx;
  *b = ry;
  return true;
}

mica::Status EventPairDispatcher::SignalPeer(mica_signals_t clear, mica_signals_t set) {
  mica::RefPtr<EventPairDispatcher> peer;
  {
    IrqGuard g(peer_lock_);
    peer = peer_;
  }
  if (!peer) {
    return mica::Status::kPeerClosed;
  }
  peer->UpdateSignals(clear, set);
  return mica::Status::kOk;
}

void EventPairDispatcher::OnZeroHandles() {
  mica::RefPtr<EventPairDispatcher> peer;
  {
    IrqGuard g(peer_lock_);
    peer = mica::Move(peer_);
  }
  if (peer) {
    {
      IrqGuard g(peer->peer_lock_);
      peer->peer_.reset();  // break the reference cycle
    }
    peer->UpdateSignals(0, MICA_EVENTPAIR_PEER_CLOSED);
  }
}
