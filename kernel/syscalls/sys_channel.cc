// Channels: create, write (handles leave the writer's table atomically with
// the write), read (handles enter the reader's table).
#include <string.h>

#include "kernel/object/channel.h"
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

int64_t sys_channel_write(mica_handle_t handle, uint32_t options, user_in_ptr<const void> bytes,
                          uint32_t num_bytes, user_in_ptr<const mica_handle_t> handles,
                          uint32_t num_handles) {
  Process* p = Process::Current();
  if (num_bytes > MICA_CHANNEL_MAX_MSG_BYTES || num_handles > MICA_CHANNEL_MAX_MSG_HANDLES) {
    return Err(mica::Status::kOutOfRange);
  }
  mica_handle_t values[MICA_CHANNEL_MAX_MSG_HANDLES];
  mica::Status s = handles.copy_array_from_user(values, num_handles);
  if (s != mica::Status::kOk) {
    return Err(s);  // the kernel never saw the handles: nothing is closed
  }
  // From here on, every handle in `values` is consumed, success or not.
  auto close_all = [&]() {
    for (uint32_t i = 0; i < num_handles; i++) {
      (void)p->CloseHandle(values[i]);
    }
  };
  HandleEntry ch;
  s = p->GetHandle(handle, MICA_OBJ_TYPE_CHANNEL, MICA_RIGHT_WRITE, &ch);
  if (s == mica::Status::kOk && options != 0) {
    s = mica::Status::kInvalidArgs;
  }
  for (uint32_t i = 0; i < num_handles && s == mica::Status::kOk; i++) {
    if (values[i] == handle) {
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
    return Err(s);
  }
  auto created = ChannelMessage::Create(KernelAllocator(), num_bytes, num_handles);
  if (!created.ok()) {
    close_all();
    return Err(created.status());
  }
  ChannelMessagePtr msg = mica::Move(created.value());
  s = bytes.copy_from_user(msg->data(), num_bytes);
  if (s != mica::Status::kOk) {
    close_all();
    return Err(s);
  }
  // Take every handle out of the table at once (all or nothing), then
  // move them into the message.
  if (num_handles != 0) {
    s = p->handles().RemoveMany(values, num_handles, MICA_RIGHT_TRANSFER, msg->handles());
    if (s != mica::Status::kOk) {
      close_all();  // closes the ones that are handles of the caller
      return Err(s);
    }
  }
  auto* channel = static_cast<ChannelDispatcher*>(ch.object.get());
  s = channel->Write(&msg);
  if (s != mica::Status::kOk) {
    DestroyChannelMessage(mica::Move(msg));  // the handles are closed with it
  }
  return Err(s);
}

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
  if (s == mica::Status::kOk || s == mica::Status::kBufferTooSmall) {
    mica::Status c = mica::Status::kOk;
    if (!actual_bytes.is_null())
      c = actual_bytes.copy_to_user(nbytes);
    if (c == mica::Status::kOk && !actual_handles.is_null())
      c = actual_handles.copy_to_user(nhandles);
    if (c != mica::Status::kOk && s == mica::Status::kBufferTooSmall) {
      return Err(c);
    }
  }
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  // Copy the bytes first: if the buffer faults, the message goes back.
  s = bytes.copy_to_user(msg->data(), nbytes);
  if (s != mica::Status::kOk) {
    channel->Unread(&msg);
    return Err(s);
  }
  mica_handle_t values[MICA_CHANNEL_MAX_MSG_HANDLES];
  if (nhandles != 0) {
    s = p->handles().AddMany(msg->handles(), nhandles, values);
    if (s != mica::Status::kOk) {
      channel->Unread(&msg);
      return Err(s == mica::Status::kNoMemory ? s : mica::Status::kNoResources);
    }
    s = handles.copy_array_to_user(values, nhandles);
    if (s != mica::Status::kOk) {
      // The handles are the caller's now, in a buffer it cannot read: close
      // them so they do not leak.
      for (uint32_t i = 0; i < nhandles; i++) {
        (void)p->CloseHandle(values[i]);
      }
      return Err(s);
    }
  }
  return kOk;
}
