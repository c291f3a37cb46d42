import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * `ANY /iam-echo` on the samples' HTTP API, an `AWS_IAM` route: API Gateway has verified the SigV4
 * signature before this runs. It answers who called (the IAM identity API Gateway passes on) and
 * what was sent, so a caller can check its signing end to end (`npm run call`). Without the IAM
 * context — the route wired without AWS_IAM by mistake — it answers 403.
 */
type Event = APIGatewayProxyEventV2WithIAMAuthorizer;

const MAX_ECHO_BYTES = 4096;

export const handler = async (event: Event): Promise<APIGatewayProxyStructuredResultV2> => {
  const iam = event?.requestContext?.authorizer?.iam;
  if (!iam || typeof iam.accessKey !== 'string')
    return json(403, { message: 'Forbidden: this route needs a SigV4-signed request (AWS_IAM)' });
  const body = event.body ?? '';
  if (typeof body !== 'string') return json(400, { message: 'the body must be a string' });
  const text = event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  if (Buffer.byteLength(text) > MAX_ECHO_BYTES)
    return json(413, { message: `the body is larger than ${MAX_ECHO_BYTES} bytes` });
  return json(200, {
    caller: { accountId: iam.accountId, userArn: iam.userArn, userId: iam.userId },
    method: event.requestContext.http?.method,
    path: event.rawPath,
    body: text,
  });
};

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
