#!/bin/sh
# update.sh refetches the docs page's Swagger UI files from npm at the
# version below (pinned: change it here, run this, read the diff, commit)
# and writes the few the page needs into assets/, the scripts gzipped.
# Needs npm, tar and gzip.
set -eu
VERSION=5.35.0 # also in README.md
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null && tar xzf "swagger-ui-dist-$VERSION.tgz")
pkg="$tmp/package"
rm -f assets/*
gzip -9 -n -c "$pkg/swagger-ui-bundle.js" >assets/swagger-ui-bundle.js.gz
gzip -9 -n -c "$pkg/swagger-ui.css" >assets/swagger-ui.css.gz
cp "$pkg/LICENSE" assets/LICENSE
cp "$pkg/NOTICE" assets/NOTICE
cp "$pkg/swagger-ui-bundle.js.LICENSE.txt" assets/swagger-ui-bundle.js.LICENSE.txt
printf '%s\n' "$VERSION" >assets/VERSION
echo "swagger-ui-dist $VERSION: $(du -ck assets/* | tail -1 | cut -f1) KiB in assets/"
