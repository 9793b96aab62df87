import { InvalidArgumentError, type Command } from 'commander';
import { LibvqError } from '@libvq/index-core';
import { withConfig } from '../config.js';

/** What the CLI uses of the benchmarks package's suite.ts (the table `pnpm bench` dispatches through too). */
type Suite = typeof import('@libvq/benchmarks/suite');

/**
 * The benchmarks are the repository's (`@libvq/benchmarks`, private, TypeScript sources run through tsx), not
 * part of the published CLI: a development dependency of the repository root (not of the CLI, since the benchmarks
 * depend on the CLI for its chart renderer), imported only if it is there. An installed `libvq` without it still
 * starts, and `libvq bench` says where the benchmarks live.
 */
async function loadSuite(): Promise<Suite | null> {
  try {
    return await import('@libvq/benchmarks/suite');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || code === 'ERR_UNKNOWN_FILE_EXTENSION') return null;
    throw e;
  }
}

const suite = await loadSuite();

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a));

/** The benchmark's argument list rebuilt from the parsed options (flags set, values as given), in declaration order. */
function argvOf(s: Suite, name: string, opts: Record<string, unknown>, attributeOf: (flag: string) => string): string[] {
  const argv: string[] = [];
  for (const o of s.BENCHMARKS[name].options) {
    const v = opts[attributeOf(o.flag)];
    if (v === undefined || v === false) continue;
    argv.push(o.flag);
    if (o.kind !== 'flag') argv.push(String(v));
  }
  return argv;
}

export function registerBench(program: Command): void {
  registerBenchFrom(program, suite);
}

/** registerBench with the suite given (null: the benchmarks package is not installed). */
export function registerBenchFrom(program: Command, s: Suite | null): void {
  const bench = program.command('bench').description("run one of the repository's benchmarks (the same table as `pnpm bench <name>`)");
  if (s === null) {
    bench
      .argument('[name]', 'benchmark name')
      .allowUnknownOption()
      .allowExcessArguments()
      .addHelpText('after', '\nExamples:\n  libvq bench glove --quick\n\nThe benchmarks live in the libvq-ts repository (@libvq/benchmarks is not published).')
      .action(() => {
        throw new LibvqError(
          'UNSUPPORTED',
          'libvq bench: this libvq cannot load the benchmarks (@libvq/benchmarks: TypeScript sources of the libvq-ts repository, not published); run `pnpm libvq bench <name>` or `pnpm bench <name>` in a clone of the repository',
        );
      });
    return;
  }
  const names = Object.keys(s.BENCHMARKS);
  bench.addHelpText('after', `\nExamples:\n${names.map((n) => `  libvq bench ${[n, ...s.BENCHMARKS[n].examples[0]].map(quote).join(' ')}`).join('\n')}\n\nResults go to bench-out/ (--out DIR); \`libvq bench <name> --help\` lists each one's options.`);
  for (const name of names) {
    const b = s.BENCHMARKS[name];
    const cmd = bench.command(name).description(b.description);
    const lists: Record<string, string> = {};
    for (const o of b.options) {
      if (o.kind === 'flag') {
        cmd.option(o.flag, o.description);
        continue;
      }
      const parse = (v: string) => {
        try {
          return s.parseBenchValue(o, v);
        } catch (e) {
          throw new InvalidArgumentError((e as Error).message);
        }
      };
      cmd.option(`${o.flag} <${o.kind === 'ints' || o.kind === 'strings' ? 'list' : o.kind === 'string' ? 'value' : 'n'}>`, o.description, parse);
      if (o.separator !== undefined) lists[cmd.options.at(-1)!.attributeName()] = o.separator;
    }
    cmd.addHelpText('after', `\nExamples:\n${b.examples.map((ex) => `  libvq bench ${[name, ...ex].map(quote).join(' ')}`).join('\n')}`);
    withConfig(cmd, { lists });
    cmd.action(async (opts: Record<string, unknown>) => {
      const attributeOf = (flag: string) => cmd.options.find((o) => o.long === flag)!.attributeName();
      await s.runBenchmark(name, argvOf(s, name, opts, attributeOf));
    });
  }
}
