/** Text helpers shared by the parsers: partial-tag hold-back and Python's notion of whitespace. */
package ai.tessera.parsers.text;
