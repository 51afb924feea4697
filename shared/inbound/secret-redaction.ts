/**
 * What receive stores of a delivery never holds a webhook secret (docs/webhooks-receiving.md,
 * "What is stored"). Graph echoes our secret as every notification's `clientState`; other senders
 * sign in headers, but one that copies the secret into its body (a misconfigured template, a
 * debugging echo) must not hand it to every `events:read` key either. So before an event is
 * persisted: every `clientState` string is masked, and every string (value or key) containing a
 * current secret — with or without its `whsec_` prefix — has it masked. Everything after receive
 * (event row, preview, blob, normalised event, timeline, failure records, replays) is derived from
 * the masked payload.
 */
export const REDACTED = '[redacted]';

/** Shorter fragments are not searched for: they could mask ordinary text by accident. */
const MIN_FORM_CHARS = 16;

function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    forms.add(secret);
    if (secret.startsWith('whsec_')) forms.add(secret.slice('whsec_'.length));
  }
  // Longest first, so the prefixed form is masked whole rather than leaving `whsec_` behind.
  return [...forms].filter((form) => form.length >= MIN_FORM_CHARS).sort((a, b) => b.length - a.length);
}

/** Field names whose string value is a verification secret whatever it holds (Graph's). */
const SECRET_FIELDS = new Set(['clientstate']);

function maskText(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}

/**
 * The parsed payload with secrets masked, and whether anything was. Only own properties of plain
 * JSON data are walked; objects are rebuilt with `Object.fromEntries`, so a `__proto__` key stays
 * data and never becomes a prototype.
 */
export function redactSecrets(parsed: unknown, secrets: readonly string[]): { value: unknown; changed: boolean } {
  const forms = secretForms(secrets);
  let changed = false;
  const walk = (value: unknown, key: string | undefined): unknown => {
    if (typeof value === 'string') {
      const masked = key !== undefined && SECRET_FIELDS.has(key.toLowerCase()) ? REDACTED : maskText(value, forms);
      if (masked !== value) changed = true;
      return masked;
    }
    if (Array.isArray(value)) return value.map((item) => walk(item, undefined));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(
        Object.entries(value).map(([name, child]) => {
          const maskedName = maskText(name, forms);
          if (maskedName !== name) changed = true;
          return [maskedName, walk(child, name)];
        }),
      );
    }
    return value;
  };
  const value = walk(parsed, undefined);
  return { value, changed };
}

/** The body text to store: the text as received when nothing was masked, else the masked JSON. */
export function storableBody(
  text: string,
  parsed: unknown,
  secrets: readonly string[],
): { text: string; parsed: unknown } {
  const { value, changed } = redactSecrets(parsed, secrets);
  return changed ? { text: JSON.stringify(value), parsed: value } : { text, parsed };
}

/**
 * Previews stored before masking existed may still show a Graph `clientState`: the events API masks
 * it on the way out too (the preview is a prefix of the body, so the value may be cut off).
 */
export function maskClientStateInPreview(preview: string): string {
  return preview.replace(/("clientState"\s*:\s*")(?:[^"\\]|\\.)*("?)/gi, `$1${REDACTED}$2`);
}
