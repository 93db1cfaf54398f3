// The IDL transport (user space): the bases of the generated synchronous
// clients (channel_call), asynchronous clients and servers (both on
// mica::async::Loop). docs/idl.md, "Generated C++", shows how they are used.
//
// Contract:
//   - Handles are checked with KernelHandleInfo (object_get_info,
//     MICA_INFO_HANDLE_BASIC). A message that does not decode, names a method
//     the protocol lacks, or comes from a peer of another protocol version is
//     rejected: a server answers it with an epitaph (its status) and closes
//     the connection; a client call returns the status (an async client also
//     closes the connection and fails every pending call).
//   - An epitaph (ordinal kEpitaphOrdinal, body int32 status) received by a
//     client ends the connection; calls return its status. A server that
//     closes while handling a two-way request gives the epitaph that
//     request's txid, so a channel_call caller receives it as its reply.
//   - ServerBase and AsyncClientBase run on one loop thread; their handlers
//     run there. A Completer must be used (Reply) or dropped before its
//     server is destroyed. The error handler runs once, as the last thing
//     the object does for that connection (it may destroy the object).
//   - Nothing throws; buffers are sized from the generated kMaxBytes.
#pragma once

#include <mica/async/loop.h>
#include <mica/cpp/objects.h>
#include <mica/idl/wire.h>

#include <utility>

namespace mica::idl {

// object_get_info(MICA_INFO_HANDLE_BASIC): the real HandleInfoFn.
mica_status_t KernelHandleInfo(mica_handle_t handle, mica_obj_type_t* type, mica_rights_t* rights);

// DecodeMessage with the kernel's handle checks.
template <typename T>
mica_status_t DecodeMessage(const uint8_t* bytes, uint32_t num_bytes, mica_handle_t* handles,
                            uint32_t num_handles, T* body) {
  return DecodeMessage(bytes, num_bytes, handles, num_handles, body, KernelHandleInfo);
}

using ErrorHandler = async::InlineFunction<void(mica_status_t status)>;

// ---- synchronous client

class SyncClientBase {
 public:
  SyncClientBase() = default;
  explicit SyncClientBase(Channel channel) : channel_(std::move(channel)) {}
  const Channel& channel() const { return channel_; }
  Channel TakeChannel() { return std::move(channel_); }
  // Calls give up at this deadline (default: never).
  void set_deadline(mica_time_t deadline) { deadline_ = deadline; }

  // channel_call with `request` (its handles are consumed); the reply must
  // carry `ordinal` and `version`. On MICA_OK the reply is in bytes/handles.
  mica_status_t Call(Encoder& request, uint64_t ordinal, uint16_t version, uint8_t* bytes,
                     uint32_t capacity, mica_handle_t* handles, uint32_t handle_capacity,
                     uint32_t* num_bytes, uint32_t* num_handles);
  // channel_write (one-way); the handles are consumed.
  mica_status_t Send(Encoder& request);
  // Waits (until `deadline`) for the next message (an event) and reads it.
  mica_status_t Read(mica_time_t deadline, uint8_t* bytes, uint32_t capacity,
                     mica_handle_t* handles, uint32_t handle_capacity, uint32_t* num_bytes,
                     uint32_t* num_handles);

 private:
  Channel channel_;
  mica_time_t deadline_ = MICA_TIME_INFINITE;
};

template <uint32_t A, uint32_t B>
inline constexpr uint32_t kMax = A > B ? A : B;

// A two-way call: encodes `request`, calls, decodes the reply into *response.
template <typename Req, typename Resp>
mica_status_t SyncCall(SyncClientBase& client, uint16_t version, uint64_t ordinal, Req& request,
                       Resp* response) {
  alignas(8) uint8_t bytes[kMax<Req::kMaxBytes, Resp::kMaxBytes>];
  mica_handle_t handles[kMax<kMax<Req::kMaxHandles, Resp::kMaxHandles>, 1>];
  Encoder e(bytes, sizeof(bytes), handles, Req::kMaxHandles);
  mica_status_t s = EncodeMessage(e, 0, version, ordinal, request);
  if (s != MICA_OK) {
    return s;
  }
  uint32_t num_bytes = 0;
  uint32_t num_handles = 0;
  s = client.Call(e, ordinal, version, bytes, sizeof(bytes), handles, Resp::kMaxHandles, &num_bytes,
                  &num_handles);
  if (s != MICA_OK) {
    return s;
  }
  return DecodeMessage(bytes, num_bytes, handles, num_handles, response);
}

template <typename Req>
mica_status_t SyncSend(SyncClientBase& client, uint16_t version, uint64_t ordinal, Req& request) {
  alignas(8) uint8_t bytes[Req::kMaxBytes];
  mica_handle_t handles[kMax<Req::kMaxHandles, 1>];
  Encoder e(bytes, sizeof(bytes), handles, Req::kMaxHandles);
  mica_status_t s = EncodeMessage(e, 0, version, ordinal, request);
  return s == MICA_OK ? client.Send(e) : s;
}

// ---- a connection on the loop (shared by servers and async clients)

class Connection {
 public:
  // Messages written from a handler up to this size are deferred to the
  // loop's next wait (Write, ipc.cc); larger ones are written at once.
  static constexpr uint32_t kDeferMaxBytes = 2 * 1024;

  Connection(async::Loop* loop, Channel channel, uint32_t protocol_id, uint16_t version,
             uint32_t max_bytes);
  virtual ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading messages on the loop.
  mica_status_t Begin();
  // Ends the connection: sends an epitaph with `status` (if the peer may
  // still read it), closes the channel, then runs the error handler.
  void Close(mica_status_t status);
  bool is_open() const { return channel_.is_valid(); }
  void set_error_handler(ErrorHandler handler) { error_handler_ = std::move(handler); }
  const Channel& channel() const { return channel_; }
  uint16_t version() const { return version_; }

  // Writes an encoded message (its handles are consumed). A write while a
  // message is being handled (a reply, usually) is deferred to the loop's
  // next port wait (async::Loop::DeferWrite: one system call for the reply
  // and the wait, switching straight to a channel_call caller); a deferred
  // write that fails later closes the connection with its status (unless
  // the peer closed: that ends the connection anyway).
  mica_status_t Write(Encoder& message);

 protected:
  // One received message with a valid header of this protocol and
  // version. Returns MICA_OK or the status to close the connection with.
  virtual mica_status_t HandleMessage(const MessageHeader& header, uint8_t* bytes,
                                      uint32_t num_bytes, mica_handle_t* handles,
                                      uint32_t num_handles) = 0;
  // The connection ended (before the error handler runs).
  virtual void OnClosed(mica_status_t status) { static_cast<void>(status); }

 private:
  void OnSignals(mica_status_t status, mica_signals_t observed);
  // Reads the next message with channel_read and handles it (*got: one was
  // read).
  mica_status_t ReadOne(bool* got);
  // Checks the header of a received message and hands it to HandleMessage;
  // closes whatever handles are left in it.
  mica_status_t HandleOne(uint8_t* bytes, uint32_t num_bytes, mica_handle_t* handles,
                          uint32_t num_handles);
  void OnWriteError(mica_status_t status);
  static void OnWriteErrorThunk(void* connection, mica_status_t status);
  void Finish(mica_status_t status);

  async::Loop* loop_;
  Channel channel_;
  uint32_t protocol_id_;
  uint16_t version_;
  uint32_t max_bytes_;
  // For messages channel_read reads (those not read with their packet).
  uint8_t* bytes_;
  mica_handle_t handles_[kMaxHandles];
  async::WaitId wait_id_ = 0;
  uint32_t current_txid_ = 0;  // of the message being handled
  bool waiting_ = false;
  bool dispatching_ = false;
  bool closed_ = false;
  mica_status_t close_status_ = MICA_OK;
  ErrorHandler error_handler_;
};

// ---- server

class ServerBase : public Connection {
 public:
  using Connection::Connection;

  // A reply (txid of the request) or an event (txid 0).
  template <typename T>
  mica_status_t Send(uint32_t txid, uint64_t ordinal, T& body) {
    if (!is_open()) {
      return MICA_ERR_BAD_STATE;
    }
    alignas(8) uint8_t bytes[T::kMaxBytes];
    mica_handle_t handles[kMax<T::kMaxHandles, 1>];
    Encoder e(bytes, sizeof(bytes), handles, T::kMaxHandles);
    mica_status_t s = EncodeMessage(e, txid, version(), ordinal, body);
    return s == MICA_OK ? Write(e) : s;
  }
};

// The right to answer one two-way request, even later (keep it in the
// server's state). Move-only; Reply at most once.
template <typename Resp>
class Completer {
 public:
  Completer() = default;
  Completer(ServerBase* server, uint32_t txid, uint64_t ordinal)
      : server_(server), txid_(txid), ordinal_(ordinal) {}
  Completer(Completer&& other) noexcept { *this = std::move(other); }
  Completer& operator=(Completer&& other) noexcept {
    server_ = std::exchange(other.server_, nullptr);
    txid_ = other.txid_;
    ordinal_ = other.ordinal_;
    return *this;
  }
  Completer(const Completer&) = delete;
  Completer& operator=(const Completer&) = delete;

  // Sends the reply (its handles are consumed). MICA_ERR_BAD_STATE if
  // already used or the connection is closed.
  mica_status_t Reply(Resp& response) {
    ServerBase* server = std::exchange(server_, nullptr);
    return server == nullptr ? MICA_ERR_BAD_STATE : server->Send(txid_, ordinal_, response);
  }
  // Closes the connection with `status` instead of replying.
  void Close(mica_status_t status) {
    if (ServerBase* server = std::exchange(server_, nullptr)) {
      server->Close(status);
    }
  }
  bool pending() const { return server_ != nullptr; }

 private:
  ServerBase* server_ = nullptr;
  uint32_t txid_ = 0;
  uint64_t ordinal_ = 0;
};

// ---- asynchronous client

class AsyncClientBase : public Connection {
 public:
  static constexpr uint32_t kMaxPending = 32;
  // Receives the reply (MICA_OK and the message) or the failure (status,
  // nulls); returns the reply's decode status (an error closes the connection).
  using ReplyFn = async::InlineFunction<mica_status_t(mica_status_t, const MessageHeader*, uint8_t*,
                                                      uint32_t, mica_handle_t*, uint32_t),
                                        96>;
  using Connection::Connection;
  ~AsyncClientBase() override;

  // Sends a two-way request; `done` runs on the loop with the reply, or with
  // the error if the connection ends first. MICA_ERR_NO_RESOURCES if
  // kMaxPending calls are outstanding.
  mica_status_t Call(Encoder& request, uint64_t ordinal, ReplyFn done);

 protected:
  // Events (txid 0); generated clients decode and dispatch them.
  virtual mica_status_t OnEvent(const MessageHeader& header, uint8_t* bytes, uint32_t num_bytes,
                                mica_handle_t* handles, uint32_t num_handles);

 private:
  struct Pending {
    uint32_t txid = 0;
    uint64_t ordinal = 0;
    ReplyFn done;
  };
  mica_status_t HandleMessage(const MessageHeader& header, uint8_t* bytes, uint32_t num_bytes,
                              mica_handle_t* handles, uint32_t num_handles) override;
  void OnClosed(mica_status_t status) override;

  Pending pending_[kMaxPending];
  uint32_t next_txid_ = 1;
};

// A typed asynchronous two-way call.
template <typename Req, typename Resp>
mica_status_t AsyncCall(AsyncClientBase& client, uint64_t ordinal, Req& request,
                        async::InlineFunction<void(mica_status_t, Resp*)> done) {
  alignas(8) uint8_t bytes[Req::kMaxBytes];
  mica_handle_t handles[kMax<Req::kMaxHandles, 1>];
  Encoder e(bytes, sizeof(bytes), handles, Req::kMaxHandles);
  mica_status_t s = EncodeMessage(e, 0, client.version(), ordinal, request);
  if (s != MICA_OK) {
    return s;
  }
  return client.Call(
      e, ordinal,
      [done = std::move(done)](mica_status_t status, const MessageHeader*, uint8_t* b, uint32_t nb,
                               mica_handle_t* h, uint32_t nh) mutable {
        if (status != MICA_OK) {
          done(status, nullptr);
          return status;
        }
        Resp response;
        status = DecodeMessage(b, nb, h, nh, &response);
        done(status, status == MICA_OK ? &response : nullptr);
        return status;
      });
}

template <typename Req>
mica_status_t AsyncSend(Connection& client, uint64_t ordinal, Req& request) {
  alignas(8) uint8_t bytes[Req::kMaxBytes];
  mica_handle_t handles[kMax<Req::kMaxHandles, 1>];
  Encoder e(bytes, sizeof(bytes), handles, Req::kMaxHandles);
  mica_status_t s = EncodeMessage(e, 0, client.version(), ordinal, request);
  return s == MICA_OK ? client.Write(e) : s;
}

}  // namespace mica::idl
