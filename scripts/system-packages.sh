#!/usr/bin/env bash
# Installs the Debian packages the named commands come from, only when a command is missing.
# Usage: scripts/system-packages.sh redis-server pg_ctl chromium
set -euo pipefail

declare -A PACKAGE_OF=(
    [redis-server]=redis-server
    [initdb]=postgresql
    [chromium]=chromium
    [msgfmt]=gettext
)

missing=()
for command in "$@"; do
    case "$command" in
        initdb) found=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | head -1 || true) ;;
        *) found=$(command -v "$command" || true) ;;
    esac
    [ -n "$found" ] || missing+=("${PACKAGE_OF[$command]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "system packages: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
