import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CONFIG_ENTRY_KINDS,
  ConsulError,
  ConsulState,
  PRIMARY_DC,
  decodeConfigEntry,
  goQuote,
  renderConfigEntry,
  type ConsulStateOptions,
  type DeregisterRequest,
  type RegisterRequest,
  type Scope,
} from './consul-state';
import { GoJsonError, T, goDecode, goDecodeStrict, type GoType } from './go-json';
import { readBody } from '../../http-body';

export { lambdaExtensionOf, ConsulState } from './consul-state';
export type { LambdaExtensionView, ConfigEntry, AclRules } from './consul-state';

/**
 * An emulation of Consul's HTTP API (agent + servers of one cluster, `dc1` primary and optional
 * further datacenters) for the endpoints the Consul Lambda registrator uses. Listens on 127.0.0.1.
 * Routing, methods, error statuses and texts follow Consul's `agent/http.go` and the endpoint
 * handlers; see `consul-state.ts` for the server-side semantics.
 */

export interface ConsulEmulatorOptions extends ConsulStateOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
}

export interface ConsulEmulator {
  server: http.Server;
  /** `http://127.0.0.1:<port>` — what CONSUL_HTTP_ADDR would hold. */
  address: string;
  state: ConsulState;
  close(): Promise<void>;
}

const PLAIN = 'text/plain; charset=utf-8';
const BODY_LIMIT = 8 * 1024 * 1024;

/** An answer: JSON body (or nothing), status, headers. */
interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Ctx {
  req: IncomingMessage;
  url: URL;
  state: ConsulState;
  body: () => Promise<string>;
}

type Handler = (ctx: Ctx) => Promise<Reply> | Reply;

interface Route {
  pattern: string;
  methods: string[];
  handler: Handler;
}

// ---------------------------------------------------------------------------------------------
// Request parsing (agent/http.go, agent/http_ce.go)
// ---------------------------------------------------------------------------------------------

function bad(message: string): ConsulError {
  return new ConsulError(message, 400);
}

/** `parseToken`: ?token, X-Consul-Token, then `Authorization: Bearer <token>`. */
function token(ctx: Ctx): string {
  const q = ctx.url.searchParams.get('token');
  if (q) return q;
  const header = ctx.req.headers['x-consul-token'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = ctx.req.headers.authorization;
  if (auth) {
    const parts = auth.split(' ');
    if (parts.length > 1 && parts[0]!.toLowerCase() === 'bearer') {
      return parts.slice(1).join(' ').trim().split(' ')[0]!.trim();
    }
  }
  return '';
}

function dc(ctx: Ctx): string {
  return ctx.url.searchParams.get('dc') || PRIMARY_DC;
}

/** `parseEntMetaPartition`: CE rejects the partition header and parameter. */
function entPartition(ctx: Ctx): string | undefined {
  const header = ctx.req.headers['x-consul-partition'];
  const query = ctx.url.searchParams.get('partition');
  if (!ctx.state.enterprise) {
    if (header)
      throw bad('Invalid header: "X-Consul-Partition" - Partitions are a Consul Enterprise feature');
    if (query) throw bad('Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature');
    return undefined;
  }
  return query || (typeof header === 'string' ? header : undefined) || undefined;
}

/** `parseEntMeta`: CE rejects namespace (and partition) header and parameter. */
function entMeta(ctx: Ctx): Partial<Scope> {
  const nsHeader = ctx.req.headers['x-consul-namespace'];
  const nsQuery = ctx.url.searchParams.get('ns');
  if (!ctx.state.enterprise) {
    if (nsHeader)
      throw bad('Invalid header: "X-Consul-Namespace" - Namespaces are a Consul Enterprise feature');
    if (nsQuery) throw bad('Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature');
    entPartition(ctx);
    return {};
  }
  const namespace = nsQuery || (typeof nsHeader === 'string' ? nsHeader : undefined) || undefined;
  return { partition: entPartition(ctx), namespace };
}

/** `parse` → `parseWait` / `parseConsistency` (the checks that can fail). */
function parseQueryOptions(ctx: Ctx): void {
  const q = ctx.url.searchParams;
  const wait = q.get('wait');
  if (wait && !/^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)$/.test(wait)) throw bad('Invalid wait time');
  const index = q.get('index');
  if (index && !/^\d+$/.test(index)) throw bad('Invalid index');
  if (q.has('stale') && q.has('consistent'))
    throw bad('Cannot specify ?stale with ?consistent, conflicting semantics.');
}

/** Query-meta headers (`setMeta`). */
function meta(index: number, filtered = false, consistency?: string): Record<string, string> {
  const h: Record<string, string> = {
    'X-Consul-Index': String(Math.max(1, index)),
    'X-Consul-KnownLeader': 'true',
    'X-Consul-LastContact': '0',
  };
  if (consistency) h['X-Consul-Effective-Consistency'] = consistency;
  if (filtered) h['X-Consul-Results-Filtered-By-ACLs'] = 'true';
  return h;
}

function parseCas(ctx: Ctx): number | undefined {
  const cas = ctx.url.searchParams.get('cas');
  if (!cas) return undefined;
  if (!/^\d+$/.test(cas)) throw new ConsulError(`strconv.ParseUint: parsing ${goQuote(cas)}: invalid syntax`);
  return Number(cas);
}

// ---------------------------------------------------------------------------------------------
// Typed request bodies (structs.RegisterRequest / DeregisterRequest)
// ---------------------------------------------------------------------------------------------

function nodeServiceType(enterprise: boolean): GoType {
  const fields: Record<string, GoType> = {
    Kind: T.string,
    ID: T.string,
    Service: T.string,
    Tags: T.stringSlice,
    Address: T.string,
    TaggedAddresses: T.any,
    Meta: T.stringMap,
    Port: T.int,
    SocketPath: T.string,
    Weights: T.any,
    EnableTagOverride: T.bool,
    Proxy: T.any,
    Connect: T.any,
    Locality: T.any,
    LocallyRegisteredAsSidecar: T.bool,
    PeerName: T.string,
    CreateIndex: T.uint64,
    ModifyIndex: T.uint64,
  };
  if (enterprise) Object.assign(fields, { Namespace: T.string, Partition: T.string });
  return T.struct('NodeService', fields);
}

function registerType(enterprise: boolean): GoType {
  const fields: Record<string, GoType> = {
    ID: T.string,
    Node: T.string,
    Address: T.string,
    Datacenter: T.string,
    TaggedAddresses: T.stringMap,
    NodeMeta: T.stringMap,
    Service: nodeServiceType(enterprise),
    Check: T.any,
    Checks: T.any,
    SkipNodeUpdate: T.bool,
    PeerName: T.string,
    Locality: T.any,
    Token: T.string,
    CreateIndex: T.uint64,
    ModifyIndex: T.uint64,
  };
  if (enterprise) Object.assign(fields, { Namespace: T.string, Partition: T.string });
  return T.struct('RegisterRequest', fields);
}

function deregisterType(enterprise: boolean): GoType {
  const fields: Record<string, GoType> = {
    Datacenter: T.string,
    Node: T.string,
    ServiceID: T.string,
    CheckID: T.string,
    PeerName: T.string,
    Token: T.string,
  };
  if (enterprise) Object.assign(fields, { Namespace: T.string, Partition: T.string });
  return T.struct('DeregisterRequest', fields);
}

/** `decodeBody` + `rewordUnknownEnterpriseFieldError`, as "Request decode failed: …" (400). */
async function decodeStrict<R>(ctx: Ctx, t: GoType): Promise<R> {
  try {
    return goDecodeStrict<R>(await ctx.body(), t);
  } catch (e) {
    if (!(e instanceof GoJsonError)) throw e;
    let msg = e.message;
    if (!ctx.state.enterprise && msg === 'json: unknown field "Namespace"')
      msg = `${msg} - Namespaces are a Consul Enterprise feature`;
    throw bad(`Request decode failed: ${msg}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

const catalogRegister: Handler = async (ctx) => {
  const scope = entMeta(ctx);
  const args = await decodeStrict<RegisterRequest & { Datacenter?: string }>(
    ctx,
    registerType(ctx.state.enterprise),
  );
  // The agent's CatalogRegister never parses ?dc= (no parseDC): only the body's Datacenter counts,
  // defaulting to the agent's own datacenter. A client passing the datacenter only as a query
  // parameter (the Go api client's WriteOptions.Datacenter) registers in the local datacenter.
  const datacenter = args.Datacenter || PRIMARY_DC;
  // Body enterprise meta is decoded after the query's, so it wins; the service inherits the request's.
  const partition = args.Partition || scope.partition;
  const namespace = args.Service?.Namespace || args.Namespace || scope.namespace;
  ctx.state.register(datacenter, args, token(ctx), { partition, namespace });
  return { body: true };
};

const catalogDeregister: Handler = async (ctx) => {
  const scope = entMeta(ctx);
  const args = await decodeStrict<DeregisterRequest & { Datacenter?: string }>(
    ctx,
    deregisterType(ctx.state.enterprise),
  );
  const datacenter = args.Datacenter || PRIMARY_DC; // ?dc= ignored, as for register
  ctx.state.deregister(datacenter, args, token(ctx), {
    partition: args.Partition || scope.partition,
    namespace: args.Namespace || scope.namespace,
  });
  return { body: true };
};

const catalogServices: Handler = (ctx) => {
  const s = entMeta(ctx);
  parseQueryOptions(ctx);
  const scope = ctx.state.scope(s.partition, s.namespace);
  const r = ctx.state.listServices(dc(ctx), token(ctx), scope);
  return { body: r.services, headers: meta(r.index, r.filtered, 'leader') };
};

const catalogServiceNodes: Handler = (ctx) => {
  const s = entMeta(ctx);
  parseQueryOptions(ctx);
  const name = decodeURIComponent(ctx.url.pathname.slice('/v1/catalog/service/'.length));
  if (name === '') throw bad('Missing service name');
  const tags = ctx.url.searchParams.has('tag') ? ctx.url.searchParams.getAll('tag') : undefined;
  const scope = ctx.state.scope(s.partition, s.namespace);
  const r = ctx.state.serviceNodes(dc(ctx), token(ctx), scope, name, tags);
  return { body: r.nodes, headers: meta(r.index, r.filtered, 'leader') };
};

const catalogNodes: Handler = (ctx) => {
  const partition = entPartition(ctx);
  parseQueryOptions(ctx);
  const scope = ctx.state.scope(partition, undefined, { namespaced: false });
  const r = ctx.state.listNodes(dc(ctx), token(ctx), scope.partition);
  return { body: r.nodes, headers: meta(r.index, r.filtered, 'leader') };
};

const catalogDatacenters: Handler = (ctx) => ({ body: ctx.state.datacenters });

const configApply: Handler = async (ctx) => {
  const tok = token(ctx);
  let raw: unknown;
  try {
    raw = goDecode(await ctx.body());
  } catch (e) {
    if (e instanceof GoJsonError) throw bad(`Request decoding failed: ${e.message}`);
    throw e;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const got = Array.isArray(raw) ? 'slice' : typeof raw === 'number' ? 'float64' : typeof raw;
    throw bad(`Request decoding failed: '' expected a map, got '${got}'`);
  }
  let entry;
  try {
    entry = decodeConfigEntry(raw, ctx.state.enterprise);
  } catch (e) {
    if (e instanceof ConsulError) throw bad(`Request decoding failed: ${e.message}`);
    throw e;
  }
  const scope = entMeta(ctx);
  const cas = parseCas(ctx);
  // ConfigEntry.Apply forwards every write to the primary datacenter, whatever ?dc= says.
  return { body: ctx.state.configApply(entry, tok, scope, cas) };
};

const configGetOrDelete: Handler = (ctx) => {
  const kindAndName = ctx.url.pathname.slice('/v1/config/'.length);
  const slash = kindAndName.indexOf('/');
  const parts = slash < 0 ? [kindAndName] : [kindAndName.slice(0, slash), kindAndName.slice(slash + 1)];
  const kind = decodeURIComponent(parts[0]!);
  const name = parts[1] === undefined ? undefined : decodeURIComponent(parts[1]);
  if (ctx.req.method === 'DELETE') {
    const tok = token(ctx);
    if (name === undefined) throw new ConsulError('Must provide both a kind and name to delete', 404);
    // structs.MakeConfigEntry runs before the enterprise meta is parsed.
    if (!CONFIG_ENTRY_KINDS.includes(kind)) throw bad(`invalid config entry kind: ${kind}`);
    const scope = entMeta(ctx);
    const cas = parseCas(ctx);
    const deleted = ctx.state.configDelete(tok, scope, kind, name, cas);
    return { body: cas !== undefined ? deleted : {} };
  }
  parseQueryOptions(ctx);
  const scope = entMeta(ctx);
  if (name !== undefined) {
    const r = ctx.state.configGet(dc(ctx), token(ctx), scope, kind, name);
    if (!r.entry)
      throw new ConsulError(`Config entry not found for ${goQuote(kind)} / ${goQuote(name)}`, 404);
    return { body: renderConfigEntry(r.entry), headers: meta(r.index) };
  }
  const r = ctx.state.configList(dc(ctx), token(ctx), scope, kind);
  return { body: r.entries.map(renderConfigEntry), headers: meta(r.index, r.filtered) };
};

const namespacesList: Handler = (ctx) => {
  parseQueryOptions(ctx);
  const partition = entPartition(ctx);
  const r = ctx.state.listNamespaces(dc(ctx), token(ctx), partition ?? '');
  return { body: r.namespaces, headers: meta(r.index, r.filtered) };
};

const namespaceWrite: Handler = async (ctx) => {
  const tok = token(ctx);
  const partition = entPartition(ctx);
  let raw: unknown;
  try {
    raw = goDecode(await ctx.body());
  } catch (e) {
    if (e instanceof GoJsonError) throw bad(`Request decode failed: ${e.message}`);
    throw e;
  }
  const body =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const nameInPath = ctx.url.pathname.startsWith('/v1/namespace/')
    ? decodeURIComponent(ctx.url.pathname.slice('/v1/namespace/'.length))
    : '';
  if (nameInPath !== '') {
    if (body.Name !== undefined && body.Name !== nameInPath)
      throw bad(`Namespace name in URL (${nameInPath}) does not match name in body (${String(body.Name)})`);
    body.Name = nameInPath;
  }
  return { body: ctx.state.upsertNamespace(tok, body, partition) };
};

const namespaceRead: Handler = (ctx) => {
  if (ctx.req.method !== 'GET') return namespaceWrite(ctx);
  parseQueryOptions(ctx);
  const name = decodeURIComponent(ctx.url.pathname.slice('/v1/namespace/'.length));
  const partition = entPartition(ctx);
  const r = ctx.state.listNamespaces(dc(ctx), token(ctx), partition ?? '');
  const ns = r.namespaces.find((n) => n.Name === name);
  if (!ns) throw new ConsulError('', 404);
  return { body: ns, headers: meta(r.index) };
};

const caRoots: Handler = (ctx) => {
  parseQueryOptions(ctx);
  const first = !rootsServed.has(ctx.state);
  rootsServed.add(ctx.state);
  const r = ctx.state.roots(dc(ctx));
  return { body: r.body, headers: { ...meta(r.index), 'X-Cache': first ? 'MISS' : 'HIT' } };
};
const rootsServed = new WeakSet<ConsulState>();

const caLeaf: Handler = async (ctx) => {
  const service = decodeURIComponent(ctx.url.pathname.slice('/v1/agent/connect/ca/leaf/'.length));
  const scope = entMeta(ctx);
  parseQueryOptions(ctx);
  const r = await ctx.state.leaf(dc(ctx), token(ctx), scope, service);
  const headers: Record<string, string> = {
    'X-Consul-Index': String(r.issued.ModifyIndex),
    'X-Cache': r.cached ? 'HIT' : 'MISS',
  };
  if (r.cached) headers.Age = String(r.ageSeconds);
  return { body: r.issued, headers };
};

const peeringsList: Handler = (ctx) => {
  parseQueryOptions(ctx);
  return { body: ctx.state.listPeerings(token(ctx), entPartition(ctx)) };
};

const statusLeader: Handler = (ctx) => {
  ctx.state.dc(dc(ctx));
  return { body: '127.0.0.1:8300' };
};

function routes(enterprise: boolean): Route[] {
  const list: Route[] = [
    { pattern: '/v1/catalog/register', methods: ['PUT'], handler: catalogRegister },
    { pattern: '/v1/catalog/deregister', methods: ['PUT'], handler: catalogDeregister },
    { pattern: '/v1/catalog/datacenters', methods: ['GET'], handler: catalogDatacenters },
    { pattern: '/v1/catalog/services', methods: ['GET'], handler: catalogServices },
    { pattern: '/v1/catalog/service/', methods: ['GET'], handler: catalogServiceNodes },
    { pattern: '/v1/catalog/nodes', methods: ['GET'], handler: catalogNodes },
    { pattern: '/v1/config', methods: ['PUT'], handler: configApply },
    { pattern: '/v1/config/', methods: ['GET', 'DELETE'], handler: configGetOrDelete },
    { pattern: '/v1/agent/connect/ca/roots', methods: ['GET'], handler: caRoots },
    { pattern: '/v1/agent/connect/ca/leaf/', methods: ['GET'], handler: caLeaf },
    { pattern: '/v1/status/leader', methods: ['GET'], handler: statusLeader },
    { pattern: '/v1/peerings', methods: ['GET'], handler: peeringsList },
  ];
  if (enterprise) {
    list.push(
      { pattern: '/v1/namespace', methods: ['PUT'], handler: namespaceWrite },
      { pattern: '/v1/namespace/', methods: ['GET', 'PUT'], handler: namespaceRead },
      { pattern: '/v1/namespaces', methods: ['GET'], handler: namespacesList },
    );
  }
  return list;
}

/** Go's ServeMux: an exact pattern, or the longest registered prefix ending in '/'. */
function match(list: Route[], path: string): Route | undefined {
  let best: Route | undefined;
  for (const r of list) {
    if (r.pattern.endsWith('/') ? path.startsWith(r.pattern) : path === r.pattern) {
      if (!best || r.pattern.length > best.pattern.length) best = r;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

/** Go's json.Marshal escapes <, >, & and U+2028/9 in strings. */
function goJson(value: unknown, pretty: boolean): string {
  const text = pretty ? `${JSON.stringify(value, null, 4)}\n` : JSON.stringify(value);
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { ...headers, 'Content-Type': PLAIN, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function handle(
  state: ConsulState,
  list: Route[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const common: Record<string, string> = {
    'X-Consul-Default-ACL-Policy': state.aclEnabled ? 'deny' : 'allow',
  };
  const route = match(list, url.pathname);
  if (!route) {
    // Unrouted requests still read their body so keep-alive connections stay usable.
    await readBody(req, BODY_LIMIT, () => new ConsulError('Request body too large', 413)).catch(
      () => undefined,
    );
    if (url.pathname === '/')
      return sendText(
        res,
        200,
        'Consul Agent: UI disabled. To enable, set ui_config.enabled=true in the agent configuration and restart.',
      );
    return sendText(
      res,
      404,
      url.pathname.includes('/v1/')
        ? 'Invalid URL path: not a recognized HTTP API endpoint\n'
        : "Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'\n",
    );
  }
  let bodyPromise: Promise<string> | undefined;
  const ctx: Ctx = {
    req,
    url,
    state,
    body: () =>
      (bodyPromise ??= readBody(req, BODY_LIMIT, () => new ConsulError('Request body too large', 413)).then(
        (b) => b.toString('utf8'),
      )),
  };
  const method = req.method ?? 'GET';
  if (method === 'OPTIONS') {
    await ctx.body().catch(() => '');
    res.writeHead(200, { ...common, Allow: ['OPTIONS', ...route.methods].join(','), 'Content-Length': 0 });
    return void res.end();
  }
  try {
    if (!route.methods.includes(method)) {
      await ctx.body().catch(() => '');
      return sendText(res, 405, `method ${method} not allowed`, {
        ...common,
        Allow: ['OPTIONS', ...route.methods].join(','),
      });
    }
    const reply = await route.handler(ctx);
    await ctx.body().catch(() => '');
    const text = goJson(reply.body, url.searchParams.has('pretty'));
    res.writeHead(reply.status ?? 200, {
      ...common,
      ...reply.headers,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  } catch (e) {
    await ctx.body().catch(() => '');
    if (e instanceof ConsulError) return sendText(res, e.status, e.message, common);
    return sendText(res, 500, (e as Error).message || 'An unexpected error occurred', common);
  }
}

/** Start the emulator on 127.0.0.1. */
export async function startConsulEmulator(options: ConsulEmulatorOptions = {}): Promise<ConsulEmulator> {
  const state = await ConsulState.create(options);
  const list = routes(state.enterprise);
  const server = http.createServer((req, res) => {
    handle(state, list, req, res).catch((e: unknown) => {
      if (!res.headersSent) sendText(res, 500, (e as Error).message);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    address: `http://127.0.0.1:${port}`,
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
