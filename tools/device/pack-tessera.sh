#!/usr/bin/env bash
# Packs the built Tessera (lib/, bundles/, the launcher script and the reference scripts) for the GPU machine into
# .device/ (about 60 MiB: the working tree plus what a call carries must stay under 64 MiB). Run after
#   ./mvnw -q install -DskipTests
# then name ".device" in the device tool's carry and run  bash .device/run-on-gpu.sh sh -c '$APP/tessera ...'
# Left out to fit: DJL tokenizer natives of other platforms and FFmpeg's natives (no video files on the GPU runs).
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
app=$work/app
mkdir -p "$app/tools/reference"
cp -a lib bundles tessera "$app/"
cp tools/reference/*.py "$app/tools/reference/"
for jar in "$app"/lib/tokenizers-*.jar; do
  zip -q -d "$jar" 'native/lib/osx*' 'native/lib/win*' 'native/lib/linux-aarch64*' || true
done
find "$app/lib" -name 'ffmpeg-*-linux-*.jar' -delete
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
JRE_MODULES=${JRE_MODULES:-java.base,java.logging,jdk.unsupported,java.management,java.naming,java.xml,java.desktop,java.sql,java.net.http,jdk.httpserver,jdk.crypto.ec,jdk.zipfs,java.rmi,java.scripting,java.instrument,jdk.management} \
  "$root/../shared/device/pack-java-gpu.sh" "$app" .device
du -sh .device
