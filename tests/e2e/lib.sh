# Helpers for the end-to-end scripts (sourced). WEIR is the binary under test.
set -u
WEIR=${WEIR:-build/asan/weir}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
