import { writeFileAtomic } from '@libvq/index-core/util';
import { encodeModel, type OnnxGraph, type OnnxModelOptions } from './model.js';

/** Writes an ONNX model file (temporary name, then rename). */
export async function writeOnnxModel(path: string, graph: OnnxGraph, opts: OnnxModelOptions = {}): Promise<void> {
  await writeFileAtomic(path, encodeModel(graph, opts));
}
