// The IDL Encoder and Decoder (contract in <mica/idl/wire.h>; the format is
// docs/idl.md, "Wire format").
#include <mica/idl/wire.h>

namespace mica::idl {

void CloseHandlesSlow(mica_handle_t* handles, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) {
    if (handles[i] != MICA_HANDLE_INVALID) {
      mica_handle_close(handles[i]);
      handles[i] = MICA_HANDLE_INVALID;
    }
  }
}

// ---- Encoder

bool Encoder::PutHandle(uint32_t offset, Handle& handle, bool optional) {
  if (!handle.is_valid()) {
    Put<uint32_t>(offset, 0);
    return optional || Fail(MICA_ERR_BAD_HANDLE);
  }
  if (num_handles_ >= handle_capacity_) {
    return Fail(MICA_ERR_OUT_OF_RANGE);
  }
  handles_[num_handles_++] = handle.release();
  Put<uint32_t>(offset, kHandlePresent);
  return true;
}

bool Encoder::PutVector(uint32_t offset, bool present, uint64_t count, uint32_t max,
                        uint32_t elem_size, uint32_t* elems) {
  if (!present) {
    Put<uint64_t>(offset, 0);
    Put<uint64_t>(offset + 8, 0);
    *elems = 0;
    return true;
  }
  if (count > max) {
    return Fail(MICA_ERR_OUT_OF_RANGE);
  }
  Put<uint64_t>(offset, count);
  Put<uint64_t>(offset + 8, kPresent);
  return Alloc(count * elem_size, elems);
}

bool Encoder::PutOptional(uint32_t offset, bool present, uint32_t size, uint32_t* block) {
  Put<uint64_t>(offset, present ? kPresent : 0);
  return !present || Alloc(size, block);
}

// ---- Decoder

bool Decoder::GetBytes(uint32_t offset, void* out, size_t size) {
  if (uint64_t{offset} + size > num_bytes_) {
    return Fail(MICA_ERR_INVALID_ARGS);
  }
  memcpy(out, bytes_ + offset, size);
  return true;
}

bool Decoder::GetBool(uint32_t offset, bool* out) {
  uint8_t v = Get<uint8_t>(offset);
  if (v > 1) {
    return Fail(MICA_ERR_INVALID_ARGS);
  }
  *out = v == 1;
  return status_ == MICA_OK;
}

bool Decoder::TakeHandle(uint32_t offset, mica_obj_type_t type, mica_rights_t rights, bool optional,
                         mica_handle_t* out) {
  uint32_t marker = Get<uint32_t>(offset);
  *out = MICA_HANDLE_INVALID;
  if (status_ != MICA_OK) {
    return false;
  }
  if (marker == 0) {
    return optional || Fail(MICA_ERR_INVALID_ARGS);
  }
  if (marker != kHandlePresent || next_handle_ >= num_handles_) {
    return Fail(MICA_ERR_INVALID_ARGS);
  }
  mica_handle_t h = handles_[next_handle_];
  mica_obj_type_t actual_type = MICA_OBJ_TYPE_NONE;
  mica_rights_t actual_rights = 0;
  if (info_ == nullptr || info_(h, &actual_type, &actual_rights) != MICA_OK) {
    return Fail(MICA_ERR_BAD_HANDLE);
  }
  if (type != MICA_OBJ_TYPE_NONE && actual_type != type) {
    return Fail(MICA_ERR_WRONG_TYPE);
  }
  if ((actual_rights & rights) != rights) {
    return Fail(MICA_ERR_ACCESS_DENIED);
  }
  handles_[next_handle_++] = MICA_HANDLE_INVALID;
  *out = h;
  return true;
}

bool Decoder::GetVector(uint32_t offset, uint32_t max, uint32_t elem_size, bool optional,
                        bool* present, uint32_t* count, uint32_t* elems) {
  uint64_t n = Get<uint64_t>(offset);
  uint64_t marker = Get<uint64_t>(offset + 8);
  *present = false;
  *count = 0;
  if (status_ != MICA_OK) {
    return false;
  }
  if (marker == 0) {
    return (optional && n == 0) || Fail(MICA_ERR_INVALID_ARGS);
  }
  if (marker != kPresent || n > max) {
    return Fail(MICA_ERR_INVALID_ARGS);
  }
  if (!Claim(n * elem_size, elems)) {
    return false;
  }
  *present = true;
  *count = static_cast<uint32_t>(n);
  return true;
}

bool Decoder::GetOptional(uint32_t offset, uint32_t size, bool* present, uint32_t* block) {
  uint64_t marker = Get<uint64_t>(offset);
  *present = false;
  if (status_ != MICA_OK) {
    return false;
  }
  if (marker == 0) {
    return true;
  }
  if (marker != kPresent) {
    return Fail(MICA_ERR_INVALID_ARGS);
  }
  *present = true;
  return Claim(size, block);
}

}  // namespace mica::idl
