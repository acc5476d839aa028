// Console set-up and panic mode. Internal to the TCB.
#ifndef OSTD_INTERNAL_CONSOLE_H_
#define OSTD_INTERNAL_CONSOLE_H_

namespace ostd::internal {

// Programs COM1 for 115200 8N1. Safe to call before anything else.
void InitConsole();
// From now on console writers never wait for the console lock.
void EnterPanicConsole();

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_CONSOLE_H_
