#!/bin/sh
# Installs the system programs the browser and PDF tests use (Debian's chromium and poppler-utils),
# when they are absent and this shell may install them. Elsewhere it says what is missing; those
# tests then skip with that reason.
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v pdftoppm >/dev/null 2>&1 || missing="$missing poppler-utils"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing:$missing"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null \
        || echo "warning: could not install$missing; the browser/PDF tests will skip"
else
    echo "note:$missing not installed (needs root and apt-get); the browser/PDF tests will skip"
fi
exit 0
