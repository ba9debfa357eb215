#!/usr/bin/env bash
# Packs the built Tessera for the GPU machine into .device/ (payload.tar.xz and run-on-gpu.sh, the layout of
# ../shared/device/pack-java-gpu.sh). Run after  ./mvnw -q install -DskipTests , then name ".device" in the device
# tool's carry and run  bash .device/run-on-gpu.sh sh -c '$APP/tessera ...'  (the working tree and .device together
# must stay under the 64 MiB a call carries).
#
# What goes in, and what is left out because the GPU machine does not need it:
#   jre/      jlink of the modules the launcher, Felix, Jetty, Jackson, Jinjava and ImageIO use (JRE_MODULES),
#             --strip-debug --no-header-files --no-man-pages, libjvm.so stripped; modules stored uncompressed
#             (--compress=0), which the payload's xz squeezes better than jlink's zip; no X11/sound/splash natives
#   natives/  the JNI glue of JavaCPP's GPU build of PyTorch (libjnitorch*.so: libtorch itself is the machine's
#             PyTorch), of the CUDA preset's libraries in CUDA_JNI (those libtorch's CUDA presets inherit: cuSPARSE,
#             cuSOLVER, CUPTI are loaded by torch_cuda; not NPP or cuFFT), and OpenBLAS
#   app/      lib/ (the launcher's class path) without the CPU libtorch, the OpenBLAS jar (in natives/), FFmpeg
#             (no video on the GPU runs), other platforms' natives of DJL tokenizers and JNA; bundles/; the
#             tessera script; tools/reference/*.py (for --compare-hf). Every jar is rewritten stored (no deflate):
#             xz then compresses across all classes, a few MiB less than deflated jars.
# Natives come from the local Maven repository (M2_REPO, default ~/.m2/repository; e.g. the -Dmaven.repo.local of
# the build); a jar missing there is fetched into it with ./mvnw dependency:get.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
M2=${M2_REPO:-$HOME/.m2/repository}
PT_VERSION=${PT_VERSION:-2.10.0-1.5.13}
CUDA_PRESET=${CUDA_PRESET:-13.1-9.19-1.5.13}
OPENBLAS=${OPENBLAS:-0.3.31-1.5.13}
CUDA_JNI=${CUDA_JNI:-cudart nvrtc cublas curand cudnn nvml cusparse cusolver cupti}
JRE_MODULES=${JRE_MODULES:-java.base,java.logging,java.xml,java.desktop,java.naming,java.management,java.sql,java.net.http,jdk.unsupported,jdk.zipfs,jdk.crypto.ec}
XZ_LEVEL=${XZ_LEVEL:-9}
[ -f lib/launcher-0.1.0-SNAPSHOT.jar ] || { echo "pack-tessera: build first (./mvnw -q install -DskipTests)" >&2; exit 1; }
start=$SECONDS
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
p=$work/p
mkdir -p "$p/natives" "$p/app/tools/reference"

jar_of() { # group artifact version classifier -> path in the local repository (fetched when missing)
  local path="$M2/${1//.//}/$2/$3/$2-$3-$4.jar"
  if [ ! -f "$path" ]; then
    ./mvnw -q -Dmaven.repo.local="$M2" dependency:get -Dartifact="$1:$2:$3:jar:$4" -Dtransitive=false >&2
  fi
  echo "$path"
}

echo "jre: jlink $JRE_MODULES" >&2
jlink --add-modules "$JRE_MODULES" --strip-debug --no-man-pages --no-header-files --compress=0 \
  --exclude-files='**/libsplashscreen.so,**/libawt_xawt.so,**/libjsound.so,**/*.diz' --output "$p/jre"
# the JDK's libjvm.so keeps its symbol table (about 4 MiB); the JVM does not need it to run
if command -v strip >/dev/null; then strip --strip-unneeded "$p/jre/lib/server/libjvm.so"; fi

echo "natives: pytorch $PT_VERSION gpu (JNI glue), cuda $CUDA_PRESET ($CUDA_JNI), openblas $OPENBLAS" >&2
unzip -q -o -j "$(jar_of org.bytedeco pytorch "$PT_VERSION" linux-x86_64-gpu)" \
  '*/libjnitorch.so' '*/libjnitorch_cuda.so' -d "$p/natives"
cuda_libs=()
for lib in $CUDA_JNI; do cuda_libs+=("*/libjni$lib.so"); done
unzip -q -o -j "$(jar_of org.bytedeco cuda "$CUDA_PRESET" linux-x86_64)" "${cuda_libs[@]}" -d "$p/natives"
unzip -q -o -j "$(jar_of org.bytedeco openblas "$OPENBLAS" linux-x86_64)" '*/libopenblas.so.0' \
  '*/libjniopenblas_nolapack.so' '*/libjniopenblas.so' '*/libgfortran.so.5' '*/libquadmath.so.0' -d "$p/natives"
ln -sf libopenblas.so.0 "$p/natives/libopenblas_nolapack.so.0"   # the name JavaCPP's loader links at run time

echo "app: lib/, bundles/, tessera, tools/reference/*.py" >&2
cp -a lib tessera "$p/app/"
mkdir -p "$p/app/bundles" && cp bundles/*.jar bundles/README.md "$p/app/bundles/"
cp tools/reference/*.py "$p/app/tools/reference/"
rm -f "$p"/app/lib/pytorch-*-linux-x86_64.jar "$p"/app/lib/openblas-*-linux-x86_64.jar "$p"/app/lib/ffmpeg-*.jar
python3 - "$p/app" <<'PY'
# Rewrites every jar stored, in its own entry order, leaving out other platforms' natives of DJL tokenizers
# (native/lib/<platform>/...) and JNA (com/sun/jna/<platform>/...), and DJL's nlp/ model descriptions.
import pathlib, re, sys, zipfile
drop = re.compile(r"^(native/lib/(?!linux-x86_64/)[^/]+/|com/sun/jna/(?!linux-x86-64/)[^/]+/libjnidispatch|nlp/)")
for jar in pathlib.Path(sys.argv[1]).rglob("*.jar"):
    tmp = jar.with_suffix(".stored")
    with zipfile.ZipFile(jar) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            if drop.match(info.filename):
                continue
            data = src.read(info)
            info.compress_type = zipfile.ZIP_STORED
            dst.writestr(info, data)
    tmp.replace(jar)
PY

exclude=$(git rev-parse --git-path info/exclude)   # .git is a file in a worktree
grep -qx '/.device/' "$exclude" 2>/dev/null || echo '/.device/' >> "$exclude"
mkdir -p .device
echo "compressing (xz -$XZ_LEVEL)" >&2
tar -C "$p" -cf - . | xz -T0 "-$XZ_LEVEL" > .device/payload.tar.xz
cat > .device/run-on-gpu.sh <<'RUN'
#!/usr/bin/env bash
# Runs COMMAND on the GPU machine with Java and CUDA-enabled libtorch set up (JAVA, APP, LD_LIBRARY_PATH,
# JAVA_TOOL_OPTIONS); unpacks payload.tar.xz into /tmp/java-gpu once per machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=/tmp/java-gpu
if [ ! -f "$dest/.stamp" ] || [ "$here/payload.tar.xz" -nt "$dest/.stamp" ]; then
  rm -rf "$dest"; mkdir -p "$dest"
  python3 -c "import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" "$here/payload.tar.xz" "$dest"
  touch "$dest/.stamp"
fi
torch_lib=$(python3 -c "import torch,os; print(os.path.join(os.path.dirname(torch.__file__),'lib'))")
site=$(dirname "$(dirname "$torch_lib")")
nv=$(ls -d "$site"/nvidia/*/lib 2>/dev/null | tr '\n' ':')
export LD_LIBRARY_PATH="$dest/natives:$torch_lib:$nv${LD_LIBRARY_PATH:-}"
export JAVA_HOME="$dest/jre" JAVA="$dest/jre/bin/java" APP="$dest/app"
export JAVA_TOOL_OPTIONS="-Djava.library.path=$LD_LIBRARY_PATH -Dorg.bytedeco.javacpp.pathsFirst=true ${JAVA_TOOL_OPTIONS:-}"
export PATH="$dest/jre/bin:$PATH"
exec "$@"
RUN
chmod +x .device/run-on-gpu.sh
mib() { echo "$(( ($1 + 524287) / 1048576 )) MiB"; }
echo "unpacked: jre $(du -sh "$p/jre" | cut -f1), natives $(du -sh "$p/natives" | cut -f1), app $(du -sh "$p/app" | cut -f1)" >&2
payload=$(stat -c %s .device/payload.tar.xz)
tree=$(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
echo "packed .device/payload.tar.xz: $(mib "$payload"); working tree (tracked and untracked, not ignored): $(mib "$tree");" \
  "together $(mib $((payload + tree))) of the 64 MiB a call carries; $((SECONDS - start)) s" >&2
