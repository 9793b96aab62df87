import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { LibvqError } from '@libvq/index-core';

/**
 * `--config FILE.json` for every command: a JSON object whose keys are the TypeScript API's option names
 * (camelCase), so a set of options moves between a script and the command line unchanged. Flags given on
 * the command line win over the file, wherever they stand. Values go through the option's own parser, so a
 * value from the file is checked exactly like one typed after the flag; every error names the file and the key.
 *
 * The file is applied while commander parses (from the --config option's parser), before it checks required
 * options, so the file can supply those too. Positional arguments stay on the command line.
 */
export interface ConfigSpec {
  /**
   * The API's name for an option, where it differs from the flag's camelCase name: API name -> the option's
   * attribute name (`{ lossMethod: 'loss' }`). A dotted API name stands for a nested object of the API
   * (`'lr.codebooks'` is `{ "lr": { "codebooks": 1e-3 } }` in the file). The flag's own name is then not a key.
   */
  apiNames?: Readonly<Record<string, string>>;
  /** Options whose value is a list: attribute name -> the separator on the command line; the file gives a JSON array. */
  lists?: Readonly<Record<string, string>>;
}

const CONFIG_ATTRIBUTE = 'config';

/** The options a config file may set: key (as written in the file) -> option. */
function configKeys(cmd: Command, spec: ConfigSpec): Map<string, Option> {
  const byAttr = new Map(cmd.options.filter((o) => o.attributeName() !== CONFIG_ATTRIBUTE && !o.hidden).map((o) => [o.attributeName(), o]));
  const keys = new Map<string, Option>();
  const renamed = new Set(Object.values(spec.apiNames ?? {}));
  for (const [attr, o] of byAttr) if (!renamed.has(attr)) keys.set(attr, o);
  for (const [api, attr] of Object.entries(spec.apiNames ?? {})) {
    const o = byAttr.get(attr);
    // A programming error in a command's spec, not a user error: fail loudly in every run of that command.
    if (!o) throw new Error(`config spec of libvq ${cmd.name()}: "${api}" names no option "${attr}"`);
    keys.set(api, o);
  }
  return keys;
}

function describeJson(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const camel = (s: string) => s.replace(/[-_]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Flattens the file's object to key -> value, refusing keys the command does not take. */
function flatten(obj: Record<string, unknown>, keys: Map<string, Option>, fail: (key: string, msg: string) => never, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k;
    if (keys.has(key)) {
      out.set(key, v);
    } else if (isPlainObject(v) && [...keys.keys()].some((x) => x.startsWith(`${key}.`))) {
      for (const [kk, vv] of flatten(v, keys, fail, `${key}.`)) out.set(kk, vv);
    } else {
      const hint = [...keys].find(([name, o]) => name !== key && (o.attributeName() === key || name === camel(key)));
      fail(key, `unknown key${hint ? ` (did you mean "${hint[0]}"?` + (hint[1].attributeName() === key ? ` the API's name for ${hint[1].long})` : ')') : ''}; expected one of ${[...keys.keys()].join(', ')}`);
    }
  }
  return out;
}

/** The value as the option holds it after parsing: a JSON value checked by the option's own parser. */
function convert(o: Option, value: unknown, listSeparator: string | undefined, fail: (msg: string) => never): unknown {
  if (o.isBoolean()) {
    if (typeof value !== 'boolean') fail(`expected true or false (the flag ${o.long}), got ${describeJson(value)}`);
    return value;
  }
  let text: string;
  if (Array.isArray(value) && listSeparator !== undefined) {
    if (value.length === 0 || !value.every((x) => typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x)))) {
      fail(`expected a non-empty array of numbers or strings (${o.long} takes a "${listSeparator}"-separated list)`);
    }
    text = value.join(listSeparator);
  } else if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) {
    text = String(value);
  } else {
    fail(`expected ${listSeparator !== undefined ? 'an array, or ' : ''}a number or a string (the value of ${o.long}), got ${describeJson(value)}`);
  }
  let parsed: unknown = text;
  if (o.parseArg) {
    try {
      parsed = o.parseArg(text, undefined);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  // The parser's result is the type the option holds: "5" for a number option, or 5 for a path, is a type error.
  if (typeof parsed === 'number' && typeof value !== 'number') fail(`expected a number, got ${describeJson(value)}`);
  if (typeof parsed === 'string' && typeof value === 'number') fail(`expected a string, got ${describeJson(value)}`);
  return parsed;
}

/** Reads FILE and sets the command's options from it, leaving those given on the command line alone. */
export function applyConfigFile(cmd: Command, file: string, spec: ConfigSpec): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LibvqError('IO', `--config ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new LibvqError('BAD_FILE', `--config ${file}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (!isPlainObject(obj)) throw new LibvqError('BAD_FILE', `--config ${file}: expected a JSON object of options, got ${describeJson(obj)}`);
  const keys = configKeys(cmd, spec);
  const fail = (key: string, msg: string): never => {
    throw new LibvqError('INVALID_ARGUMENT', `--config ${file}: "${key}": ${msg}`);
  };
  for (const [key, value] of flatten(obj, keys, fail)) {
    const o = keys.get(key)!;
    const attr = o.attributeName();
    if (cmd.getOptionValueSource(attr) === 'cli') continue; // given before --config: the command line wins
    cmd.setOptionValueWithSource(attr, convert(o, value, spec.lists?.[attr], (msg) => fail(key, msg)), 'config');
  }
}

/** Greedy word wrap for the help paragraph (commander wraps option lists, not addHelpText). */
function wrap(text: string, width = 110): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join('\n');
}

/** The help paragraph: what the file holds, with each key's flag where the names differ. */
function configHelp(cmd: Command, spec: ConfigSpec): string {
  const keys = [...configKeys(cmd, spec)].map(([k, o]) => (o.attributeName() === k ? k : `${k} (${o.long})`));
  const lists = spec.lists && Object.keys(spec.lists).length ? ', lists as arrays' : '';
  return `\n${wrap(`Config file: --config FILE.json sets options from a JSON object (camelCase keys as in the TypeScript API${lists}); flags on the command line win. Keys: ${keys.join(', ')}.`)}`;
}

/** Adds `--config <file>` (and its help paragraph) to a command; call it after the command's own options. */
export function withConfig(cmd: Command, spec: ConfigSpec = {}): Command {
  cmd.addOption(
    new Option('--config <file>', 'JSON file of options (keys: see below); flags on the command line override it').argParser((file: string) => {
      applyConfigFile(cmd, file, spec);
      return file;
    }),
  );
  cmd.addHelpText('after', () => configHelp(cmd, spec));
  return cmd;
}
