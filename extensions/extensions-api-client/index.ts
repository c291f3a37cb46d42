import http from 'node:http';

/**
 * The one client of Lambda's Extensions API (2020-01-01) and Telemetry API (2022-07-01) that every
 * extension of this project uses. Plain node:http with a keep-alive agent and no timeouts: `/next`
 * is a long poll that lasts as long as the environment stays idle or frozen (fetch's 300 s header
 * timeout would break it).
 */
export type ExtensionEventType = 'INVOKE' | 'SHUTDOWN';

export interface InvokeEvent {
  eventType: 'INVOKE';
  deadlineMs: number;
  requestId: string;
  invokedFunctionArn: string;
  tracing?: { type: string; value: string };
}

export interface ShutdownEvent {
  eventType: 'SHUTDOWN';
  /** `spindown`, `timeout` or `failure` (AWS documents them in capitals; compare case-insensitively). */
  shutdownReason: string;
  deadlineMs: number;
}

export type ExtensionEvent = InvokeEvent | ShutdownEvent;

export interface Registration {
  id: string;
  functionName: string;
  functionVersion: string;
  handler: string;
  accountId?: string;
}

export class ExtensionsApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class ExtensionsApiClient {
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly host: string;
  private readonly port: number;
  private extensionId?: string;

  constructor(runtimeApi: string | undefined = process.env.AWS_LAMBDA_RUNTIME_API) {
    if (!runtimeApi)
      throw new Error('AWS_LAMBDA_RUNTIME_API is not set: this program runs as a Lambda extension');
    const [host, port] = runtimeApi.split(':');
    this.host = host!;
    this.port = Number(port ?? 80);
  }

  get id(): string {
    if (!this.extensionId) throw new Error('register first');
    return this.extensionId;
  }

  /** Registers; `name` must be the executable's file name in /opt/extensions. */
  async register(
    name: string,
    events: ExtensionEventType[],
    acceptFeatures: string[] = [],
  ): Promise<Registration> {
    const reply = await this.call('POST', '/2020-01-01/extension/register', JSON.stringify({ events }), {
      'Lambda-Extension-Name': name,
      ...(acceptFeatures.length ? { 'Lambda-Extension-Accept-Feature': acceptFeatures.join(',') } : {}),
    });
    const id = header(reply, 'lambda-extension-identifier');
    if (!id)
      throw new ExtensionsApiError(
        reply.status,
        'MissingIdentifier',
        'register answered without Lambda-Extension-Identifier',
      );
    this.extensionId = id;
    return { id, ...(JSON.parse(reply.body) as Omit<Registration, 'id'>) };
  }

  /** Waits for the next event: the extension is "done" with the current invoke when it calls this. */
  async next(): Promise<ExtensionEvent> {
    const reply = await this.call('GET', '/2020-01-01/extension/event/next', undefined, {
      'Lambda-Extension-Identifier': this.id,
    });
    return JSON.parse(reply.body) as ExtensionEvent;
  }

  /** Reports a failed init (`Category.Reason`, e.g. `Extension.ConfigInvalid`); the extension should exit after. */
  async initError(errorType: string, message: string): Promise<void> {
    await this.reportError('/2020-01-01/extension/init/error', errorType, message);
  }

  async exitError(errorType: string, message: string): Promise<void> {
    await this.reportError('/2020-01-01/extension/exit/error', errorType, message);
  }

  /**
   * Subscribes to the Telemetry API with an HTTP destination on this extension's listener port.
   * False when the environment answers 202 (`Telemetry.NotSupported`: AWS's runtime interface
   * emulator, so `sam local invoke`), which then delivers nothing.
   */
  async subscribeTelemetry(options: {
    types: Array<'platform' | 'function' | 'extension'>;
    port: number;
    path?: string;
    buffering?: { maxItems?: number; maxBytes?: number; timeoutMs?: number };
    schemaVersion?: string;
  }): Promise<boolean> {
    const body = {
      schemaVersion: options.schemaVersion ?? '2022-12-13',
      types: options.types,
      ...(options.buffering ? { buffering: options.buffering } : {}),
      destination: {
        protocol: 'HTTP',
        URI: `http://sandbox.localdomain:${options.port}${options.path ?? '/'}`,
      },
    };
    const reply = await this.call('PUT', '/2022-07-01/telemetry', JSON.stringify(body), {
      'Lambda-Extension-Identifier': this.id,
    });
    return reply.status !== 202;
  }

  /**
   * The Logs API (2020-08-15), for environments that refuse the Telemetry API; same streams, older
   * schemas. False when the environment answers 202 (`Logs.NotSupported`).
   */
  async subscribeLogs(options: {
    types: Array<'platform' | 'function' | 'extension'>;
    port: number;
    path?: string;
    buffering?: { maxItems?: number; maxBytes?: number; timeoutMs?: number };
  }): Promise<boolean> {
    const body = {
      schemaVersion: '2021-03-18',
      types: options.types,
      ...(options.buffering ? { buffering: options.buffering } : {}),
      destination: {
        protocol: 'HTTP',
        URI: `http://sandbox.localdomain:${options.port}${options.path ?? '/'}`,
      },
    };
    const reply = await this.call('PUT', '/2020-08-15/logs', JSON.stringify(body), {
      'Lambda-Extension-Identifier': this.id,
    });
    return reply.status !== 202;
  }

  private async reportError(path: string, errorType: string, message: string): Promise<void> {
    // Registering may itself have failed; Lambda accepts init errors only from registered extensions.
    const headers: Record<string, string> = { 'Lambda-Extension-Function-Error-Type': errorType };
    if (this.extensionId) headers['Lambda-Extension-Identifier'] = this.extensionId;
    await this.call(
      'POST',
      path,
      JSON.stringify({ errorMessage: message, errorType, stackTrace: [] }),
      headers,
    );
  }

  private call(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.host, port: this.port, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const reply = {
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            };
            if (reply.status >= 300) {
              let parsed: { errorType?: string; errorMessage?: string } = {};
              try {
                parsed = JSON.parse(reply.body) as typeof parsed;
              } catch {
                // not JSON: use the text
              }
              reject(
                new ExtensionsApiError(
                  reply.status,
                  parsed.errorType ?? 'Unknown',
                  parsed.errorMessage ?? reply.body,
                ),
              );
            } else resolve(reply);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

const header = (reply: Reply, name: string): string | undefined => {
  const v = reply.headers[name];
  return Array.isArray(v) ? v[0] : v;
};
