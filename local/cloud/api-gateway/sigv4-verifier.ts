import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { LOCAL_ACCOUNT_ID } from '../../sandbox/function-config';
import type { CallerIdentity } from './events';
import { headerLast, headerValues, type GatewayRequest } from './http-request';
import { restError, type GatewayResponse } from './responses';

/**
 * `AWS_IAM` routes: verifies a Signature Version 4 `Authorization` header the way `execute-api`
 * does — algorithm `AWS4-HMAC-SHA256`, credential scope `<key>/<yyyymmdd>/<the API's region>/
 * execute-api/aws4_request`, the canonical request over the method, the (double-encoded, normalised) path, the
 * sorted query, the signed headers and the SHA-256 of the body actually received, and a clock-skew
 * window around `X-Amz-Date` — against the secret `credentials(accessKeyId)` gives.
 *
 * Failures are the 403s API Gateway answers ("How do I troubleshoot HTTP 403 errors from API
 * Gateway?", "… signature mismatch errors when making SigV4 signed requests …"): no
 * Authorization → `Missing Authentication Token`; an unknown key → `The security token included in
 * the request is invalid.`; a wrong signature → `The request signature we calculated does not match
 * the signature you provided. …` with the canonical string and string-to-sign it expected.
 */

/** What the local cloud knows about an access key: its secret, optionally who it belongs to. */
export interface LocalCredential {
  secretAccessKey: string;
  accountId?: string;
  userArn?: string;
  userId?: string;
}

export type CredentialLookup = (accessKeyId: string) => string | LocalCredential | undefined;

export type SigV4Result = { ok: true; caller: CallerIdentity } | { ok: false; response: GatewayResponse };

export interface SigV4Options {
  now?: number;
  /** The API's region, which the credential scope must name (any when absent). */
  region?: string;
  /** Allowed difference between X-Amz-Date and now (default 15 minutes). */
  clockSkewMs?: number;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 'execute-api';
const DEFAULT_SKEW_MS = 15 * 60 * 1000;

const fail = (message: string, errorType: string): SigV4Result => ({
  ok: false,
  response: restError(403, message, errorType),
});

export const MISSING_TOKEN = () =>
  fail('Missing Authentication Token', 'MissingAuthenticationTokenException');

/** RFC 3986 encoding as SigV4 wants it (`encodeURIComponent` plus `!'()*`). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The path as sent, dot segments and empty segments removed, each character encoded again. */
export function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const s of rawPath.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') segments.pop();
    else segments.push(s);
  }
  const normalised = `/${segments.join('/')}${segments.length && rawPath.endsWith('/') ? '/' : ''}`;
  return uriEncode(normalised).replace(/%2F/g, '/');
}

export function canonicalQuery(query: Array<[string, string]>): string {
  return query
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export function canonicalRequest(req: GatewayRequest, signedHeaders: string[]): string {
  const headers = signedHeaders
    .map((name) => {
      const value = headerValues(req, name)
        .map((v) => v.replace(/\s+/g, ' ').trim())
        .join(',');
      return `${name}:${value}\n`;
    })
    .join('');
  return [
    req.method,
    canonicalPath(req.rawPath),
    canonicalQuery(req.query),
    headers,
    signedHeaders.join(';'),
    createHash('sha256').update(req.body).digest('hex'),
  ].join('\n');
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

export function signature(
  secret: string,
  scope: string[],
  amzDate: string,
  canonical: string,
): {
  stringToSign: string;
  signature: string;
} {
  const [date, region, service] = scope;
  const stringToSign = [
    ALGORITHM,
    amzDate,
    scope.join('/'),
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request');
  return { stringToSign, signature: createHmac('sha256', key).update(stringToSign).digest('hex') };
}

/** `20240102T030405Z` ↔ Date. */
function parseAmzDate(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const amzDate = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

function parseAuthorization(header: string): Record<string, string> | undefined {
  if (!header.startsWith(`${ALGORITHM} `)) return undefined;
  const params: Record<string, string> = {};
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return params;
}

export function verifySigV4(
  req: GatewayRequest,
  lookup: CredentialLookup | undefined,
  options: SigV4Options = {},
): SigV4Result {
  const authorization = headerLast(req, 'authorization');
  if (!authorization) return MISSING_TOKEN();

  const params = parseAuthorization(authorization) ?? {};
  const dateHeader = headerLast(req, 'x-amz-date') ?? headerLast(req, 'date');
  const incomplete: string[] = [];
  for (const p of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!params[p]) incomplete.push(`Authorization header requires '${p}' parameter.`);
  }
  if (!dateHeader) {
    incomplete.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  if (incomplete.length) {
    return fail(`${incomplete.join(' ')} Authorization=${authorization}`, 'IncompleteSignatureException');
  }
  const credential = params.Credential!.split('/');
  const [accessKeyId, scopeDate, region, service, terminator] = credential;
  if (credential.length !== 5 || !accessKeyId || !scopeDate || !region) {
    return fail(
      `Credential should be scoped to a valid region. Authorization=${authorization}`,
      'IncompleteSignatureException',
    );
  }
  if (options.region !== undefined && region !== options.region) {
    return fail(
      `Credential should be scoped to a valid region, not '${region}'. `,
      'InvalidSignatureException',
    );
  }
  if (terminator !== 'aws4_request') {
    return fail(
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`,
      'InvalidSignatureException',
    );
  }
  if (service !== SERVICE) {
    return fail(
      `Credential should be scoped to correct service: '${SERVICE}'. `,
      'InvalidSignatureException',
    );
  }
  const signedHeaders = params.SignedHeaders!.split(';').map((h) => h.trim().toLowerCase());
  if (!signedHeaders.includes('host')) {
    return fail(
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
      'IncompleteSignatureException',
    );
  }

  const found = lookup?.(accessKeyId);
  if (found === undefined) {
    return fail('The security token included in the request is invalid.', 'UnrecognizedClientException');
  }
  const cred: LocalCredential = typeof found === 'string' ? { secretAccessKey: found } : found;

  const signedAt = parseAmzDate(dateHeader!) ?? new Date(dateHeader!);
  if (Number.isNaN(signedAt.getTime())) {
    return fail(
      `Date must be in ISO-8601 'basic format'. Got '${dateHeader}'.`,
      'IncompleteSignatureException',
    );
  }
  const signedAmz = amzDate(signedAt);
  if (signedAmz.slice(0, 8) !== scopeDate) {
    return fail(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${signedAmz.slice(0, 8)}', from '${dateHeader}'.`,
      'InvalidSignatureException',
    );
  }
  const now = options.now ?? Date.now();
  const skew = options.clockSkewMs ?? DEFAULT_SKEW_MS;
  const minutes = Math.round(skew / 60000);
  if (signedAt.getTime() < now - skew) {
    return fail(
      `Signature expired: ${signedAmz} is now earlier than ${amzDate(new Date(now - skew))} (${amzDate(new Date(now))} - ${minutes} min.)`,
      'InvalidSignatureException',
    );
  }
  if (signedAt.getTime() > now + skew) {
    return fail(
      `Signature not yet current: ${signedAmz} is still later than ${amzDate(new Date(now + skew))} (${amzDate(new Date(now))} + ${minutes} min.)`,
      'InvalidSignatureException',
    );
  }

  const canonical = canonicalRequest(req, signedHeaders);
  const expected = signature(
    cred.secretAccessKey,
    [scopeDate, region, SERVICE, 'aws4_request'],
    signedAmz,
    canonical,
  );
  const given = Buffer.from(params.Signature!);
  const want = Buffer.from(expected.signature);
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    return fail(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret ' +
        'Access Key and signing method. Consult the service documentation for details.\n\n' +
        `The Canonical String for this request should have been\n'${canonical}'\n\n` +
        `The String-to-Sign should have been\n'${expected.stringToSign}'\n`,
      'InvalidSignatureException',
    );
  }

  const accountId = cred.accountId ?? LOCAL_ACCOUNT_ID;
  const userId = cred.userId ?? accessKeyId;
  return {
    ok: true,
    caller: {
      accessKey: accessKeyId,
      accountId,
      callerId: userId,
      userArn: cred.userArn ?? `arn:aws:iam::${accountId}:user/${accessKeyId}`,
      userId,
    },
  };
}
