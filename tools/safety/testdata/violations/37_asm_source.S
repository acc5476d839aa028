// expect: non_cxx_source
.globl answer
answer:
  mov $42, %eax
  ret
