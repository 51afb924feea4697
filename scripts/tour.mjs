#!/usr/bin/env node
// `npm run tour`: the README's "A two-minute tour", run against a running `npm start`. The steps
// are read from README.md's fenced bash blocks in that section, so the README and the tour cannot
// drift apart: the README is the one source, this script only runs it (docs/decisions.md §52).
//
//   npm run tour [-- --base http://127.0.0.1:7071] [--port 7201=45001 ...] [--list]
//
// --base   where the hub listens (default http://localhost:7071, as in the README)
// --port   serve a README port from another one (a host started with free ports, as the tour test does)
// --list   print the steps without running them
//
// The blocks run in one bash process, step by step, so variables one step sets (ids, secrets) are
// there for the next. Each step prints its comment (what it does and what to look at), its command
// and the answer; the first command that fails stops the tour with exit code 1.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECTION = '## A two-minute tour';
const USAGE = 'usage: npm run tour -- [--base <url>] [--port <readme port>=<port> ...] [--list]';

/** The fenced ```bash blocks of the tour section, in order. @param {string} readme */
export function tourBlocks(readme) {
  const lines = readme.split(/\r?\n/);
  const start = lines.indexOf(SECTION);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  const section = lines.slice(start + 1, end < 0 ? undefined : end);
  /** @type {string[][]} */
  const blocks = [];
  /** @type {string[] | undefined} */
  let block;
  for (const line of section) {
    if (block === undefined && line.trim() === '```bash') block = [];
    else if (block !== undefined && line.trim() === '```') {
      blocks.push(block);
      block = undefined;
    } else if (block !== undefined) block.push(line);
  }
  if (block !== undefined) throw new Error('README.md: a bash block of the tour is not closed');
  return blocks;
}

/**
 * The steps: a comment (one or more `#` lines) and the commands under it, up to the next blank
 * line or comment; a command ending in `\` continues on the next line. Commands before any comment
 * form a step titled by their first line. @param {string} readme
 * @returns {{ title: string; commands: string }[]}
 */
export function tourSteps(readme) {
  /** @type {{ title: string; commands: string }[]} */
  const steps = [];
  for (const block of tourBlocks(readme)) {
    /** @type {string[]} */
    let comment = [];
    /** @type {string[]} */
    let commands = [];
    const flush = () => {
      if (commands.length > 0) steps.push({ title: comment.join(' ') || commands[0], commands: commands.join('\n') });
      comment = [];
      commands = [];
    };
    let continued = false;
    for (const line of block) {
      if (continued) {
        commands.push(line);
        continued = line.endsWith('\\');
      } else if (line.trim() === '') flush();
      else if (line.startsWith('#')) {
        if (commands.length > 0) flush();
        comment.push(line.replace(/^#\s?/, ''));
      } else {
        commands.push(line);
        continued = line.endsWith('\\');
      }
    }
    flush();
  }
  return steps;
}

/**
 * The README's addresses, pointed at another host: `localhost:7071` becomes `base`, and each
 * `localhost:<p>` / `127.0.0.1:<p>` in `ports` the port given for it.
 * @param {string} text @param {string} base @param {Map<string, string>} ports
 */
export function retarget(text, base, ports) {
  const hub = new URL(base);
  return text.replace(/\b(?:https?:\/\/)?(localhost|127\.0\.0\.1):(\d{2,5})\b/g, (whole, host, port) => {
    const scheme = whole.startsWith('http') ? whole.slice(0, whole.indexOf('//') + 2) : '';
    if (port === '7071') return `${scheme}${hub.host}`;
    const mapped = ports.get(port);
    return mapped ? `${scheme}${host}:${mapped}` : whole;
  });
}

/** The bash program: each step announced, its command shown, then run. @param {{ title: string; commands: string }[]} steps */
export function tourProgram(steps) {
  const out = ['set -eu', ''];
  steps.forEach((step, i) => {
    const tag = `TOUR_STEP_${i + 1}`;
    out.push(`printf '\\n\\033[1m[%d/%d] %s\\033[0m\\n' ${i + 1} ${steps.length} ${shellQuote(step.title)}`);
    out.push(`cat <<'${tag}'`, step.commands.replace(/^/gm, '$ '), tag);
    out.push(step.commands, '');
  });
  out.push(`printf '\\n\\033[1mTour finished: %d steps.\\033[0m\\n' ${steps.length}`);
  return out.join('\n');
}

/** @param {string} s */
function shellQuote(s) {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** @param {string[]} argv */
export function parseArguments(argv) {
  const out = { base: 'http://localhost:7071', ports: new Map(), list: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return next;
    };
    if (arg === '--base') out.base = new URL(value()).origin;
    else if (arg === '--port') {
      const match = /^(\d+)=(\d+)$/.exec(value());
      if (!match) throw new Error(`--port takes <readme port>=<port>\n${USAGE}`);
      out.ports.set(match[1], match[2]);
    } else if (arg === '--list') out.list = true;
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return out;
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const steps = tourSteps(readFileSync(join(ROOT, 'README.md'), 'utf8')).map((step) => ({
    title: step.title,
    commands: retarget(step.commands, options.base, options.ports),
  }));
  if (options.list) {
    for (const [i, step] of steps.entries()) console.log(`[${i + 1}] ${step.title}\n${step.commands}\n`);
    return 0;
  }
  const healthy = await fetch(`${options.base}/api/healthz`).then(
    (r) => r.ok,
    () => false,
  );
  if (!healthy) {
    console.error(
      `No hub answers at ${options.base}/api/healthz: start it with \`npm start\` in another terminal first.`,
    );
    return 1;
  }
  const bash = spawn('bash', ['-s'], { stdio: ['pipe', 'inherit', 'inherit'] });
  bash.stdin.end(tourProgram(steps));
  const code = await new Promise((resolve) => bash.once('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) console.error('\nThe tour stopped at the step above (its command failed).');
  return code === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
