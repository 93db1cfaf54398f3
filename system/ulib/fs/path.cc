// See <mica/fs/path.h>.
#include "mica/fs/path.h"

#include <string.h>

namespace mica::fs {

namespace {

// Appends the components of `path` to the normalised absolute path in
// out[0, *len): "" and "." are skipped, ".." drops the last component.
bool Append(const char* path, char* out, size_t size, size_t* len) {
  const char* p = path;
  while (*p != '\0') {
    while (*p == '/') {
      p++;
    }
    const char* start = p;
    while (*p != '\0' && *p != '/') {
      p++;
    }
    size_t n = static_cast<size_t>(p - start);
    if (n == 0 || (n == 1 && start[0] == '.')) {
      continue;
    }
    if (n == 2 && start[0] == '.' && start[1] == '.') {
      while (*len > 0 && out[*len - 1] != '/') {
        (*len)--;
      }
      if (*len > 0) {
        (*len)--;  // the '/' before it
      }
      continue;
    }
    if (*len + 1 + n + 1 > size) {
      return false;
    }
    out[(*len)++] = '/';
    memcpy(out + *len, start, n);
    *len += n;
  }
  return true;
}

}  // namespace

bool NormalizePath(const char* cwd, const char* path, char* out, size_t size) {
  if (size == 0) {
    return false;
  }
  out[0] = '\0';
  if (path[0] == '\0' || size < 2) {
    return false;
  }
  size_t len = 0;  // out[0, len) without a trailing '/' ("" is the root)
  bool ok = (path[0] == '/' || Append(cwd, out, size, &len)) && Append(path, out, size, &len);
  if (!ok) {
    out[0] = '\0';
    return false;
  }
  if (len == 0) {
    out[len++] = '/';
  }
  out[len] = '\0';
  return true;
}

bool SplitMount(const char* path, char* mount, size_t mount_size, const char** rest) {
  if (path[0] != '/' || path[1] == '\0') {
    return false;
  }
  const char* name = path + 1;
  const char* end = strchr(name, '/');
  size_t n = end != nullptr ? static_cast<size_t>(end - name) : strlen(name);
  if (n == 0 || n + 1 > mount_size) {
    return false;
  }
  memcpy(mount, name, n);
  mount[n] = '\0';
  *rest = end != nullptr ? end + 1 : name + n;
  return true;
}

bool JoinPath(const char* dir, const char* name, char* out, size_t size) {
  size_t d = strlen(dir);
  if (d == 1 && dir[0] == '/') {
    d = 0;
  }
  size_t n = strlen(name);
  if (size == 0 || d + 1 + n + 1 > size) {
    if (size != 0) {
      out[0] = '\0';
    }
    return false;
  }
  memmove(out, dir, d);
  out[d] = '/';
  memmove(out + d + 1, name, n);
  out[d + 1 + n] = '\0';
  return true;
}

const char* BaseName(const char* path) {
  const char* slash = strrchr(path, '/');
  return slash != nullptr ? slash + 1 : path;
}

}  // namespace mica::fs
