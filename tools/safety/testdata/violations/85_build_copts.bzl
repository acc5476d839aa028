# expect: build_file
cc_library(
    name = "lib",
    srcs = ["lib.cc"],
    copts = ["-include", "ostd/internal/secrets.h"],
)
