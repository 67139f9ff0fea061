// What the docs test reads from the pages: the `gdt` commands of ```sh blocks, the files a page asks
// the reader to write (a fenced block right after `<!-- file: PATH -->`), the TypeScript examples
// shown (a ```ts block right after `<!-- example: docs/examples/NAME.ts -->`), and a shell-like
// splitter for the command lines.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** The pages whose commands are checked: README.md and docs/*.md except the generated CLI reference. */
export function docPages(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md') && f !== 'cli.md')
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

export interface DocCommand {
  kind: 'command';
  page: string;
  /** 1-based line of the command's first line. */
  line: number;
  /** The command as written (continuation lines joined), without its trailing comment. */
  text: string;
  /** The trailing `# ...` comment, if any. */
  comment?: string;
  /** `# not run in CI: <reason>`: only parsed (and its configuration resolved). */
  notRun?: string;
  /** `# expect error: <text>`: run, must fail with this text in its output. */
  expectError?: string;
}

export interface DocFile {
  kind: 'file';
  page: string;
  line: number;
  /** Path as written (may hold $VARS). */
  path: string;
  content: string;
}

export interface DocExample {
  page: string;
  line: number;
  file: string;
  code: string;
}

export type DocItem = DocCommand | DocFile;

const COMMAND_START = /^(?:npx\s+gdt|gdt|node\s+bin\/gdt\.js)(?:\s|$)/;

/** Splits off a trailing comment: the first `#` at the start of a word, outside quotes. */
export function splitComment(line: string): { code: string; comment?: string } {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '\\') i++;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return { code: line.slice(0, i).trimEnd(), comment: line.slice(i + 1).trim() };
  }
  return { code: line.trimEnd() };
}

/** The commands, files and examples of a page, in document order. */
export function readPage(page: string): { items: DocItem[]; examples: DocExample[] } {
  const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
  const items: DocItem[] = [];
  const examples: DocExample[] = [];
  let pendingFile: { path: string; line: number } | undefined;
  let pendingExample: { file: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const fileMark = /^<!-- file: (\S+) -->$/.exec(raw.trim());
    const exampleMark = /^<!-- example: (\S+) -->$/.exec(raw.trim());
    if (fileMark) {
      pendingFile = { path: fileMark[1]!, line: i + 1 };
      continue;
    }
    if (exampleMark) {
      pendingExample = { file: exampleMark[1]!, line: i + 1 };
      continue;
    }
    const fence = /^(\s*)(```+)(\S*)\s*$/.exec(raw);
    if (!fence) {
      if (raw.trim() !== '') pendingFile = pendingExample = undefined;
      continue;
    }
    const lang = fence[3]!;
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```+\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    if (pendingFile) items.push({ kind: 'file', page, line: pendingFile.line, path: pendingFile.path, content: body.join('\n') + '\n' });
    if (pendingExample) examples.push({ page, line: pendingExample.line, file: pendingExample.file, code: body.join('\n') });
    pendingFile = pendingExample = undefined;
    if (lang !== 'sh') continue;
    for (let j = 0; j < body.length; j++) {
      const first = j;
      let text = body[j]!;
      while (/\\\s*$/.test(text) && j + 1 < body.length) text = text.replace(/\\\s*$/, ' ') + body[++j]!.trim();
      const trimmed = text.trim();
      if (!COMMAND_START.test(trimmed)) continue;
      const { code, comment } = splitComment(trimmed);
      const cmd: DocCommand = { kind: 'command', page, line: start + first + 1, text: code, comment };
      const notRun = comment && /^not run in CI:\s*(.+)$/.exec(comment);
      if (notRun) cmd.notRun = notRun[1];
      const expect = comment && /^expect error:\s*(.+)$/.exec(comment);
      if (expect) cmd.expectError = expect[1];
      items.push(cmd);
    }
  }
  return { items, examples };
}

/**
 * Shell words of a command line: single and double quotes, backslash escapes, `$VAR` / `${VAR}`
 * expanded from `env` (outside single quotes; an unset variable is an error, so a page cannot use
 * one the test does not define). Pipes, redirections, `;`, `&` and command substitution are
 * refused: a documented command must be one plain command.
 */
export function shellWords(line: string, env: Record<string, string | undefined>): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  const expand = (i: number): number => {
    const braced = line[i + 1] === '{';
    const m = (braced ? /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/ : /^\$([A-Za-z_][A-Za-z0-9_]*)/).exec(line.slice(i));
    if (!m) {
      if (line[i + 1] === '(') throw new Error(`command substitution is not supported: ${line}`);
      cur += '$';
      return i;
    }
    const v = env[m[1]!];
    if (v === undefined) throw new Error(`the variable $${m[1]} is not defined for the docs test (define it in the page's prose and in test/docs/fixture.ts)`);
    cur += v;
    return i + m[0].length - 1;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && /["\\$`]/.test(line[i + 1] ?? '')) cur += line[++i];
      else if (c === '$') i = expand(i);
      else if (c === '`') throw new Error(`command substitution is not supported: ${line}`);
      else cur += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '"' || c === "'") quote = c;
    else if (c === '\\') cur += line[++i] ?? '';
    else if (c === '$') i = expand(i);
    else if (/[|&;<>`()]/.test(c)) throw new Error(`'${c}' is not supported in a documented gdt command (one plain command per line): ${line}`);
    else cur += c;
  }
  if (quote) throw new Error(`unterminated quote in: ${line}`);
  if (inWord) words.push(cur);
  return words;
}

/** The arguments after the program name (`gdt`, `npx gdt`, `node bin/gdt.js`). */
export function gdtArgs(words: string[]): string[] {
  if (words[0] === 'npx' && words[1] === 'gdt') return words.slice(2);
  if (words[0] === 'node' && words[1] === 'bin/gdt.js') return words.slice(2);
  if (words[0] === 'gdt') return words.slice(1);
  throw new Error(`not a gdt command: ${words.join(' ')}`);
}
