import type { ApiRoute } from './routes-from-template';
import { safeDecode } from './http-request';

/**
 * Picks the route for a request the way API Gateway does within one API — the most specific path
 * wins (literal segment over `{param}` over a greedy `{proxy+}`, which needs at least one segment),
 * then an exact method over `ANY`, then an HTTP API's `$default` route — and decides which API a
 * local URL addresses when several share the one local port:
 *
 * 1. `/<stage>/…` where `<stage>` is a named stage of an HTTP API (not `$default`) or the stage of a
 *    REST API (`StageName`, `Prod` for the implicit API): that API's routes, on the rest of the path.
 *    An unmatched REST stage URL is REST's 403 `Missing Authentication Token`.
 * 2. `/…` (no stage prefix): HTTP API routes first, then REST routes, then an HTTP API `$default`
 *    route. So on a collision the HTTP API wins the bare path and the REST route stays reachable
 *    under `/<StageName>/…`, exactly where it lives on `execute-api`.
 * 3. Nothing matched: 404 `Not Found` when the template has HTTP API routes, else REST's 403.
 */
export interface RouteMatch {
  route: ApiRoute;
  pathParameters: Record<string, string>;
  /** The request path with the stage prefix removed (what the resource path matched). */
  resourcePath: string;
  /** Whether the URL carried the stage prefix. */
  stagePrefixed: boolean;
}

export type Resolution =
  { kind: 'route'; match: RouteMatch } | { kind: 'not-found'; apiType: 'HTTP' | 'REST' };

interface Compiled {
  route: ApiRoute;
  segments: Array<{ kind: 'literal' | 'param' | 'greedy'; value: string }>;
}

export class Router {
  private readonly http: Compiled[] = [];
  private readonly rest: Compiled[] = [];

  constructor(routes: ApiRoute[]) {
    for (const route of routes) {
      const compiled = { route, segments: route.path === '$default' ? [] : compile(route.path) };
      (route.apiType === 'HTTP' ? this.http : this.rest).push(compiled);
    }
  }

  resolve(method: string, rawPath: string): Resolution {
    const segments = splitPath(rawPath);
    let stageDefault: RouteMatch | undefined;
    let restStageMiss = false;

    // 1. Stage-prefixed URLs.
    const first = segments[0] !== undefined ? safeDecode(segments[0]) : undefined;
    if (first !== undefined) {
      const rest = segments.slice(1);
      const resourcePath = '/' + rest.join('/');
      const httpStaged = this.http.filter((c) => c.route.stage !== '$default' && c.route.stage === first);
      const found = best(httpStaged, method, rest);
      if (found) return route(found, resourcePath, true);
      const def = httpStaged.find((c) => c.route.path === '$default');
      if (def) stageDefault = { route: def.route, pathParameters: {}, resourcePath, stagePrefixed: true };
      const restStaged = this.rest.filter((c) => c.route.stage === first);
      const restFound = best(restStaged, method, rest);
      if (restFound) return route(restFound, resourcePath, true);
      if (restStaged.length) restStageMiss = true;
    }

    // 2. Bare paths.
    const resourcePath = '/' + segments.join('/');
    const httpFound = best(this.http, method, segments);
    if (httpFound) return route(httpFound, resourcePath, false);
    const restFound = best(this.rest, method, segments);
    if (restFound) return route(restFound, resourcePath, false);
    if (restStageMiss && !stageDefault) return { kind: 'not-found', apiType: 'REST' };
    if (stageDefault) return { kind: 'route', match: stageDefault };
    const def = this.http.find((c) => c.route.path === '$default');
    if (def) {
      return {
        kind: 'route',
        match: { route: def.route, pathParameters: {}, resourcePath, stagePrefixed: false },
      };
    }

    // 3. Nothing.
    return { kind: 'not-found', apiType: this.http.length || !this.rest.length ? 'HTTP' : 'REST' };
  }
}

function route(
  found: { compiled: Compiled; params: Record<string, string> },
  resourcePath: string,
  stagePrefixed: boolean,
): Resolution {
  return {
    kind: 'route',
    match: { route: found.compiled.route, pathParameters: found.params, resourcePath, stagePrefixed },
  };
}

/** `/a/b/` → ['a', 'b'] (raw, still percent-encoded); `/` → []. */
function splitPath(rawPath: string): string[] {
  const trimmed = rawPath.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed ? trimmed.split('/') : [];
}

function compile(path: string): Compiled['segments'] {
  return splitPath(path).map((s) => {
    const greedy = /^\{(.+)\+\}$/.exec(s);
    if (greedy) return { kind: 'greedy' as const, value: greedy[1]! };
    const param = /^\{(.+)\}$/.exec(s);
    if (param) return { kind: 'param' as const, value: param[1]! };
    return { kind: 'literal' as const, value: s };
  });
}

function matchSegments(compiled: Compiled, segments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  const spec = compiled.segments;
  for (let i = 0; i < spec.length; i++) {
    const s = spec[i]!;
    if (s.kind === 'greedy') {
      const remainder = segments.slice(i);
      if (remainder.length === 0) return undefined;
      params[s.value] = remainder.map(safeDecode).join('/');
      return params;
    }
    const seg = segments[i];
    if (seg === undefined || seg === '') return undefined;
    if (s.kind === 'literal') {
      if (safeDecode(seg) !== s.value) return undefined;
    } else params[s.value] = safeDecode(seg);
  }
  return segments.length === spec.length ? params : undefined;
}

const RANK = { literal: 3, param: 2, greedy: 1 } as const;

/** Compares specificity: positive when a is more specific than b. */
function compare(a: Compiled, b: Compiled): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const ra = a.segments[i] ? RANK[a.segments[i]!.kind] : 0;
    const rb = b.segments[i] ? RANK[b.segments[i]!.kind] : 0;
    if (ra !== rb) return ra - rb;
  }
  const ma = a.route.method === 'ANY' ? 0 : 1;
  const mb = b.route.method === 'ANY' ? 0 : 1;
  return ma - mb;
}

function best(
  candidates: Compiled[],
  method: string,
  segments: string[],
): { compiled: Compiled; params: Record<string, string> } | undefined {
  let found: { compiled: Compiled; params: Record<string, string> } | undefined;
  for (const c of candidates) {
    if (c.route.path === '$default') continue;
    if (c.route.method !== 'ANY' && c.route.method !== method) continue;
    const params = matchSegments(c, segments);
    if (!params) continue;
    if (!found || compare(c, found.compiled) > 0) found = { compiled: c, params };
  }
  return found;
}
