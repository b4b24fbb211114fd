#!/bin/sh
# Rebuilds src/static/vendor/age.js and its license file from the npm packages pinned in
# package-lock.json: typage (age-encryption) and the @noble and @scure libraries it uses.
# Run from this folder: sh build.sh
set -eu
npm ci --no-audit --no-fund
out=../../src/static/vendor
version=$(node -p "require('./node_modules/age-encryption/package.json').version")
banner="// The npm package age-encryption $version (typage, https://github.com/FiloSottile/typage), bundled with its dependencies by crates/margin-web/vendor/age/build.sh; licenses: /static/vendor/age.LICENSE.txt"
npx esbuild entry.js --bundle --format=esm --minify --target=es2022 \
  --legal-comments=none --banner:js="$banner" --outfile="$out/age.js"
{
  echo "The licenses of what /static/vendor/age.js bundles."
  for p in age-encryption @noble/ciphers @noble/curves @noble/hashes @noble/post-quantum @scure/base; do
    v=$(node -p "require('./node_modules/$p/package.json').version")
    echo
    echo "==== $p $v (npm) ===="
    echo
    cat "node_modules/$p/LICENSE"
  done
} > "$out/age.LICENSE.txt"
