// expect: memfunc
// The declaration stands in for <cstring>, which untrusted code may not include;
// both the declaration and the call are reported.
namespace std {
void* memcpy(void* dst, const void* src, decltype(sizeof(0)) n) noexcept;
}  // namespace std

void Copy(int& dst, const int& src) { std::memcpy(&dst, &src, sizeof(int)); }
