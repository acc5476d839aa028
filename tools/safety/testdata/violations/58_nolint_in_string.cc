// expect: nolint
#include <string_view>

constexpr std::string_view kMarker = "NOLINT(everything)";
