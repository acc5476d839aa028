// expect: builtin
bool HasFrame() { return __builtin_frame_address(0) != nullptr; }
