#!/usr/bin/env bash
# kernel/process/vdso_image.cc holds the bytes of the vDSO built from
# user/vdso/vdso.c.   vdso_image_test.sh MAKE_IMAGE_CC STYLE VDSO_SO IMAGE_CC
exec python3 "$1" --check "$2" "$3" "$4"
