// See cmdline.h.
#include "system/core/userboot/cmdline.h"

namespace userboot {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// If word[0, len) is `key` followed by '=', returns the value's offset.
size_t ValueOffset(const char* word, size_t len, const char* key) {
  size_t i = 0;
  while (key[i] != '\0') {
    if (i >= len || word[i] != key[i]) {
      return 0;
    }
    i++;
  }
  return i < len && word[i] == '=' ? i + 1 : 0;
}

}  // namespace

const char* ParseCommandLine(const char* cmdline, char* storage, size_t storage_size,
                             Options* out) {
  *out = Options{};
  size_t total = 0;
  while (cmdline[total] != '\0') {
    total++;
  }
  if (storage_size <= total) {
    return "the command line is too long";
  }
  // Copy, then cut every word out in place.
  for (size_t i = 0; i <= total; i++) {
    storage[i] = cmdline[i];
  }
  size_t pos = 0;
  while (pos < total) {
    while (pos < total && IsSpace(storage[pos])) {
      pos++;
    }
    size_t start = pos;
    while (pos < total && !IsSpace(storage[pos])) {
      pos++;
    }
    size_t len = pos - start;
    if (len == 0) {
      break;
    }
    storage[pos] = '\0';  // the end of this word (a space or the final NUL)
    const char* word = storage + start;
    if (size_t v = ValueOffset(word, len, "userboot.next"); v != 0) {
      if (out->next_given) {
        pos++;
        continue;  // the first one counts, as for the kernel's options
      }
      if (len == v) {
        return "userboot.next= is empty";
      }
      if (len - v > kMaxPath) {
        return "the userboot.next= path is too long";
      }
      out->next = word + v;
      out->next_given = true;
    } else if (size_t a = ValueOffset(word, len, "userboot.arg"); a != 0) {
      if (out->arg_count == kMaxArgs) {
        return "too many userboot.arg= words";
      }
      out->args[out->arg_count++] = word + a;
    }
    pos++;
  }
  return nullptr;
}

}  // namespace userboot
