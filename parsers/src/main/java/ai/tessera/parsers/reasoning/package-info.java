/**
 * Reasoning parsers for tag-delimited reasoning sections. One state machine ({@link
 * ai.tessera.parsers.reasoning.ReasoningSplitter}) serves streaming and whole-text parsing alike, so the
 * reasoning and content a stream emits always concatenate to what {@code extract} returns for the whole text.
 */
package ai.tessera.parsers.reasoning;
