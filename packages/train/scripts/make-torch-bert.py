#!/usr/bin/python3
"""
Writes the test fixture packages/train/test/fixtures/torch-bert/: a 2-layer BERT with random weights, written
the way Hugging Face's BertModel is built and exported — the same module names, eager attention with the
(1 - mask) * finfo.min bias, erf GELU, post-LayerNorm — through torch.onnx.export (opset 14, dynamic batch and
sequence axes), plus model.safetensors (the state_dict, F32), config.json and a WordPiece tokenizer.json.

It is an independent producer of the graphs libvq's transformer reader must recognise (torch's exporter names
transposed Linear weights onnx::MatMul_*, decomposes LayerNorm, keeps biases under their module names).
Run once with Debian's python3-torch (apt-get install python3-torch); the files are committed:
  /usr/bin/python3 packages/train/scripts/make-torch-bert.py packages/train/test/fixtures/torch-bert
"""
import json, math, os, struct, sys
import torch
from torch import nn

VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] + list('abcdefghijklmnopqrstuvwxyz') + ['##' + c for c in 'abcdefghijklmnopqrstuvwxyz'] + \
    ['the', 'wing', 'flow', 'air', 'speed', 'boundary', 'layer', 'pressure', 'heat', 'shock', 'wave', 'mach', 'of', 'at', 'and', 'in', 'on', 'supersonic', 'body', '##wave', '##ing', '##ed', '##er']
CONFIG = dict(model_type='bert', architectures=['BertModel'], vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2,
              num_attention_heads=4, intermediate_size=48, hidden_act='gelu', max_position_embeddings=40, type_vocab_size=2,
              layer_norm_eps=1e-12, position_embedding_type='absolute', libvq=dict(pooling='mean', normalize=True))


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c['vocab_size'], c['hidden_size'])
        self.position_embeddings = nn.Embedding(c['max_position_embeddings'], c['hidden_size'])
        self.token_type_embeddings = nn.Embedding(c['type_vocab_size'], c['hidden_size'])
        self.LayerNorm = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])
        self.register_buffer('position_ids', torch.arange(c['max_position_embeddings']).expand((1, -1)), persistent=False)

    def forward(self, input_ids, token_type_ids):
        L = input_ids.size(1)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(self.position_ids[:, :L])
        return self.LayerNorm(x)


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.nh = c['num_attention_heads']
        self.hd = c['hidden_size'] // self.nh
        self.query = nn.Linear(c['hidden_size'], c['hidden_size'])
        self.key = nn.Linear(c['hidden_size'], c['hidden_size'])
        self.value = nn.Linear(c['hidden_size'], c['hidden_size'])

    def split(self, x):
        return x.view(x.size()[:-1] + (self.nh, self.hd)).permute(0, 2, 1, 3)

    def forward(self, x, bias):
        q = self.split(self.query(x))
        k = self.split(self.key(x))
        v = self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.hd) + bias
        ctx = torch.matmul(nn.functional.softmax(scores, dim=-1), v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.size()[:-2] + (self.nh * self.hd,))


class DenseLayerNorm(nn.Module):
    def __init__(self, c, inp):
        super().__init__()
        self.dense = nn.Linear(inp, c['hidden_size'])
        self.LayerNorm = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        setattr(self, 'self', SelfAttention(c))
        self.output = DenseLayerNorm(c, c['hidden_size'])

    def forward(self, x, bias):
        return self.output(getattr(self, 'self')(x, bias), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c['hidden_size'], c['intermediate_size'])

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseLayerNorm(c, c['intermediate_size'])

    def forward(self, x, bias):
        a = self.attention(x, bias)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c['num_hidden_layers'])])


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)

    def forward(self, input_ids, attention_mask, token_type_ids):
        x = self.embeddings(input_ids, token_type_ids)
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.encoder.layer:
            x = layer(x, bias)
        return x


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = dict(dtype='F32', shape=list(t.shape), data_offsets=[offset, offset + len(data)])
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def tokenizer_json():
    ids = {t: i for i, t in enumerate(VOCAB)}
    special = lambda t: dict(id=ids[t], content=t, single_word=False, lstrip=False, rstrip=False, normalized=False, special=True)
    tok = lambda t, type_id: {'SpecialToken': {'id': t, 'type_id': type_id}}
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [special(t) for t in VOCAB[:5]],
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True, 'strip_accents': None, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {'type': 'TemplateProcessing', 'single': [tok('[CLS]', 0), {'Sequence': {'id': 'A', 'type_id': 0}}, tok('[SEP]', 0)],
                           'pair': [tok('[CLS]', 0), {'Sequence': {'id': 'A', 'type_id': 0}}, tok('[SEP]', 0), {'Sequence': {'id': 'B', 'type_id': 1}}, tok('[SEP]', 1)],
                           'special_tokens': {t: {'id': t, 'ids': [ids[t]], 'tokens': [t]} for t in ['[CLS]', '[SEP]']}},
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##', 'max_input_chars_per_word': 100, 'vocab': ids},
    }


def main(out):
    torch.manual_seed(20261206)
    model = BertModel(CONFIG).eval()
    with torch.no_grad():
        # Larger than BERT's 0.02 init so attention is far from uniform; LayerNorm parameters not 1 / 0.
        for name, p in model.named_parameters():
            if name.endswith('LayerNorm.weight'):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) * (1.0 if 'embeddings' in name else 1 / math.sqrt(p.size(1))))
    os.makedirs(out, exist_ok=True)
    ids = torch.tensor([[2, 31, 57, 60, 3, 0], [2, 70, 3, 0, 0, 0]])
    mask = (ids != 0).long()
    torch.onnx.export(model, (ids, mask, torch.zeros_like(ids)), os.path.join(out, 'model.onnx'), opset_version=14,
                      input_names=['input_ids', 'attention_mask', 'token_type_ids'], output_names=['last_hidden_state'],
                      dynamic_axes={n: {0: 'batch', 1: 'sequence'} for n in ['input_ids', 'attention_mask', 'token_type_ids', 'last_hidden_state']},
                      do_constant_folding=True)
    write_safetensors(os.path.join(out, 'model.safetensors'), model.state_dict())
    with open(os.path.join(out, 'config.json'), 'w') as f:
        json.dump(CONFIG, f, indent=2)
    with open(os.path.join(out, 'tokenizer.json'), 'w') as f:
        json.dump(tokenizer_json(), f)
    # torch's own output for the probe batch: the test compares our forward with it as well as with onnxruntime.
    with torch.no_grad():
        y = model(ids, mask, torch.zeros_like(ids))
    with open(os.path.join(out, 'torch-output.json'), 'w') as f:
        json.dump(dict(input_ids=ids.tolist(), attention_mask=mask.tolist(), last_hidden_state=y.reshape(-1).tolist()), f)


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'packages/train/test/fixtures/torch-bert')
