import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { LibvqError } from '@libvq/index-core';
import { readJsonObject } from './json-file.js';

/** What fromPretrained reads from a model directory's config.json. */
export interface ModelConfig {
  /** Hidden size (config.json hidden_size, d_model, dim or libvq.dim). */
  hiddenSize?: number;
  /** Longest sequence the model accepts (max_position_embeddings or libvq.max_length). */
  maxLength?: number;
  /** libvq-specific defaults a generated model (glove-100) carries: pooling, output name, normalisation. */
  libvq?: { pooling?: string; output?: string; normalize?: boolean; normalizedOutput?: boolean };
  raw: Record<string, unknown>;
}

/** Finds the ONNX file of a Hugging Face style model directory: model.onnx or onnx/model.onnx. */
export async function findModelFile(dir: string): Promise<string> {
  const candidates = [join(dir, 'model.onnx'), join(dir, 'onnx', 'model.onnx')];
  for (const c of candidates) {
    try {
      await access(c);
      return c;
    } catch {
      // try the next layout
    }
  }
  throw new LibvqError('IO', `model directory ${dir}: no ONNX model (looked for ${candidates.join(' and ')})`);
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/** Reads config.json (optional: a directory without one gets defaults). */
export async function readModelConfig(dir: string): Promise<ModelConfig> {
  const raw = await readJsonObject(join(dir, 'config.json'), false);
  if (raw === null) return { raw: {} };
  const lv = (raw.libvq ?? undefined) as Record<string, unknown> | undefined;
  if (lv !== undefined && (typeof lv !== 'object' || lv === null)) throw new LibvqError('BAD_FILE', `${join(dir, 'config.json')}: field "libvq" must be an object`);
  const libvq = lv && {
    pooling: typeof lv.pooling === 'string' ? lv.pooling : undefined,
    output: typeof lv.output === 'string' ? lv.output : undefined,
    normalize: typeof lv.normalize === 'boolean' ? lv.normalize : undefined,
    // The model's own output is already L2-normalised (glove-100's graph does it).
    normalizedOutput: lv.normalized_output === true,
  };
  return {
    hiddenSize: positiveInt(lv?.dim) ?? positiveInt(raw.hidden_size) ?? positiveInt(raw.d_model) ?? positiveInt(raw.dim),
    maxLength: positiveInt(lv?.max_length) ?? positiveInt(raw.max_position_embeddings),
    libvq,
    raw,
  };
}
