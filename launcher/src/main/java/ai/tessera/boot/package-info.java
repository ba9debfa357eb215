/**
 * The boot API: the few types that the launcher (on the framework class path) and runtime-core (a bundle)
 * share. The framework exports this package to bundles as a system package.
 */
package ai.tessera.boot;
