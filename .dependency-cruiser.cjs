// Where code may depend on what (docs/architecture.md, "Where it goes"). Checked in `npm test` by
// test/unit/dependency-rules.test.ts through dependency-cruiser's API; `npx depcruise functions
// shared local` prints the same report. Rules match folders by pattern, so a new capability folder
// is covered the day it is created.

/** A capability's table definitions: shared/<capability>/tables.ts. */
const TABLES = '^shared/.+/tables\\.ts$';

/**
 * SDKs that cost 25–130 ms each to load. Deployed code imports their types only; values come from
 * shared/sdk/, which loads the package on first use (bench/cold-start.ts measures what this buys).
 */
const HEAVY_SDKS =
  '(^|/)node_modules/(@azure/(data-tables|storage-blob|storage-queue|identity|keyvault-secrets|service-bus|monitor-opentelemetry-exporter|core-tracing)|@opentelemetry/[^/]+|undici|durable-functions)/';

/**
 * The layer order of docs/architecture.md ("Layers"), bottom up: primitives → events → capabilities
 * → API edge (shared/api) → functions/. The composition root shared/app sits beside the layers: it
 * builds repositories from capabilities' tables files and primitives, and capabilities reach it
 * through their deps files. Written once here for the rules below; the foundation folders of
 * test/unit/lazy-registration.test.ts (FOUNDATION) name the same primitives.
 */
const PRIMITIVES =
  '(audit|bus|clock|config|crypto|errors|faults|http|net|observability|sdk|secrets|storage|validation)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'Modules form a DAG: a runtime cycle makes load order decide what is undefined when a module body runs. Type-only imports are erased by the compiler and cannot change load order, so they do not count (viaOnly).',
      severity: 'error',
      from: { path: '^(functions|shared|local)/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'primitives-never-import-capabilities',
      comment:
        'Primitives are the bottom layer: a primitive importing the event log, a capability, the API edge or the composition root (even for a type) turns the layers into a knot.',
      severity: 'error',
      from: { path: `^shared/${PRIMITIVES}/` },
      to: { path: '^shared/', pathNot: `^shared/${PRIMITIVES}/` },
    },
    {
      name: 'events-below-capabilities',
      comment:
        'shared/events (the event record, timeline, event days, stage contract, sendToStage) is what inbound, pipeline, failures and replay share; it imports primitives and the composition root only.',
      severity: 'error',
      from: { path: '^shared/events/' },
      to: { path: '^shared/', pathNot: `^shared/(${PRIMITIVES.slice(1, -1)}|events|app)/` },
    },
    {
      name: 'capabilities-see-only-the-route-contract',
      comment:
        "A capability's routes.ts types its definitions with shared/api/api-route.ts (the route contract, loaded at registration); the rest of the edge (handler, meta routes, throttle, catch-all) sits above the capabilities and may import them.",
      severity: 'error',
      from: { path: '^shared/', pathNot: '^shared/(api|app)/' },
      to: { path: '^shared/api/', pathNot: '^shared/api/api-route\\.ts$' },
    },
    {
      name: 'shared-below-entries',
      comment: 'shared/ is the domain and its primitives: it never depends on trigger wiring or on the local host.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(functions|local)/' },
    },
    {
      name: 'deployed-code-without-local-host',
      comment: 'local/ is never deployed; anything functions/ needs at run time lives in shared/.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^local/' },
    },
    {
      name: 'functions-are-entry-points',
      comment: 'A function file registers triggers when loaded; importing one from another registers it twice.',
      severity: 'error',
      from: { path: '^(functions|local)/' },
      to: { path: '^functions/' },
    },
    {
      name: 'tables-stay-in-their-capability',
      comment:
        "Only the owning capability imports its tables.ts; others call an exported verb or use the bus. shared/app/ is the composition root: it builds each capability's tables once and holds no logic.",
      severity: 'error',
      from: { path: '^shared/([^/]+)/', pathNot: '^shared/app/' },
      to: { path: TABLES, pathNot: '^shared/$1/' },
    },
    {
      name: 'tables-not-from-entries',
      comment: 'functions/ and local/ reach tables through shared/ verbs (or services()), never directly.',
      severity: 'error',
      from: { path: '^(functions|local)/' },
      to: { path: TABLES },
    },
    {
      name: 'verbs-take-their-deps',
      comment:
        "One composition pattern: a capability's deps.ts builds its dependencies from the Services instance with depsFromServices (reset with it); verbs take them as a parameter and route handlers and triggers get them from that deps function. Only deps files, route files and triggers.ts (the capability's edge), the API edge and the composition root itself import shared/app/services.",
      severity: 'error',
      from: {
        path: '^shared/',
        pathNot: '^shared/(api|app)/|^shared/[^/]+/(deps|triggers|routes|[a-z-]+-routes)\\.ts$',
      },
      to: { path: '^shared/app/services\\.ts$' },
    },
    {
      name: 'route-heads-are-data',
      comment:
        "A capability's route-heads.ts is evaluated when functions/ registers its routes (cold start): it holds literals and imports types only, so registering loads nothing of the capability.",
      severity: 'error',
      from: { path: '^shared/[^/]+/route-heads\\.ts$' },
      to: { dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'sdk-loaded-on-first-use',
      comment:
        'A top-level import of a heavy SDK makes every cold start pay for it. Import its types with `import type` and its classes from shared/sdk/.',
      severity: 'error',
      from: { path: '^(functions|shared)/', pathNot: '^shared/sdk/' },
      to: { path: HEAVY_SDKS, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'triggers-adapted-at-the-edge',
      comment:
        'Capabilities are framework-free: only the API edge (shared/api), the HTTP primitive (request types), shared/bus (queue triggers) and the one inbound HTTP adapter (receive-hook, vendor deliveries are no API route) adapt verbs to @azure/functions.',
      severity: 'error',
      // shared/sdk/durable-functions registers durable triggers for functions/ without loading the package.
      from: {
        path: '^shared/',
        pathNot: '^shared/(api|http|bus)/|^shared/sdk/durable-functions\\.ts$|^shared/inbound/receive-hook\\.ts$',
      },
      to: { path: '(^|/)node_modules/@azure/functions/' },
    },
    {
      name: 'no-dev-dependencies-in-deployed-code',
      comment: 'devDependencies are not installed in Azure; local-only helpers (Azurite, test tools) stay in local/.',
      severity: 'error',
      from: { path: '^(functions|shared)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'resolvable',
      comment: 'An import that resolves to nothing is a typo or a missing dependency.',
      severity: 'error',
      from: { path: '^(functions|shared|local)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|\\.tmp|\\.azurite)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['require', 'node', 'default', 'types'],
    },
  },
};
