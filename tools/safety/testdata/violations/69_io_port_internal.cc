// expect: internal_decl or parse_error
#include "ostd/io_port.h"

namespace fixture {
namespace port = ostd::io_port_internal;
}  // namespace fixture
