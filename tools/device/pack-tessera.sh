#!/usr/bin/env bash
# Packs the built Tessera (lib/, bundles/, the launcher script and the reference scripts) for the GPU machine into
# .device/ (about 60 MiB: the working tree plus what a call carries must stay under 64 MiB). Run after
#   ./mvnw -q install -DskipTests
# then name ".device" in the device tool's carry and run  bash .device/run-on-gpu.sh sh -c '$APP/tessera ...'
# Left out to fit: DJL's and JNA's natives of other platforms, and FFmpeg (no video files on the GPU runs).
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
find "$app/lib" -name 'ffmpeg-*.jar' -delete
for jar in "$app"/lib/jna-*.jar; do   # JNA's dispatch library for every other platform
  others=$(unzip -Z1 "$jar" | grep -E '^com/sun/jna/[^/]+/libjnidispatch' | grep -v '/linux-x86-64/' || true)
  [ -n "$others" ] && zip -q -d "$jar" $others
done
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
JRE_MODULES=${JRE_MODULES:-java.base,java.logging,jdk.unsupported,java.management,java.naming,java.xml,java.desktop,java.sql,java.net.http,jdk.httpserver,jdk.crypto.ec,jdk.zipfs,java.rmi,java.scripting,java.instrument,jdk.management} \
  "$root/../shared/device/pack-java-gpu.sh" "$app" .device
du -sh .device
