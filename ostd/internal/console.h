// Console set-up and panic mode. Internal to the TCB.
#ifndef OSTD_INTERNAL_CONSOLE_H_
#define OSTD_INTERNAL_CONSOLE_H_

#include <cstddef>
#include <cstdint>

namespace ostd::internal {

// Programs COM1 for 115200 8N1. Safe to call before anything else.
void InitConsole();
// From now on console writers never wait for the console lock.
void EnterPanicConsole();

// Receive side (ostd/io/console_input.cc drives it): the UART's receive
// interrupt handler moves the bytes waiting in the UART into ostd's receive
// ring, which ConsoleRead() empties, and returns how many it moved. Any
// context.
size_t ConsoleReceiveInterrupt();
// Turns on the UART's receive interrupt (and OUT2, which connects the UART to
// its IRQ line); bytes already waiting raise it at once. Call once the IRQ
// is routed.
void EnableConsoleReceiveInterrupt();
// Bytes dropped because the receive ring was full.
uint64_t ConsoleReceiveDropped();

}  // namespace ostd::internal

#endif  // OSTD_INTERNAL_CONSOLE_H_
