#!/usr/bin/env bash
# Fetch the Pretendard Korean web font from the npm registry into the static files, once.
# The site then serves it itself: no font is fetched from the internet at run time.
# Without npm (or offline) the site falls back to the system's fonts and says so here.
set -euo pipefail
version=1.3.9
dest=src/dangol/web/static/web/fonts
[ -f "$dest/Pretendard-Regular.woff2" ] && [ -f "$dest/Pretendard-Bold.woff2" ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: Korean text will use system fonts (install Node.js/npm for Pretendard)" >&2
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && npm pack --silent "pretendard@$version" >/dev/null 2>&1); then
  echo "could not fetch pretendard@$version from npm: Korean text will use system fonts" >&2
  exit 0
fi
tar -xzf "$work"/pretendard-$version.tgz -C "$work"
mkdir -p "$dest"
for weight in Regular Bold; do
  cp "$work/package/dist/web/static/woff2/Pretendard-$weight.woff2" "$dest/"
done
cp "$work/package/LICENSE.txt" "$dest/LICENSE.txt" 2>/dev/null || true
echo "Pretendard $version installed in $dest"
