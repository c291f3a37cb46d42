import http from 'node:http';

/**
 * The runtime's side of the Runtime API (2018-06-01), over one keep-alive connection with no
 * timeouts: `/next` is a long poll that lasts as long as the environment stays idle (or frozen).
 */
export interface Invocation {
  requestId: string;
  deadlineMs: number;
  invokedFunctionArn: string;
  traceId: string;
  clientContext?: string;
  cognitoIdentity?: string;
  body: string;
}

export interface ErrorBody {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export class RuntimeApiClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly host: string;
  private readonly port: number;

  constructor(address: string) {
    const [host, port] = address.split(':');
    this.host = host!;
    this.port = Number(port);
  }

  async nextInvocation(): Promise<Invocation> {
    const { headers, body } = await this.request('GET', '/2018-06-01/runtime/invocation/next');
    const header = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    return {
      requestId: header('lambda-runtime-aws-request-id') ?? '',
      deadlineMs: Number(header('lambda-runtime-deadline-ms')),
      invokedFunctionArn: header('lambda-runtime-invoked-function-arn') ?? '',
      traceId: header('lambda-runtime-trace-id') ?? '',
      clientContext: header('lambda-runtime-client-context') || undefined,
      cognitoIdentity: header('lambda-runtime-cognito-identity') || undefined,
      body,
    };
  }

  async postResponse(requestId: string, payload: string): Promise<void> {
    await this.request('POST', `/2018-06-01/runtime/invocation/${requestId}/response`, payload);
  }

  /** As AWS's client does, no error-type header: the platform reports the invoke as `Unhandled`. */
  async postError(requestId: string, error: ErrorBody): Promise<void> {
    await this.request('POST', `/2018-06-01/runtime/invocation/${requestId}/error`, JSON.stringify(error));
  }

  async postInitError(error: ErrorBody): Promise<void> {
    await this.request('POST', '/2018-06-01/runtime/init/error', JSON.stringify(error), {
      'Lambda-Runtime-Function-Error-Type': error.errorType,
    });
  }

  private request(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.host, port: this.port, method, path, agent: this.agent, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
