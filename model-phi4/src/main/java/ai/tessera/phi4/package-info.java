/**
 * Bundle for the Phi-3 text decoder (Phi3ForCausalLM) and Phi-4-reasoning-vision (Phi4ForCausalLMV). It registers its services through Declarative Services once its issue implements them;
 * until then it deliberately registers nothing rather than a service that would pretend to work.
 */
package ai.tessera.phi4;
