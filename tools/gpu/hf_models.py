#!/usr/bin/env python3
"""Real `transformers` classifiers against deepcut's loading of their folders (tools/gpu/check.sh).

    python3 tools/gpu/hf_models.py make --out DIR [--device cuda] [--seed 0]
        builds BertForSequenceClassification, RobertaForSequenceClassification and
        DistilBertForSequenceClassification from small configs with seeded random weights (no hub),
        save_pretrained()s each into DIR/<name>/ (model.safetensors + config.json), draws a padded
        batch of ids per model, and writes DIR/cases.json (folders and inputs, for
        dist/bench/gpu/hf-logits.js) and DIR/expected.json (transformers' eval-mode logits on
        --device, eager attention).
    python3 tools/gpu/hf_models.py compare --expected FILE --got FILE [--tolerance 1e-4] [--out FILE]
        max abs logit difference per model; exit 1 when any exceeds the tolerance or is not finite.

Needs torch and transformers (checked at run time, so `python3 -m py_compile` works without them).
"""
import argparse
import json
import math
import os
import sys

# Small but complete: 2 layers, 4 heads, padding in the batch, 3 labels. RoBERTa's positions
# start after its padding index, hence max_position_embeddings = SEQ + 2.
SEQ = 24
BATCH = 4
VOCAB = 120
LABELS = 3


def configs(transformers):
    common = dict(vocab_size=VOCAB, num_labels=LABELS)
    return {
        'bert': (transformers.BertConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                                         max_position_embeddings=SEQ, type_vocab_size=2, pad_token_id=0, **common),
                 transformers.BertForSequenceClassification),
        'roberta': (transformers.RobertaConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                                               max_position_embeddings=SEQ + 2, type_vocab_size=1, pad_token_id=1,
                                               bos_token_id=0, eos_token_id=2, **common),
                    transformers.RobertaForSequenceClassification),
        'distilbert': (transformers.DistilBertConfig(dim=64, n_layers=2, n_heads=4, hidden_dim=128, max_position_embeddings=SEQ,
                                                     pad_token_id=0, **common),
                       transformers.DistilBertForSequenceClassification),
    }


def padded_batch(torch, generator, pad_id):
    """[BATCH, SEQ] ids in [3, VOCAB) with row i padded (pad_id, mask 0) after SEQ - 3*i real tokens."""
    ids = torch.randint(3, VOCAB, (BATCH, SEQ), generator=generator)
    mask = torch.ones(BATCH, SEQ, dtype=torch.long)
    for i in range(BATCH):
        real = SEQ - 3 * i
        ids[i, real:] = pad_id
        mask[i, real:] = 0
    return ids, mask


def make(a):
    import torch
    import transformers
    device = torch.device(a.device)
    os.makedirs(a.out, exist_ok=True)
    cases, expected = [], []
    for k, (name, (config, cls)) in enumerate(configs(transformers).items()):
        torch.manual_seed(a.seed + k)
        # Random weights are drawn with the usual init std 0.02; larger ones make the logits
        # (and so the comparison) less trivial: scale every weight up a little.
        config.initializer_range = 0.2
        # Eager attention: the textbook formula deepcut implements (SDPA agrees to rounding too).
        try:
            config._attn_implementation = 'eager'
        except Exception:  # a config that does not take it keeps its default
            pass
        model = cls(config)
        if hasattr(model, 'set_attn_implementation'):
            try:
                model.set_attn_implementation('eager')
            except Exception:
                pass
        model.eval()
        folder = os.path.join(a.out, name)
        try:
            model.save_pretrained(folder, safe_serialization=True)
        except TypeError:  # transformers 5 always writes safetensors and may not take the flag
            model.save_pretrained(folder)
        if not os.path.exists(os.path.join(folder, 'model.safetensors')):
            raise SystemExit('%s: save_pretrained wrote no model.safetensors (%s)' % (name, sorted(os.listdir(folder))))
        generator = torch.Generator().manual_seed(a.seed + 100 + k)
        ids, mask = padded_batch(torch, generator, config.pad_token_id)
        with torch.no_grad():
            logits = model.to(device)(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float().cpu()
        cases.append({'name': name, 'dir': os.path.abspath(folder), 'input_ids': ids.tolist(), 'attention_mask': mask.tolist()})
        attention = getattr(model.config, '_attn_implementation', None)
        expected.append({'name': name, 'architecture': cls.__name__, 'logits': logits.tolist(), 'device': str(device), 'attention': attention})
        print('%s: %s, %d parameters, saved to %s' % (name, cls.__name__, sum(p.numel() for p in model.parameters()), folder))
    with open(os.path.join(a.out, 'cases.json'), 'w') as f:
        json.dump(cases, f)
    with open(os.path.join(a.out, 'expected.json'), 'w') as f:
        json.dump(expected, f)
    print('torch %s, transformers %s, device %s' % (torch.__version__, transformers.__version__, device))
    return 0


def max_abs_diff(x, y):
    if len(x) != len(y) or any(len(r) != len(s) for r, s in zip(x, y)):
        return math.inf
    worst = 0.0
    for r, s in zip(x, y):
        for u, v in zip(r, s):
            d = abs(u - v)
            if not math.isfinite(d):
                return math.inf
            worst = max(worst, d)
    return worst


def compare(a):
    with open(a.expected) as f:
        expected = {e['name']: e for e in json.load(f)}
    with open(a.got) as f:
        got = {g['name']: g for g in json.load(f)}
    report = {}
    ok = True
    for name, e in expected.items():
        g = got.get(name)
        diff = max_abs_diff(e['logits'], g['logits']) if g else math.inf
        passed = diff <= a.tolerance
        ok = ok and passed
        report[name] = {'architecture': e['architecture'], 'max_abs_diff': diff if math.isfinite(diff) else None, 'ok': passed}
        print('%s (%s): max abs logit difference %.3e %s %.0e' % (name, e['architecture'], diff, '<=' if passed else '>', a.tolerance))
    summary = {'tolerance': a.tolerance, 'models': report, 'ok': ok}
    if a.out:
        with open(a.out, 'w') as f:
            json.dump(summary, f, indent=2)
    return 0 if ok else 1


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='command', required=True)
    m = sub.add_parser('make')
    m.add_argument('--out', required=True)
    m.add_argument('--device', default='cpu')
    m.add_argument('--seed', type=int, default=0)
    c = sub.add_parser('compare')
    c.add_argument('--expected', required=True)
    c.add_argument('--got', required=True)
    c.add_argument('--tolerance', type=float, default=1e-4)
    c.add_argument('--out')
    a = p.parse_args(argv)
    return make(a) if a.command == 'make' else compare(a)


if __name__ == '__main__':
    sys.exit(main())
