#!/usr/bin/env bash
# Makes the bundles just built the API baseline (baseline/repository), which bnd-baseline-maven-plugin checks every
# build against (docs/plugin-sdk.md, "Versions"). Run it when a release is made, with the version released:
#
#   ./mvnw -q package -DskipTests -Dbnd.baseline.skip -pl launcher,runtime-core
#   tools/baseline/update-baseline.sh 0.2.0      # then set tessera.api.baseline in pom.xml to 0.2.0
#
# Only the exported packages go into the baseline jars (ai.tessera.api, ai.tessera.nn, ai.tessera.core.engine and
# ai.tessera.media of runtime-core; ai.tessera.boot of launcher). Use a new version for new content: Maven keeps the
# first copy of a version it resolved in each local repository (to reuse one, delete
# ~/.m2/repository/ai/tessera/{launcher,runtime-core}/VERSION everywhere).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 VERSION" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
java=java
[ -n "${JAVA_HOME:-}" ] && java="$JAVA_HOME/bin/java"
for module in launcher runtime-core; do
  jar=$(ls "$root/$module"/target/"$module"-*.jar 2>/dev/null | grep -v -e '-sources' -e '-tests' | head -n 1)
  [ -n "$jar" ] || { echo "update-baseline: build $module first (./mvnw -q package -DskipTests -pl $module)" >&2; exit 1; }
  "$java" "$root/tools/baseline/ApiBaseline.java" "$jar" ai.tessera "$module" "$1" "$root/baseline/repository"
done
