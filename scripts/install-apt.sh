#!/usr/bin/env bash
# Install the Debian packages listed in $1 that are not installed yet. Idempotent:
# when everything is present it runs no apt command at all.
set -euo pipefail
list=${1:?usage: install-apt.sh PACKAGE_LIST}
missing=()
while read -r pkg; do
  pkg=${pkg%%#*}; pkg=${pkg//[[:space:]]/}
  [[ -z $pkg ]] && continue
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done <"$list"
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "error: the Go toolchain (>= 1.25) is required to build the local control plane; Debian's golang-go is too old." >&2
  echo "       Install Go from the Go distribution for your platform and re-run." >&2
  exit 1
fi
# The web UI's build (Vite 8) needs Node.js ^20.19 or >= 22.12; Debian bookworm's nodejs is 18.
if ! command -v npm >/dev/null 2>&1 || ! node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  process.exit(major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19) ? 0 : 1);
' 2>/dev/null; then
  echo "error: Node.js ^20.19 or >= 22.12 with npm is required to build the web UI (web/);" >&2
  echo "       Debian bookworm's nodejs is too old: install Node.js from nodejs.org or NodeSource and re-run." >&2
  exit 1
fi
