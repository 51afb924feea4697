import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors/domain-error';
import { sopBody } from '../../shared/sops/api-schemas';
import { validateSop } from '../../shared/sops/validate';
import { findTool, listTools } from '../../shared/tools/catalog';
import { PATH_SEGMENT_RULE } from '../../shared/tools/path-segment';
import type { VendorId } from '../../shared/vendors/contract';
import { connectors } from '../../shared/vendors/registry';
import { FAKE_CREDENTIALS, fakeConfig, type RunningFakes, startAllFakes } from '../fakes/core/all-fakes';
import type { FakeRequest } from '../fakes/core/fake-server';
import { fakeSession } from '../fakes/core/session';

/**
 * Tool arguments that become URL path segments (docs/pipeline.md, "Tools"): a dot segment or a
 * separator is refused by the tool's argument schema — at SOP save for a literal, at the tool call
 * for a rendered template — and nothing reaches the vendor; an id that merely needs escaping travels
 * as one encoded segment, checked at the fake vendor over loopback.
 */
let fakes: RunningFakes;
beforeAll(async () => {
  fakes = await startAllFakes();
});
afterEach(() => {
  for (const server of Object.values(fakes.servers)) server.reset();
});
afterAll(() => fakes?.stop());

interface PathTool {
  tool: string;
  /** Valid arguments; `arg` is the one under test. */
  args: Record<string, string>;
  arg: string;
  config?: () => Record<string, unknown>;
  /** The path the fake sees for an argument value (already encoded). */
  path: (encoded: string) => string;
}

const NETWORK = '/proxy/network/integration/v1';
const PATH_TOOLS: PathTool[] = [
  {
    tool: 'datto-rmm.device.run_quick_job',
    args: { deviceUid: 'dev-42', jobName: 'Clear temp', componentUid: 'comp-7' },
    arg: 'deviceUid',
    path: (uid) => `/api/v2/device/${uid}/quickjob`,
  },
  {
    tool: 'unifi.device.restart',
    args: { siteId: 'site-1', deviceId: 'dev-1' },
    arg: 'siteId',
    config: () => ({ mode: 'network', consoleUrl: fakes.baseUrls.unifi }),
    path: (site) => `${NETWORK}/sites/${site}/devices/dev-1/actions`,
  },
  {
    tool: 'unifi.device.restart',
    args: { siteId: 'site-1', deviceId: 'dev-1' },
    arg: 'deviceId',
    config: () => ({ mode: 'network', consoleUrl: fakes.baseUrls.unifi }),
    path: (device) => `${NETWORK}/sites/site-1/devices/${device}/actions`,
  },
  {
    tool: 'unifi.device.list',
    args: { siteId: 'site-1' },
    arg: 'siteId',
    config: () => ({ mode: 'network', consoleUrl: fakes.baseUrls.unifi }),
    path: (site) => `${NETWORK}/sites/${site}/devices`,
  },
  {
    tool: 'unifi.client.list',
    args: { siteId: 'site-1' },
    arg: 'siteId',
    config: () => ({ mode: 'network', consoleUrl: fakes.baseUrls.unifi }),
    path: (site) => `${NETWORK}/sites/${site}/clients`,
  },
  {
    tool: 'unifi.firewall.set_enabled',
    args: { siteId: 'site-1', policyId: 'policy-1', enabled: 'false' },
    arg: 'siteId',
    config: () => ({ mode: 'network', consoleUrl: fakes.baseUrls.unifi }),
    path: (site) => `${NETWORK}/sites/${site}/firewall/policies/policy-1`,
  },
  {
    tool: 'unifi.firewall.set_enabled',
    args: { siteId: 'site-1', policyId: 'policy-1', enabled: 'false' },
    arg: 'policyId',
    config: () => ({ mode: 'network', consoleUrl: fakes.baseUrls.unifi }),
    path: (policy) => `${NETWORK}/sites/site-1/firewall/policies/${policy}`,
  },
  {
    tool: 'microsoft365.user.lookup',
    args: { user: 'adelev@contoso.example' },
    arg: 'user',
    path: (user) => `/v1.0/users/${user}`,
  },
];

/**
 * The directory tools' path arguments (docs/tools.md): the same path-segment schema, refused above
 * for the tools listed in PATH_TOOLS; their encoded paths at the fakes are checked in
 * test/integration/tools-vendor-actions.test.ts.
 */
const PATH_ARGS_OF_DIRECTORY_TOOLS = [
  // The Datto RMM reads (test/integration/tools-datto.test.ts runs them against the spec-held fake).
  'datto-rmm.alert.list_open.deviceUid',
  'datto-rmm.alert.list_open.siteUid',
  'datto-rmm.device.get.deviceUid',
  'datto-rmm.device.list.siteUid',
  'datto-rmm.device.monitor_state.deviceUid',
  'itglue.configuration.list.organizationId',
  'itglue.password.list.organizationId',
  'itglue.password.reveal.passwordId',
  'microsoft365.license.assign.user',
  'microsoft365.license.assigned.user',
  'microsoft365.license.remove.user',
  'microsoft365.mailbox.settings.user',
  'microsoft365.user.block_sign_in.user',
  'microsoft365.user.reset_password.user',
];

const REFUSED = ['.', '..', ' .. ', 'a/b', '../admin', '..\\x', 'a\\b', '%2e%2e', '%2F', 'a\u0000b', 'tab\there'];

function session(vendor: VendorId, config?: Record<string, unknown>) {
  return fakeSession(
    vendor,
    connectors[vendor],
    FAKE_CREDENTIALS[vendor],
    config ?? fakeConfig(vendor, fakes.baseUrls[vendor]),
  );
}

function vendorCalls(vendor: VendorId): FakeRequest[] {
  return fakes.servers[vendor].requests.filter((r) => !/\/oauth2?\/|\/auth\/token/i.test(r.path));
}

describe.each(PATH_TOOLS)('$tool: argument $arg is one path segment', ({ tool: id, args, arg, config, path }) => {
  const tool = findTool(id)!;

  it.each(REFUSED)('the argument schema refuses %j with a clear message', (value) => {
    const parsed = tool.args.safeParse({ ...args, [arg]: value });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: [arg], message: PATH_SEGMENT_RULE });
  });

  it('a refused value never reaches the vendor', async () => {
    await expect(tool.execute(session(tool.vendor, config?.()), { ...args, [arg]: '..' })).rejects.toThrow(
      /one URL path segment/,
    );
    expect(vendorCalls(tool.vendor)).toEqual([]);
  });

  it('a SOP that names a dot segment literally is refused when saved', () => {
    const input = sopBody.parse({
      name: 'x',
      match: { source: 'generic' },
      steps: [{ tool: id, args: { ...args, [arg]: '..' } }],
    });
    let error: unknown;
    try {
      validateSop(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details.errors).toEqual([
      { path: `body.steps.0.args.${arg}`, message: PATH_SEGMENT_RULE },
    ]);
  });

  it('an id that needs escaping reaches the vendor as one encoded segment', async () => {
    const value = 'x?y#EXT#@a b...';
    await tool.execute(session(tool.vendor, config?.()), { ...args, [arg]: value }).catch(() => undefined);
    const [request] = vendorCalls(tool.vendor);
    expect(request?.path).toBe(path(encodeURIComponent(value)));
  });
});

describe('the catalog', () => {
  it('every string argument a tool puts into a URL path is a path-segment argument', () => {
    // The tools whose vendor call has an argument in its path, and nothing else (ids in bodies and
    // queries are encoded by JSON and URLSearchParams; Autotask's ticket ids are positive integers).
    const covered = new Set([...PATH_TOOLS.map((t) => `${t.tool}.${t.arg}`), ...PATH_ARGS_OF_DIRECTORY_TOOLS]);
    const withRule = listTools().flatMap((tool) =>
      Object.keys(tool.args.shape)
        .filter((name) =>
          tool.args
            .safeParse({ [name]: '..' })
            .error?.issues.some((i) => i.path[0] === name && i.message === PATH_SEGMENT_RULE),
        )
        .map((name) => `${tool.id}.${name}`),
    );
    expect(new Set(withRule)).toEqual(covered);
  });
});
