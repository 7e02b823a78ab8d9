// Key material in memory that the kernel never swaps out: libsodium's guarded heap
// (sodium_malloc: locked pages between guard pages, wiped when freed). Move-only, so a key
// has one owner and is wiped once.
#pragma once

#include <cstddef>
#include <string_view>

namespace muster {

class SecretBytes {
 public:
  SecretBytes() = default;
  // |size| zero bytes in locked memory. Throws std::bad_alloc when none can be had (the
  // locked-memory limit, RLIMIT_MEMLOCK, is reached).
  explicit SecretBytes(std::size_t size);
  // A copy of |bytes| in locked memory.
  static SecretBytes Copy(const unsigned char* bytes, std::size_t size);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  unsigned char* data() { return data_; }
  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Constant time.
  bool Equals(const SecretBytes& other) const;

 private:
  unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace muster
