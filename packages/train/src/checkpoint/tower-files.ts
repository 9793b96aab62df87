import { join } from 'node:path';
import { LibvqError } from '@libvq/index-core';
import type { TrainableTower } from '../tower/types.js';
import { tensor, type Tensor } from '@libvq/index-core';
import { decodeSafetensors, encodeSafetensors, safeDtype } from './safetensors.js';
import { readFileChecked } from './files.js';
import { checkFinite } from './validate.js';
import type { CheckpointManifest } from './learnable-checkpoint.js';

/** A tower's parameters as a safetensors file, each array in its own dtype (so a reload is exact). */
export function encodeTowerParameters(tower: TrainableTower, role: string): Uint8Array {
  const t: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(tower.parameters())) t[k] = tensor(v, [v.length]);
  return encodeSafetensors(t, { format: `libvq-ts.${role}-tower` });
}

/**
 * Overwrites `tower`'s parameters with those of `name` in checkpoint `dir` (checksum from the manifest). The
 * tower must be built like the saved one: every array present, same length and dtype, nothing extra.
 */
export function loadTowerParameters(dir: string, m: CheckpointManifest, name: string, tower: TrainableTower, role: string): void {
  const file = join(dir, name);
  const dec = decodeSafetensors(readFileChecked(dir, name, m.files[name]), file);
  const params = tower.parameters();
  for (const k of Object.keys(dec.tensors)) {
    if (!(k in params)) throw new LibvqError('BAD_FILE', `${file}: tensor ${k} has no parameter in the ${role} tower (${tower.describe?.() ?? 'custom'})`);
  }
  // every tensor is checked before any is copied: a bad file leaves the tower as it was
  for (const [k, v] of Object.entries(params)) {
    const x = dec.tensors[k];
    if (!x || x.data.length !== v.length) throw new LibvqError('BAD_FILE', `${file}: tensor ${k} ${x ? `has ${x.data.length} values` : 'is missing'}, the ${role} tower's has ${v.length}`);
    if (safeDtype(x.data) !== (v instanceof Float64Array ? 'F64' : 'F32')) throw new LibvqError('BAD_FILE', `${file}: tensor ${k} is ${safeDtype(x.data)}, the ${role} tower keeps it as ${v.constructor.name}`);
    checkFinite(file, k, x.data, x.shape);
  }
  for (const [k, v] of Object.entries(params)) v.set(dec.tensors[k].data as Float32Array);
}
