// The IDL transport (contract in <mica/idl/ipc.h>; docs/idl.md).
#include <mica/idl/ipc.h>

namespace mica::idl {
namespace {

constexpr mica_signals_t kSignals = MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED;
// Messages handled per packet of the connection's repeating (edge-triggered)
// wait. The queue is read until it is empty, but at most this many: then the
// wait is registered again, which queues its packet behind the other
// sources' packets (the queue is still READABLE), so one busy peer cannot
// starve the loop.
constexpr int kBatch = 16;

// The status an epitaph carries (MICA_ERR_PEER_CLOSED for MICA_OK), or
// MICA_ERR_INVALID_ARGS if it is malformed.
mica_status_t EpitaphStatus(const uint8_t* bytes, uint32_t num_bytes) {
  if (num_bytes != kEpitaphSize) {
    return MICA_ERR_INVALID_ARGS;
  }
  int32_t status = 0;
  uint32_t pad = 0;
  memcpy(&status, bytes + kHeaderSize, sizeof(status));
  memcpy(&pad, bytes + kHeaderSize + 4, sizeof(pad));
  if (pad != 0) {
    return MICA_ERR_INVALID_ARGS;
  }
  return status == MICA_OK ? MICA_ERR_PEER_CLOSED : status;
}

}  // namespace

mica_status_t KernelHandleInfo(mica_handle_t handle, mica_obj_type_t* type, mica_rights_t* rights) {
  mica_info_handle_basic_t info{};
  size_t actual = 0;
  size_t avail = 0;
  mica_status_t s =
      mica_object_get_info(handle, MICA_INFO_HANDLE_BASIC, &info, sizeof(info), &actual, &avail);
  if (s != MICA_OK) {
    return s;
  }
  *type = info.type;
  *rights = info.rights;
  return MICA_OK;
}

// ---- SyncClientBase

mica_status_t SyncClientBase::Call(Encoder& request, uint64_t ordinal, uint16_t version,
                                   uint8_t* bytes, uint32_t capacity, mica_handle_t* handles,
                                   uint32_t handle_capacity, uint32_t* num_bytes,
                                   uint32_t* num_handles) {
  async::Loop::FlushCurrentWrite();  // a reply this thread deferred goes first
  mica_channel_call_args_t args{request.bytes(), request.handles(),   bytes,
                                handles,         request.num_bytes(), request.num_handles(),
                                capacity,        handle_capacity};
  *num_bytes = 0;
  *num_handles = 0;
  mica_status_t s = channel_.call(0, deadline_, args, num_bytes, num_handles);
  request.Release();  // channel_call consumed them
  if (s == MICA_ERR_BUFFER_TOO_SMALL) {
    return MICA_ERR_INVALID_ARGS;  // bigger than any reply of the method
  }
  if (s != MICA_OK) {
    return s;
  }
  MessageHeader h{};
  s = ReadHeader(bytes, *num_bytes, &h);
  if (s == MICA_OK && h.ordinal == kEpitaphOrdinal) {
    s = EpitaphStatus(bytes, *num_bytes);
  } else if (s == MICA_OK && h.ordinal != ordinal) {
    s = MICA_ERR_INVALID_ARGS;
  } else if (s == MICA_OK && h.version != version) {
    s = MICA_ERR_NOT_SUPPORTED;
  }
  if (s != MICA_OK) {
    CloseHandles(handles, *num_handles);
  }
  return s;
}

mica_status_t SyncClientBase::Send(Encoder& request) {
  mica_status_t s = channel_.write(0, request.bytes(), request.num_bytes(), request.handles(),
                                   request.num_handles());
  request.Release();
  return s;
}

mica_status_t SyncClientBase::Read(mica_time_t deadline, uint8_t* bytes, uint32_t capacity,
                                   mica_handle_t* handles, uint32_t handle_capacity,
                                   uint32_t* num_bytes, uint32_t* num_handles) {
  async::Loop::FlushCurrentWrite();
  mica_signals_t observed = 0;
  mica_status_t s = channel_.wait_one(kSignals, deadline, &observed);
  if (s != MICA_OK) {
    return s;
  }
  s = channel_.read(0, bytes, handles, capacity, handle_capacity, num_bytes, num_handles);
  if (s == MICA_ERR_BUFFER_TOO_SMALL) {
    return MICA_ERR_INVALID_ARGS;  // bigger than any event of the protocol
  }
  if (s != MICA_OK) {
    return s;
  }
  MessageHeader h{};
  s = ReadHeader(bytes, *num_bytes, &h);
  if (s == MICA_OK && h.ordinal == kEpitaphOrdinal) {
    s = EpitaphStatus(bytes, *num_bytes);
  }
  if (s != MICA_OK) {
    CloseHandles(handles, *num_handles);
  }
  return s;
}

// ---- Connection

Connection::Connection(async::Loop* loop, Channel channel, uint32_t protocol_id, uint16_t version,
                       uint32_t max_bytes)
    : loop_(loop),
      channel_(std::move(channel)),
      protocol_id_(protocol_id),
      version_(version),
      max_bytes_(max_bytes > kEpitaphSize ? max_bytes : kEpitaphSize) {
  bytes_ = new uint8_t[max_bytes_];
  for (mica_handle_t& h : handles_) {
    h = MICA_HANDLE_INVALID;
  }
}

Connection::~Connection() {
  if (channel_.is_valid()) {
    static_cast<void>(loop_->FlushWrite(channel_.get()));  // before the handle closes
  }
  if (waiting_) {
    loop_->CancelWait(wait_id_);
  }
  delete[] bytes_;
}

mica_status_t Connection::Begin() {
  if (!channel_.is_valid() || waiting_) {
    return MICA_ERR_BAD_STATE;
  }
  mica_status_t s = loop_->BeginMessageWait(
      channel_.get(), kSignals,
      [this](mica_status_t status, mica_signals_t observed) { OnSignals(status, observed); },
      &wait_id_);
  waiting_ = s == MICA_OK;
  return s;
}

mica_status_t Connection::Write(Encoder& message) {
  if (!channel_.is_valid()) {
    return MICA_ERR_BAD_STATE;  // the encoder closes the handles
  }
  mica_status_t s;
  // A message written while its handler runs waits for the loop's next
  // port wait, which writes it and waits in one call (port_reply_wait);
  // but waiting means copying it to the loop's buffer first, which for a
  // large message costs more than the call it saves (32 KiB: some 6,700
  // instructions of copying against a few hundred; 4 KiB: about 800, and
  // the random 4 KiB file reads measured 2.7 % fewer instructions per KiB
  // with them written at once): those go at once.
  if (dispatching_ && message.num_bytes() <= kDeferMaxBytes) {
    s = loop_->DeferWrite(channel_.get(), message.bytes(), message.num_bytes(), message.handles(),
                          message.num_handles(), &Connection::OnWriteErrorThunk, this);
  } else {
    // Behind anything deferred on this channel: writes stay in order.
    s = loop_->FlushWrite(channel_.get());
    if (s == MICA_OK) {
      s = channel_.write(0, message.bytes(), message.num_bytes(), message.handles(),
                         message.num_handles());
    } else {
      CloseHandles(message.handles(), message.num_handles());
    }
  }
  message.Release();  // consumed, as by channel_write
  return s;
}

void Connection::OnWriteErrorThunk(void* connection, mica_status_t status) {
  static_cast<Connection*>(connection)->OnWriteError(status);
}

void Connection::OnWriteError(mica_status_t status) {
  // Runs from the loop's next port wait, never during a handler of this
  // connection. A closed peer ends the connection through its signals.
  if (status != MICA_ERR_PEER_CLOSED && !closed_) {
    Close(status);
  }
}

void Connection::OnSignals(mica_status_t status, mica_signals_t observed) {
  if (status != MICA_OK) {
    waiting_ = false;  // the loop is shutting down
    return;
  }
  if (closed_) {
    return;
  }
  dispatching_ = true;
  bool more = true;
  async::Loop::Message m;
  if (loop_->TakeMessage(&m)) {
    // Read with the packet; `observed` is the channel after that read.
    mica_status_t s = m.num_bytes > max_bytes_
                          ? (CloseHandles(m.handles, m.num_handles), MICA_ERR_INVALID_ARGS)
                          : HandleOne(m.bytes, m.num_bytes, m.handles, m.num_handles);
    if (s != MICA_OK && !closed_) {
      Close(s);
    }
    more = (observed & kSignals) != 0;
  }
  // Edge-triggered: read until the queue is empty (or kBatch messages).
  bool empty = !more;
  for (int i = 0; i < kBatch && !closed_ && !empty; ++i) {
    bool got = false;
    mica_status_t s = ReadOne(&got);
    if (s != MICA_OK) {
      Close(s);
    } else if (!got) {
      empty = true;
    }
  }
  dispatching_ = false;
  if (!closed_ && !empty) {
    // The batch ended with messages maybe left: a new registration fires
    // at once if the channel is still READABLE, behind other packets.
    loop_->CancelWait(wait_id_);
    waiting_ = false;
    mica_status_t s = Begin();
    if (s != MICA_OK) {
      Close(s);
    }
  }
  if (closed_) {
    Finish(close_status_);
  }
}

mica_status_t Connection::ReadOne(bool* got) {
  uint32_t num_bytes = 0;
  uint32_t num_handles = 0;
  mica_status_t s =
      channel_.read(0, bytes_, handles_, max_bytes_, kMaxHandles, &num_bytes, &num_handles);
  if (s == MICA_ERR_SHOULD_WAIT) {
    return MICA_OK;
  }
  if (s == MICA_ERR_BUFFER_TOO_SMALL) {
    return MICA_ERR_INVALID_ARGS;  // bigger than any message of the protocol
  }
  if (s != MICA_OK) {
    return s;  // MICA_ERR_PEER_CLOSED once the queue is drained
  }
  *got = true;
  return HandleOne(bytes_, num_bytes, handles_, num_handles);
}

mica_status_t Connection::HandleOne(uint8_t* bytes, uint32_t num_bytes, mica_handle_t* handles,
                                    uint32_t num_handles) {
  MessageHeader h{};
  mica_status_t s = ReadHeader(bytes, num_bytes, &h);
  if (s == MICA_OK && h.ordinal != kEpitaphOrdinal) {
    current_txid_ = h.txid;
  }
  if (s == MICA_OK && h.ordinal == kEpitaphOrdinal) {
    s = EpitaphStatus(bytes, num_bytes);
  } else if (s == MICA_OK && (h.version != version_ || (h.ordinal >> 32) != protocol_id_)) {
    s = MICA_ERR_NOT_SUPPORTED;
  } else if (s == MICA_OK) {
    s = HandleMessage(h, bytes, num_bytes, handles, num_handles);
  }
  if (s != MICA_OK && !closed_) {
    Close(s);  // while current_txid_ names the offending call
  }
  current_txid_ = 0;
  CloseHandles(handles, num_handles);
  return s;
}

void Connection::Close(mica_status_t status) {
  if (closed_) {
    return;
  }
  closed_ = true;
  close_status_ = status;
  if (waiting_) {
    loop_->CancelWait(wait_id_);
    waiting_ = false;
  }
  if (channel_.is_valid()) {
    // A reply deferred to the loop goes before the epitaph (or the close).
    static_cast<void>(loop_->FlushWrite(channel_.get()));
  }
  if (status != MICA_ERR_PEER_CLOSED && channel_.is_valid()) {
    alignas(8) uint8_t epitaph[kEpitaphSize] = {};
    // During a two-way request, the epitaph answers it (a channel_call
    // caller gets the status); otherwise its txid is 0.
    MessageHeader h{current_txid_, kMagic, 0, version_, kEpitaphOrdinal};
    int32_t value = status;
    memcpy(epitaph, &h, sizeof(h));
    memcpy(epitaph + kHeaderSize, &value, sizeof(value));
    static_cast<void>(channel_.write(0, epitaph, sizeof(epitaph), nullptr, 0));
  }
  channel_.reset();
  OnClosed(status);
  if (!dispatching_) {
    Finish(status);
  }
}

void Connection::Finish(mica_status_t status) {
  ErrorHandler handler = std::move(error_handler_);
  if (handler) {
    handler(status);  // may destroy this object: nothing follows
  }
}

// ---- AsyncClientBase

AsyncClientBase::~AsyncClientBase() = default;

mica_status_t AsyncClientBase::Call(Encoder& request, uint64_t ordinal, ReplyFn done) {
  if (!is_open()) {
    return MICA_ERR_BAD_STATE;
  }
  Pending* slot = nullptr;
  for (Pending& p : pending_) {
    if (p.txid == 0) {
      slot = &p;
      break;
    }
  }
  if (slot == nullptr) {
    return MICA_ERR_NO_RESOURCES;
  }
  uint32_t txid = 0;
  bool in_use = true;
  while (in_use) {
    txid = next_txid_++ & ~MICA_TXID_KERNEL_BIT;
    in_use = txid == 0;
    for (const Pending& p : pending_) {
      in_use = in_use || p.txid == txid;
    }
  }
  request.set_txid(txid);
  mica_status_t s = Write(request);
  if (s != MICA_OK) {
    return s;
  }
  slot->txid = txid;
  slot->ordinal = ordinal;
  slot->done = std::move(done);
  return MICA_OK;
}

mica_status_t AsyncClientBase::OnEvent(const MessageHeader& header, uint8_t* bytes,
                                       uint32_t num_bytes, mica_handle_t* handles,
                                       uint32_t num_handles) {
  static_cast<void>(header);
  static_cast<void>(bytes);
  static_cast<void>(num_bytes);
  static_cast<void>(handles);
  static_cast<void>(num_handles);
  return MICA_ERR_NOT_SUPPORTED;
}

mica_status_t AsyncClientBase::HandleMessage(const MessageHeader& header, uint8_t* bytes,
                                             uint32_t num_bytes, mica_handle_t* handles,
                                             uint32_t num_handles) {
  if (header.txid == 0) {
    return OnEvent(header, bytes, num_bytes, handles, num_handles);
  }
  for (Pending& p : pending_) {
    if (p.txid == header.txid) {
      if (p.ordinal != header.ordinal) {
        return MICA_ERR_INVALID_ARGS;
      }
      ReplyFn done = std::move(p.done);
      p.txid = 0;
      return done(MICA_OK, &header, bytes, num_bytes, handles, num_handles);
    }
  }
  return MICA_ERR_INVALID_ARGS;  // a reply nobody asked for
}

void AsyncClientBase::OnClosed(mica_status_t status) {
  mica_status_t why = status == MICA_OK ? MICA_ERR_CANCELED : status;
  for (Pending& p : pending_) {
    if (p.txid != 0) {
      ReplyFn done = std::move(p.done);
      p.txid = 0;
      done(why, nullptr, nullptr, 0, nullptr, 0);
    }
  }
}

}  // namespace mica::idl
