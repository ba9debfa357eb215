/**
 * Bundle for reasoning parsers (<think>, Gemma 4 channels) and tool-call parsers. It registers its services through Declarative Services once its issue implements them;
 * until then it deliberately registers nothing rather than a service that would pretend to work.
 */
package ai.tessera.parsers;
