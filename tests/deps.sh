#!/bin/sh
# Install what building and testing need on a Debian machine: a C
# compiler, make, man-db and mandoc (which check the manual pages), curl
# (which talks to the fake Clarify server of the tests) and msmtp (which
# delivers to their SMTP sink).  Does nothing when all of it is there.

need=
command -v cc >/dev/null 2>&1 || need="$need gcc libc6-dev"
command -v make >/dev/null 2>&1 || need="$need make"
command -v man >/dev/null 2>&1 || need="$need man-db"
command -v groff >/dev/null 2>&1 || need="$need groff-base"
command -v mandoc >/dev/null 2>&1 || need="$need mandoc"
command -v curl >/dev/null 2>&1 || need="$need curl"
command -v msmtp >/dev/null 2>&1 || need="$need msmtp"

[ -z "$need" ] && exit 0

sudo=
[ "$(id -u)" -ne 0 ] && sudo=sudo
echo "installing:$need"
$sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends $need
