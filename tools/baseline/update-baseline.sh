#!/usr/bin/env bash
# Makes the API of the bundles just built the baseline that bnd-baseline-maven-plugin checks every build against
# (docs/plugin-sdk.md, "Versions"): writes baseline/repository/ai/tessera/{launcher,runtime-core}/VERSION, removes
# the previous baseline and sets tessera.api.baseline in pom.xml. Run it when a release is made, with its version:
#
#   ./mvnw -q install -DskipTests -Dbnd.baseline.skip
#   tools/baseline/update-baseline.sh 0.2.0
#
# Only the exported packages go into the baseline jars (ai.tessera.api, ai.tessera.nn, ai.tessera.core.engine and
# ai.tessera.media of runtime-core; ai.tessera.boot of launcher). Give new content a new version: Maven keeps the
# first copy of a version it resolved in each local repository.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 VERSION" >&2; exit 2; }
version=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
java=java
[ -n "${JAVA_HOME:-}" ] && java="$JAVA_HOME/bin/java"
for module in launcher runtime-core; do
  jar=$(ls "$root/$module"/target/"$module"-*.jar 2>/dev/null | grep -v -e '-sources' -e '-tests' | head -n 1)
  [ -n "$jar" ] || { echo "update-baseline: build $module first (./mvnw -q install -DskipTests -Dbnd.baseline.skip)" >&2; exit 1; }
  for old in "$root/baseline/repository/ai/tessera/$module"/*/; do
    [ -d "$old" ] && [ "$(basename "$old")" != "$version" ] && rm -r "$old"
  done
  "$java" "$root/tools/baseline/ApiBaseline.java" "$jar" ai.tessera "$module" "$version" "$root/baseline/repository"
done
sed -i "s|<tessera.api.baseline>[^<]*</tessera.api.baseline>|<tessera.api.baseline>$version</tessera.api.baseline>|" "$root/pom.xml"
grep -q "<tessera.api.baseline>$version</tessera.api.baseline>" "$root/pom.xml" \
  || { echo "update-baseline: could not set tessera.api.baseline in $root/pom.xml" >&2; exit 1; }
echo "baseline is now $version (pom.xml: tessera.api.baseline); commit baseline/ and pom.xml"
