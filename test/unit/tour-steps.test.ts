import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArguments, retarget, tourBlocks, tourProgram, tourSteps } from '../../scripts/tour.mjs';
import { ROOT } from '../support/host-process';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('the README tour and `npm run tour` are one list of steps', () => {
  it('reads every bash block of the tour section, and the script runs exactly those commands', () => {
    const blocks = tourBlocks(readme);
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const steps = tourSteps(readme);
    // Every non-comment, non-blank README line is in exactly one step, in order.
    const readmeCommands = blocks.flat().filter((line) => line.trim() !== '' && !line.startsWith('#'));
    expect(steps.flatMap((s) => s.commands.split('\n'))).toEqual(readmeCommands);
    const program = tourProgram(steps);
    for (const step of steps) expect(program).toContain(step.commands);
  });

  it('needs nothing copied by hand and nothing macOS-only', () => {
    for (const { title, commands } of tourSteps(readme)) {
      // Trailing `# → …` comments say what to look for; only the commands themselves count here.
      const step = { title, commands: commands.replace(/\s+# .*$/gm, '') };
      // `<id from the answer>` style placeholders are what the tour used to ask people to fill in.
      expect(step.commands, step.title).not.toMatch(/<[a-z][a-z ]*>/i);
      expect(step.commands, step.title).not.toMatch(/(^|[;&|]\s*)open\s/m);
      expect(step.commands, step.title).not.toMatch(/\bjq\b/);
    }
  });

  it('every step has a comment saying what it does', () => {
    for (const step of tourSteps(readme)) expect(step.title).not.toBe(step.commands.split('\n')[0]);
  });

  it('points the README addresses at another host when asked', () => {
    const ports = new Map([['7201', '45001']]);
    expect(
      retarget(
        'curl localhost:7071/api/x -d \'{"baseUrl":"http://127.0.0.1:7201"}\' localhost:7201/__fake http://localhost:7071/api/v1/docs',
        'http://127.0.0.1:39999',
        ports,
      ),
    ).toBe(
      'curl 127.0.0.1:39999/api/x -d \'{"baseUrl":"http://127.0.0.1:45001"}\' localhost:45001/__fake http://127.0.0.1:39999/api/v1/docs',
    );
    expect(parseArguments(['--base', 'http://127.0.0.1:1234/', '--port', '7201=5']).ports.get('7201')).toBe('5');
    expect(() => parseArguments(['--port', 'x'])).toThrow(/--port/);
  });
});
