// mkbootfs: builds, lists, verifies and extracts Mica bootfs images
// (docs/bootfs.md).
//
//   mkbootfs create -o IMAGE [--manifest FILE]... [--index NAME] [NAME=PATH]...
//   mkbootfs list IMAGE
//   mkbootfs verify IMAGE
//   mkbootfs extract IMAGE NAME [-o FILE]
//
// A manifest has one "NAME=PATH" per line; blank lines and lines starting
// with '#' are ignored, and a relative PATH is relative to the manifest's own
// directory. --index NAME adds a text file NAME listing every other file as
// "<name> <size> <crc32>".

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "images/bootfs/bootfs.h"
#include "images/bootfs/writer.h"

namespace {

constexpr char kUsage[] =
    "usage: mkbootfs create -o IMAGE [--manifest FILE]... [--index NAME] [NAME=PATH]...\n"
    "       mkbootfs list IMAGE\n"
    "       mkbootfs verify IMAGE\n"
    "       mkbootfs extract IMAGE NAME [-o FILE]\n";

int Usage() {
  std::fputs(kUsage, stderr);
  return 2;
}

bool ReadFile(const std::string& path, std::vector<uint8_t>* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    *error = "cannot read '" + path + "'";
    return false;
  }
  return true;
}

// Writes through a temporary file and a rename, so a failed or interrupted
// run never leaves a half-written image behind.
bool WriteFile(const std::string& path, const std::vector<uint8_t>& data, std::string* error) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) {
      *error = "cannot write '" + temporary + "'";
      std::remove(temporary.c_str());
      return false;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    *error = "cannot rename '" + temporary + "' to '" + path + "': " + std::strerror(errno);
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

std::string Trim(const std::string& s) {
  const char* space = " \t\r";
  const size_t first = s.find_first_not_of(space);
  if (first == std::string::npos) {
    return "";
  }
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

// Adds "NAME=PATH"; a relative PATH is taken relative to `directory`.
bool AddSpec(const std::string& spec, const std::string& directory, bootfs::Writer* writer,
             std::string* error) {
  const size_t equals = spec.find('=');
  if (equals == std::string::npos) {
    *error = "expected NAME=PATH, got '" + spec + "'";
    return false;
  }
  const std::string name = Trim(spec.substr(0, equals));
  std::string path = Trim(spec.substr(equals + 1));
  if (path.empty()) {
    *error = "empty path for '" + name + "'";
    return false;
  }
  if (path[0] != '/' && !directory.empty()) {
    path = directory + "/" + path;
  }
  std::vector<uint8_t> data;
  return ReadFile(path, &data, error) && writer->Add(name, std::move(data), error);
}

bool AddManifest(const std::string& manifest, bootfs::Writer* writer, std::string* error) {
  std::ifstream in(manifest);
  if (!in) {
    *error = "cannot open manifest '" + manifest + "': " + std::strerror(errno);
    return false;
  }
  const size_t slash = manifest.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : manifest.substr(0, slash);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string text = Trim(line);
    if (text.empty() || text[0] == '#') {
      continue;
    }
    if (!AddSpec(text, directory, writer, error)) {
      *error = manifest + ":" + std::to_string(number) + ": " + *error;
      return false;
    }
  }
  return true;
}

int Create(int argc, char** argv) {
  // Parse everything first, so usage errors are reported before any I/O.
  std::string output;
  std::string index;
  std::vector<std::pair<bool, std::string>> sources;  // (is a manifest, value)
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if ((arg == "-o" || arg == "--output") && has_value) {
      output = argv[++i];
    } else if (arg == "--manifest" && has_value) {
      sources.emplace_back(true, argv[++i]);
    } else if (arg == "--index" && has_value) {
      index = argv[++i];
    } else if (!arg.empty() && arg[0] != '-') {
      sources.emplace_back(false, arg);
    } else {
      return Usage();
    }
  }
  if (output.empty()) {
    return Usage();
  }

  bootfs::Writer writer;
  std::string error;
  for (const auto& [is_manifest, value] : sources) {
    const bool ok =
        is_manifest ? AddManifest(value, &writer, &error) : AddSpec(value, "", &writer, &error);
    if (!ok) {
      std::fprintf(stderr, "mkbootfs: %s\n", error.c_str());
      return 1;
    }
  }
  if (!index.empty()) {
    std::string text =
        "# Mica bootfs index, written by mkbootfs: <name> <size> <crc32>, by name.\n" +
        writer.IndexText();
    if (!writer.Add(index, std::vector<uint8_t>(text.begin(), text.end()), &error)) {
      std::fprintf(stderr, "mkbootfs: --index: %s\n", error.c_str());
      return 1;
    }
  }
  if (!WriteFile(output, writer.Build(), &error)) {
    std::fprintf(stderr, "mkbootfs: %s\n", error.c_str());
    return 1;
  }
  return 0;
}

// Reads and validates IMAGE; prints the reason and returns false if invalid.
bool OpenImage(const std::string& path, std::vector<uint8_t>* bytes, bootfs::Image* image) {
  std::string error;
  if (!ReadFile(path, bytes, &error)) {
    std::fprintf(stderr, "mkbootfs: %s\n", error.c_str());
    return false;
  }
  const bootfs::Status status = image->Open(bytes->data(), bytes->size());
  if (status != bootfs::Status::kOk) {
    std::fprintf(stderr, "mkbootfs: %s: %s", path.c_str(), bootfs::StatusString(status));
    if (image->failed_entry() != bootfs::kNoEntry) {
      std::fprintf(stderr, " (directory entry %u)", image->failed_entry());
    }
    std::fputc('\n', stderr);
    return false;
  }
  return true;
}

int List(const std::string& path) {
  std::vector<uint8_t> bytes;
  bootfs::Image image;
  if (!OpenImage(path, &bytes, &image)) {
    return 1;
  }
  std::printf("%-10s %10s %-8s %s\n", "offset", "size", "crc32", "name");
  for (const bootfs::File file : image) {
    std::printf("0x%08llx %10zu %08x %s\n", static_cast<unsigned long long>(file.offset), file.size,
                file.crc32, file.name);
  }
  return 0;
}

int VerifyImage(const std::string& path) {
  std::vector<uint8_t> bytes;
  bootfs::Image image;
  if (!OpenImage(path, &bytes, &image)) {
    return 1;
  }
  std::printf("%s: ok: bootfs version %u, %u files, %llu bytes\n", path.c_str(), bootfs::kVersion,
              image.count(), static_cast<unsigned long long>(image.total_size()));
  return 0;
}

int Extract(int argc, char** argv) {
  if (argc != 2 &&
      !(argc == 4 && (std::strcmp(argv[2], "-o") == 0 || std::strcmp(argv[2], "--output") == 0))) {
    return Usage();
  }
  std::vector<uint8_t> bytes;
  bootfs::Image image;
  if (!OpenImage(argv[0], &bytes, &image)) {
    return 1;
  }
  bootfs::File file;
  if (!image.Find(argv[1], &file)) {
    std::fprintf(stderr, "mkbootfs: %s: no file named '%s'\n", argv[0], argv[1]);
    return 1;
  }
  std::vector<uint8_t> data(file.data, file.data + file.size);
  if (argc == 4) {
    std::string error;
    if (!WriteFile(argv[3], data, &error)) {
      std::fprintf(stderr, "mkbootfs: %s\n", error.c_str());
      return 1;
    }
    return 0;
  }
  return std::fwrite(data.data(), 1, data.size(), stdout) == data.size() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    return Usage();
  }
  const std::string command = argv[1];
  if (command == "create") {
    return Create(argc - 2, argv + 2);
  }
  if (command == "list" && argc == 3) {
    return List(argv[2]);
  }
  if (command == "verify" && argc == 3) {
    return VerifyImage(argv[2]);
  }
  if (command == "extract") {
    return Extract(argc - 2, argv + 2);
  }
  return Usage();
}
