import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Writes the API baseline of a bundle into a Maven-layout folder: a jar with the bundle's exported packages (their
 * classes and the Export-Package header with their versions) and nothing private, plus a minimal POM, as
 * {@code GROUP:ARTIFACT:VERSION}. bnd-baseline-maven-plugin compares the build's bundle against it.
 *
 * <pre>java tools/baseline/ApiBaseline.java BUNDLE.jar GROUP ARTIFACT VERSION REPOSITORY_DIR</pre>
 */
public final class ApiBaseline {
    /** Fixed entry times, so that the same API gives the same bytes. */
    private static final long TIME = 315532800000L;

    public static void main(String[] args) throws IOException {
        if (args.length != 5) {
            throw new IllegalArgumentException("usage: ApiBaseline BUNDLE.jar GROUP ARTIFACT VERSION REPOSITORY_DIR");
        }
        Path bundle = Path.of(args[0]);
        String group = args[1];
        String artifact = args[2];
        String version = args[3];
        Path dir = Path.of(args[4]).resolve(group.replace('.', '/')).resolve(artifact).resolve(version);
        Files.createDirectories(dir);
        try (JarFile in = new JarFile(bundle.toFile())) {
            Attributes main = in.getManifest().getMainAttributes();
            String exports = main.getValue("Export-Package");
            if (exports == null) {
                throw new IllegalArgumentException(bundle + " exports no package");
            }
            List<String> packages = packageNames(exports);
            Manifest manifest = new Manifest();
            Attributes out = manifest.getMainAttributes();
            out.put(Attributes.Name.MANIFEST_VERSION, "1.0");
            out.putValue("Bundle-ManifestVersion", "2");
            out.putValue("Bundle-SymbolicName", main.getValue("Bundle-SymbolicName"));
            out.putValue("Bundle-Version", version);
            out.putValue("Export-Package", exports);
            Path jar = dir.resolve(artifact + "-" + version + ".jar");
            try (OutputStream os = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(os)) {
                JarEntry mf = new JarEntry(JarFile.MANIFEST_NAME);
                mf.setTime(TIME);
                zip.putNextEntry(mf);
                manifest.write(zip);
                zip.closeEntry();
                List<JarEntry> entries = Collections.list(in.entries());
                entries.sort((a, b) -> a.getName().compareTo(b.getName()));
                int classes = 0;
                for (JarEntry e : entries) {
                    String name = e.getName();
                    int slash = name.lastIndexOf('/');
                    if (e.isDirectory() || !name.endsWith(".class") || slash < 0
                            || !packages.contains(name.substring(0, slash).replace('/', '.'))) {
                        continue;
                    }
                    JarEntry copy = new JarEntry(name);
                    copy.setTime(TIME);
                    zip.putNextEntry(copy);
                    in.getInputStream(e).transferTo(zip);
                    zip.closeEntry();
                    classes++;
                }
                System.out.println(jar + ": " + classes + " classes of " + packages);
            }
        }
        Path pom = dir.resolve(artifact + "-" + version + ".pom");
        Files.writeString(pom, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n"
                + "  <groupId>" + group + "</groupId>\n  <artifactId>" + artifact + "</artifactId>\n  <version>" + version
                + "</version>\n  <description>API baseline (exported packages only) of " + artifact + " " + version
                + ", for bnd-baseline-maven-plugin</description>\n</project>\n", StandardCharsets.UTF_8);
        // Maven checks downloads against these.
        for (Path file : List.of(dir.resolve(artifact + "-" + version + ".jar"), pom)) {
            Files.writeString(file.resolveSibling(file.getFileName() + ".sha1"), sha1(file), StandardCharsets.US_ASCII);
        }
    }

    private static String sha1(Path file) throws IOException {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-1").digest(Files.readAllBytes(file));
            return java.util.HexFormat.of().formatHex(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The package names of an Export-Package header (commas inside quoted attributes do not separate clauses). */
    static List<String> packageNames(String header) {
        List<String> names = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i <= header.length(); i++) {
            char c = i < header.length() ? header.charAt(i) : ',';
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                String clause = header.substring(start, i);
                names.add(clause.split(";", 2)[0].trim());
                start = i + 1;
            }
        }
        return names;
    }
}
