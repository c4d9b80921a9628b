#!/usr/bin/python3
"""PyTorch side of bench/engine and bench/encoder: the same BERT-style training
step (forward, cross-entropy, backward, AdamW; dropout on) in plain PyTorch on the
same libtorch (Debian python3-torch). Twin of bench/common/step.ts, same flags.
A measuring stick, not part of the product. Prints one JSON line.

Default: a synthetic classifier (HF init) on random ids. With --model DIR
--inputs FILE: the BERT classifier in DIR (config.json + model.safetensors, see
tools/parity/torch_reference_encoder.load_hf_classifier) on the batch in FILE
(JSON inputIds/attentionMask/tokenTypeIds/labels), and eval_loss: the loss in
eval mode before training, which must match deepcut's on the same weights."""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools', 'parity'))
from torch_reference_encoder import build_encoder_classifier, load_hf_classifier  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    for name, default in [('vocab', 8000), ('hidden', 256), ('layers', 4), ('heads', 4), ('ffn', 1024),
                          ('seq', 128), ('batch', 16), ('classes', 2), ('steps', 10), ('warmup', 3),
                          ('threads', 1), ('seed', 0)]:
        p.add_argument('--' + name, type=int, default=default)
    p.add_argument('--model')
    p.add_argument('--inputs')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    eval_loss = None
    if a.model is not None:
        if a.inputs is None:
            p.error('--model needs --inputs')
        model = load_hf_classifier(a.model)
        with open(a.inputs) as f:
            b = json.load(f)
        ids, mask, types = (torch.tensor(b[k], dtype=torch.long) for k in ('inputIds', 'attentionMask', 'tokenTypeIds'))
        labels = torch.tensor(b['labels'], dtype=torch.long)
        with torch.no_grad():
            logits = model(ids, attention_mask=mask, token_type_ids=types)['logits']
            eval_loss = torch.nn.functional.cross_entropy(logits, labels).item()
    else:
        model = build_encoder_classifier(vocab=a.vocab, hidden=a.hidden, layers=a.layers, heads=a.heads, ffn=a.ffn,
                                         seq=a.seq, classes=a.classes, dropout=0.1, seed=a.seed)
        g = torch.Generator().manual_seed(a.seed)
        ids = torch.randint(0, a.vocab, (a.batch, a.seq), generator=g)
        mask = torch.ones(a.batch, a.seq, dtype=torch.long)
        types = torch.zeros(a.batch, a.seq, dtype=torch.long)
        labels = torch.randint(0, a.classes, (a.batch,), generator=g)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    times = []
    for step in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = model(ids, attention_mask=mask, token_type_ids=types)['logits']
        loss = torch.nn.functional.cross_entropy(logits, labels)
        loss.backward()
        opt.step()
        elapsed = (time.perf_counter() - t0) * 1000
        if step >= a.warmup:
            times.append(elapsed)
    print(json.dumps({'impl': 'torch', 'median_ms': statistics.median(times), 'times_ms': times,
                      'threads': torch.get_num_threads(), 'loss': loss.item(), 'eval_loss': eval_loss}))


if __name__ == '__main__':
    main()
