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
