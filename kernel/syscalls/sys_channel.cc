// Channels: create, write (handles leave the writer's table atomically with
// the write), read (handles enter the reader's table).
#include <string.h>

#include "kernel/object/channel.h"
#include "kernel/object/channel_gc.h"
#include "kernel/object/channel_ipc.h"
#include "kernel/object/port.h"
#include "kernel/syscalls/sys_common.h"

mica::Status sys_channel_create(uint32_t options, user_out_ptr<mica_handle_t> out0,
                                user_out_ptr<mica_handle_t> out1) {
  if (options != 0) {
    return mica::Status::kInvalidArgs;
  }
  mica::RefPtr<Dispatcher> a, b;
  if (!ChannelDispatcher::CreatePair(&a, &b)) {
    return mica::Status::kNoMemory;
  }
  return AddPairAndCopyOut(Process::Current(), mica::Move(a), mica::Move(b),
                           MICA_DEFAULT_CHANNEL_RIGHTS, out0, out1);
}

namespace {

// BuildMessage's work for a message with handles (num_handles > 0; out of
// line: it needs a large frame).
[[gnu::noinline]] mica::Status BuildMessageWithHandles(
    Process* p, mica_handle_t self, user_in_ptr<const void> bytes, uint32_t num_bytes,
    user_in_ptr<const mica_handle_t> handles, uint32_t num_handles, ChannelMessagePtr* out) {
  mica_handle_t values[MICA_CHANNEL_MAX_MSG_HANDLES];
  TRY(handles.copy_array_from_user(values, num_handles));
  auto close_all = [&]() {
    for (uint32_t i = 0; i < num_handles; i++) {
      (void)p->CloseHandle(values[i]);
    }
  };
  mica::Status s = mica::Status::kOk;
  for (uint32_t i = 0; i < num_handles && s == mica::Status::kOk; i++) {
    if (values[i] == self) {
      s = mica::Status::kNotSupported;
    }
    for (uint32_t j = 0; j < i && s == mica::Status::kOk; j++) {
      if (values[j] == values[i]) {
        s = mica::Status::kInvalidArgs;
      }
    }
  }
  if (s != mica::Status::kOk) {
    close_all();
    return s;
  }
  auto created =
      ChannelMessage::Create(MessageAllocator(num_bytes, num_handles), num_bytes, num_handles);
  if (!created.ok()) {
    close_all();
    return created.status();
  }
  ChannelMessagePtr msg = mica::Move(created.value());
  s = bytes.copy_from_user(msg->data(), num_bytes);
  if (s != mica::Status::kOk) {
    close_all();
    return s;
  }
  s = p->handles().RemoveMany(values, num_handles, MICA_RIGHT_TRANSFER, msg->handles());
  if (s != mica::Status::kOk) {
    close_all();  // closes the ones that are handles of the caller
    return s;
  }
  // They are no longer the caller's: waits made through them end as if
  // they were closed.
  for (uint32_t i = 0; i < num_handles; i++) {
    msg->handles()[i].object->CancelWaitsThrough(p, values[i]);
  }
  ChannelGc::HandlesEnteredMessage(msg.get());
  *out = mica::Move(msg);
  return mica::Status::kOk;
}

// Builds a message from user memory for channel_write and channel_call: the
// bytes, and the handles taken out of the caller's table all at once. Every
// handle named is consumed, success or not, unless the handle array itself
// was unreadable or too long (ABI: then nothing is closed).
[[gnu::always_inline]] inline mica::Status BuildMessage(
    Process* p, mica_handle_t self, user_in_ptr<const void> bytes, uint32_t num_bytes,
    user_in_ptr<const mica_handle_t> handles, uint32_t num_handles, ChannelMessagePtr* out) {
  if (num_bytes > MICA_CHANNEL_MAX_MSG_BYTES || num_handles > MICA_CHANNEL_MAX_MSG_HANDLES) {
    return mica::Status::kOutOfRange;
  }
  if (num_handles != 0) {
    return BuildMessageWithHandles(p, self, bytes, num_bytes, handles, num_handles, out);
  }
  // Bytes only (the common case): nothing to take out of the table, and a
  // small message goes in the thread's spare block when it has one.
  ChannelMessagePtr msg;
  TRY(NewBytesMessage(num_bytes, &CurrentUserThread()->spare_message_block, &msg));
  TRY(bytes.copy_from_user(msg->data(), num_bytes));  // on failure `msg` frees the message
  *out = mica::Move(msg);
  return mica::Status::kOk;
}

// The end of a received message (*msg, left empty): its memory becomes
// the thread's spare block (for its next message) if it can, else it is
// destroyed (its handles, if any are left in it, closed).
[[gnu::always_inline]] inline void Recycle(ChannelMessagePtr* msg) {
  RecycleMessage(msg, &CurrentUserThread()->spare_message_block);
}

// DeliverMessage's work for a message with handles (out of line: it needs
// a large frame).
[[gnu::noinline]] mica::Status DeliverHandles(Process* p, ChannelMessagePtr msg,
                                              user_out_ptr<mica_handle_t> handles) {
  uint32_t n = msg->handle_count();
  mica_handle_t values[MICA_CHANNEL_MAX_MSG_HANDLES];
  ChannelGc::HandlesLeavingMessage(msg.get());
  mica::Status s = p->handles().AddMany(msg->handles(), n, values);
  if (s != mica::Status::kOk) {
    ChannelGc::HandlesReturnedToMessage(msg.get());
    return s == mica::Status::kNoMemory ? s : mica::Status::kNoResources;
  }
  msg.reset();  // the entries moved into the table
  s = handles.copy_array_to_user(values, n);
  if (s != mica::Status::kOk) {
    for (uint32_t i = 0; i < n; i++) {
      (void)p->CloseHandle(values[i]);
    }
  }
  return s;
}

// Installs a received message (*msg) in the caller: bytes to `bytes`,
// handles into its table and their values to `handles`. On failure the
// handles are closed (the message is consumed either way).
[[gnu::always_inline]] inline mica::Status DeliverMessage(Process* p, ChannelMessagePtr* msg,
                                                          user_out_ptr<void> bytes,
                                                          user_out_ptr<mica_handle_t> handles) {
  mica::Status s = bytes.copy_to_user((*msg)->data(), (*msg)->data_size());
  if (s != mica::Status::kOk || (*msg)->handle_count() == 0) {
    Recycle(msg);
    return s;
  }
  return DeliverHandles(p, mica::Move(*msg), handles);
}

// The message of channel_write and channel_write_read from user memory
// (consuming its handles). `hs` is how the endpoint's lookup and checks
// went; a failure there is reported only after the handles are consumed
// (ABI).
[[gnu::always_inline]] inline mica::Status MessageFromUser(
    Process* p, mica_handle_t handle, mica::Status hs, user_in_ptr<const void> bytes,
    uint32_t num_bytes, user_in_ptr<const mica_handle_t> handles, uint32_t num_handles,
    ChannelMessagePtr* msg) {
  TRY(BuildMessage(p, handle, bytes, num_bytes, handles, num_handles, msg));
  if (hs != mica::Status::kOk) {
    msg->reset();  // its handles are closed with it
    return hs;
  }
  return mica::Status::kOk;
}

}  // namespace

mica::Status sys_channel_write(mica_handle_t handle, uint32_t options,
                               user_in_ptr<const void> bytes, uint32_t num_bytes,
                               user_in_ptr<const mica_handle_t> handles, uint32_t num_handles) {
  Process* p = Process::Current();
  mica::RefPtr<ChannelDispatcher> ch;
  mica::Status hs = p->GetObject<ChannelDispatcher>(handle, MICA_RIGHT_WRITE, &ch);
  if (hs == mica::Status::kOk && options != 0) {
    hs = mica::Status::kInvalidArgs;
  }
  ChannelMessagePtr msg;
  TRY(MessageFromUser(p, handle, hs, bytes, num_bytes, handles, num_handles, &msg));
  // On failure the message is destroyed with `msg`, closing its handles.
  return ch->Write(&msg);
}

mica::Status sys_channel_call(mica_handle_t handle, uint32_t options, mica_time_t deadline,
                              user_in_ptr<const mica_channel_call_args_t> args,
                              user_out_ptr<uint32_t> actual_bytes,
                              user_out_ptr<uint32_t> actual_handles) {
  Process* p = Process::Current();
  mica_channel_call_args_t a;
  TRY(args.copy_from_user(&a));
  ChannelDispatcher* ch;
  mica::Status hs =
      p->GetObjectCached<ChannelDispatcher>(handle, MICA_RIGHT_READ | MICA_RIGHT_WRITE, &ch);
  if (hs == mica::Status::kOk && (options != 0 || a.wr_num_bytes < 4)) {
    hs = mica::Status::kInvalidArgs;
  }
  ChannelMessagePtr request;
  TRY(BuildMessage(p, handle, UserIn(a.wr_bytes), a.wr_num_bytes, UserIn(a.wr_handles),
                   a.wr_num_handles, &request));
  if (hs != mica::Status::kOk) {
    return hs;  // `request` is destroyed, closing its handles
  }
  ChannelMessagePtr reply;
  // A request never sent is destroyed with `request`, a reply not
  // delivered with `reply` (their handles closed).
  TRY(ch->Call(&request, ToDeadline(deadline), &reply, WaitThrough{p, handle}));
  uint32_t nb = reply->data_size(), nh = reply->handle_count();
  if (!actual_bytes.is_null()) {
    TRY(actual_bytes.copy_to_user(nb));
  }
  if (!actual_handles.is_null()) {
    TRY(actual_handles.copy_to_user(nh));
  }
  if (nb > a.rd_num_bytes || nh > a.rd_num_handles) {
    return mica::Status::kBufferTooSmall;  // the reply is discarded, its handles closed
  }
  return DeliverMessage(p, &reply, UserOut(a.rd_bytes), UserOut(a.rd_handles));
}

namespace {

// FinishRead's work for a message with handles (out of line: it needs a
// large frame): probes the buffer, moves the handles into the table and
// their values out. On failure the message goes back (as in FinishRead).
[[gnu::noinline]] mica::Status FinishReadHandles(Process* p, ChannelDispatcher* channel,
                                                 ChannelMessagePtr* msg, uint32_t nhandles,
                                                 user_out_ptr<mica_handle_t> handles) {
  auto fail = [&](mica::Status why) {
    channel->Unread(msg);
    return why;
  };
  // Probe the handle buffer before the handles enter the table, so a bad
  // buffer leaves the message queued.
  mica_handle_t values[MICA_CHANNEL_MAX_MSG_HANDLES] = {};
  mica::Status s = handles.copy_array_to_user(values, nhandles);
  if (s != mica::Status::kOk) {
    return fail(s);
  }
  ChannelGc::HandlesLeavingMessage(msg->get());
  s = p->handles().AddMany((*msg)->handles(), nhandles, values);
  if (s != mica::Status::kOk) {
    ChannelGc::HandlesReturnedToMessage(msg->get());
    return fail(s == mica::Status::kNoMemory ? s : mica::Status::kNoResources);
  }
  s = handles.copy_array_to_user(values, nhandles);
  if (s != mica::Status::kOk) {
    // Another thread unmapped the buffer since the probe: the handles are
    // the caller's now, in a buffer it cannot read; close them so they do
    // not leak.
    for (uint32_t i = 0; i < nhandles; i++) {
      (void)p->CloseHandle(values[i]);
    }
    return s;
  }
  return mica::Status::kOk;
}

// The second half of channel_read and channel_write_read: `s` and the
// message (*received) are what ChannelDispatcher::Read/WriteReadWait gave. Writes the
// sizes, then the bytes and handles; any failure puts the message back at
// the front, so a read that cannot deliver it never loses it or changes
// the order.
[[gnu::always_inline]] inline mica::Status FinishRead(Process* p, ChannelDispatcher* channel,
                                                      mica::Status s, ChannelMessagePtr* received,
                                                      uint32_t nbytes, uint32_t nhandles,
                                                      user_out_ptr<void> bytes,
                                                      user_out_ptr<mica_handle_t> handles,
                                                      user_out_ptr<uint32_t> actual_bytes,
                                                      user_out_ptr<uint32_t> actual_handles) {
  ChannelMessagePtr& msg = *received;  // left to the caller to destroy, if anything is left
  if (s != mica::Status::kOk && s != mica::Status::kBufferTooSmall) {
    return s;
  }
  auto fail = [&](mica::Status why) {
    if (msg) {
      channel->Unread(&msg);
    }
    return why;
  };
  mica::Status c = mica::Status::kOk;
  if (!actual_bytes.is_null()) {
    c = actual_bytes.copy_to_user(nbytes);
  }
  if (c == mica::Status::kOk && !actual_handles.is_null()) {
    c = actual_handles.copy_to_user(nhandles);
  }
  if (c != mica::Status::kOk) {
    return fail(c);
  }
  if (s != mica::Status::kOk) {
    return s;  // kBufferTooSmall: the message stayed queued
  }
  s = bytes.copy_to_user(msg->data(), nbytes);
  if (s != mica::Status::kOk) {
    return fail(s);
  }
  if (nhandles == 0) {
    Recycle(&msg);
    return mica::Status::kOk;
  }
  return FinishReadHandles(p, channel, &msg, nhandles, handles);
}

}  // namespace

mica::Status sys_channel_read(mica_handle_t handle, uint32_t options, user_out_ptr<void> bytes,
                              user_out_ptr<mica_handle_t> handles, uint32_t num_bytes,
                              uint32_t num_handles, user_out_ptr<uint32_t> actual_bytes,
                              user_out_ptr<uint32_t> actual_handles) {
  Process* p = Process::Current();
  mica::RefPtr<ChannelDispatcher> channel =
      TRY(p->GetObject<ChannelDispatcher>(handle, MICA_RIGHT_READ));
  if (options != 0) {
    return mica::Status::kInvalidArgs;
  }
  ChannelMessagePtr msg;
  uint32_t nbytes = 0, nhandles = 0;
  mica::Status s = channel->Read(num_bytes, num_handles, &msg, &nbytes, &nhandles);
  return FinishRead(p, channel.get(), s, &msg, nbytes, nhandles, bytes, handles, actual_bytes,
                    actual_handles);
}

mica::Status sys_channel_write_read(mica_handle_t handle, uint32_t options, mica_time_t deadline,
                                    user_in_ptr<const mica_channel_call_args_t> args,
                                    user_out_ptr<uint32_t> actual_bytes,
                                    user_out_ptr<uint32_t> actual_handles) {
  Process* p = Process::Current();
  mica_channel_call_args_t a;
  TRY(args.copy_from_user(&a));
  const bool write = (options & MICA_CHANNEL_WRITE_READ_NO_WRITE) == 0;
  ChannelDispatcher* channel;
  mica::Status hs = p->GetObjectCached<ChannelDispatcher>(
      handle, write ? MICA_RIGHT_READ | MICA_RIGHT_WRITE : MICA_RIGHT_READ, &channel);
  if (hs == mica::Status::kOk && (options & ~MICA_CHANNEL_WRITE_READ_NO_WRITE) != 0) {
    hs = mica::Status::kInvalidArgs;
  }
  ChannelMessagePtr request;
  if (write) {
    TRY(MessageFromUser(p, handle, hs, UserIn(a.wr_bytes), a.wr_num_bytes, UserIn(a.wr_handles),
                        a.wr_num_handles, &request));
  } else if (hs != mica::Status::kOk) {
    return hs;
  }
  ChannelMessagePtr msg;
  uint32_t nbytes = 0, nhandles = 0;
  mica::Status s = channel->WriteReadWait(write ? &request : nullptr, a.rd_num_bytes,
                                          a.rd_num_handles, ToDeadline(deadline), &msg, &nbytes,
                                          &nhandles, WaitThrough{p, handle});

  if (request) {
    // The write failed (nothing was read): the message is destroyed with
    // `request`.
    return s;
  }
  return FinishRead(p, channel, s, &msg, nbytes, nhandles, UserOut(a.rd_bytes),
                    UserOut(a.rd_handles), actual_bytes, actual_handles);
}

mica::Status sys_port_reply_wait(mica_handle_t port, mica_time_t deadline, mica_handle_t channel,
                                 user_in_ptr<const mica_channel_call_args_t> args,
                                 user_out_ptr<mica_port_packet_t> packet,
                                 user_out_ptr<uint32_t> actual_bytes,
                                 user_out_ptr<uint32_t> actual_handles) {
  Process* p = Process::Current();
  mica_channel_call_args_t a;
  TRY(args.copy_from_user(&a));
  // The port through the thread's one-entry cache (a server waits on one
  // port over and over); the reply's endpoint with a reference of its own.
  PortDispatcher* pd;
  mica::Status ps = p->GetObjectCached<PortDispatcher>(port, MICA_RIGHT_READ, &pd);
  mica::RefPtr<ChannelDispatcher> ch;
  ChannelMessagePtr reply;
  if (channel != MICA_HANDLE_INVALID) {
    mica::Status hs = p->GetObject<ChannelDispatcher>(channel, MICA_RIGHT_WRITE, &ch);
    if (hs == mica::Status::kOk) {
      hs = ps;
    }
    // Consumes the message's handles even if a lookup failed (ABI).
    TRY(MessageFromUser(p, channel, hs, UserIn(a.wr_bytes), a.wr_num_bytes, UserIn(a.wr_handles),
                        a.wr_num_handles, &reply));
  } else if (ps != mica::Status::kOk) {
    return ps;
  }
  ReadSource source;
  mica_port_packet_t pkt;
  // On a write error `reply` is destroyed on return, closing its handles.
  TRY(pd->ReplyWait(ch.get(), ch ? &reply : nullptr, ToDeadline(deadline), a.rd_num_bytes,
                    a.rd_num_handles, &pkt, WaitThrough{p, port}, &source));
  if (source.handed) {
    // A writer handed the message over (it never queued): deliver it, or
    // put it back at the front of its channel's queue.
    auto* from = static_cast<ChannelDispatcher*>(source.from.get());
    // The writer that handed it over wakes this port's waiters with the
    // channel lock held: once this thread has had that lock, the writer is
    // done with the port (which this thread's handle cache keeps alive
    // until then).
    from->SyncWithWriter();
    if (sched::Current()->interrupted) {
      from->Unread(&source.msg);  // for the process's other threads
      return mica::Status::kCanceled;
    }
    mica_port_packet_t plain = pkt;
    plain.type = MICA_PKT_TYPE_SIGNAL;
    mica::Status s = packet.copy_to_user(plain);  // a bad packet buffer must not cost it
    if (s != mica::Status::kOk) {
      from->Unread(&source.msg);
      return s;
    }
    uint32_t nbytes = source.msg->data_size(), nhandles = source.msg->handle_count();
    s = FinishRead(p, from, mica::Status::kOk, &source.msg, nbytes, nhandles, UserOut(a.rd_bytes),
                   UserOut(a.rd_handles), actual_bytes, actual_handles);
    if (s != mica::Status::kOk) {
      return mica::Status::kOk;  // back in the queue (FinishRead): the plain packet
    }
    return packet.copy_to_user(pkt);
  }
  // The packet first: a bad packet buffer must not cost a message.
  TRY(packet.copy_to_user(pkt));
  if (!source.valid || source.owner != p) {
    return mica::Status::kOk;
  }
  mica::RefPtr<ChannelDispatcher> from;
  if (p->GetObject<ChannelDispatcher>(source.handle, MICA_RIGHT_READ, &from) != mica::Status::kOk ||
      from->koid() != source.koid) {
    return mica::Status::kOk;  // the handle went away: the packet alone
  }
  ChannelMessagePtr msg;
  uint32_t nbytes = 0, nhandles = 0;
  mica::Status s = from->Read(a.rd_num_bytes, a.rd_num_handles, &msg, &nbytes, &nhandles);
  if (s != mica::Status::kOk) {
    return mica::Status::kOk;  // nothing queued, or it does not fit: it stays queued
  }
  s = FinishRead(p, from.get(), s, &msg, nbytes, nhandles, UserOut(a.rd_bytes),
                 UserOut(a.rd_handles), actual_bytes, actual_handles);
  if (s != mica::Status::kOk) {
    return mica::Status::kOk;  // the message went back to the front of the queue
  }
  pkt.type = MICA_PKT_TYPE_MESSAGE;
  pkt.signal.observed = from->signals();
  return packet.copy_to_user(pkt);
}
