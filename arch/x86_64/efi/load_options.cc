#include "arch/x86_64/efi/load_options.h"

namespace arch::efi {
namespace {

bool EndsWithEfi(const char* word, size_t len) {
  if (len < 4) return false;
  const char* want = ".efi";
  for (size_t i = 0; i < 4; ++i) {
    char c = word[len - 4 + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != want[i]) return false;
  }
  return true;
}

}  // namespace

DecodedOptions DecodeLoadOptions(const uint8_t* bytes, size_t size, char* out, size_t cap) {
  DecodedOptions r{LoadOptionsKind::kEmpty, 0, false};
  out[0] = '\0';
  if (bytes == nullptr || size == 0) return r;
  if (size % 2 != 0) {
    r.kind = LoadOptionsKind::kNotText;
    return r;
  }
  size_t units = size / 2;
  size_t text_units = units;
  for (size_t i = 0; i < units; ++i) {
    uint16_t u = static_cast<uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
    if (u == 0) {
      text_units = i;
      break;
    }
    if (u != '\t' && (u < 0x20 || u > 0x7e)) {
      r.kind = LoadOptionsKind::kNotText;
      return r;
    }
  }
  for (size_t i = text_units; i < units; ++i) {
    if (bytes[2 * i] != 0 || bytes[2 * i + 1] != 0) {
      r.kind = LoadOptionsKind::kNotText;
      return r;
    }
  }
  // Skip leading spaces, then the image name if the shell put it first.
  auto unit_at = [&](size_t i) {
    char c = static_cast<char>(bytes[2 * i]);
    return c == '\t' ? ' ' : c;
  };
  size_t begin = 0;
  while (begin < text_units && unit_at(begin) == ' ') ++begin;
  size_t word_end = begin;
  char first[8];
  size_t first_len = 0;
  while (word_end < text_units && unit_at(word_end) != ' ') {
    // Only the last four characters matter for the ".efi" test.
    if (first_len == sizeof(first)) {
      for (size_t k = 0; k + 1 < sizeof(first); ++k) first[k] = first[k + 1];
      --first_len;
    }
    first[first_len++] = unit_at(word_end);
    ++word_end;
  }
  if (word_end > begin && EndsWithEfi(first, first_len)) {
    begin = word_end;
    while (begin < text_units && unit_at(begin) == ' ') ++begin;
  }
  size_t end = text_units;
  while (end > begin && unit_at(end - 1) == ' ') --end;
  if (end == begin) return r;
  r.kind = LoadOptionsKind::kText;
  size_t n = end - begin;
  if (n > cap - 1) {
    n = cap - 1;
    r.truncated = true;
  }
  for (size_t i = 0; i < n; ++i) out[i] = unit_at(begin + i);
  out[n] = '\0';
  r.length = n;
  return r;
}

bool FindCmdlineValue(const char* cmdline, size_t len, const char* key, size_t* start,
                      size_t* value_len) {
  size_t key_len = 0;
  while (key[key_len] != '\0') ++key_len;
  bool found = false;
  size_t i = 0;
  while (i < len) {
    while (i < len && cmdline[i] == ' ') ++i;
    size_t w = i;
    while (i < len && cmdline[i] != ' ') ++i;
    size_t wlen = i - w;
    if (wlen > key_len && cmdline[w + key_len] == '=') {
      bool match = true;
      for (size_t k = 0; k < key_len; ++k) {
        if (cmdline[w + k] != key[k]) match = false;
      }
      if (match) {
        found = true;
        *start = w + key_len + 1;
        *value_len = wlen - key_len - 1;
      }
    }
  }
  return found;
}

bool ToEfiPath(const char* path, size_t len, char16_t* out, size_t cap) {
  if (len == 0 || len + 1 > cap) return false;
  for (size_t i = 0; i < len; ++i) {
    char c = path[i];
    if (c < 0x21 || c > 0x7e) return false;
    out[i] = c == '/' ? u'\\' : static_cast<char16_t>(c);
  }
  out[len] = u'\0';
  return true;
}

}  // namespace arch::efi
