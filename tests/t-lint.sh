#!/bin/sh
# The mechanical part of the style holds for every C file: make lint,
# run with the tests so that a long line cannot slip in unnoticed.
exec sh "$(dirname "$0")/lint.sh"
