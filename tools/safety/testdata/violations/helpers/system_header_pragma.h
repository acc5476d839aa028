// Helper header of 61_pragma_in_header.cc: hides itself from the gate.
#pragma once
#pragma clang system_header
inline int HiddenAnswer() { return 42; }
