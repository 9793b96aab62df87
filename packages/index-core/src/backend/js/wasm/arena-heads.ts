/// <reference path="./webassembly.d.ts" />

const PAGE = 65536;

/**
 * Grows a shared arena (fastscan/new-arena.ts) by whole pages holding at least `bytes`, for one thread's scanner head
 * (its tables, scratch and candidates): grow is atomic, so no other thread gets these pages and threads scanning
 * one arena never share bytes they write. Returns the head's byte range.
 */
export function claimArenaHead(memory: WebAssembly.Memory, bytes: number): { start: number; end: number } {
  const pages = Math.ceil(bytes / PAGE);
  const start = memory.grow(pages) * PAGE;
  return { start, end: start + pages * PAGE };
}

/**
 * A thread's cached scanners (pq4-scanner.ts, adc-scanner.ts) by shape key: one map for scanners over memories of
 * their own, one per arena for scanners over that arena (dropped with it).
 */
export class ScannerCache<T> {
  private readonly own = new Map<string, T>();
  private readonly perArena = new WeakMap<WebAssembly.Memory, Map<string, T>>();

  get(key: string, arena: { memory: WebAssembly.Memory } | undefined, make: () => T): T {
    let byKey = this.own;
    if (arena) {
      byKey = this.perArena.get(arena.memory) ?? new Map<string, T>();
      if (byKey.size === 0) this.perArena.set(arena.memory, byKey);
    }
    let s = byKey.get(key);
    if (s === undefined) {
      s = make();
      byKey.set(key, s);
    }
    return s;
  }
}
