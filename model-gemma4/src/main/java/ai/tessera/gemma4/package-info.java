/**
 * Bundle for Gemma 4 (Gemma4ForConditionalGeneration, Gemma4ForCausalLM). It registers its services through Declarative Services once its issue implements them;
 * until then it deliberately registers nothing rather than a service that would pretend to work.
 */
package ai.tessera.gemma4;
