import { LibvqError, type LibvqErrorCode } from '../errors.js';
import { type ArrowFieldLike, describeArrowType, isFloat32FixedSizeList } from './arrow-like.js';

/** Names tried, in order, when no column is given: libvq's own, then LanceDB's convention. */
export const VECTOR_COLUMN_NAMES: readonly string[] = ['embedding', 'vector'];

function listColumns(fields: readonly ArrowFieldLike[]): string {
  return fields.map((f) => `"${f.name}": ${describeArrowType(f.type)}`).join(', ') || '(none)';
}

/**
 * The vector column of a table or file schema, one rule for every entry point: the column named, else
 * "embedding", else "vector", else the only FixedSizeList<Float32> column; checked to be FixedSizeList<Float32>.
 * Errors start with `where` (a parameter name or a path), carry `code`, and list the columns with their types.
 */
export function vectorField(fields: readonly ArrowFieldLike[], column: string | undefined, where: string, code: LibvqErrorCode): ArrowFieldLike {
  let name = column ?? VECTOR_COLUMN_NAMES.find((n) => fields.some((f) => f.name === n));
  if (name === undefined) {
    const candidates = fields.filter((f) => isFloat32FixedSizeList(f.type));
    if (candidates.length !== 1) {
      const found = candidates.length === 0 ? 'no FixedSizeList<Float32> columns' : `${candidates.length} FixedSizeList<Float32> columns (${candidates.map((f) => `"${f.name}"`).join(', ')})`;
      throw new LibvqError(
        code,
        `${where}: no "embedding" or "vector" column and ${found}; the columns are ${listColumns(fields)}; name the vector column (the column option, --column in the CLI)`,
      );
    }
    name = candidates[0].name;
  }
  const field = fields.find((f) => f.name === name);
  if (field === undefined) {
    throw new LibvqError(code, `${where}: column "${name}" (FixedSizeList<Float32>) is missing; the columns are ${listColumns(fields)}`);
  }
  if (!isFloat32FixedSizeList(field.type)) {
    throw new LibvqError(code, `${where}: column "${name}" has type ${describeArrowType(field.type)}, expected FixedSizeList<Float32>`);
  }
  return field;
}
