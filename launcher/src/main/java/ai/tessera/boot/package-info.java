/**
 * The boot API: the few types that the launcher (on the framework class path) and runtime-core (a bundle)
 * share. The framework exports this package to bundles as a system package, at the version given here (bnd writes
 * it into the launcher's manifest, where {@code Container} reads it), and bnd baselining checks it like the API's.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package ai.tessera.boot;
