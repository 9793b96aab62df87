import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeOnnxModel, type OnnxGraph } from '../../src/onnx.js';

/** Writes a model directory (tokenizer.json, config.json, model.onnx or onnx/model.onnx) under a fresh temp dir. */
export async function writeModelDir(
  graph: OnnxGraph,
  tokenizer: Record<string, unknown>,
  config: Record<string, unknown> | null,
  opts: { nested?: boolean; tokenizerConfig?: Record<string, unknown> } = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'libvq-model-'));
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  if (opts.tokenizerConfig) await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(opts.tokenizerConfig));
  if (config) await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  const modelDir = opts.nested ? join(dir, 'onnx') : dir;
  await mkdir(modelDir, { recursive: true });
  await writeOnnxModel(join(modelDir, 'model.onnx'), graph);
  return dir;
}
