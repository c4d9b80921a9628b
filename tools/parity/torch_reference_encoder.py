#!/usr/bin/python3
"""PyTorch measuring stick for deepcut benchmarks.

`build_encoder_classifier(...)` returns a BERT-style encoder classifier with
exactly the module structure (and state-dict names) of Hugging Face
`BertForSequenceClassification`, reusing the HF-equivalent modules from
make_fixtures.py.  Sizes are configurable so benchmarks can run the same
shapes through deepcut's libtorch engine and through plain PyTorch.

    import sys; sys.path.insert(0, "tools/parity")
    from torch_reference_encoder import build_encoder_classifier, make_batch
    model = build_encoder_classifier(vocab=30522, hidden=768, layers=12, heads=12,
                                     ffn=3072, seq=128, classes=2)
    ids, mask, tt = make_batch(batch=32, seq=128, vocab=30522)
    logits = model(ids, attention_mask=mask, token_type_ids=tt)["logits"]

Command line (quick timing of forward and forward+backward+SGD step):
    /usr/bin/python3 tools/parity/torch_reference_encoder.py --hidden 256 --layers 4 \\
        --heads 4 --ffn 1024 --seq 128 --batch 32 [--device cuda]
"""

import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import (  # noqa: E402
    BertForSequenceClassification,
    bert_config,
    init_weights,
    load_safetensors,
)


def encoder_config(vocab=30522, hidden=768, layers=12, heads=12, ffn=3072, seq=512, classes=2,
                   dropout=0.1, type_vocab_size=2):
    """HF-style config.json dict for a BERT classifier of the given size
    (max_position_embeddings = seq)."""
    if hidden % heads:
        raise ValueError("hidden (%d) must be a multiple of heads (%d)" % (hidden, heads))
    return bert_config(vocab_size=vocab, hidden=hidden, layers=layers, heads=heads, ffn=ffn,
                       max_pos=seq, num_labels=classes, type_vocab_size=type_vocab_size,
                       hidden_dropout=dropout, attention_dropout=dropout)


def build_encoder_classifier(vocab=30522, hidden=768, layers=12, heads=12, ffn=3072, seq=512,
                             classes=2, dropout=0.0, seed=0, device="cpu", dtype=torch.float32,
                             train=False):
    """BERT encoder + pooler + linear classifier, HF init (normal(0, 0.02),
    zero biases, LayerNorm 1/0).  `dropout` sets hidden and attention dropout
    (0.0 by default so timings compare the deterministic compute only).
    Returned in eval mode unless train=True."""
    cfg = encoder_config(vocab, hidden, layers, heads, ffn, seq, classes, dropout)
    model = BertForSequenceClassification(cfg)
    init_weights(model, seed, linear_std=0.02, embed_std=0.02, perturb=False)
    model = model.to(device=device, dtype=dtype)
    model.train(train)
    return model


def load_hf_classifier(model_dir, train=False):
    """A BERT sequence classifier from a Hugging Face folder (config.json +
    model.safetensors) as deepcut's savePretrained writes it: every tensor,
    head included, must be in the file (strict load).  Dropout rates come from
    the config.  Returned in eval mode unless train=True."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("model_type") != "bert":
        raise ValueError("%s: model_type %r, only bert is supported" % (model_dir, cfg.get("model_type")))
    model = BertForSequenceClassification(cfg)
    weights, _ = load_safetensors(os.path.join(model_dir, "model.safetensors"))
    model.load_state_dict({k: v.float() for k, v in weights.items()}, strict=True)
    model.train(train)
    return model


def make_batch(batch=8, seq=128, vocab=30522, seed=0, device="cpu", min_len=None):
    """Random right-padded batch: ids in [5, vocab), [CLS]=2 first, [SEP]=3
    last, pad=0; lengths uniform in [min_len, seq] (min_len defaults to
    seq // 2); second half of each sequence has token type 1."""
    g = torch.Generator().manual_seed(seed)
    min_len = seq // 2 if min_len is None else min_len
    lengths = torch.randint(max(2, min_len), seq + 1, (batch,), generator=g)
    ids = torch.randint(5, vocab, (batch, seq), generator=g)
    pos = torch.arange(seq).unsqueeze(0)
    mask = (pos < lengths.unsqueeze(1)).long()
    ids = ids * mask
    ids[:, 0] = 2
    ids[torch.arange(batch), lengths - 1] = 3
    tt = ((pos >= (lengths // 2).unsqueeze(1)) & mask.bool()).long()
    return ids.to(device), mask.to(device), tt.to(device)


def _sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def time_model(model, ids, mask, tt, steps=10, warmup=3, lr=1e-3):
    """Mean seconds per forward (no grad) and per training step (forward,
    cross-entropy, backward, SGD update)."""
    device = ids.device
    labels = torch.zeros(ids.shape[0], dtype=torch.long, device=device)
    with torch.no_grad():
        for _ in range(warmup):
            model(ids, attention_mask=mask, token_type_ids=tt)
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(steps):
            model(ids, attention_mask=mask, token_type_ids=tt)
        _sync(device)
        fwd = (time.perf_counter() - t0) / steps
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for i in range(warmup + steps):
        if i == warmup:
            _sync(device)
            t0 = time.perf_counter()
        opt.zero_grad()
        logits = model(ids, attention_mask=mask, token_type_ids=tt)["logits"]
        torch.nn.functional.cross_entropy(logits.float(), labels).backward()
        opt.step()
    _sync(device)
    step = (time.perf_counter() - t0) / steps
    return fwd, step


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name, default in (("vocab", 30522), ("hidden", 256), ("layers", 4), ("heads", 4),
                          ("ffn", 1024), ("seq", 128), ("classes", 2), ("batch", 32), ("steps", 10)):
        ap.add_argument("--" + name, type=int, default=default)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0 = leave)")
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    model = build_encoder_classifier(a.vocab, a.hidden, a.layers, a.heads, a.ffn, a.seq, a.classes,
                                     device=a.device)
    ids, mask, tt = make_batch(a.batch, a.seq, a.vocab, device=a.device)
    n_params = sum(p.numel() for p in model.parameters())
    fwd, step = time_model(model, ids, mask, tt, steps=a.steps)
    print("torch %s device=%s params=%d batch=%d seq=%d: forward %.2f ms, train step %.2f ms"
          % (torch.__version__, a.device, n_params, a.batch, a.seq, fwd * 1e3, step * 1e3))


if __name__ == "__main__":
    main()
