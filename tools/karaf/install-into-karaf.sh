#!/usr/bin/env bash
# Prepares an Apache Karaf 4.4 installation for `feature:install tessera` (docs/karaf.md).
#
#   tools/karaf/install-into-karaf.sh KARAF_HOME
#
# Build Tessera first (./mvnw -q install -DskipTests). Then this script
#  1. copies the framework class path of Tessera's launcher (lib/: JavaCPP with libtorch, DJL's tokenizers, Jinjava
#     and their libraries, and the boot API) into KARAF_HOME/lib, where Karaf puts jars on the class loader of the
#     OSGi framework itself (a JNI library binds to one class loader, so these cannot be bundles); Felix is left out,
#     Karaf brings its own;
#  2. adds the packages the framework must export from them to org.osgi.framework.system.packages.extra in
#     KARAF_HOME/etc/config.properties (the list is the launcher's own: ai.tessera.launcher.SystemPackages);
#  3. sets tessera.etc to Karaf's etc/ in KARAF_HOME/etc/custom.properties: serve's model configurations
#     (ai.tessera.model-NAME.cfg) are read there;
#  4. copies karaf/features/target/repository (the feature repository and every bundle it installs that a stock
#     Karaf lacks) into KARAF_HOME/system, Karaf's own Maven repository, so that installing needs no network.
# Run it again after a rebuild: it replaces what it installed before. Restart Karaf afterwards.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 KARAF_HOME" >&2
  exit 2
fi
karaf=$(cd "$1" 2>/dev/null && pwd) || { echo "install-into-karaf: $1 is not a folder" >&2; exit 1; }
root=$(cd "$(dirname "$0")/../.." && pwd)
config="$karaf/etc/config.properties"
repository="$root/karaf/features/target/repository"
installed="$karaf/lib/.tessera-jars"

[ -f "$config" ] || { echo "install-into-karaf: $karaf is not a Karaf installation (no etc/config.properties)" >&2; exit 1; }
launcher=$(ls "$root"/lib/launcher-*.jar 2>/dev/null | head -n 1)
if [ -z "$launcher" ] || [ ! -d "$repository" ]; then
  echo "install-into-karaf: Tessera is not built in $root; run ./mvnw -q install -DskipTests first" >&2
  exit 1
fi
java=java
[ -n "${JAVA_HOME:-}" ] && java="$JAVA_HOME/bin/java"

# 1. the framework class path (what an earlier run copied goes first: a rebuild may have renamed jars)
if [ -f "$installed" ]; then
  while IFS= read -r jar; do rm -f "$karaf/lib/$jar"; done < "$installed"
fi
: > "$installed"
for jar in "$root"/lib/*.jar; do
  name=$(basename "$jar")
  case "$name" in org.apache.felix.framework-*) continue ;; esac
  cp "$jar" "$karaf/lib/$name"
  echo "$name" >> "$installed"
done

# 2. the system packages: one line of ours right after the property's first line (replaced on a second run)
packages=$("$java" -cp "$root/lib/*" ai.tessera.launcher.SystemPackages)
case "$packages" in ai.tessera.boot*) ;; *) echo "install-into-karaf: unexpected package list from $launcher: $packages" >&2; exit 1 ;; esac
tmp="$config.tessera-tmp"
awk -v line="    $packages, \\" '
  /^    ai\.tessera\.boot;/ { next }
  { print }
  /^org\.osgi\.framework\.system\.packages\.extra *= *\\$/ { print line; found = 1 }
  END { if (!found) exit 3 }
' "$config" > "$tmp" || {
  rm -f "$tmp"
  echo "install-into-karaf: no line 'org.osgi.framework.system.packages.extra = \\' in $config; add these packages to it by hand: $packages" >&2
  exit 1
}
mv "$tmp" "$config"

# 3. where serve looks for model configurations (ai.tessera.model-NAME.cfg): Karaf's etc/, as under ./tessera
custom="$karaf/etc/custom.properties"
touch "$custom"
grep -v '^tessera\.etc *=' "$custom" > "$custom.tessera-tmp" || true
echo 'tessera.etc = ${karaf.etc}' >> "$custom.tessera-tmp"
mv "$custom.tessera-tmp" "$custom"

# 4. the feature repository and its bundles
cp -R "$repository/." "$karaf/system/"

version=$(basename "$(dirname "$(ls "$repository"/ai/tessera/karaf-features/*/karaf-features-*-features.xml | head -n 1)")")
echo "Tessera $version prepared in $karaf ($(wc -l < "$installed") jars in lib/, system packages in etc/config.properties)."
echo "Start Karaf (bin/karaf), then:"
echo "  feature:repo-add mvn:ai.tessera/karaf-features/$version/xml/features"
echo "  feature:install tessera"
echo "and serve: etc/ai.tessera.serve.cfg with 'port = 8000' and 'model = /path/to/model', or models as"
echo "etc/ai.tessera.model-NAME.cfg (docs/karaf.md)."
