// expect: extern_decl
// Declares a TCB variable to read it directly.
extern "C" unsigned long kernel_boot_page_table;

unsigned long Root() { return kernel_boot_page_table; }
