// Channel messages and the bounded queue of one channel endpoint.
//
// Message<H, R>: up to kMaxMessageBytes of data and kMaxMessageHandles handles
// of type H (in the kernel HandleEntry<T>: handles in flight belong to no
// table). One allocation per message, sized to fit:
//
//   [Message header][H handles[handle_count]][data bytes[data_size]]
//
// MessagePtr<H, R> owns a message, and the message owns its handles:
// dropping it by any path releases what the handles hold (R::Release: in
// the kernel, each handle's handle count), destroys them (H's destructor:
// for HandleEntry, dropping the object reference) and frees the memory
// through the allocator the message came from. No owner cleans up by hand.
//
// Transaction ids: by convention (as in Zircon) the first 4 bytes of the
// data, little endian, are the message's transaction id; a message shorter
// than 4 bytes has none and never matches TakeByTxid.
//
// MessageQueue<H, R>: a FIFO bounded by a message count and a byte count (the
// sum of the messages' footprints, i.e. their allocation sizes). A write
// that would exceed either bound fails with kShouldWait and leaves the
// message with the writer, so a reader that never reads costs the kernel at
// most the bounds. The queue never allocates; it only links messages.
//
// Locking: none inside. The queue is part of a channel endpoint's state and
// the channel's lock protects it (declare it GUARDED_BY that lock), so that
// signals can change atomically with it. Allocate messages before taking
// the lock and destroy them (Read results, Drain lists, failed writes) after
// releasing it.
//
// Complexity: Write, Read, PutBack, PeekSizes O(1); TakeByTxid O(count()); Drain
// O(count()).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <new>

#include "kernel/lib/assert.h"
#include "kernel/lib/list.h"
#include "kernel/lib/result.h"
#include "kernel/lib/status.h"
#include "kernel/lib/utility.h"
#include "kernel/object/core/allocator.h"

namespace mica::core {

inline constexpr uint32_t kMaxMessageBytes = 65536;
inline constexpr uint32_t kMaxMessageHandles = 64;

// What a message's handles hold besides H itself, released when a message
// is destroyed with handles in it (MessagePtr's destructor or reset,
// MessageList::clear, ~MessageQueue): R::Release(H* handles, uint32_t
// count) runs first, then each handle's destructor. The kernel's messages
// carry handles that each hold a handle count of their object
// (kernel/object/channel_message.h); by default there is nothing more.
struct KeepNothing {
  template <typename H>
  static void Release(H*, uint32_t) {}
};

template <typename H, typename R = KeepNothing>
class Message;
template <typename H, typename R = KeepNothing>
class MessagePtr;
template <typename H, typename R = KeepNothing>
class MessageList;
template <typename H, typename R = KeepNothing>
class MessageQueue;

template <typename H, typename R>
class Message {
 public:
  // A message with `data_size` bytes of uninitialised data (the caller
  // fills all of it) and `handle_count` default-constructed handles.
  // Errors: kOutOfRange (data_size > kMaxMessageBytes or handle_count >
  // kMaxMessageHandles), kNoMemory.
  static Result<MessagePtr<H, R>> Create(const Allocator* alloc, uint32_t data_size,
                                         uint32_t handle_count);
  // Create in `mem`, a block `alloc` gave (as MessagePtr::TakeBlock hands
  // back) of at least FootprintFor(data_size, handle_count) bytes, aligned
  // for a message; it is freed through `alloc` with the message.
  // Requires data_size <= kMaxMessageBytes, handle_count <= kMaxMessageHandles.
  static MessagePtr<H, R> CreateIn(void* mem, const Allocator* alloc, uint32_t data_size,
                                   uint32_t handle_count);

  // The allocation size of a message with these sizes (what it costs
  // against a queue's byte bound).
  static constexpr size_t FootprintFor(uint32_t data_size, uint32_t handle_count) {
    return HandlesOffset() + size_t{handle_count} * sizeof(H) + data_size;
  }

  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  uint8_t* data() { return reinterpret_cast<uint8_t*>(this) + DataOffset(); }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(this) + DataOffset(); }
  uint32_t data_size() const { return data_size_; }
  H* handles() { return reinterpret_cast<H*>(reinterpret_cast<uint8_t*>(this) + HandlesOffset()); }
  const H* handles() const {
    return reinterpret_cast<const H*>(reinterpret_cast<const uint8_t*>(this) + HandlesOffset());
  }
  uint32_t handle_count() const { return handle_count_; }
  size_t footprint() const { return FootprintFor(data_size_, handle_count_); }

  bool has_txid() const { return data_size_ >= 4; }
  // The first 4 data bytes, little endian; 0 if !has_txid().
  uint32_t txid() const {
    if (!has_txid()) {
      return 0;
    }
    uint32_t v;
    __builtin_memcpy(&v, data(), sizeof(v));  // one load (every target is little endian)
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
    return v;
  }
  // Overwrites the first 4 data bytes (channel_call assigns txids).
  // Requires has_txid().
  void set_txid(uint32_t txid) {
    MICA_ASSERT(has_txid());
    __builtin_memcpy(data(), &txid, sizeof(txid));  // little endian, as txid()
  }

  bool queued() const { return node_.InContainer(); }

  // The allocator the message's memory came from.
  const Allocator* allocator() const { return alloc_; }
  // A word for the queue's owner, neither read nor written here (the
  // kernel keeps the memory account charged for a queued message in it).
  void* charge() const { return charge_; }
  void set_charge(void* charge) { charge_ = charge; }

 private:
  friend class MessagePtr<H, R>;
  friend class MessageList<H, R>;
  friend class MessageQueue<H, R>;

  // The handles follow the header, the data follows the handles.
  static constexpr size_t HandlesOffset() { return RoundUp(sizeof(Message), alignof(H)); }
  static constexpr size_t Align() { return Max(alignof(Message), alignof(H)); }

  Message(const Allocator* alloc, uint32_t data_size, uint32_t handle_count)
      : alloc_(alloc), data_size_(data_size), handle_count_(handle_count) {}
  ~Message() = default;

  size_t DataOffset() const { return HandlesOffset() + size_t{handle_count_} * sizeof(H); }

  // Releases the handles (R), destroys them and frees the memory.
  // Out of line: it is the rare end of a move, and keeping it out lets the
  // moves themselves inline.
  [[gnu::noinline]] static void Destroy(Message* m) {
    MICA_DEBUG_ASSERT(!m->queued());
    H* hs = m->handles();
    if (m->handle_count_ != 0) {
      R::Release(hs, m->handle_count_);
    }
    for (uint32_t i = 0; i < m->handle_count_; ++i) {
      hs[i].~H();
    }
    const Allocator* alloc = m->alloc_;
    m->~Message();
    alloc->Free(m);
  }

  ListNode node_;
  const Allocator* alloc_;
  void* charge_ = nullptr;
  uint32_t data_size_;
  uint32_t handle_count_;
};

// Owns one message (move-only): dropping it, however (destructor, reset,
// assignment over it), destroys the message, releasing its handles.
template <typename H, typename R>
class MessagePtr {
 public:
  MessagePtr() = default;
  MessagePtr(MessagePtr&& o) noexcept : msg_(o.release()) {}
  MessagePtr& operator=(MessagePtr&& o) noexcept {
    if (this != &o) {
      reset(o.release());
    }
    return *this;
  }
  MessagePtr(const MessagePtr&) = delete;
  MessagePtr& operator=(const MessagePtr&) = delete;
  ~MessagePtr() { reset(); }

  Message<H, R>* get() const { return msg_; }
  Message<H, R>* operator->() const { return msg_; }
  Message<H, R>& operator*() const { return *msg_; }
  explicit operator bool() const { return msg_ != nullptr; }

  // Gives up ownership; put it back with Adopt().
  [[nodiscard]] Message<H, R>* release() {
    Message<H, R>* m = msg_;
    msg_ = nullptr;
    return m;
  }
  static MessagePtr Adopt(Message<H, R>* m) { return MessagePtr(m); }
  // Recycling: if the message has no handles and its memory came from
  // `alloc`, ends it without freeing that memory and returns it (for
  // Message<H, R>::CreateIn); otherwise returns nullptr and changes nothing.
  [[nodiscard, gnu::always_inline]] void* TakeBlock(const Allocator* alloc) {
    Message<H, R>* m = msg_;
    if (m == nullptr || m->handle_count_ != 0 || m->alloc_ != alloc) {
      return nullptr;
    }
    MICA_DEBUG_ASSERT(!m->queued());
    msg_ = nullptr;
    m->~Message();
    return m;
  }
  void reset(Message<H, R>* m = nullptr) {
    Message<H, R>* old = msg_;
    msg_ = m;
    if (old != nullptr) {
      Message<H, R>::Destroy(old);
    }
  }

 private:
  explicit MessagePtr(Message<H, R>* m) : msg_(m) {}
  Message<H, R>* msg_ = nullptr;
};

template <typename H, typename R>
Result<MessagePtr<H, R>> Message<H, R>::Create(const Allocator* alloc, uint32_t data_size,
                                               uint32_t handle_count) {
  if (data_size > kMaxMessageBytes || handle_count > kMaxMessageHandles) {
    return Status::kOutOfRange;
  }
  void* mem = alloc->Alloc(FootprintFor(data_size, handle_count), Align());
  if (mem == nullptr) {
    return Status::kNoMemory;
  }
  return CreateIn(mem, alloc, data_size, handle_count);
}

template <typename H, typename R>
MessagePtr<H, R> Message<H, R>::CreateIn(void* mem, const Allocator* alloc, uint32_t data_size,
                                         uint32_t handle_count) {
  MICA_DEBUG_ASSERT(data_size <= kMaxMessageBytes && handle_count <= kMaxMessageHandles);
  auto* m = new (mem) Message(alloc, data_size, handle_count);
  H* hs = m->handles();
  for (uint32_t i = 0; i < handle_count; ++i) {
    new (&hs[i]) H();
  }
  return MessagePtr<H, R>::Adopt(m);
}

// An owning FIFO of messages: what Drain hands back. Destroying it destroys
// the messages. Not locked.
template <typename H, typename R>
class MessageList {
 public:
  MessageList() = default;
  MessageList(const MessageList&) = delete;
  MessageList& operator=(const MessageList&) = delete;
  ~MessageList() { clear(); }

  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  Message<H, R>* front() const { return list_.front(); }
  void push_back(MessagePtr<H, R> m) { list_.push_back(m.release()); }
  MessagePtr<H, R> pop_front() { return MessagePtr<H, R>::Adopt(list_.pop_front()); }
  // Destroys every message.
  void clear() {
    while (Message<H, R>* m = list_.pop_front()) {
      Message<H, R>::Destroy(m);
    }
  }

  auto begin() const { return list_.begin(); }
  auto end() const { return list_.end(); }

 private:
  friend class MessageQueue<H, R>;
  List<Message<H, R>, &Message<H, R>::node_> list_;
};

struct MessageQueueLimits {
  static constexpr uint32_t kDefaultMaxMessages = 256;
  static constexpr size_t kDefaultMaxBytes = size_t{1} << 20;  // 1 MiB

  // At least 1.
  uint32_t max_messages = kDefaultMaxMessages;
  // At least the footprint of the largest message
  // (Message<H, R>::FootprintFor(kMaxMessageBytes, kMaxMessageHandles)), so an
  // empty queue accepts any message.
  size_t max_bytes = kDefaultMaxBytes;
};

template <typename H, typename R>
class MessageQueue {
 public:
  explicit MessageQueue(MessageQueueLimits limits = {}) : limits_(limits) {
    MICA_ASSERT(limits.max_messages >= 1);
    MICA_ASSERT(
        (limits.max_bytes >= Message<H, R>::FootprintFor(kMaxMessageBytes, kMaxMessageHandles)));
  }
  MessageQueue(const MessageQueue&) = delete;
  MessageQueue& operator=(const MessageQueue&) = delete;
  // Destroys any messages left (Drain first to destroy them elsewhere).
  ~MessageQueue() = default;

  bool empty() const { return messages_.empty(); }
  size_t count() const { return messages_.size(); }
  // Sum of the queued messages' footprints.
  size_t bytes() const { return bytes_; }
  const MessageQueueLimits& limits() const { return limits_; }

  // True if a message of `footprint` bytes would be accepted now.
  bool HasRoomFor(size_t footprint) const {
    return count() < limits_.max_messages && bytes_ <= limits_.max_bytes &&
           footprint <= limits_.max_bytes - bytes_;
  }
  // True if not even the smallest message would be accepted (the channel
  // deasserts its peer's WRITABLE signal while this holds).
  bool full() const {
    return count() >= limits_.max_messages || bytes_ >= limits_.max_bytes ||
           !HasRoomFor(Message<H, R>::FootprintFor(0, 0));
  }

  // Appends *msg. On kOk the queue owns it (*msg is empty); on kShouldWait
  // (a bound would be exceeded) *msg is untouched.
  Status Write(MessagePtr<H, R>* msg) {
    MICA_ASSERT(*msg);
    if (!HasRoomFor((*msg)->footprint())) {
      return Status::kShouldWait;
    }
    bytes_ += (*msg)->footprint();
    messages_.push_back(Move(*msg));
    return Status::kOk;
  }

  // Puts a message that Read just handed out back at the front, so the
  // next Read returns it again (the reader could not deliver it). Never
  // fails: if writers filled the room it left meanwhile, the queue is over
  // its bounds by this one message until it is read (full() holds).
  void PutBack(MessagePtr<H, R>* msg) {
    MICA_ASSERT(*msg);
    bytes_ += (*msg)->footprint();
    messages_.list_.push_front((*msg).release());
  }

  // The sizes of the front message. Error: kShouldWait (empty).
  Status PeekSizes(uint32_t* data_size, uint32_t* handle_count) const {
    const Message<H, R>* m = messages_.front();
    if (m == nullptr) {
      return Status::kShouldWait;
    }
    *data_size = m->data_size();
    *handle_count = m->handle_count();
    return Status::kOk;
  }

  // Dequeues the front message into *out if it fits in `data_capacity`
  // bytes and `handle_capacity` handles. *data_size and *handle_count (if
  // not null) get the message's sizes whenever there is a message.
  // Errors: kShouldWait (empty), kBufferTooSmall (the message stays queued).
  Status Read(uint32_t data_capacity, uint32_t handle_capacity, MessagePtr<H, R>* out,
              uint32_t* data_size, uint32_t* handle_count) {
    return TakeIfFits(messages_.front(), data_capacity, handle_capacity, out, data_size,
                      handle_count);
  }

  // Like Read, for the oldest message whose txid is `txid` (channel_call's
  // reply). Errors: kNotFound (no such message), kBufferTooSmall (it stays
  // queued).
  Status TakeByTxid(uint32_t txid, uint32_t data_capacity, uint32_t handle_capacity,
                    MessagePtr<H, R>* out, uint32_t* data_size, uint32_t* handle_count) {
    for (Message<H, R>& m : messages_.list_) {
      if (m.has_txid() && m.txid() == txid) {
        return TakeIfFits(&m, data_capacity, handle_capacity, out, data_size, handle_count);
      }
    }
    return Status::kNotFound;
  }

  // The last message queued (nullptr when empty).
  const Message<H, R>* back() const { return messages_.list_.back(); }

  // Calls f(const Message<H, R>&) for each queued message, front to back
  // (the channel collector's scan). `f` must not change the queue.
  template <typename F>
  void ForEach(F&& f) const {
    for (const Message<H, R>& m : messages_) {
      f(m);
    }
  }

  // Moves every message to the back of `out` (on close: destroy `out` after
  // releasing the lock). Returns how many.
  size_t Drain(MessageList<H, R>* out) {
    size_t n = 0;
    while (Message<H, R>* m = messages_.list_.pop_front()) {
      out->list_.push_back(m);
      ++n;
    }
    bytes_ = 0;
    return n;
  }

 private:
  Status TakeIfFits(Message<H, R>* m, uint32_t data_capacity, uint32_t handle_capacity,
                    MessagePtr<H, R>* out, uint32_t* data_size, uint32_t* handle_count) {
    if (m == nullptr) {
      return Status::kShouldWait;
    }
    if (data_size != nullptr) {
      *data_size = m->data_size();
    }
    if (handle_count != nullptr) {
      *handle_count = m->handle_count();
    }
    if (m->data_size() > data_capacity || m->handle_count() > handle_capacity) {
      return Status::kBufferTooSmall;
    }
    messages_.list_.remove(m);
    bytes_ -= m->footprint();
    out->reset(m);
    return Status::kOk;
  }

  const MessageQueueLimits limits_;
  MessageList<H, R> messages_;
  size_t bytes_ = 0;
};

}  // namespace mica::core
