// The Mica IDL wire format (docs/idl.md, "Wire format"): the message header,
// the Encoder and the Decoder that generated code (idlc) drives, the
// fixed-capacity String, Vector, Array and Optional of generated types, and
// the UTF-8 check of every string (IsUtf8).
//
// Contract:
//   - A message is a 16-byte MessageHeader, the body's inline part, then
//     out-of-line blocks in depth-first order; every block starts 8-byte
//     aligned and its padding is zero. Little-endian (AArch64 and x86-64
//     hosts are; a static_assert keeps it so).
//   - Handles travel only in the channel message's handle array. A handle
//     slot in the bytes is a presence marker (kHandlePresent or 0); present
//     handles are taken from the array in order, and a decoded message must
//     use every handle exactly once.
//   - Decoder trusts nothing: every read is inside the bytes, every block is
//     claimed in order inside the bytes, every count is checked against the
//     declared maximum, and every handle's object type and rights are checked
//     through a HandleInfoFn (the syscall in user space, a fake in host
//     tests). Any violation makes status() an error and the decode fails;
//     the generated Decode functions then return that status.
//   - Encoder owns the handles moved into it until Release(); a failed or
//     abandoned encoding closes them.
// Nothing here allocates or throws. Works in every toolchain (host and user).
#pragma once

#include <mica/cpp/handle.h>
#include <mica/status.h>
#include <mica/types.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <utility>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the IDL wire format is little-endian");

namespace mica::idl {

inline constexpr uint8_t kMagic = 0x4D;  // 'M': the wire format of docs/idl.md
inline constexpr uint32_t kHeaderSize = 16;
inline constexpr uint32_t kMaxBytes = MICA_CHANNEL_MAX_MSG_BYTES;
inline constexpr uint32_t kMaxHandles = MICA_CHANNEL_MAX_MSG_HANDLES;
// The ordinal of an epitaph: the last message of a server that closes a
// connection; its body is one int32 status (and 4 zero bytes).
inline constexpr uint64_t kEpitaphOrdinal = ~uint64_t{0};
inline constexpr uint32_t kEpitaphSize = kHeaderSize + 8;
inline constexpr uint64_t kPresent = ~uint64_t{0};  // string/vector/struct marker
inline constexpr uint32_t kHandlePresent = ~uint32_t{0};

struct MessageHeader {
  uint32_t txid;     // 0 for one-way methods, events and epitaphs
  uint8_t magic;     // kMagic
  uint8_t flags;     // 0 (reserved)
  uint16_t version;  // the protocol version of the sender
  uint64_t ordinal;  // (protocol id << 32) | method ordinal, or kEpitaphOrdinal
};
static_assert(sizeof(MessageHeader) == kHeaderSize);

constexpr uint64_t MakeOrdinal(uint32_t protocol_id, uint32_t method) {
  return (uint64_t{protocol_id} << 32) | method;
}

constexpr uint64_t Align8(uint64_t n) {
  return (n + 7) & ~uint64_t{7};
}

// Reads the object type and rights of `handle`. Returns MICA_OK or an error.
using HandleInfoFn = mica_status_t (*)(mica_handle_t handle, mica_obj_type_t* type,
                                       mica_rights_t* rights);

// Checks and reads the header of a received message: MICA_OK, or
// MICA_ERR_INVALID_ARGS (short, wrong magic, nonzero flags).
inline mica_status_t ReadHeader(const uint8_t* bytes, uint32_t num_bytes, MessageHeader* out) {
  if (num_bytes < kHeaderSize) {
    return MICA_ERR_INVALID_ARGS;
  }
  memcpy(out, bytes, sizeof(*out));
  if (out->magic != kMagic || out->flags != 0) {
    return MICA_ERR_INVALID_ARGS;
  }
  return MICA_OK;
}

// Closes handles[0, count) that are not MICA_HANDLE_INVALID and marks them so.
void CloseHandlesSlow(mica_handle_t* handles, uint32_t count);
inline void CloseHandles(mica_handle_t* handles, uint32_t count) {
  if (count != 0) {
    CloseHandlesSlow(handles, count);
  }
}

// ---- UTF-8 (Unicode 15.0 §3.9, Table 3-7 "Well-Formed UTF-8 Byte Sequences")

// The length (2..4) of the well-formed multi-byte sequence at s[0, left),
// whose lead byte s[0] is >= 0x80, or 0 if it is ill-formed: a stray
// continuation byte, C0/C1 (overlong 2-byte), E0 80..9F (overlong 3-byte),
// ED A0..BF (surrogates U+D800..U+DFFF), F0 80..8F (overlong 4-byte),
// F4 90..BF and F5..FF (above U+10FFFF), or a sequence cut short.
inline size_t Utf8SequenceLength(const uint8_t* s, size_t left) {
  const uint8_t b = s[0];
  size_t n = 0;  // continuation bytes
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;  // the range of the second byte (Table 3-7)
  if (b >= 0xC2 && b <= 0xDF) {
    n = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 2;
    lo = b == 0xE0 ? 0xA0 : 0x80;
    hi = b == 0xED ? 0x9F : 0xBF;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 3;
    lo = b == 0xF0 ? 0x90 : 0x80;
    hi = b == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (left <= n || s[1] < lo || s[1] > hi) {
    return 0;
  }
  for (size_t k = 2; k <= n; ++k) {
    if ((s[k] & 0xC0) != 0x80) {
      return 0;
    }
  }
  return n + 1;
}

// True if data[0, size) is well-formed UTF-8. Every IDL string is: the
// generated decoder rejects any other (MICA_ERR_INVALID_ARGS) and the
// encoder refuses to send one. ASCII is checked 8 bytes at a time.
inline bool IsUtf8(const char* data, size_t size) {
  const auto* s = reinterpret_cast<const uint8_t*>(data);
  size_t i = 0;
  while (i < size) {
    if (size - i >= 8) {
      uint64_t word = 0;
      memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s + i, size - i);
    if (n == 0) {
      return false;
    }
    i += n;
  }
  return true;
}

// ---- fixed-capacity storage of generated types

template <uint32_t N>
struct String {
  uint32_t size = 0;
  char data[N];

  // Copies `text` (false, and no change, if it is longer than N).
  bool Set(const char* text, size_t length) {
    if (length > N) {
      return false;
    }
    memcpy(data, text, length);
    size = static_cast<uint32_t>(length);
    return true;
  }
  bool Set(const char* text) { return Set(text, strlen(text)); }
  // For text from outside the IDL (a devicetree's names): copies as much
  // of `text` as fits, each byte that is not part of a well-formed UTF-8
  // sequence replaced by '?', never cutting a sequence. True if that was
  // all of `text`, unchanged.
  bool SetLossy(const char* text, size_t length) {
    const auto* s = reinterpret_cast<const uint8_t*>(text);
    bool exact = true;
    size = 0;
    for (size_t i = 0; i < length;) {
      size_t n = s[i] < 0x80 ? 1 : Utf8SequenceLength(s + i, length - i);
      if (size + (n == 0 ? 1 : n) > N) {
        return false;
      }
      if (n == 0) {
        data[size++] = '?';
        exact = false;
        ++i;
        continue;
      }
      memcpy(data + size, s + i, n);
      size += static_cast<uint32_t>(n);
      i += n;
    }
    return exact;
  }
  bool Equals(const char* text) const {
    size_t n = strlen(text);
    return n == size && memcmp(data, text, n) == 0;
  }
  static constexpr uint32_t capacity() { return N; }
};

template <typename T, uint32_t N>
struct Vector {
  uint32_t count = 0;
  T items[N];

  // Appends (false if full).
  bool Push(T value) {
    if (count >= N) {
      return false;
    }
    items[count++] = std::move(value);
    return true;
  }
  T& operator[](uint32_t i) { return items[i]; }
  const T& operator[](uint32_t i) const { return items[i]; }
  T* begin() { return items; }
  T* end() { return items + count; }
  const T* begin() const { return items; }
  const T* end() const { return items + count; }
  static constexpr uint32_t capacity() { return N; }
};

// array<T>:N: always N elements (inline on the wire).
template <typename T, uint32_t N>
struct Array {
  T items[N];

  T& operator[](uint32_t i) { return items[i]; }
  const T& operator[](uint32_t i) const { return items[i]; }
  T* begin() { return items; }
  T* end() { return items + N; }
  const T* begin() const { return items; }
  const T* end() const { return items + N; }
  static constexpr uint32_t size() { return N; }
};

template <typename T>
struct Optional {
  bool has_value = false;
  T value;

  T& Emplace() {
    has_value = true;
    return value;
  }
  explicit operator bool() const { return has_value; }
};

// ---- encoding

class Encoder {
 public:
  Encoder(uint8_t* bytes, uint32_t capacity, mica_handle_t* handles, uint32_t handle_capacity)
      : bytes_(bytes), capacity_(capacity), handles_(handles), handle_capacity_(handle_capacity) {}
  // Closes the handles it still owns (Release() not called).
  ~Encoder() { CloseHandles(handles_, num_handles_); }
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  // Writes the header and reserves the body's inline part (`body_size`).
  // (Inline, as Alloc: a small fixed-size message encodes straight-line.)
  bool StartMessage(uint32_t txid, uint16_t version, uint64_t ordinal, uint32_t body_size,
                    uint32_t* body_offset) {
    uint32_t header = 0;
    if (!Alloc(kHeaderSize, &header)) {
      return false;
    }
    MessageHeader h{txid, kMagic, 0, version, ordinal};
    memcpy(bytes_ + header, &h, sizeof(h));
    return Alloc(body_size, body_offset);
  }
  // Appends a zeroed block of `size` bytes, padded to 8; its offset to *offset.
  bool Alloc(uint64_t size, uint32_t* offset) {
    if (status_ != MICA_OK) {
      return false;
    }
    uint64_t padded = Align8(size);
    if (padded > capacity_ - num_bytes_) {
      return Fail(MICA_ERR_BUFFER_TOO_SMALL);
    }
    *offset = num_bytes_;
    memset(bytes_ + num_bytes_, 0, padded);
    num_bytes_ += static_cast<uint32_t>(padded);
    return true;
  }
  template <typename T>
  void Put(uint32_t offset, T value) {
    memcpy(bytes_ + offset, &value, sizeof(T));
  }
  void PutBytes(uint32_t offset, const void* data, size_t size) {
    memcpy(bytes_ + offset, data, size);
  }
  // Moves `handle` into the handle array and writes its presence marker; an
  // invalid handle is allowed only if `optional`.
  bool PutHandle(uint32_t offset, Handle& handle, bool optional);
  // A string or vector header; when present, reserves `count * elem_size`
  // bytes of elements (offset to *elems). Fails if count > max.
  bool PutVector(uint32_t offset, bool present, uint64_t count, uint32_t max, uint32_t elem_size,
                 uint32_t* elems);
  bool PutOptional(uint32_t offset, bool present, uint32_t size, uint32_t* block);
  bool Fail(mica_status_t status) {
    if (status_ == MICA_OK) {
      status_ = status;
    }
    return false;
  }

  mica_status_t status() const { return status_; }
  uint8_t* bytes() const { return bytes_; }
  uint32_t num_bytes() const { return num_bytes_; }
  mica_handle_t* handles() const { return handles_; }
  uint32_t num_handles() const { return num_handles_; }
  // The caller takes the handles (e.g. channel_write consumed them).
  void Release() { num_handles_ = 0; }
  void set_txid(uint32_t txid) { memcpy(bytes_, &txid, sizeof(txid)); }

 private:
  uint8_t* bytes_;
  uint32_t capacity_;
  mica_handle_t* handles_;
  uint32_t handle_capacity_;
  uint32_t num_bytes_ = 0;
  uint32_t num_handles_ = 0;
  mica_status_t status_ = MICA_OK;
};

// ---- decoding

class Decoder {
 public:
  // `handles` are the message's; taken ones are set to MICA_HANDLE_INVALID.
  Decoder(const uint8_t* bytes, uint32_t num_bytes, mica_handle_t* handles, uint32_t num_handles,
          HandleInfoFn info)
      : bytes_(bytes),
        num_bytes_(num_bytes),
        handles_(handles),
        num_handles_(num_handles),
        info_(info) {}

  // Claims the body's inline part, right after the header. (Inline, as
  // Claim, CheckZero and Finish: with a small fixed-size message the
  // compiler folds the checks into a few compares.)
  bool StartMessage(uint32_t body_size, uint32_t* body_offset) {
    uint32_t header = 0;
    return Claim(kHeaderSize, &header) && Claim(body_size, body_offset);
  }
  // Claims the next out-of-line block of `size` bytes (padded to 8, padding
  // zero), which must lie inside the message.
  bool Claim(uint64_t size, uint32_t* offset) {
    if (status_ != MICA_OK) {
      return false;
    }
    uint64_t padded = Align8(size);
    if (padded > num_bytes_ - next_) {
      return Fail(MICA_ERR_INVALID_ARGS);
    }
    *offset = next_;
    next_ += static_cast<uint32_t>(padded);
    return CheckZero(static_cast<uint32_t>(*offset + size), static_cast<uint32_t>(padded - size));
  }
  // A value inside a claimed block (out of range reads give 0 and fail).
  template <typename T>
  T Get(uint32_t offset) {
    T value{};
    if (uint64_t{offset} + sizeof(T) > num_bytes_) {
      Fail(MICA_ERR_INVALID_ARGS);
      return value;
    }
    memcpy(&value, bytes_ + offset, sizeof(T));
    return value;
  }
  bool GetBytes(uint32_t offset, void* out, size_t size);
  bool GetBool(uint32_t offset, bool* out);
  // Padding inside a block must be zero.
  bool CheckZero(uint32_t offset, uint32_t size) {
    if (uint64_t{offset} + size > num_bytes_) {
      return Fail(MICA_ERR_INVALID_ARGS);
    }
    for (uint32_t i = 0; i < size; ++i) {
      if (bytes_[offset + i] != 0) {
        return Fail(MICA_ERR_INVALID_ARGS);
      }
    }
    return true;
  }
  // A handle slot: the marker must be kHandlePresent (or 0 if `optional`);
  // a present handle is the next of the array and must have `type`
  // (MICA_OBJ_TYPE_NONE: any) and every right of `rights`.
  bool TakeHandle(uint32_t offset, mica_obj_type_t type, mica_rights_t rights, bool optional,
                  mica_handle_t* out);
  // A string or vector header: count <= max, marker kPresent (or 0 with
  // count 0 if `optional`); when present claims count * elem_size bytes.
  bool GetVector(uint32_t offset, uint32_t max, uint32_t elem_size, bool optional, bool* present,
                 uint32_t* count, uint32_t* elems);
  bool GetOptional(uint32_t offset, uint32_t size, bool* present, uint32_t* block);
  // The message must be used up: every byte and every handle.
  mica_status_t Finish() {
    if (status_ == MICA_OK && (next_ != num_bytes_ || next_handle_ != num_handles_)) {
      Fail(MICA_ERR_INVALID_ARGS);
    }
    return status_;
  }
  bool Fail(mica_status_t status) {
    if (status_ == MICA_OK) {
      status_ = status;
    }
    return false;
  }
  mica_status_t status() const { return status_; }

 private:
  const uint8_t* bytes_;
  uint32_t num_bytes_;
  mica_handle_t* handles_;
  uint32_t num_handles_;
  HandleInfoFn info_;
  uint32_t next_ = 0;
  uint32_t next_handle_ = 0;
  mica_status_t status_ = MICA_OK;
};

// ---- whole messages (T is a generated struct: its Encode/Decode are found
// by argument-dependent lookup)

// Writes the header and `body`; MICA_OK or the first error.
template <typename T>
mica_status_t EncodeMessage(Encoder& e, uint32_t txid, uint16_t version, uint64_t ordinal,
                            T& body) {
  uint32_t off = 0;
  if (e.StartMessage(txid, version, ordinal, T::kWireSize, &off)) {
    Encode(e, off, body);
  }
  return e.status();
}

// Decodes the body of a received message (header already checked) into
// *body: MICA_OK or the error. The handles the body did not take are
// closed either way.
template <typename T>
mica_status_t DecodeMessage(const uint8_t* bytes, uint32_t num_bytes, mica_handle_t* handles,
                            uint32_t num_handles, T* body, HandleInfoFn info) {
  Decoder d(bytes, num_bytes, handles, num_handles, info);
  uint32_t off = 0;
  if (d.StartMessage(T::kWireSize, &off)) {
    Decode(d, off, body);
  }
  mica_status_t s = d.Finish();
  CloseHandles(handles, num_handles);
  return s;
}

}  // namespace mica::idl
