import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * What `azd deploy` sends to the remote build, reproduced on this machine: the project folder less
 * what .funcignore lists (azd reads it with gitignore rules), built the way the platform builds it
 * (docs/deploy.md, "What the deployed package holds"). The repository's tracked files stand for the
 * folder; an untracked file on a deployer's disk would travel too, which nothing here can see.
 */

/** One .funcignore line as a test on a path relative to the project root (forward slashes). */
type Rule = (path: string) => boolean;

const globToRegExp = (glob: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*/g, '\0')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')
      .replace(/\0/g, '.*')}$`,
  );

/**
 * The gitignore subset .funcignore uses: comments, `*` and `?` globs, a trailing `/` for folders only,
 * a leading or inner `/` anchoring to the root. Negation (`!`) is refused rather than half-supported:
 * re-including a file under an excluded folder does not work in gitignore either.
 */
export function parseIgnore(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('!')) throw new Error(`.funcignore: negation is not supported by this check: ${line}`);
    const folderOnly = line.endsWith('/');
    const pattern = line.replace(/^\//, '').replace(/\/$/, '');
    const anchored = line.slice(0, -1).includes('/') || line.startsWith('/');
    const matcher = globToRegExp(pattern);
    rules.push((path) => {
      const segments = path.split('/');
      // A folder pattern matches one of the path's folders; any other pattern its folders or its file.
      const candidates = folderOnly ? segments.length - 1 : segments.length;
      for (let end = 1; end <= candidates; end++) {
        const subject = anchored ? segments.slice(0, end).join('/') : (segments[end - 1] ?? '');
        if (matcher.test(subject)) return true;
      }
      return false;
    });
  }
  return rules;
}

/** The files of `files` that .funcignore (its text) lets into the upload. */
export function uploadSet(files: string[], funcignore: string): string[] {
  const rules = parseIgnore(funcignore);
  return files.filter((file) => !rules.some((rule) => rule(file)));
}

/** The repository's tracked files (forward slashes), what a clean checkout holds. */
export function trackedFiles(root: string): string[] {
  const out = spawnSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`git ls-files failed: ${out.stderr}`);
  return out.stdout.split('\0').filter((file) => file.length > 0 && existsSync(join(root, file)));
}

export interface UploadBuild {
  ok: boolean;
  /** What the build printed (stdout and stderr), for the failure message. */
  output: string;
  /** Files matching package.json `main` after the build, relative to the upload folder. */
  entries: string[];
}

/**
 * Copies `files` from `from` into the empty folder `into`, links `node_modules` (the remote build
 * installs dependencies before it builds; nothing is downloaded here), and runs `npm run build` there.
 * The script is the one package.json names, so whatever it does on Azure it does here.
 */
export function buildUpload(options: {
  from: string;
  files: string[];
  into: string;
  nodeModules: string;
}): UploadBuild {
  for (const file of options.files) {
    const target = join(options.into, file);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(options.from, file), target);
  }
  symlinkSync(options.nodeModules, join(options.into, 'node_modules'), 'junction');
  const run = spawnSync('npm', ['run', 'build'], {
    cwd: options.into,
    encoding: 'utf8',
    shell: process.platform === 'win32',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  return {
    ok: run.status === 0,
    output: `${run.stdout ?? ''}${run.stderr ?? ''}`,
    entries: mainEntries(options.into),
  };
}

/** The files package.json `main` names (a path or one `*` glob in the file name). */
export function mainEntries(root: string): string[] {
  const main = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main?: string }).main ?? '';
  const folder = dirname(main);
  const matcher = globToRegExp(main.slice(folder.length + 1));
  let names: string[];
  try {
    names = readdirSync(join(root, folder));
  } catch {
    return [];
  }
  return names.filter((name) => matcher.test(name)).map((name) => `${folder}/${name}`);
}
