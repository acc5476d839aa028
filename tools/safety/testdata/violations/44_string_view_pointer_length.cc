// expect: span_from_pointer
#include <cstddef>
#include <string_view>

std::size_t Length(const char* p, std::size_t n) { return std::string_view(p, n).size(); }
