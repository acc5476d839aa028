// mykernel: greet and power off (ostd powers off when KernelMain returns).
#include "greeting.h"
#include "ostd/entry.h"
#include "ostd/fmt.h"
#include "ostd/log.h"

void KernelMain(const ostd::BootInfo& boot_info) {
  ostd::Println("Booted by {}.", boot_info.loader_name);
  ostd::StackString<96> greeting;
  mykernel::Greet(greeting, mykernel::FreeMiB());
  ostd::Println("{}", greeting.view());
}
