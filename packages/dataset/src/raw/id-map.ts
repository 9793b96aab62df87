import { LibvqError } from '@libvq/index-core';

/**
 * External ids <-> row offsets. Downstream everything addresses rows by offset (0..size-1, file order);
 * ids are mapped back at the edges (search results, evaluation).
 */
export class IdMap {
  private readonly offsets = new Map<string, number>();
  private readonly list: string[] = [];

  /** Builds a map from ids in row order; a duplicate id is an error. */
  static from(ids: Iterable<string>, source = 'id list'): IdMap {
    const m = new IdMap();
    for (const id of ids) {
      if (m.has(id)) throw new LibvqError('INVALID_ARGUMENT', `${source}: duplicate id ${JSON.stringify(id)} at rows ${m.offset(id)} and ${m.size}`);
      m.add(id);
    }
    return m;
  }

  get size(): number {
    return this.list.length;
  }

  /** Appends an id as the next row; returns its offset. The caller checks for duplicates first. */
  add(id: string): number {
    const off = this.list.length;
    this.offsets.set(id, off);
    this.list.push(id);
    return off;
  }

  has(id: string): boolean {
    return this.offsets.has(id);
  }

  /** The row offset of an id, or undefined. */
  offset(id: string): number | undefined {
    return this.offsets.get(id);
  }

  /** The id at a row offset. */
  id(offset: number): string {
    const v = this.list[offset];
    if (v === undefined) throw new LibvqError('INVALID_ARGUMENT', `row offset ${offset} is outside 0..${this.list.length - 1}`);
    return v;
  }

  /** Ids in row order (the array itself; do not modify). */
  ids(): readonly string[] {
    return this.list;
  }
}
