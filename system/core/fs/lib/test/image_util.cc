#include "system/core/fs/lib/test/image_util.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

extern char** environ;

namespace fat_test {

bool Run(const std::vector<std::string>& argv) {
  // mtools: no geometry checks, UTF-8 names.
  setenv("MTOOLS_SKIP_CHECK", "1", 1);
  setenv("LC_ALL", "C.UTF-8", 1);
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  const int error = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    return false;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) {
    return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int RunCapture(const std::vector<std::string>& argv, std::string* output) {
  setenv("MTOOLS_SKIP_CHECK", "1", 1);
  setenv("LC_ALL", "C.UTF-8", 1);
  output->clear();
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  int fds[2];
  if (pipe(fds) != 0) {
    return -1;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  pid_t pid;
  const int error = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (error != 0) {
    close(fds[0]);
    return -1;
  }
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof(buffer))) > 0;) {
    output->append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
    return -1;
  }
  return WEXITSTATUS(status);
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/mica-fat-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) != nullptr) {
    path_ = buffer.data();
  }
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
}

std::vector<uint8_t> Pattern(size_t size, uint32_t seed) {
  std::vector<uint8_t> out(size);
  uint32_t x = seed * 2654435761u + 1;
  for (uint8_t& b : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<uint8_t>(x);
  }
  return out;
}

ImageBuilder::ImageBuilder(std::string path, const std::vector<std::string>& mkfs_args,
                           uint64_t kib)
    : path_(std::move(path)) {
  std::vector<std::string> argv = {"mkfs.fat", "-C"};
  argv.insert(argv.end(), mkfs_args.begin(), mkfs_args.end());
  argv.push_back(path_);
  argv.push_back(std::to_string(kib));
  ok_ = Run(argv);
}

void ImageBuilder::Mkdir(const std::string& dir) {
  ok_ = ok_ && Run({"mmd", "-i", path_, "::/" + dir});
  dirs_.insert(dir);
}

void ImageBuilder::Put(const std::string& file, const std::vector<uint8_t>& data) {
  const std::string host = path_ + ".put" + std::to_string(serial_++);
  {
    std::ofstream out(host, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    ok_ = ok_ && out.good();
  }
  ok_ = ok_ && Run({"mcopy", "-i", path_, host, "::/" + file});
  std::remove(host.c_str());
  files_[file] = data;
}

void ImageBuilder::Remove(const std::string& file) {
  ok_ = ok_ && Run({"mdel", "-i", path_, "::/" + file});
  files_.erase(file);
}

void ImageBuilder::RewindFreeHint() {
  std::fstream image(path_, std::ios::binary | std::ios::in | std::ios::out);
  uint8_t bs[512];
  image.read(reinterpret_cast<char*>(bs), sizeof(bs));
  const bool fat32 = (bs[22] | bs[23]) == 0;
  if (!image.good() || !fat32) {
    return;
  }
  const uint32_t bytes_per_sector = bs[11] | (bs[12] << 8);
  const uint32_t fsinfo = bs[48] | (bs[49] << 8);
  const uint8_t two[4] = {2, 0, 0, 0};
  image.seekp(static_cast<std::streamoff>(fsinfo * bytes_per_sector + 492));
  image.write(reinterpret_cast<const char*>(two), sizeof(two));
  ok_ = ok_ && image.good();
}

std::vector<uint8_t> ReadHostFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::vector<uint8_t> bytes(in ? static_cast<size_t>(in.tellg()) : 0);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

fat::BlockDevice MemoryDisk::device() {
  return fat::BlockDevice{this, ReadAt, bytes_.size()};
}

fat::BlockDevice MemoryDisk::writable_device() {
  return fat::BlockDevice{this, ReadAt, bytes_.size(), WriteAt, FlushAll};
}

bool MemoryDisk::Fail() {
  if (fail_after_ == 0) {
    return true;
  }
  if (fail_after_ != SIZE_MAX) {
    --fail_after_;
  }
  return false;
}

fat::Status MemoryDisk::WriteAt(void* context, uint64_t offset, const void* buffer, size_t length) {
  auto* self = static_cast<MemoryDisk*>(context);
  ++self->writes_;
  if (self->Fail() || offset % 512 != 0 || length % 512 != 0 || length == 0 ||
      offset > self->bytes_.size() || length > self->bytes_.size() - offset) {
    return fat::Status::kIoError;
  }
  const auto* bytes = static_cast<const uint8_t*>(buffer);
  if (self->log_ != nullptr) {
    self->log_->push_back(Op{offset, std::vector<uint8_t>(bytes, bytes + length)});
  }
  std::memcpy(self->bytes_.data() + offset, bytes, length);
  return fat::Status::kOk;
}

fat::Status MemoryDisk::FlushAll(void* context) {
  auto* self = static_cast<MemoryDisk*>(context);
  if (self->log_ != nullptr) {
    self->log_->push_back(Op{0, {}});
  }
  return fat::Status::kOk;
}

fat::Status MemoryDisk::ReadAt(void* context, uint64_t offset, void* buffer, size_t length) {
  auto* self = static_cast<MemoryDisk*>(context);
  ++self->reads_;
  self->read_bytes_ += length;
  if (self->Fail() || offset % 512 != 0 || length % 512 != 0 || offset > self->bytes_.size() ||
      length > self->bytes_.size() - offset) {
    return fat::Status::kIoError;
  }
  std::memcpy(buffer, self->bytes_.data() + offset, length);
  return fat::Status::kOk;
}

FileDisk::FileDisk(const std::string& path, bool writable) : writable_(writable) {
  fd_ = open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  struct stat st;
  if (fd_ >= 0 && fstat(fd_, &st) == 0) {
    size_ = static_cast<uint64_t>(st.st_size);
  }
}

FileDisk::~FileDisk() {
  if (fd_ >= 0) {
    close(fd_);
  }
}

fat::BlockDevice FileDisk::device() {
  if (writable_) {
    return fat::BlockDevice{this, ReadAt, size_, WriteAt};
  }
  return fat::BlockDevice{this, ReadAt, size_};
}

fat::Status FileDisk::WriteAt(void* context, uint64_t offset, const void* buffer, size_t length) {
  auto* self = static_cast<FileDisk*>(context);
  if (offset % 512 != 0 || length % 512 != 0 || offset > self->size_ ||
      length > self->size_ - offset) {
    return fat::Status::kIoError;
  }
  const ssize_t n = pwrite(self->fd_, buffer, length, static_cast<off_t>(offset));
  return n == static_cast<ssize_t>(length) ? fat::Status::kOk : fat::Status::kIoError;
}

fat::Status FileDisk::ReadAt(void* context, uint64_t offset, void* buffer, size_t length) {
  auto* self = static_cast<FileDisk*>(context);
  if (offset % 512 != 0 || length % 512 != 0 || offset > self->size_ ||
      length > self->size_ - offset) {
    return fat::Status::kIoError;
  }
  const ssize_t n = pread(self->fd_, buffer, length, static_cast<off_t>(offset));
  return n == static_cast<ssize_t>(length) ? fat::Status::kOk : fat::Status::kIoError;
}

namespace {

fat::Status WalkDir(fat::Volume& volume, const fat::Entry& dir, const std::string& prefix,
                    Tree* tree, size_t chunk) {
  fat::DirIterator it;
  if (fat::Status s = volume.OpenDir(dir, &it); s != fat::Status::kOk) {
    return s;
  }
  auto entry = std::make_unique<fat::Entry>();
  for (;;) {
    fat::Status s = it.Next(entry.get());
    if (s == fat::Status::kNotFound) {
      return fat::Status::kOk;
    }
    if (s != fat::Status::kOk) {
      return s;
    }
    const std::string path = prefix + std::string(entry->name, entry->name_length);
    if (fat::Status t = volume.CheckChain(*entry); t != fat::Status::kOk) {
      return t;
    }
    if (entry->is_directory()) {
      tree->dirs.insert(path);
      if (fat::Status t = WalkDir(volume, *entry, path + "/", tree, chunk); t != fat::Status::kOk) {
        return t;
      }
      continue;
    }
    std::vector<uint8_t> data;
    std::vector<uint8_t> buffer(chunk);
    for (;;) {
      size_t done = 0;
      if (fat::Status t = volume.Read(*entry, data.size(), buffer.data(), chunk, &done);
          t != fat::Status::kOk) {
        return t;
      }
      if (done == 0) {
        break;
      }
      data.insert(data.end(), buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(done));
    }
    tree->files[path] = std::move(data);
  }
}

}  // namespace

fat::Status WalkAll(fat::Volume& volume, Tree* tree, size_t chunk) {
  return WalkDir(volume, volume.Root(), "", tree, chunk);
}

}  // namespace fat_test
