import { invalidArgument } from '@libvq/index-core/util';
import { type Matrix } from '@libvq/index-core';
import { GraphBuilder, type OnnxGraph } from '@libvq/encoder/onnx';

/**
 * The bag-of-words sentence encoder as an ONNX graph:
 *   E = table[input_ids]                                   [B, L, d]
 *   w = attention_mask * (input_ids != unk)                [B, L]   unknown words and padding weigh 0
 *   mean = sum_t w_t E_t / max(sum_t w_t, 1)               [B, d]   no known word: a zero vector
 *   out = mean / max(||mean||, 1e-12)                      [B, d]   L2-normalised; zero stays zero, never NaN
 * `table` holds one row per token id (row 0 = [PAD], row `unkId` = [UNK]); it becomes an initializer.
 */
export function bagOfWordsGraph(table: Matrix, unkId: number, name = 'glove_bow'): OnnxGraph {
  if (!Number.isInteger(unkId) || unkId < 0 || unkId >= table.rows) throw invalidArgument('unkId', `a row of the ${table.rows}-row table`, unkId);
  const d = table.dim;
  const b = new GraphBuilder();
  const ids = b.input('input_ids', 'int64', ['batch', 'seq']);
  const mask = b.input('attention_mask', 'int64', ['batch', 'seq']);
  const emb = b.init('float32', [table.rows, d], table.data, 'embedding');
  const tokens = b.op('Gather', [emb, ids], { axis: { i: 0 } });
  const known = b.op('Cast', [b.op('Not', [b.op('Equal', [ids, b.scalarInt64(unkId)])])], { to: { i: 1 } });
  const weight = b.op('Mul', [b.op('Cast', [mask], { to: { i: 1 } }), known]);
  const seqAxis = b.int64s([1]);
  const sum = b.op('ReduceSum', [b.op('Mul', [tokens, b.op('Unsqueeze', [weight, b.int64s([-1])])]), seqAxis], { keepdims: { i: 0 } });
  const count = b.op('ReduceSum', [weight, seqAxis], { keepdims: { i: 1 } });
  const mean = b.op('Div', [sum, b.op('Max', [count, b.scalarFloat(1)])]);
  const norm = b.op('Sqrt', [b.op('ReduceSum', [b.op('Mul', [mean, mean]), seqAxis], { keepdims: { i: 1 } })]);
  const out = b.op('Div', [mean, b.op('Max', [norm, b.scalarFloat(1e-12)])]);
  b.output(out, 'sentence_embedding', 'float32', ['batch', d]);
  return b.build(name);
}
