import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { LOCAL_REGION } from '../local-account';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

// The tooling runs on the developer's Node (≥ 20.19); the SDK's notice about its own minimum is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * `npm run call -- <url> [--method GET] [--data <body> | --data-file <file>] [--header 'k: v']…
 * [--region <region>]`: an HTTP request to an `AWS_IAM` route (API Gateway `execute-api`), signed
 * with SigV4 using the standard credential chain (environment, SSO, profiles, web identity, container
 * and instance roles). The response body goes to stdout, `HTTP <status>` to stderr; exit 0 on 2xx,
 * 1 on another status, 2 for bad input or no credentials. Credentials are never printed.
 */
const USAGE =
  "usage: npm run call -- <url> [--method <METHOD>] [--data <body> | --data-file <file>] [--header 'name: value']… [--region <region>]";

export class UsageError extends Error {}

export interface CallArgs {
  url: URL;
  method: string;
  body?: string;
  headers: Record<string, string>;
  region: string;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** `abc123.execute-api.eu-west-1.amazonaws.com` → `eu-west-1`. */
export function regionFromHost(host: string): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1];
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`"${text}" is not a URL (${USAGE})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`the URL must be http(s), got ${url.protocol}`);
  // A signed request over plain HTTP could be read and replayed on the way: loopback only.
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname))
    throw new UsageError(`plain http is allowed for loopback only; use https for ${url.hostname}`);
  if (url.username || url.password) throw new UsageError('the URL must not carry a user name or password');
  return url;
}

function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon).trim().toLowerCase() : '';
  if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name))
    throw new UsageError(`--header takes "name: value", got "${text}"`);
  if (name === 'authorization' || name.startsWith('x-amz-'))
    throw new UsageError(`--header ${name}: the signature sets it`);
  if (name === 'host' || name === 'content-length')
    throw new UsageError(`--header ${name}: it comes from the URL and the body`);
  return [name, text.slice(colon + 1).trim()];
}

export function parseCallArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CallArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        method: { type: 'string' },
        data: { type: 'string' },
        'data-file': { type: 'string' },
        header: { type: 'string', multiple: true },
        region: { type: 'string' },
      },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('. ')[0]} (${USAGE})`);
  }
  const [urlText, ...extra] = parsed.positionals;
  if (!urlText || extra.length) throw new UsageError(`name exactly one URL (${USAGE})`);
  const url = parseUrl(urlText);
  const { values } = parsed;
  if (values.data !== undefined && values['data-file'] !== undefined)
    throw new UsageError('use --data or --data-file, not both');
  let body = values.data;
  if (values['data-file'] !== undefined) {
    try {
      body = readFileSync(values['data-file'], 'utf8');
    } catch (e) {
      throw new UsageError(
        `cannot read --data-file ${values['data-file']}: ${(e as NodeJS.ErrnoException).code}`,
      );
    }
  }
  const method = (values.method ?? (body === undefined ? 'GET' : 'POST')).toUpperCase();
  if (!METHODS.has(method)) throw new UsageError(`--method must be one of ${[...METHODS].join(', ')}`);
  if (body !== undefined && (method === 'GET' || method === 'HEAD'))
    throw new UsageError(`a ${method} request carries no body; add --method POST`);
  const region =
    values.region ??
    regionFromHost(url.hostname) ??
    env.AWS_REGION ??
    env.AWS_DEFAULT_REGION ??
    // The local gateway (`npm start`) verifies signatures for the local cloud's region.
    (LOOPBACK.has(url.hostname) ? LOCAL_REGION : undefined);
  if (!region) throw new UsageError('no region: the URL names none; pass --region or set AWS_REGION');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new UsageError(`--region "${region}" is not a region`);
  const headers = Object.fromEntries((values.header ?? []).map(parseHeader));
  return { url, method, ...(body !== undefined ? { body } : {}), headers, region };
}

export interface SignedRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * The query once, for signing and for sending: a `+` stays a plus (URLSearchParams would read a
 * space, so the signature would cover a different value than the one sent), and the URL sent spells
 * every value percent-encoded, leaving the server nothing to interpret differently.
 */
function signedQuery(url: URL): { query: Record<string, string | string[]>; url: URL } {
  const query: Record<string, string | string[]> = {};
  const pairs: string[] = [];
  for (const part of url.search.slice(1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const decode = (t: string) => {
      try {
        return decodeURIComponent(t);
      } catch {
        throw new UsageError(`the query part "${part}" is not valid percent-encoding`);
      }
    };
    const k = decode(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : decode(part.slice(eq + 1));
    const existing = query[k];
    query[k] = existing === undefined ? v : [existing, v].flat();
    pairs.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  }
  const sent = new URL(url.href);
  sent.search = pairs.length ? `?${pairs.join('&')}` : '';
  return { query, url: sent };
}

/** The request with SigV4 headers for `execute-api` (Authorization, X-Amz-Date, session token). */
export async function signRequest(
  args: CallArgs,
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
  now: Date = new Date(),
): Promise<SignedRequest> {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: args.region,
    credentials,
    sha256: Sha256,
  });
  const { query, url } = signedQuery(args.url);
  const signed = await signer.sign(
    {
      method: args.method,
      protocol: args.url.protocol,
      hostname: args.url.hostname,
      ...(args.url.port ? { port: Number(args.url.port) } : {}),
      path: args.url.pathname,
      query,
      headers: {
        host: args.url.host,
        ...args.headers,
        ...(args.body !== undefined && !args.headers['content-type']
          ? { 'content-type': 'application/json' }
          : {}),
      },
      ...(args.body !== undefined ? { body: args.body } : {}),
    },
    { signingDate: now },
  );
  return {
    url,
    method: args.method,
    headers: signed.headers,
    ...(args.body !== undefined ? { body: args.body } : {}),
  };
}

export async function send(request: SignedRequest): Promise<Response> {
  // fetch sets Host itself from the URL (the same value that was signed).
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(([k]) => k.toLowerCase() !== 'host'),
  );
  return fetch(request.url, {
    method: request.method,
    headers,
    // A redirect would re-send the signed request (session token included) wherever it points.
    redirect: 'manual',
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
}

async function main(): Promise<number> {
  const args = parseCallArgs(process.argv.slice(2));
  let credentials: AwsCredentialIdentity;
  try {
    credentials = await defaultProvider()();
  } catch (e) {
    throw new UsageError(`no AWS credentials found in the standard chain (${(e as Error).name})`);
  }
  const response = await send(await signRequest(args, credentials));
  process.stderr.write(`HTTP ${response.status}\n`);
  process.stdout.write(await response.text());
  return response.ok ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (e: Error) => {
      process.stderr.write(`call: ${e.message}\n`);
      process.exitCode = e instanceof UsageError ? 2 : 1;
    },
  );
}
