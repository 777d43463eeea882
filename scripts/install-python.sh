#!/usr/bin/env bash
# Makes `import hybridrec` work in Debian's python3 without path tricks: a .pth
# file in its site-packages names python/ (the package) and BUILD/python/ (the
# native module _hybridrec that scripts/build.sh builds). Nothing is copied, so a
# rebuild is picked up at once. As root it goes to /usr/local/lib/python3.X/
# dist-packages (Debian's place for local installs), otherwise to the user's site.
# Idempotent; scripts/build.sh runs it after every build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${HYBRIDREC_BUILD_DIR:-$root/build}" && pwd)"
python=/usr/bin/python3
# Not built (a build of other targets only, or no pybind11: CMake said so): nothing to install.
if ! ls "$build"/python/_hybridrec*.so >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  site="$("$python" -c 'import site; print(site.getsitepackages()[0])')"
else
  site="$("$python" -m site --user-site)"
fi
mkdir -p "$site"
want="$(printf '%s\n%s\n' "$root/python" "$build/python")"
if [ ! -f "$site/hybridrec.pth" ] || [ "$(cat "$site/hybridrec.pth")" != "$want" ]; then
  printf '%s\n' "$want" > "$site/hybridrec.pth"
  echo "install-python: import hybridrec now loads $root/python with $build/python/_hybridrec ($site/hybridrec.pth)" >&2
fi
