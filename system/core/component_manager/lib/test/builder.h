// A small MCM1 writer for the reader's tests: records are appended in the
// order given (so tests can also write them out of order) and Finish()
// writes the header. Raw() gives full control for malformed input.
#pragma once

#include <stdint.h>
#include <string.h>

#include <string>
#include <vector>

namespace cm_test {

class Payload {
 public:
  Payload& U8(uint8_t v) {
    b_.push_back(v);
    return *this;
  }
  Payload& U16(uint16_t v) {
    b_.push_back(static_cast<uint8_t>(v));
    b_.push_back(static_cast<uint8_t>(v >> 8));
    return *this;
  }
  Payload& Str(const std::string& s) {
    U16(static_cast<uint16_t>(s.size()));
    b_.insert(b_.end(), s.begin(), s.end());
    return *this;
  }
  Payload& Ref(uint8_t kind, const std::string& name = "") { return U8(kind).Str(name); }
  const std::vector<uint8_t>& bytes() const { return b_; }

 private:
  std::vector<uint8_t> b_;
};

class Builder {
 public:
  Builder& Record(uint16_t kind, const Payload& p) {
    Put16(kind);
    Put16(static_cast<uint16_t>(p.bytes().size()));
    body_.insert(body_.end(), p.bytes().begin(), p.bytes().end());
    while (body_.size() % 4 != 0) {
      body_.push_back(0);
    }
    count_++;
    return *this;
  }
  Builder& Program(const std::string& binary, const std::vector<std::string>& args = {}) {
    Payload p;
    p.Str(binary).U16(static_cast<uint16_t>(args.size()));
    for (const auto& a : args) {
      p.Str(a);
    }
    return Record(1, p);
  }
  Builder& Child(const std::string& name, const std::string& manifest, uint8_t startup = 0,
                 uint8_t on_terminate = 0) {
    return Record(2, Payload().Str(name).Str(manifest).U8(startup).U8(on_terminate));
  }
  Builder& Collection(const std::string& name, uint8_t on_terminate = 1) {
    return Record(3, Payload().Str(name).U8(on_terminate));
  }
  Builder& Capability(const std::string& name, uint8_t kind = 1) {
    return Record(4, Payload().U8(kind).Str(name));
  }
  Builder& Use(const std::string& name, uint8_t from = 1, const std::string& path = "",
               uint8_t kind = 1) {
    return Record(5,
                  Payload().U8(kind).Str(name).Ref(from).Str(path.empty() ? "/svc/" + name : path));
  }
  Builder& Offer(const std::string& name, uint8_t from, const std::string& from_name,
                 const std::string& to, const std::string& as = "", uint8_t kind = 1) {
    return Record(6, Payload().U8(kind).Str(name).Ref(from, from_name).Str(to).Str(as));
  }
  Builder& Expose(const std::string& name, uint8_t from, const std::string& from_name,
                  const std::string& as = "", uint8_t kind = 1) {
    return Record(7, Payload().U8(kind).Str(name).Ref(from, from_name).Str(as));
  }
  std::vector<uint8_t> Finish(uint32_t magic = 0x314d434d, uint16_t version = 1) const {
    return FinishWith(magic, version, static_cast<uint16_t>(count_),
                      static_cast<uint32_t>(12 + body_.size()));
  }
  std::vector<uint8_t> FinishWith(uint32_t magic, uint16_t version, uint16_t count,
                                  uint32_t total) const {
    std::vector<uint8_t> out;
    auto put32 = [&](uint32_t v) {
      for (int i = 0; i < 4; i++) {
        out.push_back(static_cast<uint8_t>(v >> (8 * i)));
      }
    };
    put32(magic);
    out.push_back(static_cast<uint8_t>(version));
    out.push_back(static_cast<uint8_t>(version >> 8));
    out.push_back(static_cast<uint8_t>(count));
    out.push_back(static_cast<uint8_t>(count >> 8));
    put32(total);
    out.insert(out.end(), body_.begin(), body_.end());
    return out;
  }

 private:
  void Put16(uint16_t v) {
    body_.push_back(static_cast<uint8_t>(v));
    body_.push_back(static_cast<uint8_t>(v >> 8));
  }
  std::vector<uint8_t> body_;
  uint32_t count_ = 0;
};

}  // namespace cm_test
