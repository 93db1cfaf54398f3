// Channels: create, write (handles leave the writer's table atomically with
// the write), read (handles enter the reader's table).
#include <string.h>

#include "kernel/object/channel.h"
#include "kernel/object/channel_gc.h"
#include "kernel/object/channel_ipc.h"
#include "kernel/syscalls/sys_common.h"

int64_t sys_channel_create(uint32_t options, user_out_ptr<mica_handle_t> out0,
                           user_out_ptr<mica_handle_t> out1) {
  if (options != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  mica::RefPtr<Dispatcher> a, b;
  if (!ChannelDispatcher::CreatePair(&a, &b)) {
    return Err(mica::Status::kNoMemory);
  }
  Process* p = Process::Current();
  mica_handle_t h0;
  mica::Status s = p->AddHandle(a, MICA_DEFAULT_CHANNEL_RIGHTS, &h0);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  s = AddAndCopyOut(p, b, MICA_DEFAULT_CHANNEL_RIGHTS, out1);
  if (s == mica::Status::kOk) {
    s = out0.copy_to_user(h0);
  }
  if (s != mica::Status::kOk) {
    (void)p->CloseHandle(h0);
  }
  return Err(s);
}

namespace {

// BuildMessage's work for a message with handles (num_handles > 0; out of
// line: it needs a large frame).
[[gnu::noinline]] mica::Status BuildMessageWithHandles(Process* p, mica_handle_t self,
                                                       uint64_t bytes, uint32_t num_bytes,
                                                       uint64_t handles, uint32_t num_handles,
                                                       ChannelMessagePtr* out) {
  mica_handle_t values[MICA_CHANNEL_MAX_MSG_HANDLES];
  mica::Status s = usercopy::CopyIn(values, handles, num_handles * sizeof(mica_handle_t));
  if (s != mica::Status::kOk) {
    return s;
  }
  auto close_all = [&]() {
    for (uint32_t i = 0; i < num_handles; i++) {
      (void)p->CloseHandle(values[i]);
    }
  };
  s = mica::Status::kOk;
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
  s = usercopy::CopyIn(msg->data(), bytes, num_bytes);
  if (num_bytes != 0 && s != mica::Status::kOk) {
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
[[gnu::always_inline]] inline mica::Status BuildMessage(Process* p, mica_handle_t self,
                                                        uint64_t bytes, uint32_t num_bytes,
                                                        uint64_t handles, uint32_t num_handles,
                                                        ChannelMessagePtr* out) {
  if (num_bytes > MICA_CHANNEL_MAX_MSG_BYTES || num_handles > MICA_CHANNEL_MAX_MSG_HANDLES) {
    return mica::Status::kOutOfRange;
  }
  if (num_handles != 0) {
    return BuildMessageWithHandles(p, self, bytes, num_bytes, handles, num_handles, out);
  }
  // Bytes only (the common case): nothing to take out of the table, and a
  // small message goes in the thread's spare block when it has one.
  ChannelMessagePtr msg;
  mica::Status s = NewBytesMessage(num_bytes, &CurrentUserThread()->spare_message_block, &msg);
  if (s != mica::Status::kOk) {
    return s;
  }
  s = usercopy::CopyIn(msg->data(), bytes, num_bytes);
  if (num_bytes != 0 && s != mica::Status::kOk) {
    return s;  // the message is freed with `msg`
  }
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
[[gnu::noinline]] mica::Status DeliverHandles(Process* p, ChannelMessagePtr msg, uint64_t handles) {
  uint32_t n = msg->handle_count();
  mica_handle_t values[MICA_CHANNEL_MAX_MSG_HANDLES];
  ChannelGc::HandlesLeavingMessage(msg.get());
  mica::Status s = p->handles().AddMany(msg->handles(), n, values);
  if (s != mica::Status::kOk) {
    ChannelGc::HandlesReturnedToMessage(msg.get());
    return s == mica::Status::kNoMemory ? s : mica::Status::kNoResources;
  }
  msg.reset();  // the entries moved into the table
  s = usercopy::CopyOut(handles, values, n * sizeof(mica_handle_t));
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
                                                          uint64_t bytes, uint64_t handles) {
  mica::Status s = usercopy::CopyOut(bytes, (*msg)->data(), (*msg)->data_size());
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
[[gnu::always_inline]] inline mica::Status MessageFromUser(Process* p, mica_handle_t handle,
                                                           mica::Status hs, uint64_t bytes,
                                                           uint32_t num_bytes, uint64_t handles,
                                                           uint32_t num_handles,
                                                           ChannelMessagePtr* msg) {
  mica::Status s = BuildMessage(p, handle, bytes, num_bytes, handles, num_handles, msg);
  if (s != mica::Status::kOk) {
    return s;
  }
  if (hs != mica::Status::kOk) {
    msg->reset();  // its handles are closed with it
    return hs;
  }
  return mica::Status::kOk;
}

}  // namespace

int64_t sys_channel_write(mica_handle_t handle, uint32_t options, user_in_ptr<const void> bytes,
                          uint32_t num_bytes, user_in_ptr<const mica_handle_t> handles,
                          uint32_t num_handles) {
  Process* p = Process::Current();
  HandleEntry ch;
  mica::Status hs = p->GetHandle(handle, MICA_OBJ_TYPE_CHANNEL, MICA_RIGHT_WRITE, &ch);
  if (hs == mica::Status::kOk && options != 0) {
    hs = mica::Status::kInvalidArgs;
  }
  ChannelMessagePtr msg;
  mica::Status s =
      MessageFromUser(p, handle, hs, bytes.addr(), num_bytes, handles.addr(), num_handles, &msg);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  // On failure the message is destroyed with `msg`, closing its handles.
  s = static_cast<ChannelDispatcher*>(ch.object.get())->Write(&msg);
  return Err(s);
}

int64_t sys_channel_call(mica_handle_t handle, uint32_t options, mica_time_t deadline,
                         user_in_ptr<const mica_channel_call_args_t> args,
                         user_out_ptr<uint32_t> actual_bytes,
                         user_out_ptr<uint32_t> actual_handles) {
  Process* p = Process::Current();
  mica_channel_call_args_t a;
  mica::Status s = args.copy_from_user(&a);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  Dispatcher* ch = nullptr;
  mica::Status hs =
      p->GetHandleCached(handle, MICA_OBJ_TYPE_CHANNEL, MICA_RIGHT_READ | MICA_RIGHT_WRITE, &ch);
  if (hs == mica::Status::kOk && (options != 0 || a.wr_num_bytes < 4)) {
    hs = mica::Status::kInvalidArgs;
  }
  ChannelMessagePtr request;
  s = BuildMessage(p, handle, reinterpret_cast<uint64_t>(a.wr_bytes), a.wr_num_bytes,
                   reinterpret_cast<uint64_t>(a.wr_handles), a.wr_num_handles, &request);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if (hs != mica::Status::kOk) {
    return Err(hs);  // `request` is destroyed, closing its handles
  }
  ChannelMessagePtr reply;
  // A request never sent is destroyed with `request`, a reply not
  // delivered with `reply` (their handles closed).
  s = static_cast<ChannelDispatcher*>(ch)->Call(&request, ToDeadline(deadline), &reply,
                                                WaitThrough{p, handle});
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  uint32_t nb = reply->data_size(), nh = reply->handle_count();
  if (!actual_bytes.is_null() && (s = actual_bytes.copy_to_user(nb)) != mica::Status::kOk) {
    return Err(s);
  }
  if (!actual_handles.is_null() && (s = actual_handles.copy_to_user(nh)) != mica::Status::kOk) {
    return Err(s);
  }
  if (nb > a.rd_num_bytes || nh > a.rd_num_handles) {
    return Err(mica::Status::kBufferTooSmall);  // the reply is discarded
  }
  return Err(DeliverMessage(p, &reply, reinterpret_cast<uint64_t>(a.rd_bytes),
                            reinterpret_cast<uint64_t>(a.rd_handles)));
}

namespace {

// FinishRead's work for a message with handles (out of line: it needs a
// large frame): probes the buffer, moves the handles into the table and
// their values out. On failure the message goes back (as in FinishRead).
[[gnu::noinline]] int64_t FinishReadHandles(Process* p, ChannelDispatcher* channel,
                                            ChannelMessagePtr* msg, uint32_t nhandles,
                                            user_out_ptr<mica_handle_t> handles) {
  auto fail = [&](mica::Status why) {
    channel->Unread(msg);
    return Err(why);
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
    return Err(s);
  }
  return kOk;
}

// The second half of channel_read and channel_write_read: `s` and the
// message (*received) are what ChannelDispatcher::Read/WriteReadWait gave. Writes the
// sizes, then the bytes and handles; any failure puts the message back at
// the front, so a read that cannot deliver it never loses it or changes
// the order.
[[gnu::always_inline]] inline int64_t FinishRead(Process* p, ChannelDispatcher* channel,
                                                 mica::Status s, ChannelMessagePtr* received,
                                                 uint32_t nbytes, uint32_t nhandles,
                                                 user_out_ptr<void> bytes,
                                                 user_out_ptr<mica_handle_t> handles,
                                                 user_out_ptr<uint32_t> actual_bytes,
                                                 user_out_ptr<uint32_t> actual_handles) {
  ChannelMessagePtr& msg = *received;  // left to the caller to destroy, if anything is left
  if (s != mica::Status::kOk && s != mica::Status::kBufferTooSmall) {
    return Err(s);
  }
  auto fail = [&](mica::Status why) {
    if (msg) {
      channel->Unread(&msg);
    }
    return Err(why);
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
    return Err(s);  // kBufferTooSmall: the message stayed queued
  }
  s = bytes.copy_to_user(msg->data(), nbytes);
  if (s != mica::Status::kOk) {
    return fail(s);
  }
  if (nhandles == 0) {
    Recycle(&msg);
    return kOk;
  }
  return FinishReadHandles(p, channel, &msg, nhandles, handles);
}

}  // namespace

int64_t sys_channel_read(mica_handle_t handle, uint32_t options, user_out_ptr<void> bytes,
                         user_out_ptr<mica_handle_t> handles, uint32_t num_bytes,
                         uint32_t num_handles, user_out_ptr<uint32_t> actual_bytes,
                         user_out_ptr<uint32_t> actual_handles) {
  Process* p = Process::Current();
  HandleEntry ch;
  mica::Status s = p->GetHandle(handle, MICA_OBJ_TYPE_CHANNEL, MICA_RIGHT_READ, &ch);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if (options != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  auto* channel = static_cast<ChannelDispatcher*>(ch.object.get());
  ChannelMessagePtr msg;
  uint32_t nbytes = 0, nhandles = 0;
  s = channel->Read(num_bytes, num_handles, &msg, &nbytes, &nhandles);
  return FinishRead(p, channel, s, &msg, nbytes, nhandles, bytes, handles, actual_bytes,
                    actual_handles);
}

int64_t sys_channel_write_read(mica_handle_t handle, uint32_t options, mica_time_t deadline,
                               user_in_ptr<const mica_channel_call_args_t> args,
                               user_out_ptr<uint32_t> actual_bytes,
                               user_out_ptr<uint32_t> actual_handles) {
  Process* p = Process::Current();
  mica_channel_call_args_t a;
  mica::Status s = args.copy_from_user(&a);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  const bool write = (options & MICA_CHANNEL_WRITE_READ_NO_WRITE) == 0;
  Dispatcher* ch = nullptr;
  mica::Status hs =
      p->GetHandleCached(handle, MICA_OBJ_TYPE_CHANNEL,
                         write ? MICA_RIGHT_READ | MICA_RIGHT_WRITE : MICA_RIGHT_READ, &ch);
  if (hs == mica::Status::kOk && (options & ~MICA_CHANNEL_WRITE_READ_NO_WRITE) != 0) {
    hs = mica::Status::kInvalidArgs;
  }
  auto* channel = static_cast<ChannelDispatcher*>(ch);
  ChannelMessagePtr request;
  if (write) {
    s = MessageFromUser(p, handle, hs, reinterpret_cast<uint64_t>(a.wr_bytes), a.wr_num_bytes,
                        reinterpret_cast<uint64_t>(a.wr_handles), a.wr_num_handles, &request);
    if (s != mica::Status::kOk) {
      return Err(s);
    }
  } else if (hs != mica::Status::kOk) {
    return Err(hs);
  }
  ChannelMessagePtr msg;
  uint32_t nbytes = 0, nhandles = 0;
  s = channel->WriteReadWait(write ? &request : nullptr, a.rd_num_bytes, a.rd_num_handles,
                             ToDeadline(deadline), &msg, &nbytes, &nhandles,
                             WaitThrough{p, handle});

  if (request) {
    // The write failed (nothing was read): the message is destroyed with
    // `request`.
    return Err(s);
  }
  return FinishRead(p, channel, s, &msg, nbytes, nhandles,
                    user_out_ptr<void>(reinterpret_cast<uint64_t>(a.rd_bytes)),
                    user_out_ptr<mica_handle_t>(reinterpret_cast<uint64_t>(a.rd_handles)),
                    actual_bytes, actual_handles);
}
