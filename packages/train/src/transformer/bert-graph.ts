import { GraphBuilder, type OnnxGraph } from '@libvq/encoder/onnx';
import type { BertConfig } from './bert-config.js';
import { EMB, layerNames, type BertWeights } from './bert-weights.js';

const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * A BertModel as an ONNX graph (opset 18): inputs input_ids, attention_mask (token_type_ids when the model has a
 * segment table), output last_hidden_state [batch, sequence, hidden]; pooling and normalisation are left to the
 * encoder (config.json libvq.pooling / normalize), as for an optimum export. Initializers carry Hugging Face's
 * names and torch's layouts (Linear weights [out, in], fed to MatMul through a Transpose that onnxruntime folds
 * at load), so the graph reads back through recognizeBertGraph and maps 1:1 onto model.safetensors.
 */
export function bertOnnxGraph(c: BertConfig, w: BertWeights): OnnxGraph {
  const b = new GraphBuilder();
  const H = c.hidden, nh = c.heads, hd = H / nh;
  const ids = b.input('input_ids', 'int64', ['batch', 'sequence']);
  const mask = b.input('attention_mask', 'int64', ['batch', 'sequence']);
  const tt = c.typeVocabSize > 0 ? b.input('token_type_ids', 'int64', ['batch', 'sequence']) : null;
  const f32 = (a: ArrayLike<number>) => (a instanceof Float32Array ? a : Float32Array.from(a));
  const param = (name: string, dims: number[]) => b.init('float32', dims, f32(w[name]), name);
  const layerNorm = (x: string, p: string) => b.op('LayerNormalization', [x, param(`${p}.weight`, [H]), param(`${p}.bias`, [H])], { axis: { i: -1 }, epsilon: { f: c.layerNormEps } });
  const linear = (x: string, p: string, inDim: number, outDim: number) =>
    b.op('Add', [b.op('MatMul', [x, b.op('Transpose', [param(`${p}.weight`, [outDim, inDim])], { perm: { ints: [1, 0] } })]), param(`${p}.bias`, [outDim])]);

  const seqLen = b.op('Gather', [b.op('Shape', [ids]), b.scalarInt64(1)], { axis: { i: 0 } });
  const positions = b.op('Range', [b.scalarInt64(0), seqLen, b.scalarInt64(1)]);
  let emb = b.op('Add', [b.op('Gather', [param(EMB.word, [c.vocabSize, H]), ids]), b.op('Gather', [param(EMB.pos, [c.maxPositions, H]), positions])]);
  if (tt) emb = b.op('Add', [emb, b.op('Gather', [param(EMB.type, [c.typeVocabSize, H]), tt])]);
  let x = layerNorm(emb, EMB.ln);

  // Hugging Face's additive mask: 0 for real tokens, float32's lowest value for padding, [B, 1, 1, L].
  const maskF = b.op('Cast', [mask], { to: { i: 1 } });
  const bias = b.op('Unsqueeze', [b.op('Mul', [b.op('Sub', [b.scalarFloat(1), maskF]), b.scalarFloat(FLOAT32_MIN)]), b.int64s([1, 2])]);
  const headsShape = b.int64s([0, 0, nh, hd]);
  const merged = b.int64s([0, 0, H]);
  const scale = b.scalarFloat(Math.sqrt(hd));
  for (let i = 0; i < c.layers; i++) {
    const n = layerNames(i);
    const split = (t: string, perm: number[]) => b.op('Transpose', [b.op('Reshape', [t, headsShape])], { perm: { ints: perm } });
    const q = split(linear(x, n.q, H, H), [0, 2, 1, 3]);
    const kT = split(linear(x, n.k, H, H), [0, 2, 3, 1]);
    const v = split(linear(x, n.v, H, H), [0, 2, 1, 3]);
    const scores = b.op('Add', [b.op('Div', [b.op('MatMul', [q, kT]), scale]), bias]);
    const ctx = b.op('Reshape', [b.op('Transpose', [b.op('MatMul', [b.op('Softmax', [scores], { axis: { i: -1 } }), v])], { perm: { ints: [0, 2, 1, 3] } }), merged]);
    x = layerNorm(b.op('Add', [linear(ctx, n.o, H, H), x]), n.ln1);
    const h = linear(x, n.ffnIn, H, c.intermediate);
    const gelu = b.op('Mul', [b.op('Mul', [h, b.scalarFloat(0.5)]), b.op('Add', [b.scalarFloat(1), b.op('Erf', [b.op('Div', [h, b.scalarFloat(Math.SQRT2)])])])]);
    x = layerNorm(b.op('Add', [linear(gelu, n.ffnOut, c.intermediate, H), x]), n.ln2);
  }
  b.output(x, 'last_hidden_state', 'float32', ['batch', 'sequence', H]);
  return b.build('bert');
}
