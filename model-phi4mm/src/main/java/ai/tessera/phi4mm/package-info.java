/**
 * Bundle for Phi-4-multimodal-instruct (Phi4MMForCausalLM). It registers its services through Declarative Services once its issue implements them;
 * until then it deliberately registers nothing rather than a service that would pretend to work.
 */
package ai.tessera.phi4mm;
