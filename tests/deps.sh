#!/bin/sh
# Install what building and testing need on a Debian machine: a C
# compiler, make, man-db and mandoc (which check the manual pages), curl
# (which talks to the fake Clarify server of the tests), msmtp (which
# delivers to their SMTP sink), and the independent checkers the tests
# hold our output against: pngcheck and netpbm (PNG), mpack (MIME),
# GNU parallel (splitting a file across processes), clang (a second
# compiler, and the sanitizers and libFuzzer) and valgrind.  Does
# nothing when all of it is there.

need=
command -v cc >/dev/null 2>&1 || need="$need gcc libc6-dev"
command -v make >/dev/null 2>&1 || need="$need make"
command -v man >/dev/null 2>&1 || need="$need man-db"
command -v groff >/dev/null 2>&1 || need="$need groff-base"
command -v mandoc >/dev/null 2>&1 || need="$need mandoc"
command -v curl >/dev/null 2>&1 || need="$need curl"
command -v msmtp >/dev/null 2>&1 || need="$need msmtp"
command -v pngcheck >/dev/null 2>&1 || need="$need pngcheck"
command -v pngtopnm >/dev/null 2>&1 || need="$need netpbm"
command -v munpack >/dev/null 2>&1 || need="$need mpack"
command -v parallel >/dev/null 2>&1 || need="$need parallel"
command -v clang >/dev/null 2>&1 || need="$need clang"
# The sanitizer and libFuzzer run-times are a package of their own.
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a \
    >/dev/null 2>&1 || need="$need libclang-rt-14-dev"
command -v valgrind >/dev/null 2>&1 || need="$need valgrind"

[ -z "$need" ] && exit 0

sudo=
[ "$(id -u)" -ne 0 ] && sudo=sudo
echo "installing:$need"
$sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends $need
