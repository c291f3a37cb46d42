import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { handler } from './index';

const sample = (name: string): APIGatewayProxyEventV2 =>
  JSON.parse(readFileSync(join(__dirname, '../../events/hello', name), 'utf8')) as APIGatewayProxyEventV2;

describe('hello', () => {
  it('answers GET /hello with the hello world message as JSON', async () => {
    const result = await handler(sample('get.json'));
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(result.body ?? '')).toEqual({ message: 'hello world' });
  });

  it('ignores the query string and body it does not use', async () => {
    const event = sample('get.json');
    const result = await handler({ ...event, rawQueryString: 'name=x', body: 'ignored' });
    expect(JSON.parse(result.body ?? '')).toEqual({ message: 'hello world' });
  });
});
