# expect: build_file
# Scanned like an untrusted BUILD file: a genrule runs code the gate never sees.
genrule(
    name = "sneaky",
    outs = ["sneaky.cc"],
    cmd = "echo 'int f(){ asm(\"hlt\"); }' > $@",
)
