import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { readBody } from '../http-body';

/**
 * The AWS query protocol as CloudFormation and STS speak it: a form-encoded `POST /` with
 * `Action=…&Version=…`, answered `<ActionResponse><ActionResult>…</ActionResult>` in the service's
 * XML namespace, errors as `<ErrorResponse><Error><Type/><Code/><Message/></Error>`. The real SDK v3
 * clients talk to it unchanged through their endpoint override.
 */

export class QueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const escapeXml = (text: string) =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

/** `<name>value</name>`, escaped; nothing when the value is absent. */
export const xmlElement = (name: string, value: string | undefined) =>
  value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`;

/** An action's answer: the XML inside `<ActionResult>`. */
export type QueryAction = (form: URLSearchParams) => string;

export interface QueryService {
  /** `http://cloudformation.amazonaws.com/doc/2010-05-15/`, … */
  namespace: string;
  /** Access keys the service knows (any when absent); others get InvalidClientTokenId, as AWS answers. */
  accessKeys?: string[];
  actions: Record<string, QueryAction>;
}

export interface QueryServer {
  endpoint: string;
  /** Actions received, in order (tests check what was called). */
  actions: string[];
  close(): Promise<void>;
}

export async function startQueryServer(service: QueryService): Promise<QueryServer> {
  const received: string[] = [];
  const answer = async (req: IncomingMessage): Promise<{ action: string; result: string }> => {
    if (req.method !== 'POST')
      throw new QueryError('InvalidAction', `${req.method ?? ''} is not valid for this web service.`);
    const accessKey = /AWS4-HMAC-SHA256 Credential=([^/,]+)\//.exec(req.headers.authorization ?? '')?.[1];
    if (!accessKey)
      throw new QueryError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
    if (service.accessKeys && !service.accessKeys.includes(accessKey))
      throw new QueryError(
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
        403,
      );
    const body = await readBody(
      req,
      1024 * 1024,
      () => new QueryError('ValidationError', 'Request too large'),
    );
    const form = new URLSearchParams(body.toString('utf8'));
    const action = form.get('Action') ?? '';
    received.push(action);
    const run = service.actions[action];
    if (!run)
      throw new QueryError('InvalidAction', `The action ${action} is not valid for this web service.`);
    return { action, result: run(form) };
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const reply = (status: number, xml: string) => {
      res.writeHead(status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    };
    answer(req).then(
      ({ action, result }) =>
        reply(
          200,
          `<${action}Response xmlns="${service.namespace}"><${action}Result>${result}</${action}Result><ResponseMetadata>${xmlElement('RequestId', requestId)}</ResponseMetadata></${action}Response>`,
        ),
      (e: unknown) => {
        const error = e instanceof QueryError ? e : new QueryError('InternalFailure', 'internal error', 500);
        reply(
          error.status,
          `<ErrorResponse xmlns="${service.namespace}"><Error>${xmlElement('Type', error.status < 500 ? 'Sender' : 'Receiver')}${xmlElement('Code', error.code)}${xmlElement('Message', error.message)}</Error>${xmlElement('RequestId', requestId)}</ErrorResponse>`,
        );
      },
    );
  };
  const server = http.createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    actions: received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
