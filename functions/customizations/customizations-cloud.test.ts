import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { spawnedGroupIds, survivingGroups } from '../../local/sandbox/process-group';
import { sdkConfig, startTestCloud, type TestCloud } from '../../local/cloud/test-cloud';

/**
 * Point 3 of issue 9: `POST /customizations` on the REST API, on the local cloud: API key, the
 * CustomizationPost model's body validator before the function, the function's own validation, and
 * the stored item.
 */
let samples: TestCloud;

beforeAll(async () => {
  samples = await startTestCloud(['SamplesRestApi', 'CustomizationsTable', 'CustomizationsFunction']);
}, 300_000);

afterAll(async () => {
  await samples?.stop();
  expect(survivingGroups(spawnedGroupIds.splice(0))).toEqual([]);
});

const valid = {
  imageUrl: 'https://example.com/unicorn.png',
  sock: '1',
  horn: '2',
  glasses: '3',
  cape: '4',
  name: 'Shadowfax the Second',
};

const post = (body: unknown, apiKey: string | null = samples.apiKey) =>
  fetch(`${samples.gateway.url}/prod/customizations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('samples: REST API POST /customizations', () => {
  it('stores a valid customization and answers 201 with its id', async () => {
    const res = await post(valid);
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const dynamodb = new DynamoDBClient({ ...sdkConfig, endpoint: samples.cloud.endpoints.dynamodb });
    const table = samples.cloud.resources.get('CustomizationsTable')!.ref;
    const { Item } = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } } }));
    expect(Item).toMatchObject({
      name: { S: valid.name },
      imageUrl: { S: valid.imageUrl },
      cape: { S: '4' },
    });
  });

  it('refuses the seed’s bad URL and SQL injection with 400 before the function runs', async () => {
    const before = samples.gatewayInvocations('CustomizationsFunction');
    for (const bad of [
      { ...valid, imageUrl: 'htt://example.com/unicorn.png' },
      { ...valid, cape: "2); INSERT INTO Cape (NAME,PRICE) VALUES ('Bad color', 10000.00" },
      'not json',
      {},
    ]) {
      const res = await post(bad);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ message: 'Invalid request body' });
    }
    expect(samples.gatewayInvocations('CustomizationsFunction')).toBe(before);
  });

  it('answers 403 without the API key or with a wrong one', async () => {
    expect((await post(valid, null)).status).toBe(403);
    expect((await post(valid, 'not-the-key')).status).toBe(403);
  });

  it('validates again inside the function when invoked directly (400 with reasons, no stack)', async () => {
    const event = {
      httpMethod: 'POST',
      path: '/customizations',
      isBase64Encoded: false,
      body: JSON.stringify({ ...valid, imageUrl: 'htt://example.com/x.png' }),
    };
    const result = await samples.cloud.invoke('CustomizationsFunction', JSON.stringify(event));
    expect(result.errorType).toBeUndefined();
    const response = JSON.parse(result.payload.toString('utf8')) as { statusCode: number; body: string };
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      message: 'Invalid request body',
      errors: ['/imageUrl must match pattern "^https?:\\/\\/[-a-zA-Z0-9@:%_+.~#?&//=]+$"'],
    });
  });
});
