// The collector of channel endpoints that only keep themselves alive (R1).
//
// The problem. A handle in a message queued at an endpoint keeps its object
// alive. When every handle to an endpoint is inside messages queued at
// endpoints in the same state (an endpoint queued into itself, A's handle
// queued at B and B's at A, longer rings), nobody can ever read them, and
// the whole set, with everything its messages carry, would never be freed.
// Linux has the same problem with file descriptors in flight on Unix
// sockets and collects them (net/unix/garbage.c); Zircon leaks.
//
// Terms. An endpoint's handle count (Dispatcher::handle_count) counts its
// handles in tables and in messages; its in-flight count those in messages,
// from the write that takes them out of a table until they enter a table
// (a read) or the message is destroyed. An endpoint whose handle count
// equals its in-flight count (> 0) is a *candidate*: no process holds a
// handle to it.
//
// A collection (Linux's algorithm before its 6.10 rewrite):
//  1. Select the candidates among the endpoints with handles in flight;
//     each starts with gc_count = its in-flight count.
//  2. For each handle in a message queued at a candidate that names a
//     candidate E: E.gc_count -= 1. A candidate left with gc_count > 0 has
//     a handle outside the candidates' queues: in a queue of an endpoint a
//     process can read, or in a message in transit (being written, handed
//     to a waiting reader or caller, being read).
//  3. Those are reachable, and so is every candidate named in a message
//     queued at a reachable one (a worklist: no recursion).
//  4. The rest is garbage. Each is marked tentatively dead, then dead,
//     each time under its lock and only if no message carrying endpoints
//     left a queue since step 1 (below); then their queues are drained and
//     the messages destroyed outside every lock. That releases the garbage's in-flight handles; their handle
//     counts fall to zero and they go as any endpoint does (PEER_CLOSED to
//     live peers, iterative destruction: Dispatcher::RemoveHandleRef).
//
// Why it is safe with everything else running. A candidate has no handle in
// any table, so no new operation can start on it; its set of messages can
// only grow (a live peer writes to it), which adds handles that were in a
// table or in transit when step 1 ran and so cannot make anything look
// unreachable. The one hazard is an operation that started before the
// candidate's last handle left its table (a read racing with the send or
// close of the handle it reads through): it may take a message out of a
// candidate's queue after step 2 counted the handles inside. Every read
// that takes out a message carrying endpoint handles, and every read of a
// tentatively dead endpoint, bumps a generation counter under the
// endpoint's lock. Step 4 checks the counter after marking everything
// tentatively dead (so no read slips between its check and the marks) and
// again after marking it dead (a read of a dead endpoint fails with
// kCanceled: by then only racing reads can come); if it moved, the
// collection unmarks them and gives up before draining anything, and the
// collector thread tries again.
//
// Cost. Only one collection runs at a time; whoever triggers one while
// another runs makes it run once more. Step 1 visits each endpoint with
// handles in flight once, 64 at a time under the in-flight lock; steps 2-4
// hold one endpoint's lock at a time, while they look at its queue.
// Interrupts are never off for more than that. Triggers: a channel handle
// released (closed, a process's death, a destroyed message) or an
// endpoint's handle written into a message, when that may have left an
// endpoint a candidate. A message carrying a candidate that is queued
// wakes the collector thread (not the write itself: until it is queued the
// message is in transit, which makes its endpoints look reachable); a
// release collects at once in the releasing thread (after it dropped its
// locks, and never with interrupts off) while that keeps the work
// proportional to the events: with V endpoint handles in flight (what a
// collection costs), after V events since the last collection. A trigger past the ration wakes the
// collector thread instead, which collects after a pause of 2 ms to 200 ms,
// at least twice the last collection's length, so garbage never lingers
// and a flood of triggers costs at most a third of one CPU. Nothing is
// repeated until a new candidate may exist.
#pragma once

#include "kernel/object/channel.h"

class ChannelGc {
 public:
  // The handles of `msg` have just been taken out of a table into it (a
  // write): counts the endpoints among them in flight, and has the
  // collector thread look soon if that may have made a candidate.
  static void HandlesEnteredMessage(ChannelMessage* msg);
  // The handles of `msg` are about to move into a table (a read):
  // uncounts them. If the move fails and they stay in the message,
  // HandlesReturnedToMessage counts them again.
  static void HandlesLeavingMessage(ChannelMessage* msg);
  static void HandlesReturnedToMessage(ChannelMessage* msg);
  // One handle inside a message is released with its message.
  static void InFlightHandleReleased(ChannelDispatcher* endpoint);
  // `msg`, carrying handles, was just queued (endpoint lock held): if it
  // carries a candidate, the collector thread looks soon. (Not at the
  // write's start: until it is queued the message is in transit, which
  // makes its endpoints look reachable.) preserve_most: the IPC path that
  // tests for it keeps its registers as if no call were there (its
  // instruction counts are the M3 figures).
  [[clang::preserve_most]] static void QueuedLocked(const ChannelMessage& msg);
  // A read took `msg`, carrying handles, out of a queue (endpoint lock
  // held): bumps the generation if it carries endpoints.
  static void DequeuedLocked(const ChannelMessage& msg);
  // A read of an endpoint a collection has tentatively found unreachable:
  // that collection must give up (endpoint lock held).
  static void ReadDuringVerdictLocked();
  // An endpoint lost a handle and kept `remaining`.
  static void HandleReleased(ChannelDispatcher* endpoint, uint32_t remaining);

  // Runs a collection now if one may find something and the ration allows
  // (or `force`). Call without spin locks held.
  static void MaybeCollect(bool force = false);

  // Starts the collector thread (boot, once the scheduler runs).
  static void Start();

  // For tests and statistics.
  struct Stats {
    uint64_t collections;  // collections that ran to the end
    uint64_t aborted;      // given up on (a message left a queue meanwhile)
    uint64_t collected;    // endpoints found unreachable and drained
    uint64_t in_flight;    // endpoint handles in messages now
  };
  static Stats GetStats();
  // Whether a collection runs now or the collector thread is due to run one
  // (MICA_INFO_KMEM_STATS collector_busy: a leak check waits until not).
  static bool Busy();

  using InFlightList = mica::List<ChannelDispatcher, &ChannelDispatcher::inflight_node_>;

 private:
  static bool CarriesEndpoints(const ChannelMessage& msg);
  static void CountInFlight(ChannelMessage* msg, int delta, bool note_candidates);
  static void CollectOnce();
  static void KickCollector();
  static void WorkerMain(void*);
};
