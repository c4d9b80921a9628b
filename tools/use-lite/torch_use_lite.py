#!/usr/bin/python3
"""Plain-PyTorch re-implementation of deepcut's USE-Lite (src/model/use-lite.ts).

The PyTorch measuring stick for `bench/encoder --model models/use-lite`, and an
independent check of the converted weights. Same architecture, same state-dict
names (use_lite.embeddings.word_embeddings.weight, use_lite.layers.N.attention.qkv.*,
..., use_lite.pooler.dense.*, classifier.*), dropout in the same places:
- input of the first layer: 2*emb + timing (sinusoidal, concat[sin(p*inv), cos(p*inv)],
  p*inv rounded to float32, inv = the stored buffer use_lite.embeddings.inv_timescales);
  dropout(hidden) on it;
- pre-LayerNorm layers with a fused qkv projection; layer 0 widens embedding_size ->
  hidden_size, its residual through `residual` (a dense projection of its input);
  dropout(attention) on the probabilities, dropout(hidden) on the attention output and
  on the FFN output before each residual add; FFN relu; no final LayerNorm;
- masked mean over positions -> tanh(pooler.dense) ("pooled"); the sentence embedding is
  its L2 normalisation; the sequence classifier is classifier(dropout(classifier, pooled)).
Needs only Debian's python3-torch (safetensors' own package is used when installed).

    /usr/bin/python3 tools/use-lite/torch_use_lite.py --check [--model models/use-lite]
        embeds test/fixtures/use-lite/embeddings.json's ids (first 128, as the TF.js graph)
        one text at a time and as one padded batch, prints the max abs error against the
        graph's embeddings; exit 1 above 1e-5.
    /usr/bin/python3 tools/use-lite/torch_use_lite.py --model DIR --inputs FILE \\
        [--classes N --steps N --warmup N --threads N --seed N]
        the PyTorch side of bench/encoder for a use-lite classifier folder (every tensor,
        head included, must be in DIR/model.safetensors): eval-mode loss on the batch in
        FILE (JSON inputIds/attentionMask/tokenTypeIds/labels), then timed training steps
        (forward, cross-entropy, backward, AdamW lr 1e-4 wd 0.01; dropout on). Prints one
        JSON line like bench/common/torch_step.py.
"""
import argparse
import json
import math
import os
import statistics
import struct
import sys
import time

import torch
from torch import nn

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
# float32 min, what deepcut (and Hugging Face) add at masked key positions.
MASKED_SCORE = -3.4028234663852886e38

_ST_DTYPES = {'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16,
              'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8,
              'BOOL': torch.bool}


def load_safetensors(path):
    """{name: tensor} from a .safetensors file: the `safetensors` package when installed, else
    this reader (8-byte little-endian header length, JSON header, raw little-endian data)."""
    try:
        from safetensors.torch import load_file
    except ImportError:
        pass
    else:
        return load_file(path)
    if sys.byteorder != 'little':
        raise RuntimeError('the safetensors reader assumes a little-endian host')
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    header.pop('__metadata__', None)
    data = bytearray(raw[8 + n:])
    out = {}
    for name, info in header.items():
        dtype = _ST_DTYPES[info['dtype']]
        a, b = info['data_offsets']
        count = math.prod(info['shape'])
        if (b - a) != count * torch.empty((), dtype=dtype).element_size():
            raise ValueError('%s: %s has %d bytes for shape %s' % (path, name, b - a, info['shape']))
        t = torch.frombuffer(data, dtype=dtype, count=count, offset=a) if count else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info['shape']).clone()
    return out


def read_config(model_dir):
    """The fields of a use-lite config.json, with deepcut's defaults (src/model/config.ts)."""
    with open(os.path.join(model_dir, 'config.json')) as f:
        raw = json.load(f)
    if raw.get('model_type') != 'use-lite':
        raise ValueError('%s: model_type %r, expected "use-lite"' % (model_dir, raw.get('model_type')))
    hidden_dropout = raw.get('hidden_dropout_prob', 0.1)
    classifier_dropout = raw.get('classifier_dropout')
    labels = raw.get('id2label')
    return {
        'vocab_size': raw['vocab_size'], 'embedding_size': raw.get('embedding_size', raw['hidden_size']),
        'hidden_size': raw['hidden_size'], 'num_hidden_layers': raw['num_hidden_layers'],
        'num_attention_heads': raw['num_attention_heads'], 'intermediate_size': raw['intermediate_size'],
        'hidden_act': raw.get('hidden_act', 'relu'), 'layer_norm_eps': raw.get('layer_norm_eps', 1e-6),
        'hidden_dropout': hidden_dropout, 'attention_dropout': raw.get('attention_probs_dropout_prob', 0.1),
        'classifier_dropout': hidden_dropout if classifier_dropout is None else classifier_dropout,
        'num_labels': len(labels) if labels else raw.get('num_labels', 2),
    }


def _activate(x, name):
    if name == 'relu':
        return torch.relu(x)
    if name == 'gelu':
        return nn.functional.gelu(x)
    if name in ('gelu_new', 'gelu_pytorch_tanh'):
        return nn.functional.gelu(x, approximate='tanh')
    raise ValueError('activation %r' % name)


def default_inv_timescales(channels):
    half = channels // 2
    step = math.log(1e4) / max(half - 1, 1)
    return torch.tensor([math.exp(-i * step) for i in range(half)], dtype=torch.float32)


class UseLiteEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        width = cfg['embedding_size']
        self.word_embeddings = nn.Embedding(cfg['vocab_size'], width)
        self.register_buffer('inv_timescales', default_inv_timescales(width))
        self.dropout = nn.Dropout(cfg['hidden_dropout'])

    def timing(self, seq_len):
        """[T, width]: float32(p * inv) (product in double, as deepcut's), sin/cos in double; on the buffer's device."""
        pos = torch.arange(seq_len, dtype=torch.float64, device=self.inv_timescales.device).unsqueeze(1)
        angle = (pos * self.inv_timescales.double().unsqueeze(0)).float().double()
        return torch.cat([torch.sin(angle), torch.cos(angle)], dim=1).float()

    def forward(self, input_ids):
        emb = self.word_embeddings(input_ids)
        return self.dropout(emb * 2 + self.timing(input_ids.shape[1]))


class UseLiteLayer(nn.Module):
    def __init__(self, cfg, in_width):
        super().__init__()
        out, eps = cfg['hidden_size'], cfg['layer_norm_eps']
        self.in_width, self.num_heads, self.act = in_width, cfg['num_attention_heads'], cfg['hidden_act']
        self.attention_norm = nn.LayerNorm(in_width, eps=eps)
        self.attention = nn.ModuleDict({'qkv': nn.Linear(in_width, 3 * in_width), 'output': nn.Linear(in_width, out)})
        self.residual = nn.Linear(in_width, out) if in_width != out else None
        self.ffn_norm = nn.LayerNorm(out, eps=eps)
        self.ffn = nn.ModuleDict({'fc1': nn.Linear(out, cfg['intermediate_size']), 'fc2': nn.Linear(cfg['intermediate_size'], out)})
        self.attention_dropout = nn.Dropout(cfg['attention_dropout'])
        self.hidden_dropout = nn.Dropout(cfg['hidden_dropout'])

    def _heads(self, x):  # [B, T, H*D] -> [B, H, T, D]
        b, t, w = x.shape
        return x.view(b, t, self.num_heads, w // self.num_heads).transpose(1, 2)

    def forward(self, x, key_bias):
        w = self.in_width
        qkv = self.attention['qkv'](self.attention_norm(x))
        q = self._heads(qkv[..., :w] * (1 / math.sqrt(w / self.num_heads)))
        k = self._heads(qkv[..., w:2 * w])
        v = self._heads(qkv[..., 2 * w:])
        scores = torch.matmul(q, k.transpose(-1, -2))
        if key_bias is not None:
            scores = scores + key_bias
        probs = self.attention_dropout(torch.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).transpose(1, 2)
        attended = self.attention['output'](ctx.reshape(ctx.shape[0], ctx.shape[1], w))
        h = (self.residual(x) if self.residual is not None else x) + self.hidden_dropout(attended)
        f = self.ffn['fc2'](_activate(self.ffn['fc1'](self.ffn_norm(h)), self.act))
        return h + self.hidden_dropout(f)


class UseLiteModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = UseLiteEmbeddings(cfg)
        self.layers = nn.ModuleList(
            UseLiteLayer(cfg, cfg['embedding_size'] if i == 0 else cfg['hidden_size']) for i in range(cfg['num_hidden_layers']))
        self.pooler = nn.ModuleDict({'dense': nn.Linear(cfg['hidden_size'], cfg['hidden_size'])})

    def forward(self, input_ids, attention_mask=None):
        key_bias = None
        if attention_mask is not None:
            b, t = attention_mask.shape
            key_bias = (1 - attention_mask.float()).mul(MASKED_SCORE).view(b, 1, 1, t)
        h = self.embeddings(input_ids)
        for layer in self.layers:
            h = layer(h, key_bias)
        if attention_mask is None:
            mean = h.mean(dim=1)
        else:
            m = attention_mask.float().unsqueeze(-1)
            mean = (h * m).sum(dim=1) / m.sum(dim=1).clamp(min=1)
        return h, mean

    def pool(self, mean):
        return torch.tanh(self.pooler['dense'](mean))

    def embed(self, input_ids, attention_mask=None):
        """The 512-d sentence embedding: L2-normalised pool(masked mean)."""
        return nn.functional.normalize(self.pool(self.forward(input_ids, attention_mask)[1]), p=2, dim=1, eps=1e-12)


class UseLiteForSequenceClassification(nn.Module):
    def __init__(self, cfg, num_labels=None):
        super().__init__()
        self.use_lite = UseLiteModel(cfg)
        self.dropout = nn.Dropout(cfg['classifier_dropout'])
        self.classifier = nn.Linear(cfg['hidden_size'], num_labels or cfg['num_labels'])

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):  # token types: unused, as in deepcut
        h, mean = self.use_lite(input_ids, attention_mask)
        pooled = self.use_lite.pool(mean)
        return {'logits': self.classifier(self.dropout(pooled)), 'pooled': pooled, 'mean': mean, 'last_hidden_state': h}


def load_use_lite_classifier(model_dir, train=False):
    """A use-lite sequence classifier from a folder deepcut's savePretrained wrote: every tensor,
    head included, must be in model.safetensors (strict load). Eval mode unless train=True."""
    cfg = read_config(model_dir)
    weights = load_safetensors(os.path.join(model_dir, 'model.safetensors'))
    if 'classifier.weight' not in weights:
        raise ValueError('%s: no classifier.* tensors (a bare encoder; fine-tune or save a classifier first)' % model_dir)
    model = UseLiteForSequenceClassification(cfg, num_labels=weights['classifier.weight'].shape[0])
    model.load_state_dict({k: v.float() for k, v in weights.items()}, strict=True)
    return model.train(train)


def load_use_lite_encoder(model_dir):
    """The bare encoder (use_lite.* tensors, strict; a classifier head in the file is ignored), eval mode."""
    cfg = read_config(model_dir)
    weights = load_safetensors(os.path.join(model_dir, 'model.safetensors'))
    base = {k[len('use_lite.'):]: v.float() for k, v in weights.items() if k.startswith('use_lite.')}
    model = UseLiteModel(cfg)
    model.load_state_dict(base, strict=True)
    return model.eval()


def _padded(rows):
    seq = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), seq, dtype=torch.long)
    mask = torch.zeros(len(rows), seq, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r, dtype=torch.long)
        mask[i, :len(r)] = 1
    return ids, mask


def check(model_dir, fixture_file, tolerance=1e-5):
    with open(fixture_file) as f:
        fx = json.load(f)
    window = fx.get('window', 128)
    rows = [ids[:window] for ids in fx['ids']]
    expected = torch.tensor(fx['embeddings'], dtype=torch.float64)
    model = load_use_lite_encoder(model_dir)
    with torch.no_grad():
        single = torch.cat([model.embed(*_padded([r])) for r in rows]).double()
        batched = model.embed(*_padded(rows)).double()
    err_single = (single - expected).abs().max().item()
    err_batched = (batched - expected).abs().max().item()
    worst = max(err_single, err_batched)
    print('torch %s, %s: %d texts (ids clipped to %d), %d-d embeddings vs %s'
          % (torch.__version__, os.path.relpath(model_dir, os.getcwd()), len(rows), window, expected.shape[1], fx.get('runtime', 'the TF.js graph')))
    print('max abs error: one text at a time %.3e, one padded batch %.3e' % (err_single, err_batched))
    ok = worst <= tolerance
    print('%s (max %.3e %s %.0e)' % ('ok' if ok else 'FAILED', worst, '<=' if ok else '>', tolerance))
    return 0 if ok else 1


def bench_step(a):
    """Twin of bench/common/torch_step.py's --model/--inputs mode for a use-lite classifier."""
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    device = torch.device(a.device)
    model = load_use_lite_classifier(a.model).to(device)
    if model.classifier.out_features != a.classes:
        raise SystemExit('%s: the classifier has %d labels, --classes %d' % (a.model, model.classifier.out_features, a.classes))
    with open(a.inputs) as f:
        b = json.load(f)
    ids, mask = (torch.tensor(b[k], dtype=torch.long, device=device) for k in ('inputIds', 'attentionMask'))
    labels = torch.tensor(b['labels'], dtype=torch.long, device=device)
    # On a GPU each step waits for the device before its time is taken (deepcut's step ends with
    # loss.item(), which waits too).
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    with torch.no_grad():
        eval_loss = nn.functional.cross_entropy(model(ids, attention_mask=mask)['logits'], labels).item()
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    times = []
    loss = None
    for step in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(ids, attention_mask=mask)['logits'], labels)
        loss.backward()
        opt.step()
        sync()
        elapsed = (time.perf_counter() - t0) * 1000
        if step >= a.warmup:
            times.append(elapsed)
    print(json.dumps({'impl': 'torch', 'median_ms': statistics.median(times), 'times_ms': times,
                      'threads': torch.get_num_threads(), 'loss': loss.item(), 'eval_loss': eval_loss, 'device': str(device)}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--check', action='store_true', help='compare embeddings with the TF.js fixture')
    p.add_argument('--model', help='use-lite folder (default for --check: models/use-lite)')
    p.add_argument('--fixture', default=os.path.join(REPO, 'test', 'fixtures', 'use-lite', 'embeddings.json'))
    p.add_argument('--inputs', help='bench batch file (JSON inputIds/attentionMask/tokenTypeIds/labels)')
    for name, default in [('classes', 2), ('steps', 10), ('warmup', 3), ('threads', 1), ('seed', 0),
                          ('seq', 128), ('batch', 16)]:  # seq/batch: accepted like torch_step.py; the batch file decides
        p.add_argument('--' + name, type=int, default=default)
    p.add_argument('--device', default='cpu', help='bench side: cpu (default), cuda or cuda:N')
    a = p.parse_args(argv)
    if a.check:
        return check(a.model or os.path.join(REPO, 'models', 'use-lite'), a.fixture)
    if a.model is None or a.inputs is None:
        p.error('give --check, or --model DIR --inputs FILE')
    bench_step(a)
    return 0


if __name__ == '__main__':
    sys.exit(main())
