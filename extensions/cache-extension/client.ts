import http from 'node:http';

/**
 * The function-side client of the cache extension: adds the session token, keeps one connection
 * open, and turns the extension's error contract into typed errors. Import it into a function;
 * esbuild bundles it (it has no dependencies).
 */
export class CacheError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
/** 404: not configured, or not found upstream (`code` says which). */
export class CacheNotFoundError extends CacheError {}
/** 400 / 403 / 405: the request itself is wrong. */
export class CacheRequestError extends CacheError {}
/** 502 / 504: the source failed or could not be reached (and there was no stale value to serve). */
export class CacheUpstreamError extends CacheError {}

export interface Parameter {
  Name: string;
  Type: string;
  Value: string;
  Version: number;
  ARN?: string;
}

export interface Secret {
  ARN: string;
  Name: string;
  VersionId: string;
  SecretString?: string;
  SecretBinary?: string;
  VersionStages: string[];
}

export type CacheControl = 'cache' | 'recache' | 'nocache';

export class CacheClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  constructor(
    private readonly port = Number(process.env.CACHE_EXTENSION_PORT ?? 4000),
    private readonly token = process.env.AWS_SESSION_TOKEN ?? '',
  ) {}

  /** A configured parameter's value (`/parameters?name=`). */
  async getParameter(name: string, control?: CacheControl): Promise<string> {
    return (await this.get<{ Parameter: Parameter }>('/parameters', { name }, control)).Parameter.Value;
  }

  /** A configured secret's string (`/secrets?name=`). */
  async getSecret(id: string, control?: CacheControl): Promise<string> {
    const secret = await this.get<Secret>('/secrets', { name: id }, control);
    if (secret.SecretString === undefined)
      throw new CacheRequestError(400, 'BinarySecret', `${id} holds a binary secret`);
    return secret.SecretString;
  }

  /** A configured DynamoDB item by its `<table>-<hash>[-<sort>]` name (`/dynamodb?name=`). */
  async getItem<T = Record<string, unknown>>(name: string, control?: CacheControl): Promise<T> {
    return this.get<T>('/dynamodb', { name }, control);
  }

  async get<T>(path: string, query: Record<string, string>, control?: CacheControl): Promise<T> {
    const { status, body } = await this.request(`${path}?${new URLSearchParams(query).toString()}`, control);
    if (status === 200) return JSON.parse(body) as T;
    let error: { __type?: string; message?: string } = {};
    try {
      error = JSON.parse(body) as typeof error;
    } catch {
      // not JSON: keep the status
    }
    const code = error.__type ?? 'Unknown';
    const message = error.message ?? body;
    if (status === 404) throw new CacheNotFoundError(status, code, message);
    if (status >= 500) throw new CacheUpstreamError(status, code, message);
    throw new CacheRequestError(status, code, message);
  }

  private request(path: string, control?: CacheControl): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          path,
          agent: this.agent,
          headers: {
            'X-Aws-Parameters-Secrets-Token': this.token,
            ...(control ? { 'X-Cache-Control': control } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', (e) =>
        reject(
          new CacheUpstreamError(
            504,
            'ExtensionUnreachable',
            `cache extension on port ${this.port}: ${e.message}`,
          ),
        ),
      );
      req.end();
    });
  }
}
