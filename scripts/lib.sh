# Shared helpers for Keel's scripts (sourced, not run).

KEEL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages Keel needs to build, boot and test. linux-image-amd64 is the
# pinned Linux of //user:linux_oracle_test (and Keel's rival in scripts/bench);
# dbench is the file-system stress workload of //tools/ext2:dbench_test;
# linux-source-6.1 holds Linux's own ftrace selftests, which
# //user:ftracetest_test runs inside Keel.
KEEL_PACKAGES=(
  bazel-bootstrap clang-19 lld-19 llvm-19 llvm-19-dev libclang-19-dev clang-format-19
  libabsl-dev googletest python3 doxygen
  qemu-system-x86 ovmf grub-efi-amd64-bin grub-common mtools busybox-static cpio
  linux-image-amd64 dbench linux-source-6.1
)

# Installs whatever of KEEL_PACKAGES is missing (needs root or sudo).
keel_install_packages() {
  local missing=()
  for p in "${KEEL_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  echo "keel: installing missing packages: ${missing[*]}" >&2
  local sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    "${missing[@]}" >/dev/null
}

# Maps QEMU's isa-debug-exit status to a normal one: 33 -> 0, 35 -> 1.
keel_qemu_status() {
  case "$1" in
    33) echo 0 ;;
    35) echo 1 ;;
    0) echo 2 ;;   # QEMU exited without the kernel choosing (e.g. triple fault reset)
    *) echo "$1" ;;
  esac
}
