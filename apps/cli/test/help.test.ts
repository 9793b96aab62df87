import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { COMMANDS, createProgram } from '../src/program.js';
import { exitOverrideAll } from '../src/run.js';
import { runLibvq } from './cli-runner.js';

/**
 * `libvq <command> --help` shows an "Examples:" section for every command, and every example in it is a
 * command line that parses: commander accepts it (options known, values valid, required options present)
 * and it reaches that command's action. Actions are replaced, so nothing runs and no file is read.
 */
afterEach(() => {
  process.exitCode = 0;
});

/** Every command of the tree with its path of names (bench and its benchmarks included). */
function commands(cmd: Command, path: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...path, c.name()], ...commands(c, [...path, c.name()])]);
}

/** The lines under "Examples:" up to the first blank line, without their indent. */
function examples(help: string): string[] {
  const lines = help.split('\n');
  const at = lines.findIndex((l) => l.trim() === 'Examples:');
  if (at < 0) return [];
  const end = lines.findIndex((l, i) => i > at && l.trim() === '');
  return lines.slice(at + 1, end < 0 ? undefined : end).map((l) => l.trim());
}

/** Splits a shell command line the way sh would for these examples: spaces, double or single quotes. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) words.push(m[1] !== undefined ? JSON.parse(`"${m[1]}"`) : (m[2] ?? m[3]));
  return words;
}

/** Parses argv with every action replaced by a recorder; returns the path of the command that would have run. */
async function parsedCommand(argv: string[]): Promise<string> {
  const program = createProgram();
  const quiet = { writeErr: () => undefined, writeOut: () => undefined };
  program.configureOutput(quiet);
  let ran = '';
  const stub = (cmd: Command, path: string[]) => {
    for (const c of cmd.commands) {
      const p = [...path, c.name()];
      c.configureOutput(quiet);
      if (c.commands.length === 0) c.action(() => void (ran = p.join(' ')));
      stub(c, p);
    }
  };
  stub(program, []);
  exitOverrideAll(program);
  await program.parseAsync(argv, { from: 'user' });
  return ran;
}

const all = commands(createProgram());

describe('libvq --help', () => {
  it('lists every command, the benchmarks as bench subcommands', () => {
    expect(all.map((p) => p.join(' '))).toEqual(expect.arrayContaining(['preprocess', 'encode', 'build', 'train', 'search', 'eval', 'bench', 'demo', 'demo-ann', 'bench glove', 'bench cranfield', 'bench glove-train']));
  });

  it.each(all.map((p) => [p.join(' ')]))('libvq %s --help has examples that parse', async (name) => {
    const path = name.split(' ');
    const r = await runLibvq([...COMMANDS], [...path, '--help']);
    expect(r.code).toBe(0);
    const ex = examples(r.out);
    expect(ex.length, `no "Examples:" section in:\n${r.out}`).toBeGreaterThan(0);
    for (const line of ex) {
      const words = shellWords(line);
      expect(words[0]).toBe('libvq');
      // An example of a command with subcommands (`bench`, `cluster`) runs one of them; any other example runs the
      // command it documents.
      const ran = await parsedCommand(words.slice(1));
      if (name === 'bench' || name === 'cluster') expect(ran.startsWith(`${name} `)).toBe(true);
      else expect(ran, line).toBe(name);
    }
  });

  it('the check can fail: an example with an unknown option or a missing required one does not parse', async () => {
    await expect(parsedCommand(shellWords('build docs.npy --factory PQ4x8 --nlist 8 -o x.faiss'))).rejects.toMatchObject({ code: 'commander.unknownOption' });
    await expect(parsedCommand(shellWords('search --index x.faiss --queries q.npy'))).rejects.toMatchObject({ code: 'commander.missingMandatoryOptionValue' });
    await expect(parsedCommand(shellWords('bench glove --seed x'))).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    expect(shellWords('build a.npy --factory "OPQ20,IVF1024,PQ20x8" -o b')).toEqual(['build', 'a.npy', '--factory', 'OPQ20,IVF1024,PQ20x8', '-o', 'b']);
  });

  it("the README's CLI lines parse, with its train.json", async () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    const lines = [...readme.matchAll(/^pnpm libvq (.*?)(?:\s+#.*)?$/gm)].map((m) => m[1]).filter((l) => l.split(' ')[0] !== 'demo');
    expect(lines.length).toBeGreaterThanOrEqual(7);
    const json = /`(\{ "factory".*\})`/.exec(readme)?.[1];
    expect(json).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'libvq-readme-'));
    const cwd = process.cwd();
    try {
      writeFileSync(join(dir, 'train.json'), json!);
      process.chdir(dir); // --config train.json is read while parsing
      for (const line of lines) expect(await parsedCommand(shellWords(line)), line).toBe(line.startsWith('bench ') ? line.split(' ').slice(0, 2).join(' ') : line.split(' ')[0]);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
