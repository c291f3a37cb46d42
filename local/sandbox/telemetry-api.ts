import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiContext, Route } from './api-router';
import { header, readBody, sendJson } from './http-helpers';
import { LambdaApiError } from './lifecycle';

const BODY_LIMIT = 64 * 1024;
const tooLarge = () => new LambdaApiError(413, 'RequestEntityTooLarge', 'Request body too large.');

const subscribe =
  (api: 'telemetry' | 'logs') =>
  async (req: IncomingMessage, res: ServerResponse, _p: string[], ctx: ApiContext): Promise<void> => {
    const body = await readBody(req, BODY_LIMIT, tooLarge);
    const answer = ctx.subscribe(api, header(req, 'Lambda-Extension-Identifier'), body);
    sendJson(res, answer.status, answer.body);
  };

/** PUT /2022-07-01/telemetry and PUT /2020-08-15/logs */
export const telemetryRoutes: Route[] = [
  ['PUT', /^\/2022-07-01\/telemetry$/, subscribe('telemetry')],
  ['PUT', /^\/2020-08-15\/logs$/, subscribe('logs')],
];
