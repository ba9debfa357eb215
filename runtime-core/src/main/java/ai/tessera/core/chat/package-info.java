/**
 * Chat templates: {@link ai.tessera.core.chat.ChatTemplate} finds a model's Jinja template and renders it as
 * transformers does, with Jinjava (on the framework class path) after {@link ai.tessera.core.chat.JinjavaDialect}
 * has rewritten the Jinja2 constructs Jinjava reads differently.
 */
package ai.tessera.core.chat;
