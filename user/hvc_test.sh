#!/bin/sh
# /dev/hvc0 as a tty (user/BUILD's hvc_test): its host side sends what the
# guest writes back as input, so a line written comes back as a line read.
set -e
stty -F /dev/hvc0 -echo   # else every echoed byte would loop back for ever
stty -F /dev/hvc0 | grep -q 'speed'
echo hello-hvc > /dev/hvc0
read -r line < /dev/hvc0
echo "hvc-got:$line"
