#!/usr/bin/env bash
# Installs the system packages ruddercore builds and tests with (Debian 12). Skips apt when
# everything is already there, so it is cheap to run before every build.
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config python3-venv python3-dev curl
      libcurl4-openssl-dev libcjson-dev zlib1g-dev
      liblua5.4-dev lua5.4 luajit2 libluajit2-5.1-dev lua-busted
      nginx libnginx-mod-http-lua redis-server libhiredis-dev
      clang libclang-rt-14-dev valgrind wrk
      luarocks dpkg-dev file)      # tests/packaging: luarocks make; cpack -G DEB (dpkg-shlibdeps, file)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's nginx starts a service on install; our tests run their own nginx on 127.0.0.1.
