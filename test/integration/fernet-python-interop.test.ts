import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  FernetError,
  fernetDecrypt,
  fernetEncrypt,
  generateFernetKey,
  isValidFernetKey,
  MultiFernet,
} from '../../shared/crypto/fernet';

/**
 * Fernet against an independent implementation: Python's `cryptography` package. Prerequisite:
 * `python3` with `cryptography` importable (`pip install cryptography`, or Debian's
 * python3-cryptography); docs/testing.md. Without it these cases are skipped and the run says so
 * on one line; set REQUIRE_PYTHON_INTEROP=true (CI images that have Python) to make its absence a
 * failure instead. The spec vectors on the Node side run in the unit tier whatever happens here.
 */
const PREREQUISITE = 'python3 with the `cryptography` package (pip install cryptography)';

function pythonCryptographyPresent(): boolean {
  const probe = spawnSync('python3', ['-c', 'import cryptography.fernet'], { encoding: 'utf8' });
  return probe.status === 0;
}

const present = pythonCryptographyPresent();
const required = process.env.REQUIRE_PYTHON_INTEROP === 'true';
if (!present && !required) {
  console.warn(`SKIPPED Fernet interoperability with Python: needs ${PREREQUISITE}`);
}

/** Runs Python's `cryptography` Fernet on one request. */
function python(script: string, input: Record<string, unknown>): string {
  const program = `import json, sys\nfrom cryptography.fernet import Fernet, MultiFernet, InvalidToken\nargs = json.load(sys.stdin)\n${script}`;
  return execFileSync('python3', ['-c', program], { input: JSON.stringify(input), encoding: 'utf8' }).trim();
}

function rejection(fn: () => unknown): FernetError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FernetError);
    return error as FernetError;
  }
  throw new Error('expected the token to be rejected');
}

describe.runIf(present || required)('Fernet interoperability with Python cryptography', () => {
  const key = generateFernetKey();
  const message = JSON.stringify({ apiUser: 'svc@example.com', secret: 'ünïcødé 🔑', n: 42 });

  it(`the prerequisite is there: ${PREREQUISITE}`, () => {
    expect(present, `needs ${PREREQUISITE}`).toBe(true);
    expect(python('print("ok")', {})).toBe('ok');
  });

  it('a token made here opens in Python, with its timestamp', () => {
    const token = fernetEncrypt(key, message, { atSeconds: 1_767_225_600 });
    const out = python(
      'f = Fernet(args["key"])\nprint(json.dumps([f.decrypt(args["token"]).decode("utf-8"), f.extract_timestamp(args["token"])]))',
      { key, token },
    );
    expect(JSON.parse(out)).toEqual([message, 1_767_225_600]);
  });

  it('a token made by Python opens here', () => {
    const token = python('print(Fernet(args["key"]).encrypt(args["msg"].encode("utf-8")).decode("ascii"))', {
      key,
      msg: message,
    });
    expect(fernetDecrypt(key, token).toString('utf8')).toBe(message);
  });

  it('keys generated on either side work on the other', () => {
    const pythonKey = python('print(Fernet.generate_key().decode("ascii"))', {});
    expect(isValidFernetKey(pythonKey)).toBe(true);
    const token = fernetEncrypt(pythonKey, 'x');
    expect(python('print(Fernet(args["key"]).decrypt(args["token"]).decode())', { key: pythonKey, token })).toBe('x');
  });

  it('empty and block-sized messages round-trip both ways', () => {
    for (const msg of ['', 'a'.repeat(16), 'b'.repeat(31)]) {
      const ours = fernetEncrypt(key, msg);
      const theirs = python(
        'f = Fernet(args["key"])\nprint(json.dumps([f.decrypt(args["ours"]).decode(), f.encrypt(args["msg"].encode()).decode()]))',
        { key, ours, msg },
      );
      const [opened, pythonToken] = JSON.parse(theirs) as [string, string];
      expect(opened).toBe(msg);
      expect(fernetDecrypt(key, pythonToken).toString()).toBe(msg);
    }
  });

  it("a token rotated here opens under Python's MultiFernet with the new key first, and vice versa", () => {
    const oldKey = generateFernetKey();
    const newKey = generateFernetKey();
    const old = fernetEncrypt(oldKey, message, { atSeconds: 1_700_000_000 });
    const rotated = new MultiFernet([newKey, oldKey]).rotate(old);
    const out = python(
      [
        'f = Fernet(args["new"])',
        'mf = MultiFernet([Fernet(args["new"]), Fernet(args["old"])])',
        'print(json.dumps([f.decrypt(args["rotated"]).decode(), f.extract_timestamp(args["rotated"]), mf.rotate(args["oldToken"]).decode()]))',
      ].join('\n'),
      { new: newKey, old: oldKey, rotated, oldToken: old },
    );
    const [opened, stamp, pythonRotated] = JSON.parse(out) as [string, number, string];
    expect(opened).toBe(message);
    expect(stamp).toBe(1_700_000_000);
    expect(fernetDecrypt(newKey, pythonRotated).toString()).toBe(message);
  });

  it('Python refuses a token made here once its TTL has passed, as we do', () => {
    const token = fernetEncrypt(key, 'short-lived', { atSeconds: 1_000_000 });
    const out = python(
      'f = Fernet(args["key"])\ntry:\n  f.decrypt_at_time(args["token"], 60, 1000061)\n  print("opened")\nexcept InvalidToken:\n  print("refused")',
      { key, token },
    );
    expect(out).toBe('refused');
    expect(rejection(() => fernetDecrypt(key, token, { ttlSeconds: 60, nowSeconds: 1_000_061 })).reason).toBe(
      'expired',
    );
  });
});
