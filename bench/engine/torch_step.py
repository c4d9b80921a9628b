#!/usr/bin/python3
"""PyTorch side of bench/engine: the same BERT-style training step (forward,
backward, AdamW) in plain PyTorch on the same libtorch (Debian python3-torch).
A measuring stick, not part of the product. Prints one JSON line."""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools', 'parity'))
from torch_reference_encoder import build_encoder_classifier  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    for name, default in [('vocab', 8000), ('hidden', 256), ('layers', 4), ('heads', 4), ('ffn', 1024),
                          ('seq', 128), ('batch', 16), ('classes', 2), ('steps', 10), ('warmup', 3),
                          ('threads', 1), ('seed', 0)]:
        p.add_argument('--' + name, type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = build_encoder_classifier(vocab=a.vocab, hidden=a.hidden, layers=a.layers, heads=a.heads, ffn=a.ffn,
                                     seq=a.seq, classes=a.classes, dropout=0.1, seed=a.seed, train=True)
    g = torch.Generator().manual_seed(a.seed)
    ids = torch.randint(0, a.vocab, (a.batch, a.seq), generator=g)
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)
    types = torch.zeros(a.batch, a.seq, dtype=torch.long)
    labels = torch.randint(0, a.classes, (a.batch,), generator=g)
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
                      'threads': torch.get_num_threads(), 'loss': loss.item()}))


if __name__ == '__main__':
    main()
